"""Benchmark: MIS import of 2,000 pupils (preview + apply) into a fresh encrypted vault.

Target (issue 7): under 2 s. The file is the demo's synthetic SIMS-style export
(services.demo.write_demo_mis_csv: fictional names from many cultures, accents and
apostrophes, UPNs with the unreal local-authority code 999). Each run imports into a
new vault, made with the test-only cheap KDF (making the vault is not what is timed;
bench/run restores the environment after this module). Also timed: a re-import of the
same UPNs with changed details (every pupil updated), and the pupil list afterwards.
Run through bench/run (`bench/run --only import`) or standalone:
``.venv/bin/python bench/bench_import.py [--pupils N] [--runs N]``.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

TARGET_SECONDS = 2.0
PASSWORD = "correct horse battery staple"


def measure(folder: Path, pupils: int, runs: int) -> dict:
    from schoolmh.services import access, demo, pupil_import
    from schoolmh.services import pupils as pupils_service

    os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"  # only the vault's creation; bench/run restores the environment
    first, second = folder / "mis-1.csv", folder / "mis-2.csv"
    demo.write_demo_mis_csv(first, pupils, seed=1)
    demo.write_demo_mis_csv(second, pupils, seed=2)  # same UPNs, other details
    out: dict = {"preview": [], "apply": [], "total": [], "reimport": [], "list": []}
    for run in range(runs):
        session = access.init_school(folder / f"vault-{run}", "Bench School", "lead", "Bench Lead", PASSWORD).session
        try:
            t = time.perf_counter()
            preview = pupil_import.preview_import(session, first)
            middle = time.perf_counter()
            if not preview.ok:
                raise RuntimeError(f"preview refused the file: {preview.errors[:3]}")
            summary = pupil_import.apply_import(session, preview.parsed)
            end = time.perf_counter()
            if summary.added != pupils:
                raise RuntimeError(f"{summary.added} pupils added, not {pupils}")
            out["preview"].append(middle - t)
            out["apply"].append(end - middle)
            out["total"].append(end - t)
            t = time.perf_counter()
            pupil_import.apply_import(session, pupil_import.preview_import(session, second).parsed)
            out["reimport"].append(time.perf_counter() - t)
            t = time.perf_counter()
            pupils_service.list_pupils(session)
            out["list"].append(time.perf_counter() - t)
        finally:
            session.close()
    return out


def _rows(Row, m: dict, pupils: int) -> list:
    med = {k: statistics.median(v) for k, v in m.items()}
    n = len(m["total"])
    return [
        Row(f"MIS import of {pupils:,} pupils, preview + apply (median)", med["total"], "s",
            target=f"< {TARGET_SECONDS:.0f} s", ok=med["total"] < TARGET_SECONDS,
            note=f"{n} runs, each into a new vault; max {max(m['total']):.2f} s"),
        Row("  preview (read, validate, compare)", med["preview"], "s"),
        Row("  apply (write every pupil + audit, one transaction)", med["apply"], "s"),
        Row(f"re-import, every pupil's details changed (median)", med["reimport"], "s", note="preview + apply"),
        Row(f"pupil list after the import ({pupils:,})", med["list"], "s"),
    ]


def bench(ctx) -> list:
    pupils = 300 if ctx.quick else 2000
    return _rows(ctx.Row, measure(ctx.tmp, pupils, 2 if ctx.quick else 3), pupils)


def main(argv: list[str]) -> int:
    import argparse
    import tempfile
    from collections import namedtuple

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    Row = namedtuple("Row", "name value unit target ok note", defaults=("", "", None, ""))
    with tempfile.TemporaryDirectory() as tmp:
        rows = _rows(Row, measure(Path(tmp), args.pupils, args.runs), args.pupils)
    for row in rows:
        print(f"{row.name:<58} {row.value:>7.3f} s  {row.target}  {row.note}")
    return 0 if rows[0].ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
