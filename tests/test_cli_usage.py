"""Usage mistakes on the command line: one line on stderr, exit 2, no usage block or traceback."""
from __future__ import annotations

import pytest

from schoolmh.cli import main


def _run(argv: list[str]) -> int:
    """argparse exits for its own errors; our checks return. Either way: the exit status."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["users"], "name an action: add, list"),
        (["audit"], "name an action: verify"),
        (["users", "add"], "required: username"),
        (["users", "add", "x", "--name", "A", "--role", "wizard"], "invalid choice: 'wizard'"),
        (["backup"], "required: --out"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_are_one_line(argv, expected, capsys):
    assert _run(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], captured.err
    assert "usage:" not in captured.err and "Traceback" not in captured.err
