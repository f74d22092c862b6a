"""Issue 13.2, 13.3, 13.7, 13.8 from the keyboard: keyboard_dialogs.py and keyboard_mnemonics.py, each run
by pytest in a process of its own.

They build every dialog of the window (about 25, several times) and every page. In one long process
with the rest of the suite, PySide's garbage collector crashed (a segfault, not a test failure) while
collecting what such runs leave behind, taking the whole run down, and now and then even alone. So they
run apart, without cycle collection (no_cycle_gc.py), and a failure shows their own output here.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.slow
@pytest.mark.parametrize("module", ["keyboard_dialogs.py", "keyboard_mnemonics.py"])
def test_keyboard_walk(module, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH", "")]))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(HERE / module), "-q", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "t"), "-o", "python_files=*.py", "-p", "no_cycle_gc"],
        cwd=HERE.parent.parent, env=env, capture_output=True, text=True, timeout=170,
    )
    assert run.returncode == 0, f"{module} (exit {run.returncode}):\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert "[100%]" in run.stdout and "F" not in run.stdout.split("[100%]")[0]  # every walk test ran and passed
