"""Report commands: the governors' termly PDF and one pupil's summary.

    schoolmh report governors --term autumn --year 2026 --out report.pdf
    schoolmh report governors --from 2026-01-05 --to 2026-03-27 --out report.pdf
    schoolmh report pupil UPN --out summary.pdf
"""
from __future__ import annotations

from schoolmh.cli.common import out, sign_in
from schoolmh.cli.options import (
    add_output_option, add_period_options, command_group, output_path, period, pupil_uuid, write_output,
)


def cmd_governors(args) -> int:
    start, end = period(args)
    target = output_path(args, args.out)
    from schoolmh.reports.governors import governors_pdf

    session = sign_in(args)
    try:
        pdf = governors_pdf(session, start, end)
    finally:
        session.close()
    write_output(args, target, pdf)
    out(f"Wrote the governors' report for {start:%d/%m/%Y} to {end:%d/%m/%Y} to {target}.")
    return 0


def cmd_pupil(args) -> int:
    target = output_path(args, args.out)
    from schoolmh.reports.pupil_summary import pupil_summary_pdf

    session = sign_in(args)
    try:
        pdf = pupil_summary_pdf(session, pupil_uuid(session, args.upn))
    finally:
        session.close()
    write_output(args, target, pdf)
    out(f"Wrote the pupil summary to {target}. It is confidential: keep it securely.")
    return 0


def register(sub, common) -> None:
    rsub = command_group(sub, "report", "make a PDF report", "report")

    gov = rsub.add_parser("governors", parents=[common], help="the anonymous termly report for governors",
                          description="The governors' report: anonymous figures with small numbers suppressed.")
    add_period_options(gov)
    add_output_option(gov, metavar="FILE.pdf", help_text="where to write the PDF")
    gov.set_defaults(func=cmd_governors)

    pupil = rsub.add_parser("pupil", parents=[common], help="one pupil's summary (confidential)",
                            description="One pupil's summary: identity, needs, plans, sessions, measures, "
                                        "referrals and liaison mentions. Confidential; the export is audited.")
    pupil.add_argument("upn", metavar="UPN", help="the pupil's unique pupil number")
    add_output_option(pupil, metavar="FILE.pdf", help_text="where to write the PDF")
    pupil.set_defaults(func=cmd_pupil)
