"""Term dates: the school's own, per school year (Admin -> Settings -> Term dates in the window).

    schoolmh terms list [--year 2026-27]
    schoolmh terms set 2026-27 --autumn 2026-09-03 2026-12-18 --spring 2027-01-05 2027-03-26 \\
                               --summer 2027-04-12 2027-07-21
    schoolmh terms unset 2026-27          (back to the DfE census default)

A school year with no dates set uses the census default: autumn 1 August-31 December,
spring 1 January-Easter Sunday, summer Easter Monday-31 July.
"""
from __future__ import annotations

from schoolmh.cli.common import out, signed_in
from schoolmh.cli.options import command_group, parse_day


def _lines(term_list) -> list[str]:
    return [f"  {t.label}: {t.first:%d/%m/%Y} to {t.last:%d/%m/%Y}" for t in term_list]


def cmd_list(args) -> int:
    from schoolmh.services import terms

    with signed_in(args) as session:
        stored = terms.stored_dates()
        if args.year:
            years = [terms.parse_school_year(args.year)]
        else:
            this = terms.current_term(session.today()).school_year
            years = sorted({terms.parse_school_year(y) for y in stored} | {this, this + 1})
        for first_year in years:
            own = terms.school_terms(first_year, stored)
            source = "the school's dates" if own[0].from_settings else "DfE census default"
            out(f"{terms.school_year_name(first_year)} ({source})")
            for line in _lines(own):
                out(line)
    return 0


def cmd_set(args) -> int:
    from schoolmh.services import settings, terms

    dates = {}
    for name in terms.TERMS:
        first, last = getattr(args, name)
        dates[name] = (parse_day(first, f"--{name}"), parse_day(last, f"--{name}"))
    with signed_in(args) as session:
        settings.set_term_dates(session, args.school_year, dates)
        first_year = terms.parse_school_year(args.school_year)
        out(f"Term dates for {terms.school_year_name(first_year)} saved:")
        for line in _lines(terms.school_terms(first_year)):
            out(line)
    return 0


def cmd_unset(args) -> int:
    from schoolmh.services import settings, terms

    with signed_in(args) as session:
        name = terms.school_year_name(terms.parse_school_year(args.school_year))
        if settings.clear_term_dates(session, args.school_year):
            out(f"{name} now uses the DfE census default term dates.")
        else:
            out(f"{name} had no term dates set; it uses the DfE census default.")
    return 0


def register(sub, common) -> None:
    tsub = command_group(sub, "terms", "show or set the school's term dates", "terms")
    p = tsub.add_parser("list", parents=[common], help="each school year's terms and where the dates come from")
    p.add_argument("--year", metavar="YEAR", help="one school year, e.g. 2026-27")
    p.set_defaults(func=cmd_list)

    p = tsub.add_parser("set", parents=[common], help="set one school year's term dates (leads)",
                        description="Set the first and last day of each term of one school year.")
    p.add_argument("school_year", metavar="YEAR", help="the school year, e.g. 2026-27")
    for name in ("autumn", "spring", "summer"):
        p.add_argument(f"--{name}", nargs=2, required=True, metavar=("FIRST", "LAST"),
                       help=f"first and last day of the {name} term (YYYY-MM-DD)")
    p.set_defaults(func=cmd_set)

    p = tsub.add_parser("unset", parents=[common], help="go back to the census default for one school year")
    p.add_argument("school_year", metavar="YEAR", help="the school year, e.g. 2026-27")
    p.set_defaults(func=cmd_unset)
