"""Benchmark: the governors' report and a pupil summary (PDF) on the 2,000-pupil demo school.

Target (issue 7): the governors' report (figures + PDF, as the Reports page makes
it) in under 2 s. Timed for the last full term of the demo data and for the whole
academic year (the largest a lead would ask for); the first report of the process
is shown on its own (fonts and reportlab load then). Also timed: the figures alone,
and the pupil summary of the pupil with the most sessions.
Run through bench/run (`bench/run --only reports`) or standalone:
``.venv/bin/python bench/bench_reports.py [--pupils N] [--seed S] [--out DIR]``
(``--out`` keeps the PDFs to look at; uses the test-only cheap KDF, not what is timed).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

TARGET_SECONDS = 2.0


def _median(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def measure(session, runs: int) -> dict:
    from peewee import fn

    already = "reportlab" in sys.modules
    t0 = time.perf_counter()
    from schoolmh.db.models.records import Session as SessionRow
    from schoolmh.reports.governors import governors_pdf
    from schoolmh.reports.pupil_summary import pupil_summary_pdf
    from schoolmh.services import demo, terms
    from schoolmh.services.report_data import governors_report_data

    out: dict = {"import": None if already else time.perf_counter() - t0}
    end_of_data = min(demo.DEMO_REFERENCE_END, session.today())
    now = terms.current_term(end_of_data)
    term = terms.previous_term(now.name, now.year)
    year_start, year_end = terms.academic_year_dates(demo.DEMO_START)
    produced = end_of_data
    out["term"] = term.label
    out["year"] = f"{year_start.year}/{year_end.year % 100:02d}"

    t = time.perf_counter()
    first = governors_pdf(session, term.start, term.end, produced=produced)
    out["first"] = time.perf_counter() - t
    out["figures"], _ = _median(lambda: governors_report_data(session, term.start, term.end), runs)
    out["term_pdf"], pdf_term = _median(lambda: governors_pdf(session, term.start, term.end, produced=produced), runs)
    out["year_pdf"], pdf_year = _median(lambda: governors_pdf(session, year_start, year_end, produced=produced), runs)
    busiest = (SessionRow.select(SessionRow.pupil, fn.COUNT(SessionRow.id).alias("n"))
               .where(SessionRow.pupil.is_null(False)).group_by(SessionRow.pupil)
               .order_by(fn.COUNT(SessionRow.id).desc()).first())
    out["pupil_sessions"] = busiest.n
    out["pupil_pdf"], pdf_pupil = _median(lambda: pupil_summary_pdf(session, busiest.pupil.uuid, produced=produced),
                                          runs)
    out["same_bytes"] = first == pdf_term
    out["pdfs"] = {"governors-term.pdf": pdf_term, "governors-year.pdf": pdf_year, "pupil-summary.pdf": pdf_pupil}
    return out


def _rows(Row, m: dict) -> list:
    med = {k: statistics.median(m[k]) for k in ("figures", "term_pdf", "year_pdf", "pupil_pdf")}
    kb = {name: len(data) // 1024 for name, data in m["pdfs"].items()}
    n = len(m["term_pdf"])
    rows = [
        Row(f"governors' report PDF, {m['term']} (median of {n})", med["term_pdf"], "s",
            target=f"< {TARGET_SECONDS:.0f} s", ok=med["term_pdf"] < TARGET_SECONDS,
            note=f"{kb['governors-term.pdf']} KB; the first of the process {m['first'] * 1000:.0f} ms (fonts load)"
                 + ("" if m["same_bytes"] else "; BYTES DIFFER between runs")),
        Row(f"governors' report PDF, academic year {m['year']} (median)", med["year_pdf"], "s",
            target=f"< {TARGET_SECONDS:.0f} s", ok=med["year_pdf"] < TARGET_SECONDS,
            note=f"{kb['governors-year.pdf']} KB"),
        Row("  governors' report figures only, a term (median)", med["figures"], "s"),
        Row(f"pupil summary PDF ({m['pupil_sessions']} sessions, median)", med["pupil_pdf"], "s",
            note=f"{kb['pupil-summary.pdf']} KB; the pupil with the most sessions"),
    ]
    if m["import"] is not None:
        rows.append(Row("  import of reportlab and the report modules", m["import"], "s",
                        note="paid once, at the first report"))
    return rows


def bench(ctx) -> list:
    from schoolmh.services import access

    copy = ctx.demo_copy()  # reports are audited (a row each): keep the shared demo school untouched
    session = access.sign_in(copy.data_dir, copy.username, copy.password)
    try:
        m = measure(session, 3 if ctx.quick else 5)
    finally:
        session.close()
    return _rows(ctx.Row, m)


def main(argv: list[str]) -> int:
    import argparse
    import os
    import tempfile
    from collections import namedtuple

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="folder to keep the PDFs in")
    args = parser.parse_args(argv)
    os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from schoolmh.services import demo

    Row = namedtuple("Row", "name value unit target ok note", defaults=("", "", None, ""))
    with tempfile.TemporaryDirectory() as tmp:
        session, _key = demo.create_demo_vault(Path(tmp) / "vault", args.pupils, args.seed, "correct horse battery staple")
        try:
            m = measure(session, args.runs)
        finally:
            session.close()
    rows = _rows(Row, m)
    for row in rows:
        print(f"{row.name:<58} {row.value:>8.3f} s  {row.target}  {row.note}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, data in m["pdfs"].items():
            (args.out / name).write_bytes(data)
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
