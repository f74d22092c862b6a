"""Record commands: `import pupils|sessions|measures` and `measures list` (`import activities`: records2_cmds).

`register(sub, common)` creates the shared command groups (`schoolmh import …`,
`schoolmh measures …`) and then calls each area's registrar with them. Another
feature adds its commands by writing `register_area(groups)` in its own module
and listing that module in ``AREA_MODULES``; nothing else here needs to change.
"""
from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass

from schoolmh.cli.common import out, signed_in
from schoolmh.cli.options import command_group
from schoolmh.domain.mis import parse_map_option
from schoolmh.services import measures, pupil_import, records_import
from schoolmh.services.pupil_import import FileRejected

AREA_MODULES: list[str] = ["schoolmh.cli.records2_cmds"]
"""Other modules with a `register_area(groups)` function (records2_cmds adds `import activities`)."""


@dataclass(frozen=True)
class Groups:
    """The command groups an area can add to."""

    sub: argparse._SubParsersAction  # top level: `schoolmh <command>`
    imports: argparse._SubParsersAction  # `schoolmh import <what>`
    measures: argparse._SubParsersAction  # `schoolmh measures <action>`
    common: argparse.ArgumentParser  # --data-dir, --user, --password-stdin: pass as parents=[common]


def register(sub, common) -> None:
    groups = Groups(
        sub=sub,
        imports=command_group(sub, "import", "import pupils, sessions, measures or activities from a file (all or nothing)",
                       "import_what"),
        measures=command_group(sub, "measures", "outcome measures SchoolMH scores", "measures_action"),
        common=common,
    )
    for register_area in (_register_pupil_import, _register_records_import, _register_measures):
        register_area(groups)
    for name in AREA_MODULES:
        importlib.import_module(name).register_area(groups)


# --- import pupils ------------------------------------------------------------------------------------
def cmd_import_pupils(args) -> int:
    mapping = dict(parse_map_option(spec) for spec in args.map or ())
    with signed_in(args) as session:
        preview = pupil_import.preview_import(session, args.file, mapping or None, mark_left=not args.keep_missing)
        if not preview.ok:
            raise FileRejected(list(preview.errors))
        if args.dry_run:
            out("Dry run (nothing written): " + preview.line())
            return 0
        summary = pupil_import.apply_import(session, preview.parsed, mark_left=not args.keep_missing)
    out(summary.line())
    return 0


def _register_pupil_import(groups: Groups) -> None:
    p = groups.imports.add_parser(
        "pupils", parents=[groups.common],
        help="import the pupil list exported from SIMS, Arbor or Bromcom (CSV or XLSX)",
        description="Import the pupil list (CSV or XLSX). Every row is checked first; on any error "
                    "nothing is imported and each bad cell is listed as 'row N, column C: why'. "
                    "Pupils are matched by UPN, so re-importing an updated export updates them. "
                    "Pupils on roll whose UPN is not in the file are marked as left.")
    p.add_argument("file", help="the export: .csv (UTF-8 or Windows-1252) or .xlsx")
    p.add_argument("--map", action="append", metavar='"Their Header=field"',
                   help="read a column the importer does not recognise as this field (repeatable); "
                        "field 'ignore' skips a column")
    p.add_argument("--dry-run", action="store_true", help="check the file and print what would change; write nothing")
    p.add_argument("--keep-missing", action="store_true",
                   help="do not mark pupils missing from the file as left (for a partial export, e.g. one year)")
    p.set_defaults(func=cmd_import_pupils)


# --- import sessions / measures ----------------------------------------------------------------------
def cmd_import_sessions(args) -> int:
    return _import_records(args, records_import.import_sessions_csv, "sessions")


def cmd_import_measures(args) -> int:
    return _import_records(args, records_import.import_measures_csv, "measures")


def _import_records(args, importer, what: str) -> int:
    with signed_in(args) as session:
        summary = importer(session, args.file, dry_run=args.dry_run)
    out(summary.line(what))
    return 0


def _register_records_import(groups: Groups) -> None:
    for what, func, help_text, columns in (
        ("sessions", cmd_import_sessions, "import sessions from a CSV file (all or nothing)",
         "upn,date,duration_minutes,function,type,mode,attendance,staff_username,note "
         "(only date is required as a column)."),
        ("measures", cmd_import_measures, "import outcome measures from a CSV file (all or nothing)",
         "upn,date,instrument,rater and then the score columns named by 'schoolmh measures list'."),
    ):
        p = groups.imports.add_parser(what, parents=[groups.common], help=help_text,
                                      description=f"Columns: {columns} Rows already recorded are not added again.")
        p.add_argument("file")
        p.add_argument("--dry-run", action="store_true",
                       help="check the file and print what would change; write nothing")
        p.set_defaults(func=func)


# --- measures list -------------------------------------------------------------------------------------
def cmd_measures_list(args) -> int:
    for info in measures.instrument_catalogue():
        out(f"{info.code}: {info.name} (rater: {', '.join(info.raters)})")
        out("  " + ",".join(measures.csv_columns(info.code)))
        if len(info.forms) > 1:
            out("  fill in either " + " or ".join(info.forms))
    return 0


def _register_measures(groups: Groups) -> None:
    p = groups.measures.add_parser("list", help="list the instruments and their CSV columns")
    p.set_defaults(func=cmd_measures_list)
