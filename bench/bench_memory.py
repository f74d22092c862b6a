"""Benchmark: peak memory (RSS) of the app with the 2,000-pupil demo school open.

Target (issue 7): under 250 MB. A fresh process (``sys.executable``, offscreen
Qt) starts the app as ui.app.start does, signs in as the lead through the unlock
screen, then visits every sidebar page and a pupil's record (the one with the
most sessions), painting each. It reports, from /proc/self/status and getrusage:

* the peak with the school open: the high-water mark is reset (/proc/self/clear_refs)
  right after the unlock, so this is the app, its pages and data without the
  unlock's transient Argon2id memory (m = 64-128 MiB, freed when the key is derived);
* the peak over the whole run (VmHWM/ru_maxrss): start-up, the unlock and every page;
* the RSS at the unlock screen and at the end.

Linux only (/proc). Run through bench/run (`bench/run --only memory`) or standalone:
``.venv/bin/python bench/bench_memory.py VAULT_DIR USERNAME PASSWORD`` prints the JSON.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

TARGET_MB = 250


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    return float("nan")


def _settle(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def child(data_dir: str, username: str, password: str) -> dict:
    """Runs in the measured process: start, unlock, visit every page; returns the figures (MB)."""
    import resource

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from schoolmh.ui.app import make_application, start
    from schoolmh.ui.context import AppContext

    app = make_application([])
    ctx = AppContext(Path(data_dir))
    window = start(ctx)
    _settle(app, 0.3)  # the unlock screen's warm-up imports run
    out = {"unlock_screen_rss": _status_mb("VmRSS")}

    screen = window.unlock_screen
    screen.username.setText(username)
    screen.password.setText(password)
    screen.submit()
    if ctx.session is None:
        raise SystemExit("sign-in failed")
    _settle(app, 0.1)
    slot = ctx.session.vault.keyfile.user_slot(username)
    out["argon2_mib"] = slot.kdf.memory_kib // 1024 if slot else "?"
    out["after_unlock_rss"] = _status_mb("VmRSS")
    out["peak_to_unlock"] = _status_mb("VmHWM")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current RSS
        out["hwm_reset"] = True
    except OSError:
        out["hwm_reset"] = False

    from peewee import fn

    from schoolmh.db.models.records import Session as SessionRow

    busiest = (SessionRow.select(SessionRow.pupil).where(SessionRow.pupil.is_null(False))
               .group_by(SessionRow.pupil).order_by(fn.COUNT(SessionRow.id).desc()).first())
    started = time.perf_counter()
    pages = []
    for key in window.workspace.keys():
        window.go(key)
        app.processEvents()
        window.repaint()
        pages.append(key)
    if busiest is not None:
        ctx.open_pupil.emit(busiest.pupil.uuid)
        app.processEvents()
        window.repaint()
        pages.append("pupil record")
    _settle(app, 0.2)
    out["visit_seconds"] = time.perf_counter() - started
    out["pages"] = pages
    out["open_peak"] = _status_mb("VmHWM")
    out["end_rss"] = _status_mb("VmRSS")
    # The reset above also resets what getrusage reports, so the whole run's peak is the larger of the two.
    out["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    out["run_peak"] = max(out["peak_to_unlock"], out["open_peak"], out["ru_maxrss"])
    if window.lock_manager is not None:
        window.lock_manager.stop()
    window.do_lock()
    return out


def measure(data_dir: Path, username: str, password: str) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SCHOOLMH_LOG_DIR"] = str(Path(data_dir).parent / "logs")
    result = subprocess.run([sys.executable, __file__, str(data_dir), username, password], env=env,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"memory child failed ({result.returncode}): {result.stderr.strip()[-600:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench(ctx) -> list:
    demo = ctx.demo_copy()  # the sign-in records a row: keep the shared demo school untouched
    m = measure(demo.data_dir, demo.username, demo.password)
    Row = ctx.Row
    open_peak = m["open_peak"] if m["hwm_reset"] else m["ru_maxrss"]
    return [
        Row("peak RSS, school open (after unlock, every page visited)", open_peak, "MB", target=f"< {TARGET_MB} MB",
            ok=open_peak < TARGET_MB,
            note=f"{len(m['pages'])} pages incl. a pupil record in {m['visit_seconds']:.1f} s; "
                 f"RSS at the end {m['end_rss']:.0f} MB"),
        Row("peak RSS of the whole run, incl. the unlock's key derivation", m["run_peak"], "MB",
            target=f"< {TARGET_MB} MB", ok=m["run_peak"] < TARGET_MB,
            note=f"Argon2id's memory (m = {m['argon2_mib']} MiB here) is held only while the key is derived; "
                 f"RSS just after the unlock {m['after_unlock_rss']:.0f} MB"),
        Row("  RSS at the unlock screen", m["unlock_screen_rss"], "MB"),
    ]


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    print(json.dumps(child(*sys.argv[1:])))
