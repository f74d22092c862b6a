"""Benchmark: the governors' report and a pupil summary on the 2,000-pupil demo school.

Target: the governors' report (figures + PDF) for a term in under 2 s. Also timed:
the figures alone, the report over the whole academic year of sessions, and the
pupil summary of the pupil with the most sessions.
Run ``.venv/bin/python bench/bench_reports.py [--pupils N] [--seed S] [--out DIR]``;
``--out`` keeps the PDFs (to render and look at). Uses the test-only cheap KDF:
key derivation is not what is being timed. All data is fictional (services/demo.py).
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
TARGET_SECONDS = 2.0


def _median(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="folder to keep the PDFs in")
    args = parser.parse_args(argv)
    os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"

    t0 = time.perf_counter()
    import schoolmh.reports.pdfbase as pdfbase  # noqa: F401 - import cost shown on its own row
    from schoolmh.db.models.records import Session as SessionRow
    from schoolmh.reports.governors import governors_pdf
    from schoolmh.reports.pupil_summary import pupil_summary_pdf
    from schoolmh.services import demo, terms
    from schoolmh.services.report_data import governors_report_data
    import_seconds = time.perf_counter() - t0

    rows: list[tuple[str, float, str]] = [("import reportlab + report modules", import_seconds, "")]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        session, _key = demo.create_demo_vault(Path(tmp) / "vault", args.pupils, args.seed, PASSWORD)
        rows.append((f"demo build ({args.pupils} pupils, not a target)", time.perf_counter() - t, ""))
        try:
            end_of_data = min(demo.DEMO_REFERENCE_END, session.today())
            term = terms.previous_term(*_term_of(terms.current_term(end_of_data)))
            year_start, year_end = terms.academic_year_dates(demo.DEMO_START)
            produced = end_of_data

            first = time.perf_counter()
            pdf_first = governors_pdf(session, term.start, term.end, produced=produced)
            rows.append((f"governors' report, first (fonts load) {term.label}", time.perf_counter() - first,
                         f"target < {TARGET_SECONDS:.0f} s"))
            figures_s, data = _median(lambda: governors_report_data(session, term.start, term.end), args.runs)
            rows.append((f"  figures only (median of {args.runs})", figures_s, ""))
            term_s, pdf_term = _median(lambda: governors_pdf(session, term.start, term.end, produced=produced),
                                       args.runs)
            rows.append((f"governors' report {term.label} (median of {args.runs})", term_s,
                         f"target < {TARGET_SECONDS:.0f} s"))
            year_s, pdf_year = _median(lambda: governors_pdf(session, year_start, year_end, produced=produced),
                                       args.runs)
            rows.append((f"governors' report, academic year {year_start.year}/{year_end.year % 100:02d}", year_s,
                         f"target < {TARGET_SECONDS:.0f} s"))

            from peewee import fn

            busiest = (SessionRow.select(SessionRow.pupil, fn.COUNT(SessionRow.id).alias("n"))
                       .where(SessionRow.pupil.is_null(False)).group_by(SessionRow.pupil)
                       .order_by(fn.COUNT(SessionRow.id).desc()).first())
            pupil_uuid, n_sessions = busiest.pupil.uuid, busiest.n
            pupil_s, pdf_pupil = _median(lambda: pupil_summary_pdf(session, pupil_uuid, produced=produced), args.runs)
            rows.append((f"pupil summary ({n_sessions} sessions, median of {args.runs})", pupil_s, ""))
            sessions_in_year = SessionRow.select().where(SessionRow.date.between(year_start, year_end)).count()
        finally:
            session.close()

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "governors-term.pdf").write_bytes(pdf_term)
        (args.out / "governors-year.pdf").write_bytes(pdf_year)
        (args.out / "pupil-summary.pdf").write_bytes(pdf_pupil)
    print(f"{'step':<58} {'seconds':>8}")
    for label, seconds, note in rows:
        print(f"{label:<58} {seconds:>8.3f}  {note}")
    p = data.printable()
    print(f"{term.label}: {p.pupils_supported} pupils supported, {p.sessions_delivered} sessions, attendance "
          f"{p.attendance_rate}, {p.referrals_made} referrals, {p.in_gap} in the gap; "
          f"{sessions_in_year} sessions in the academic year; PDF {len(pdf_term) // 1024} KB "
          f"({'same bytes each run' if pdf_first == pdf_term else 'BYTES DIFFER'})")
    ok = max(term_s, year_s) < TARGET_SECONDS
    return 0 if ok else 1


def _term_of(t) -> tuple[str, int]:
    return t.name, t.year


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
