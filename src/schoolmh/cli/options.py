"""What the record and report commands share: command groups, numbers, the file they write
(--out), the period they cover (--term/--year or --from/--to, as one services.terms.Period) and
finding a pupil by UPN.

Bad input is a ValidationError, which the CLI prints as one line on stderr (exit 2),
so these options are read here rather than by argparse (whose errors print the usage
too). The output file is checked before any work is done (and before an export is
audited) by fsutil.check_output, and written by fsutil.write_output: atomically,
readable by the owner only, never inside the data folder, never over an existing
file without --force.
"""
from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from schoolmh.errors import NotFound, ValidationError
from schoolmh import fsutil
from schoolmh.services.fieldcheck import parse_date


def command_group(sub, name: str, help_text: str, dest: str) -> argparse._SubParsersAction:
    """`schoolmh <name> <what>`; run without a <what>, it names the choices in one line."""
    parser = sub.add_parser(name, help=help_text, description=help_text[:1].upper() + help_text[1:] + ".")
    actions = parser.add_subparsers(dest=dest, metavar="what")

    def missing(args) -> int:
        raise ValidationError(f"'schoolmh {name}' needs one of: {', '.join(actions.choices)} "
                              f"(schoolmh {name} --help says more).", dest)

    parser.set_defaults(func=missing)
    return actions


def whole_number(text: str | None, flag: str, low: int | None = None, high: int | None = None, *,
                 what: str) -> int:
    """An integer option's value, within [low, high] where given."""
    try:
        number = int(str(text).strip())
    except ValueError:
        number = None
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        limits = f" from {low} to {high}" if low is not None and high is not None else ""
        raise ValidationError(f"{flag} {text!r} is not {what}: give a whole number{limits}.", flag.lstrip("-"))
    return number


def add_output_option(parser: argparse.ArgumentParser, flag: str = "--out", *, required: bool = True,
                      metavar: str = "FILE", help_text: str = "the file to write") -> None:
    """An option naming a file to write, and --force (once per command) to let it replace an existing one."""
    parser.add_argument(flag, required=required, metavar=metavar, help=help_text + " (not inside the data folder)")
    if not any("--force" in action.option_strings for action in parser._actions):
        parser.add_argument("--force", action="store_true", help="replace the output file if it exists")


def output_path(args, path: str, field: str = "out", *, create_folder: bool = False) -> Path:
    """Where an output will go, checked before any work is done (fsutil.check_output: not inside the
    vault's data folder, not over an existing file without --force, into a folder that exists)."""
    from schoolmh.cli.common import data_dir

    return fsutil.check_output(path, data_dir(args), overwrite=getattr(args, "force", False), field=field,
                               create_folder=create_folder)


def write_output(args, target: Path, data: bytes, field: str = "out") -> Path:
    """The same checks again (time has passed), then an atomic write readable by the owner only."""
    from schoolmh.cli.common import data_dir

    return fsutil.write_output(target, data, data_dir(args), overwrite=getattr(args, "force", False), field=field)


def add_period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--term", metavar="TERM", help="autumn, spring or summer (with --year)")
    parser.add_argument("--year", metavar="YEAR",
                        help="the school year, e.g. 2026-27 (alone: the whole school year; with --term: that term "
                             "of it). A calendar year (2026) is accepted only with --term autumn")
    parser.add_argument("--from", dest="date_from", metavar="DATE", help="first day (YYYY-MM-DD), with --to")
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="last day (YYYY-MM-DD), with --from")


def parse_day(text: str, flag: str) -> dt.date:
    day = parse_date(text)
    if day is None:
        raise ValidationError(f"{flag} {text!r} is not a date: use YYYY-MM-DD, for example 2026-03-27.",
                              flag.lstrip("-"))
    return day


def school_year_arg(text: str, term: str | None) -> int:
    """The first calendar year of the school year --year names. "2026-27" always; a bare calendar year only
    with --term autumn, the one term where it cannot be misread (autumn 2026 is in 2026-27 either way)."""
    from schoolmh.services import terms

    text = str(text).strip()
    if text.isdigit() and len(text) == 4:
        year = int(text)
        if term == "autumn":
            return year
        which = f"--term {term} " if term else ""
        raise ValidationError(
            f"{which}--year {year} is ambiguous: say the school year, --year {year - 1}-{year % 100:02d} "
            f"(autumn {year - 1} to summer {year}) or --year {year}-{(year + 1) % 100:02d} "
            f"(autumn {year} to summer {year + 1}).", "year")
    try:
        return terms.parse_school_year(text)
    except ValidationError:
        raise ValidationError(f"--year {text!r} is not a school year: write it as 2026-27 (autumn 2026 to "
                              "summer 2027).", "year") from None


@dataclass(frozen=True)
class PeriodChoice:
    """What the period options asked for, checked before anyone signs in; ``resolve()`` (once signed in,
    since the school's term dates are in the vault) gives the services.terms.Period."""

    term: str | None  # autumn | spring | summer; None with first_year = the whole school year
    first_year: int | None
    dates: tuple[dt.date, dt.date] | None = None

    def resolve(self):
        from schoolmh.services import terms

        if self.dates is not None:
            start, end = self.dates
            return terms.Period(start, end, f"{start:%d/%m/%Y} to {end:%d/%m/%Y}")
        assert self.first_year is not None
        if self.term is None:
            return terms.school_year(self.first_year)
        return terms.school_terms(self.first_year)[terms.TERMS.index(self.term)]


def period(args, *, required: bool = True) -> PeriodChoice | None:
    """The period the options name; None when none was given and not ``required``.

    --term and --year name a term of a school year (or --year alone the whole school
    year), by the school's own term dates; --from/--to name any dates (the governors'
    report then checks they are whole months or terms).
    """
    from schoolmh.services import terms

    by_term = args.term is not None or args.year is not None
    by_dates = args.date_from is not None or args.date_to is not None
    if by_term and by_dates:
        raise ValidationError("Give either --term and --year, or --from and --to, not both.", "term")
    if by_term:
        if args.year is None:
            raise ValidationError("Give --year with --term, e.g. --term spring --year 2026-27.", "year")
        term = None if args.term is None else str(args.term).strip().lower()
        if term is not None and term not in terms.TERMS:
            raise ValidationError("The term must be autumn, spring or summer.", "term")
        return PeriodChoice(term, school_year_arg(args.year, term))
    if not by_dates:
        if not required:
            return None
        raise ValidationError("Say which period: --term autumn|spring|summer --year 2026-27, --year 2026-27, or "
                              "--from DATE --to DATE.", "term")
    if args.date_from is None or args.date_to is None:
        raise ValidationError("Give both --from and --to, e.g. --from 2026-09-01 --to 2026-12-31.",
                              "to" if args.date_to is None else "from")
    start, end = parse_day(args.date_from, "--from"), parse_day(args.date_to, "--to")
    if end < start:
        raise ValidationError("--to is before --from.", "to")
    return PeriodChoice(None, None, (start, end))


def pupil_uuid(session, upn: str) -> str:
    """The pupil with this UPN that the signed-in user may see (the UPN is checked first)."""
    from schoolmh.services import pupils

    found = pupils.find_by_upn(session, upn)
    if found is None:
        raise NotFound(f"No pupil with UPN {upn.strip().upper()} (or not one you can see).")
    return found.uuid
