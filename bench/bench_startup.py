"""Benchmark: cold start to a painted unlock screen, against a bare PySide6 window in the same run.

Target (issue 7): at most 1.5× the bare window. Each start is a new interpreter
(``sys.executable -c``), timed by this parent from just before the launch until
the child prints its marker line: the app (``schoolmh.__main__.main`` on the
demo school, so the unlock screen shows) with SCHOOLMH_BENCH_EXIT_AFTER_SHOW=1
(ui/app.py: after show, finish the first paint, print, quit); the baseline is a
QApplication and an empty 1280×800 QWidget doing the same. A third, for reading
the ratio, builds the unlock screen's widgets in plain PySide6 (no app code). They
alternate, so drift on a shared machine hits all alike; the medians are compared.

"Cold" means a new process; the files are in the OS cache (dropping the cache
would need root and disturb the machine), for both sides alike.
Run through bench/run (`bench/run --only startup`) or on its own:
``.venv/bin/python bench/bench_startup.py [--runs N] [--data-dir VAULT_DIR] [--phases]``;
``--phases`` breaks the app's start-up down by step (the app's own functions, timed by
wrapping them in the child; no copy of their code).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARKER = "SCHOOLMH-SHOWN"
TARGET_RATIO = 1.5
TIMEOUT = 60

BARE = f"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([sys.argv[0]])
w = QWidget()
w.resize(1280, 800)
w.show()
def painted():
    app.processEvents()
    print({MARKER!r}, flush=True)
    app.quit()
QTimer.singleShot(0, painted)
app.exec()
"""

# The unlock screen's widget set in plain PySide6 (no app code): what PySide6 itself costs for such a
# form (its classes and the ~90 enums of the Qt namespace are built on first use), for reading the ratio.
FORM = f"""
import sys
from PySide6.QtCore import QTimer, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QApplication, QCheckBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSizePolicy, QVBoxLayout, QWidget)
app = QApplication([sys.argv[0]])
w = QWidget()
card = QFrame()
card.setFrameShape(QFrame.Shape.StyledPanel)
card.setMaximumWidth(440)
card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
title = QLabel("SchoolMH")
font = QFont(title.font())
font.setBold(True)
title.setFont(font)
title.setAlignment(Qt.AlignmentFlag.AlignCenter)
user, password = QLineEdit(), QLineEdit()
password.setEchoMode(QLineEdit.EchoMode.Password)
remember = QCheckBox("Remember me")
remember.hide()
form = QFormLayout()
form.addRow(QLabel("User name:"), user)
form.addRow(QLabel("Password:"), password)
form.addRow("", remember)
forgot, sign_in = QPushButton("Forgotten password?"), QPushButton("Sign in")
sign_in.setDefault(True)
buttons = QHBoxLayout()
buttons.addWidget(forgot)
buttons.addStretch(1)
buttons.addWidget(sign_in)
inner = QVBoxLayout(card)
inner.addWidget(title)
inner.addWidget(QLabel("Sign in to open the school's records."))
inner.addLayout(form)
inner.addLayout(buttons)
outer = QVBoxLayout(w)
outer.addStretch(1)
outer.addWidget(card)
outer.addStretch(2)
w.resize(1280, 800)
w.show()
user.setFocus()
def painted():
    app.processEvents()
    print({MARKER!r}, flush=True)
    app.quit()
QTimer.singleShot(0, painted)
app.exec()
"""

APP = """
import sys
from schoolmh.__main__ import main
sys.exit(main(["--data-dir", sys.argv[1]]))
"""


# `--phases`: where the app's start-up time goes. The child times the app's own functions by
# wrapping them (no copy of their code) and runs the real entry with the exit hook; what is
# left over (show, the event loop starting, the first paint) is reported as the rest.
PHASES = """
import json, sys, time
t0 = time.perf_counter()
T = {}
def lap(label, start):
    T[label] = T.get(label, 0.0) + (time.perf_counter() - start) * 1000
def wrap(owner, name, label):
    fn = getattr(owner, name)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            lap(label, start)
    setattr(owner, name, timed)
s = time.perf_counter()
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget
lap("import PySide6 QtCore, QtGui, QtWidgets (the bare window pays this too)", s)
s = time.perf_counter()
from PySide6.QtCore import Qt
lap("first use of the Qt namespace: PySide6 builds its 93 Python enums", s)
s = time.perf_counter()
import schoolmh.ui.app as A
lap("import schoolmh.ui.app", s)
s = time.perf_counter()
import schoolmh.ui.main_window as MW
import schoolmh.ui.unlock as U
lap("import ui.main_window, ui.unlock, ui.widgets.common, ui.context, errors, permissions", s)
wrap(A, "app_icon", "make_application: window icon")
wrap(A, "apply_style", "make_application: apply_style (style name check, Fusion, style sheet)")
wrap(A, "make_application", "make_application (all)")
wrap(A, "install_exception_hooks", "install_exception_hooks (imports schoolmh.logs)")
wrap(U.UnlockScreen, "__init__", "MainWindow(): the unlock screen")
wrap(MW.MainWindow, "_build_status_bar", "MainWindow(): status bar and account menu")
wrap(MW.MainWindow, "__init__", "MainWindow() (all)")
wrap(A, "run_app", "run_app (all, to the marker and quit)")
from schoolmh.__main__ import main
main(["--data-dir", sys.argv[1]])
T["Python start-up to the first line (site, .pth files)"] = t0
print("PHASES " + json.dumps(T), flush=True)
"""


