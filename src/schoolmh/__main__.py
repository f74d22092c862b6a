"""Entry point: no arguments starts the desktop app; `schoolmh <command>` runs a headless command."""
from __future__ import annotations

import sys

from schoolmh.startup import report_startup_failure, utf8_stdio


def main(argv: list[str] | None = None) -> int:
    utf8_stdio()
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("--data-dir") and len(args) <= 2 and "--selftest" not in args:
        try:
            from schoolmh.ui.app import run_app
        except Exception as exc:  # Qt missing or broken in this installation: say so, even without a console
            report_startup_failure(exc)
            return 1
        return run_app(args)
    from schoolmh.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
