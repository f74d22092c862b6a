"""Benchmark: the built app in dist/SchoolMH (`make dist`): its size, its self-test, its cold start.

No target for the size (issue 7 asks for it to be reported). If dist/SchoolMH is not
there the module says "not built" and times nothing (this module never builds it:
`make dist` takes minutes). With a build it also times `SchoolMH --selftest` and the
frozen app's cold start to a painted unlock screen on the demo school, against a bare
PySide6 window (the venv's Python, as bench_startup does), alternating the two.
The start needs the SCHOOLMH_BENCH_EXIT_AFTER_SHOW hook (ui/app.py); a build made
before it would never exit, so it gets a time limit and the row says so.
Run through bench/run (`bench/run --only dist`) or standalone: `python bench/bench_dist.py`.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist" / "SchoolMH"
MARKER = "SCHOOLMH-SHOWN"


def dist_size(folder: Path) -> tuple[int, int, int]:
    """(bytes of file contents, bytes on disk, files), symlinks not followed."""
    apparent = on_disk = files = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        st = path.stat()
        apparent += st.st_size
        on_disk += st.st_blocks * 512
        files += 1
    return apparent, on_disk, files


def frozen_start(executable: Path, data_dir: Path, env: dict[str, str], limit: float) -> float | None:
    """Seconds from launch to the marker line; None if the build does not print it within ``limit``."""
    start = time.perf_counter()
    child = subprocess.Popen([str(executable), "--data-dir", str(data_dir)], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    os.set_blocking(child.stdout.fileno(), False)
    buffer = b""
    try:
        while time.perf_counter() - start < limit:
            chunk = child.stdout.read()
            if chunk:
                buffer += chunk
                if MARKER.encode() in buffer:
                    return time.perf_counter() - start
            elif child.poll() is not None:
                return None
            time.sleep(0.001)
        return None
    finally:
        if child.poll() is None:
            try:
                child.wait(10 if MARKER.encode() in buffer else 0)
            except subprocess.TimeoutExpired:
                pass
        if child.poll() is None:
            child.kill()
            child.wait()


def _rows(Row, data_dir: Path | None, runs: int) -> list:
    executable = DIST / "SchoolMH"
    if not executable.exists():
        return [Row("size of dist/SchoolMH", "not built", note="run `make dist`")]
    apparent, on_disk, files = dist_size(DIST)
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(executable.stat().st_mtime))
    rows = [Row("size of dist/SchoolMH (one-folder build)", apparent / 2**20, "MB",
                note=f"{files:,} files, {on_disk / 2**20:.0f} MB on disk; built {built}")]

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("SCHOOLMH_TEST_FAST_KDF", None)
    t = time.perf_counter()
    result = subprocess.run([str(executable), "--selftest"], env=env, capture_output=True, text=True, timeout=120)
    selftest = time.perf_counter() - t
    failed = [line for line in result.stdout.splitlines() if line and not line.startswith(("ok ", "SchoolMH", "self-test"))]
    rows.append(Row("frozen `SchoolMH --selftest`", "passed" if result.returncode == 0 else f"FAILED ({result.returncode})",
                    ok=result.returncode == 0,
                    note=f"{selftest:.1f} s incl. a vault round trip with production Argon2id"
                         + (f"; {'; '.join(failed)[:200]}" if failed else "")))
    if data_dir is None:
        return rows

    from bench_startup import BARE, time_start  # bench/ is on sys.path (bench/run's folder, or this file's)

    env["SCHOOLMH_BENCH_EXIT_AFTER_SHOW"] = "1"
    env["SCHOOLMH_LOG_DIR"] = str(data_dir.parent / "logs")
    if frozen_start(executable, data_dir, env, limit=10.0) is None:  # also warms the file cache
        rows.append(Row("frozen app: cold start to unlock screen", "not measured",
                        note="this build has no SCHOOLMH_BENCH_EXIT_AFTER_SHOW hook (built before it): rebuild"))
        return rows
    frozen, bare = [], []
    for _ in range(runs):
        bare.append(time_start(BARE, [], env))
        value = frozen_start(executable, data_dir, env, limit=30.0)
        if value is None:
            raise RuntimeError("the frozen app stopped printing its start-up marker")
        frozen.append(value)
    f, b = statistics.median(frozen), statistics.median(bare)
    rows.append(Row("frozen app: cold start to unlock screen vs bare window", f / b, "x",
                    note=f"median of {runs}: {f * 1000:.0f} ms vs {b * 1000:.0f} ms (bare window on the venv's Python)"))
    return rows


def bench(ctx) -> list:
    data_dir = ctx.demo_copy().data_dir if (DIST / "SchoolMH").exists() else None
    return _rows(ctx.Row, data_dir, 3 if ctx.quick else 7)


def main(argv: list[str]) -> int:
    from collections import namedtuple

    Row = namedtuple("Row", "name value unit target ok note", defaults=("", "", None, ""))
    for row in _rows(Row, None, 0):
        value = f"{row.value:.0f} MB" if row.unit == "MB" else str(row.value)
        print(f"{row.name:<45} {value:>10}  {row.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
