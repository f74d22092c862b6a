"""`schoolmh <command>`: the headless commands. They call the same services as the window.

Each command module defines `register(subparsers)` and sets `func(args) -> int`
on its parsers. Errors meant for users print one line on stderr and exit 2;
anything else prints a plain line (the detail goes to the log without identifiers) and exits 70.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from schoolmh import __version__
from schoolmh.errors import SchoolMHError
from schoolmh.logs import log_exception

COMMAND_MODULES = [
    "schoolmh.cli.vault_cmds",
    "schoolmh.cli.records_cmds",
    "schoolmh.cli.records2_cmds",
    "schoolmh.cli.report_cmds",
    "schoolmh.cli.referral_cmds",
    "schoolmh.cli.terms_cmds",
    "schoolmh.cli.team_cmds",
]


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes print one line on stderr (not argparse's usage block) and exit 2.

    Sub-command parsers inherit this class, because add_subparsers uses the parent's class.
    """

    def error(self, message: str):  # noqa: D401 - argparse hook
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _actions_of(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, list[str]]:
    """The deepest command the user named and the actions it offers, for 'name an action' messages."""
    prog, choices = parser.prog, []
    while True:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None:
            return prog, choices
        chosen = getattr(args, sub.dest, None)
        if chosen is None or chosen not in sub.choices:
            return prog, list(sub.choices)
        parser = sub.choices[chosen]
        prog = parser.prog


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="schoolmh",
        description="SchoolMH headless commands. Run with no command to start the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"SchoolMH {__version__}")
    parser.add_argument("--selftest", action="store_true", help="check this installation works, then exit")
    common = OneLineParser(add_help=False)
    common.add_argument("--data-dir", help="vault folder (default: SCHOOLMH_DATA_DIR or the user data folder)")
    common.add_argument("--user", help="act as this account (default: SCHOOLMH_USER or the lead created at set-up)")
    common.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.selftest:
        from schoolmh.selftest import run_selftest

        return run_selftest()
    if not getattr(args, "func", None):
        if not args.command:
            parser.print_help()
            return 2
        prog, choices = _actions_of(parser, args)
        print(f"{prog}: name an action: {', '.join(choices)} (see --help)", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except SchoolMHError as exc:
        from schoolmh.cli.common import err  # terminal-safe: messages quote file cells and names

        err(f"schoolmh: {exc.message}")
        return 2
    except KeyboardInterrupt:
        print("schoolmh: stopped; nothing half-done was kept.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: never show a traceback to a user
        log_exception(exc, f"cli {args.command}")
        print(
            f"schoolmh: something went wrong running '{args.command}'. Nothing was changed. "
            "The technical detail was logged.",
            file=sys.stderr,
        )
        return 70
