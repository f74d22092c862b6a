"""Domain rules and permission checks, in pure Python. The window and the CLI are both clients of these."""
