"""The record and report commands answer bad arguments with one line on stderr and exit 2 (no vault needed:
each is refused before signing in)."""
from __future__ import annotations

import pytest

from schoolmh import cli


@pytest.mark.parametrize("argv, expected", [
    (["import"], "'schoolmh import' needs one of: pupils, sessions, measures, activities"),
    (["export"], "'schoolmh export' needs one of: pupil, all"),
    (["retention"], "'schoolmh retention' needs one of: list, erase"),
    (["measures"], "'schoolmh measures' needs one of: list"),
    (["report"], "'schoolmh report' needs one of: governors, pupil"),
    (["dashboard", "--term", "autumn", "--year", "2026x"], "--year '2026x' is not a school year"),
        (["dashboard", "--term", "spring", "--year", "2026"], "--year 2026 is ambiguous"),
    (["dashboard", "--term", "winter", "--year", "2026"], "The term must be autumn, spring or summer."),
    (["dashboard", "--from", "2026-12-01"], "Give both --from and --to"),
    (["dashboard", "--from", "31/02/2026", "--to", "2026-03-01"], "--from '31/02/2026' is not a date"),
    (["report", "governors", "--from", "2026-03-01", "--to", "2026-01-01", "--out", "r.pdf"], "--to is before --from."),
    (["demo", "--pupils", "lots"], "--pupils 'lots' is not a number of pupils"),
    (["demo", "--pupils", "3", "--seed", "x"], "--seed 'x' is not a seed"),
    (["export", "all", "--out", "no/such/folder/x.json"], "The folder no/such/folder does not exist."),
    (["import", "activities", "no-such-file.csv"], "Could not open no-such-file.csv"),
])
def test_bad_arguments_get_one_line(argv, expected, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCHOOLMH_DATA_DIR", str(tmp_path / "vault"))  # never reached: no vault is made
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and expected in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "vault").exists()
