"""Benchmark: build the 2,000-pupil demo vault, then time the dashboard and a full export on it.

Targets: the demo builds in under 60 s; the dashboard figures take under 150 ms.
Run ``.venv/bin/python bench/bench_demo.py [--pupils N] [--seed S] [--fast-kdf]``.
By default the real Argon2id key derivation runs (eight accounts' key slots are part
of what a trainer waits for); ``--fast-kdf`` leaves it out to time the data alone.
All data is fictional (services/demo.py).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "correct horse battery staple"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fast-kdf", action="store_true", help="use the test-only cheap KDF")
    args = parser.parse_args(argv)
    if args.fast_kdf:
        os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"

    from schoolmh.services import dashboard, demo, export

    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        phases: list[tuple[int, float]] = []
        start = time.perf_counter()
        session, _key = demo.create_demo_vault(
            Path(tmp) / "vault", args.pupils, args.seed, PASSWORD,
            progress=lambda done, total: phases.append((done, time.perf_counter() - start)),
        )
        build = time.perf_counter() - start
        try:
            accounts = phases[0][1] if phases else 0.0
            rows.append(("vault + 8 accounts (Argon2 key slots)", accounts, ""))
            rows.append(("pupils, records, audit", build - accounts, ""))
            rows.append((f"demo build ({args.pupils} pupils)", build, "target < 60 s"))
            timings = []
            for _ in range(7):
                t = time.perf_counter()
                figures = dashboard.dashboard_figures(session)
                timings.append(time.perf_counter() - t)
            rows.append(("dashboard_figures (median of 7)", statistics.median(timings), "target < 0.150 s"))
            t = time.perf_counter()
            data = export.to_json_bytes(export.export_all(session))
            rows.append((f"export_all ({len(data) // 1024} KB)", time.perf_counter() - t, ""))
        finally:
            session.close()
    print(f"{'step':<36} {'seconds':>8}")
    for label, seconds, note in rows:
        print(f"{label:<36} {seconds:>8.3f}  {note}")
    print(f"dashboard: {figures.label}, {figures.supported_total} pupils supported, time split "
          f"{figures.share_by_function}, {len(figures.gap)} in the gap")
    ok = build < 60 and statistics.median(timings) < 0.150
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
