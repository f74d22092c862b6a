"""Report commands: the governors' termly PDF and one pupil's summary.

    schoolmh report governors --term autumn --year 2026-27 --out report.pdf
    schoolmh report governors --year 2026-27 --out report.pdf          (the whole school year)
    schoolmh report governors --from 2026-01-01 --to 2026-03-31 --out report.pdf

Custom dates must be whole calendar months or whole terms (the report says why).
    schoolmh report pupil UPN --out summary.pdf
"""
from __future__ import annotations

from schoolmh.cli.common import out, signed_in
from schoolmh.cli.options import (
    add_output_option, add_period_options, command_group, output_path, period, pupil_uuid, write_output,
)


def cmd_governors(args) -> int:
    chosen = period(args)
    target = output_path(args, args.out)
    from schoolmh.reports.governors import governors_pdf
    from schoolmh.services.report_data import report_period

    with signed_in(args) as session:
        asked = chosen.resolve()
        checked = report_period(asked.first, asked.last)  # whole terms or months, else why not
        pdf = governors_pdf(session, checked)
    write_output(args, target, pdf)
    out(f"Wrote the governors' report for {checked.label} ({checked.first:%d/%m/%Y} to {checked.last:%d/%m/%Y}) "
        f"to {target}.")
    return 0


def cmd_pupil(args) -> int:
    target = output_path(args, args.out)
    from schoolmh.reports.pupil_summary import pupil_summary_pdf

    with signed_in(args) as session:
        pdf = pupil_summary_pdf(session, pupil_uuid(session, args.upn))
    write_output(args, target, pdf)
    out(f"Wrote the pupil summary to {target}. It is confidential: keep it securely.")
    return 0


def register(sub, common) -> None:
    rsub = command_group(sub, "report", "make a PDF report", "report")

    gov = rsub.add_parser("governors", parents=[common], help="the anonymous termly report for governors",
                          description="The governors' report: anonymous figures with small numbers suppressed. It covers whole "
                                      "terms (the school's term dates: schoolmh terms list) or whole calendar "
                                      "months, so that two reports cannot be subtracted.")
    add_period_options(gov)
    add_output_option(gov, metavar="FILE.pdf", help_text="where to write the PDF")
    gov.set_defaults(func=cmd_governors)

    pupil = rsub.add_parser("pupil", parents=[common], help="one pupil's summary (confidential)",
                            description="One pupil's summary: identity, needs, plans, sessions, measures, "
                                        "referrals and liaison mentions. Confidential; the export is audited.")
    pupil.add_argument("upn", metavar="UPN", help="the pupil's unique pupil number")
    add_output_option(pupil, metavar="FILE.pdf", help_text="where to write the PDF")
    pupil.set_defaults(func=cmd_pupil)