def phases(data_dir: Path, runs: int) -> list[tuple[str, float]]:
    """Median milliseconds per start-up step of the app over ``runs`` fresh processes (after one warm-up)."""
    import json

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SCHOOLMH_BENCH_EXIT_AFTER_SHOW"] = "1"
    env["SCHOOLMH_LOG_DIR"] = str(data_dir.parent / "logs")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples: list[dict[str, float]] = []
    for run in range(runs + 1):
        launched = time.perf_counter()  # CLOCK_MONOTONIC on Linux: comparable with the child's clock
        result = subprocess.run([sys.executable, "-c", PHASES, str(data_dir)], env=env, capture_output=True,
                                text=True, timeout=TIMEOUT)
        line = next((x for x in result.stdout.splitlines() if x.startswith("PHASES ")), None)
        if line is None:
            raise RuntimeError(f"phases child failed: {result.stderr.strip()[-500:]}")
        t = json.loads(line.removeprefix("PHASES "))
        t["Python start-up to the first line (site, .pth files)"] = (
            t["Python start-up to the first line (site, .pth files)"] - launched) * 1000
        if run:
            samples.append(t)
    first = "Python start-up to the first line (site, .pth files)"
    labels = [first, *(label for label in samples[0] if label != first)]
    out = [(label, statistics.median(s[label] for s in samples)) for label in labels]
    known = dict(out)
    whole = known["run_app (all, to the marker and quit)"]
    parts = sum(known[k] for k in ("make_application (all)", "install_exception_hooks (imports schoolmh.logs)",
                                   "MainWindow() (all)"))
    out.append(("run_app's rest: data folder, vault check, show, event loop, first paint", whole - parts))
    return out


def time_start(code: str, args: list[str], env: dict[str, str]) -> float:
    """Seconds from just before the interpreter launches to the child's marker line."""
    with tempfile.TemporaryFile() as errors:  # Qt's offscreen warnings stay out of the table; kept for a failure
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, stderr=errors, env=env, text=True)
        try:
            for line in child.stdout:
                if line.strip() == MARKER:
                    elapsed = time.perf_counter() - start
                    break
            else:
                status = child.wait(TIMEOUT)
                errors.seek(0)
                raise RuntimeError(f"no {MARKER} line (exit status {status}): "
                                   f"{errors.read().decode(errors='replace').strip()[-500:]}")
            child.wait(TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    return elapsed


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SCHOOLMH_BENCH_EXIT_AFTER_SHOW"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the .pyc files are written once, as an installed app has them
    return env


def measure(data_dir: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    env = _env()
    app_env = dict(env)
    app_env["SCHOOLMH_LOG_DIR"] = str(data_dir.parent / "logs")  # any log stays beside the copy
    bare, form, app = [], [], []
    # One of each first to warm the OS file cache and the .pyc files, not counted.
    time_start(BARE, [], env)
    time_start(FORM, [], env)
    time_start(APP, [str(data_dir)], app_env)
    for _ in range(runs):
        bare.append(time_start(BARE, [], env))
        form.append(time_start(FORM, [], env))
        app.append(time_start(APP, [str(data_dir)], app_env))
    return bare, form, app


def _rows(Row, bare: list[float], form: list[float], app: list[float]) -> list:
    b, f, a = statistics.median(bare), statistics.median(form), statistics.median(app)
    ratio = a / b
    return [
        Row("cold start to unlock screen vs bare PySide6 window", ratio, "x", target=f"≤ {TARGET_RATIO}×",
            ok=ratio <= TARGET_RATIO, note=f"median of {len(app)}: {a * 1000:.0f} ms vs {b * 1000:.0f} ms; "
                                           f"best runs {min(app) / min(bare):.2f}×"),
        Row("  app: launch to painted unlock screen (median)", a, "s",
            note=f"min {min(app) * 1000:.0f} ms, max {max(app) * 1000:.0f} ms"),
        Row("  bare QApplication + QWidget: launch to paint (median)", b, "s",
            note=f"min {min(bare) * 1000:.0f} ms, max {max(bare) * 1000:.0f} ms"),
        Row("  reference: the unlock form's widgets in plain PySide6", f, "s",
            note=f"{f / b:.2f}× the bare window: PySide6's own cost for such a form (no app code)"),
    ]


def bench(ctx) -> list:
    demo = ctx.demo_copy()  # the unlock screen needs a vault to exist; start-up only reads, but a copy is safe
    return _rows(ctx.Row, *measure(demo.data_dir, 3 if ctx.quick else 11))


def main(argv: list[str]) -> int:
    import argparse
    from collections import namedtuple

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--data-dir", type=Path, help="an existing vault folder (default: a small new one)")
    parser.add_argument("--phases", action="store_true", help="break the app's start-up down by step instead")
    args = parser.parse_args(argv)
    Row = namedtuple("Row", "name value unit target ok note", defaults=("", "", None, ""))
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:  # the unlock screen does not open the database: any vault will do
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
            os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"
            from schoolmh.services import access

            data_dir = Path(tmp) / "vault"
            access.init_school(data_dir, "Bench School", "lead", "Bench Lead", "correct horse battery staple").session.close()
        if args.phases:
            steps = phases(data_dir, args.runs)
            bare = statistics.median(time_start(BARE, [], _env()) for _ in range(args.runs))
        else:
            timings = measure(data_dir, args.runs)
    if args.phases:
        print(f"Median of {args.runs} fresh processes (ms); the bare window takes {bare * 1000:.0f} ms in all:")
        for label, ms in steps:
            print(f"{ms:7.1f}  {label}")
        return 0
    for row in _rows(Row, *timings):
        value = f"{row.value:.2f}×" if row.unit == "x" else f"{row.value * 1000:.0f} ms"
        print(f"{row.name:<58} {value:>9}  {row.target}  {row.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
