"""Script names: `schoolmh` (console) and the windowed launcher must be two files on Windows and macOS,
whose file systems ignore case. With `schoolmh` and `SchoolMH`, pip wrote one over the other and the
CLI could become the windowed launcher, which prints nothing."""
from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def case_collisions(names: list[str]) -> list[tuple[str, str]]:
    """Pairs of names that are one file on a case-insensitive file system."""
    seen: dict[str, str] = {}
    clashes = []
    for name in names:
        key = name.casefold()
        if key in seen:
            clashes.append((seen[key], name))
        seen.setdefault(key, name)
    return clashes


def test_the_check_finds_the_old_pair():
    assert case_collisions(["schoolmh", "SchoolMH"]) == [("schoolmh", "SchoolMH")]
    assert case_collisions(["schoolmh", "schoolmh-app"]) == []


def test_pyproject_script_names_differ_in_more_than_case():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; CI runs 3.11 and 3.12
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    console, gui = project["scripts"], project["gui-scripts"]
    names = [*console, *gui]
    assert case_collisions(names) == []
    assert console["schoolmh"] == gui["schoolmh-app"] == "schoolmh.__main__:main"


def test_installed_scripts_do_not_collide_with_any_in_this_environment():
    """What pip actually installed for schoolmh, against every script of every package in the venv."""
    ours = [ep for ep in metadata.distribution("schoolmh").entry_points if ep.group in ("console_scripts", "gui_scripts")]
    assert {(ep.group, ep.name) for ep in ours} == {("console_scripts", "schoolmh"), ("gui_scripts", "schoolmh-app")}
    others = [
        ep.name
        for dist in metadata.distributions()
        if (dist.metadata["Name"] or "").lower() != "schoolmh"
        for ep in dist.entry_points
        if ep.group in ("console_scripts", "gui_scripts")
    ]
    assert case_collisions([ep.name for ep in ours] + others) == []


def test_the_console_script_file_is_the_console_one():
    """On POSIX pip writes both launchers into the venv's bin/; both exist, as two files."""
    bin_dir = Path(sys.executable).parent
    if sys.platform == "win32":
        assert (bin_dir / "schoolmh.exe").exists() and (bin_dir / "schoolmh-app.exe").exists()
    else:
        assert (bin_dir / "schoolmh").exists() and (bin_dir / "schoolmh-app").exists()
        assert not (bin_dir / "SchoolMH").exists() or (bin_dir / "SchoolMH").samefile(bin_dir / "schoolmh")
