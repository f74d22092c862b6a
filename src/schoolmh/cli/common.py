"""What every headless command shares: finding the vault, reading secrets, signing in."""
from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schoolmh.db.vault import default_data_dir
from schoolmh.errors import ValidationError
from schoolmh.services import access
from schoolmh.services.session import Session

_stdin_lines: list[str] | None = None


def data_dir(args) -> Path:
    return Path(args.data_dir) if getattr(args, "data_dir", None) else default_data_dir()


def _next_stdin_line() -> str | None:
    """stdin may carry more than one secret (password, then a new password), one per line."""
    global _stdin_lines
    if _stdin_lines is None:
        _stdin_lines = sys.stdin.read().splitlines()
    return _stdin_lines.pop(0) if _stdin_lines else None


def read_secret(args, env_name: str, prompt: str, *, from_stdin: bool | None = None) -> str:
    """A password never comes from an argument: stdin (when asked), the environment, or a prompt."""
    use_stdin = getattr(args, "password_stdin", False) if from_stdin is None else from_stdin
    if use_stdin:
        line = _next_stdin_line()
        if line is not None:
            return line
    value = os.environ.get(env_name)
    if value:
        return value
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise ValidationError(f"No password given: use --password-stdin or set {env_name}.", "password")


def username(args) -> str | None:
    return getattr(args, "user", None) or os.environ.get("SCHOOLMH_USER") or None


@contextmanager
def signed_in(args) -> Iterator[Session]:
    """A command's signed-in session, closed (and the key dropped) however the command ends."""
    session = sign_in(args)
    try:
        yield session
    finally:
        session.close()


def sign_in(args) -> Session:
    session = access.sign_in(data_dir(args), username(args), read_secret(args, "SCHOOLMH_PASSWORD", "Password: "))
    if session.rollback_warning:  # said on every command, as the window's banner does
        print(f"schoolmh: warning: {session.rollback_warning}", file=sys.stderr, flush=True)
    return session


# Everything a terminal may act on rather than show: C0 controls but tab and newline
# (ESC starts a sequence that can move the cursor, rewrite the screen or set the
# window title), DEL, C1 controls (0x9B is a one-byte CSI on some terminals), and
# the bidirectional embeddings, overrides and isolates that reorder a line.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal would act on shown as a visible escape (``\\x1b``, ``\\u202e``).

    Names and notes in the vault came from people and files; printed raw, a crafted
    one could rewrite the screen or reorder what a line says. Imports already strip
    these characters; this covers anything stored before that, or typed in the window.
    """
    return _TERMINAL_UNSAFE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def out(text: str) -> None:
    """Print a line for the user on stdout, terminal-safe."""
    print(terminal_safe(text), flush=True)


def err(text: str) -> None:
    """Print a line for the user on stderr, terminal-safe (error messages quote cells and names)."""
    print(terminal_safe(text), file=sys.stderr, flush=True)
