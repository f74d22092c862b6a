"""What the record and report commands share: command groups, numbers, the file they write
(--out), the period they cover (--term/--year or --from/--to) and finding a pupil by UPN.

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
    parser.add_argument("--year", help="calendar year the term falls in (autumn 2026 = Sep-Dec 2026)")
    parser.add_argument("--from", dest="date_from", metavar="DATE", help="first day (YYYY-MM-DD), with --to")
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="last day (YYYY-MM-DD), with --from")


def _date(text: str, flag: str) -> dt.date:
    day = parse_date(text)
    if day is None:
        raise ValidationError(f"{flag} {text!r} is not a date: use YYYY-MM-DD, for example 2026-03-27.",
                              flag.lstrip("-"))
    return day


def period(args, *, required: bool = True) -> tuple[dt.date, dt.date] | None:
    """The dates the period options name (inclusive); None when none was given and not ``required``."""
    from schoolmh.services import terms

    by_term = args.term is not None or args.year is not None
    by_dates = args.date_from is not None or args.date_to is not None
    if by_term and by_dates:
        raise ValidationError("Give either --term and --year, or --from and --to, not both.", "term")
    if by_term:
        if args.term is None or args.year is None:
            raise ValidationError("Give both --term (autumn, spring or summer) and --year, e.g. --year 2026.",
                                  "term")
        return terms.term_dates(args.term, whole_number(args.year, "--year", 1900, 2200, what="a year"))
    if not by_dates:
        if not required:
            return None
        raise ValidationError("Say which period: --term autumn|spring|summer --year YYYY, or --from DATE --to DATE.",
                              "term")
    if args.date_from is None or args.date_to is None:
        raise ValidationError("Give both --from and --to, e.g. --from 2026-09-01 --to 2026-12-31.",
                              "to" if args.date_to is None else "from")
    start, end = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    if end < start:
        raise ValidationError("--to is before --from.", "to")
    return start, end


def pupil_uuid(session, upn: str) -> str:
    """The pupil with this UPN that the signed-in user may see (the UPN is checked first)."""
    from schoolmh.services import pupils

    found = pupils.find_by_upn(session, upn)
    if found is None:
        raise NotFound(f"No pupil with UPN {upn.strip().upper()} (or not one you can see).")
    return found.uuid
