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
``.venv/bin/python bench/bench_startup.py [--runs N] [--data-dir VAULT_DIR]``.
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


def measure(data_dir: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SCHOOLMH_BENCH_EXIT_AFTER_SHOW"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
        timings = measure(data_dir, args.runs)
    for row in _rows(Row, *timings):
        value = f"{row.value:.2f}×" if row.unit == "x" else f"{row.value * 1000:.0f} ms"
        print(f"{row.name:<58} {value:>9}  {row.target}  {row.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
