"""Entry point: no arguments starts the desktop app; `schoolmh <command>` runs a headless command."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("--data-dir") and len(args) <= 2 and "--selftest" not in args:
        from schoolmh.ui.app import run_app

        return run_app(args)
    from schoolmh.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
