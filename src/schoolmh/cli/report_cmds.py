"""Report commands: the governors' termly PDF and one pupil's summary.

    schoolmh report governors --term autumn --year 2026 --out report.pdf
    schoolmh report governors --from 2026-01-05 --to 2026-03-27 --out report.pdf
    schoolmh report pupil UPN --out summary.pdf
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from schoolmh.cli.common import out, sign_in
from schoolmh.errors import NotFound, ValidationError
from schoolmh.fsutil import atomic_write_bytes


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"{flag} {text!r} is not a date: use YYYY-MM-DD, for example 2026-03-27.",
                              flag.lstrip("-")) from None


def _period(args) -> tuple[dt.date, dt.date]:
    from schoolmh.services import terms

    by_term = args.term is not None or args.year is not None
    by_dates = args.date_from is not None or args.date_to is not None
    if by_term and by_dates:
        raise ValidationError("Give either --term and --year, or --from and --to, not both.", "term")
    if by_term:
        if args.term is None or args.year is None:
            raise ValidationError("Give both --term (autumn, spring or summer) and --year, e.g. --year 2026.",
                                  "term")
        return terms.term_dates(args.term, args.year)
    if args.date_from is None or args.date_to is None:
        raise ValidationError("Say which period: --term autumn|spring|summer --year YYYY, or --from DATE --to DATE.",
                              "term")
    start, end = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    if end < start:
        raise ValidationError("--to is before --from.", "to")
    return start, end


def _target(path: str) -> Path:
    """Check where the PDF will go before making it (and auditing the export)."""
    target = Path(path)
    if target.is_dir():
        raise ValidationError(f"{path} is a folder: give a file name ending .pdf.", "out")
    if not target.parent.exists():
        raise ValidationError(f"The folder {target.parent} does not exist.", "out")
    return target


def _write(target: Path, data: bytes) -> Path:
    try:
        atomic_write_bytes(target, data)
    except OSError as exc:
        raise ValidationError(f"Cannot write {target}: {exc.strerror or exc}.", "out") from None
    return target


def cmd_governors(args) -> int:
    start, end = _period(args)
    target = _target(args.out)
    from schoolmh.reports.governors import governors_pdf

    session = sign_in(args)
    try:
        pdf = governors_pdf(session, start, end)
    finally:
        session.close()
    _write(target, pdf)
    out(f"Wrote the governors' report for {start:%d/%m/%Y} to {end:%d/%m/%Y} to {target}.")
    return 0


def cmd_pupil(args) -> int:
    target = _target(args.out)
    from schoolmh.reports.pupil_summary import pupil_summary_pdf
    from schoolmh.services import pupils

    session = sign_in(args)
    try:
        found = pupils.find_by_upn(session, args.upn)
        if found is None:
            raise NotFound(f"No pupil with UPN {args.upn.strip().upper()} (or not one you can see).")
        pdf = pupil_summary_pdf(session, found.uuid)
    finally:
        session.close()
    _write(target, pdf)
    out(f"Wrote the pupil summary to {target}. It is confidential: keep it securely.")
    return 0


def register(sub, common) -> None:
    report = sub.add_parser("report", help="make a PDF report", description="Make a PDF report.")
    rsub = report.add_subparsers(dest="report", metavar="report", required=True)

    gov = rsub.add_parser("governors", parents=[common], help="the anonymous termly report for governors",
                          description="The governors' report: anonymous figures with small numbers suppressed.")
    gov.add_argument("--term", metavar="TERM", help="autumn, spring or summer (with --year)")
    gov.add_argument("--year", type=int, help="calendar year the term falls in, e.g. 2026")
    gov.add_argument("--from", dest="date_from", metavar="DATE", help="first day (YYYY-MM-DD), with --to")
    gov.add_argument("--to", dest="date_to", metavar="DATE", help="last day (YYYY-MM-DD), with --from")
    gov.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    gov.set_defaults(func=cmd_governors)

    pupil = rsub.add_parser("pupil", parents=[common], help="one pupil's summary (confidential)",
                            description="One pupil's summary: identity, needs, plans, sessions, measures, "
                                        "referrals and liaison mentions. Confidential; the export is audited.")
    pupil.add_argument("upn", metavar="UPN", help="the pupil's unique pupil number")
    pupil.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    pupil.set_defaults(func=cmd_pupil)
