"""Export, activities import, demo data, retention and dashboard commands.

    schoolmh export pupil UPN --out FILE.json      one pupil's complete record (subject access)
    schoolmh export all --out FILE.json            every record, for a successor system (lead only)
    schoolmh import activities FILE.csv [--dry-run]
    schoolmh demo --pupils N --seed S [--data-dir DIR] [--recovery-key-file F]
    schoolmh demo --mis-csv FILE --pupils N [--seed S]
    schoolmh retention list | schoolmh retention erase UPN --confirm
    schoolmh dashboard [--term autumn --year 2026 | --from DATE --to DATE]

Files are written by cli.options.write_output: atomically, readable by the owner only.
"""
from __future__ import annotations

import time

from schoolmh.cli.common import data_dir, out, read_secret, signed_in
from schoolmh.cli.options import (
    add_output_option, add_period_options, command_group, output_path, period, pupil_uuid, whole_number, write_output,
)
from schoolmh.errors import ValidationError

EXPORT_FORMAT_DOC = "docs/EXPORT_FORMAT.md"


# --- export -------------------------------------------------------------------------------------------
def cmd_export_pupil(args) -> int:
    from schoolmh.services import export

    target = output_path(args, args.out)
    with signed_in(args) as session:
        data = export.to_json_bytes(export.export_pupil(session, pupil_uuid(session, args.upn)))
    write_output(args, target, data)
    out(f"Wrote the pupil's complete record to {target} ({len(data) // 1024 + 1} KB, format schoolmh-export v1).")
    out("Review it before disclosing: liaison notes may mention other pupils.")
    return 0


def cmd_export_all(args) -> int:
    from schoolmh.services import export

    target = output_path(args, args.out)
    with signed_in(args) as session:
        payload = export.export_all(session)
        data = export.to_json_bytes(payload)
    write_output(args, target, data)
    counts = ", ".join(f"{len(payload[t])} {t.replace('_', ' ')}" for t in ("pupils", "sessions", "measures", "referrals"))
    out(f"Wrote every record to {target} ({len(data) // 1024 + 1} KB: {counts}; format schoolmh-export v1).")
    return 0


# --- import activities -------------------------------------------------------------------------------
def cmd_import_activities(args) -> int:
    from schoolmh.services import activities
    from schoolmh.services.csv_rows import read_file_bytes
    from schoolmh.services.pupil_import import FileRejected

    data = read_file_bytes(args.file)
    with signed_in(args) as session:
        result = activities.import_activities(session, data, dry_run=args.dry_run)
    if not result.ok:
        raise FileRejected(list(result.errors), "activities file")
    out(("Dry run (nothing written): would add " if result.dry_run else "Added ") + f"{result.added} activities.")
    return 0


def register_area(groups) -> None:
    """Adds `schoolmh import activities` to the import group records_cmds makes (its AREA_MODULES hook)."""
    p = groups.imports.add_parser(
        "activities", parents=[groups.common], help="import whole-school activities from a CSV file (all or nothing)",
        description="Columns: title,start_on,end_on,principles,category,audience,reach_pupils,reach_staff,"
                    "reach_parents,led_by,rag,notes (title, start_on and principles required; principles are "
                    "codes separated by semicolons, e.g. 'ethos;voice'; dates dd/mm/yyyy or YYYY-MM-DD).")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file and say what would be added; write nothing")
    p.set_defaults(func=cmd_import_activities)


# --- demo --------------------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    from schoolmh.cli.vault_cmds import write_recovery_key
    from schoolmh.services import demo

    if args.pupils is None:
        raise ValidationError("Say how many pupils with --pupils N (1 to 50000).", "pupils")
    count = whole_number(args.pupils, "--pupils", 1, 50_000, what="a number of pupils")
    seed = whole_number(args.seed, "--seed", what="a seed")
    if args.mis_csv:
        target = write_output(args, output_path(args, args.mis_csv, "mis-csv"), demo.mis_csv_bytes(
            demo.demo_pupils(count, seed)), "mis-csv")
        out(f"Wrote a synthetic MIS export of {count} fictional pupils to {target}.")
        return 0
    folder = data_dir(args)
    if not args.recovery_key_file:
        folder.parent.mkdir(parents=True, exist_ok=True)
    key_file = output_path(args, args.recovery_key_file or str(folder.parent / f"{folder.name}-recovery-key.txt"),
                           "recovery-key-file")
    password = read_secret(args, "SCHOOLMH_PASSWORD", "Password for the demo accounts: ")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            out(f"  {done}/{total}")

    session, key = demo.create_demo_vault(folder, count, seed, password, progress)
    session.close()
    write_recovery_key(args, key_file, key, demo.DEMO_SCHOOL)
    out(f"Created a demo vault of {count} fictional pupils in {folder} in {time.perf_counter() - started:.1f} s.")
    out("Accounts (all with the password you gave; demo only): lead, lead2, pastoral1-3, head, mhst1-2.")
    out(f"The recovery key is in {key_file}.")
    return 0


# --- retention -----------------------------------------------------------------------------------------
def cmd_retention_list(args) -> int:
    from schoolmh.services import retention

    with signed_in(args) as session:
        rows = retention.due_for_erasure(session)
    if not rows:
        out("No former pupil's record is due for review.")
        return 0
    out(f"{'UPN':<14} {'left':<11} {'due':<11} rule      name")
    for r in rows:
        out(f"{r.upn or '-':<14} {r.left_on:%d/%m/%Y} {r.due_on:%d/%m/%Y} {r.rule:<9} {r.display_name}")
    return 0


def cmd_retention_erase(args) -> int:
    from schoolmh.services import retention

    if not args.confirm:
        raise ValidationError("Erasing cannot be undone: add --confirm to erase this pupil's record.", "confirm")
    with signed_in(args) as session:
        result = retention.erase_pupil(session, pupil_uuid(session, args.upn))
    total = sum(result.counts.values())
    out(f"Erased the pupil's record ({total} row{'' if total == 1 else 's'}). Backups made before today still hold it until they are replaced.")
    return 0


# --- dashboard -----------------------------------------------------------------------------------------
def cmd_dashboard(args) -> int:
    from schoolmh.domain.codes import FUNCTIONS, PRINCIPLE_SHORT, TIERS
    from schoolmh.services import dashboard

    chosen = period(args, required=False)
    with signed_in(args) as session:
        f = dashboard.dashboard_figures(session, chosen.resolve() if chosen else None)
    out(f"{f.label}: {f.supported_total} pupils supported")
    out("  by tier: " + ", ".join(f"{TIERS.get(k, 'no plan')} {v}" for k, v in f.supported_by_tier.items()))
    for fn_code, name in FUNCTIONS.items():
        share = f.share_by_function[fn_code]
        out(f"  {name}: {f.sessions_by_function[fn_code]} sessions, {f.minutes_by_function[fn_code]} min, "
            f"{'-' if share is None else f'{share}%'} (national {f.national_share[fn_code]}%)")
    out(f"  attendance: {'-' if f.attendance_rate is None else f'{f.attendance_rate}%'}")
    out(f"  plans due for review {len(f.plans_due)}, open actions {f.open_action_count}, "
        f"referrals pending {len(f.referrals_pending)}, in the gap {len(f.gap)}")
    out("  activities: " + ", ".join(f"{PRINCIPLE_SHORT[k]} {v}" for k, v in f.activities_by_principle.items()))
    return 0


# --- registration --------------------------------------------------------------------------------------
# `import activities` is added by register_area above (records_cmds.AREA_MODULES); the commands
# of their own (export, demo, retention, dashboard) are added here (cli.COMMAND_MODULES).
def register(sub, common) -> None:
    esub = command_group(sub, "export", "export records as JSON (format: docs/EXPORT_FORMAT.md)", "export_what")
    p = esub.add_parser("pupil", parents=[common], help="one pupil's complete record, for a subject access request")
    p.add_argument("upn")
    add_output_option(p, metavar="FILE.json", help_text="the .json file to write")
    p.set_defaults(func=cmd_export_pupil)
    p = esub.add_parser("all", parents=[common], help="every record of every kind (lead only)")
    add_output_option(p, metavar="FILE.json", help_text="the .json file to write")
    p.set_defaults(func=cmd_export_all)

    p = sub.add_parser(
        "demo", parents=[common], help="create a demo vault of fictional data, or a synthetic MIS export",
        description="Create a vault full of fictional data (like init: lead account 'lead', password from "
                    "--password-stdin or SCHOOLMH_PASSWORD), or with --mis-csv write a synthetic MIS export.")
    p.add_argument("--pupils", help="how many fictional pupils (1 to 50000)")
    p.add_argument("--seed", default="1", help="the same seed gives the same data (default 1)")
    add_output_option(p, "--recovery-key-file", required=False, help_text="where to write the recovery key "
                      "(default: <data folder>-recovery-key.txt beside the data folder)")
    add_output_option(p, "--mis-csv", required=False, help_text="write a synthetic SIMS-style pupil export here "
                      "instead of a vault")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_demo)

    rsub = command_group(sub, "retention", "former pupils due for review, and erasure", "retention_action")
    p = rsub.add_parser("list", parents=[common], help="former pupils whose retention period has ended")
    p.set_defaults(func=cmd_retention_list)
    p = rsub.add_parser("erase", parents=[common], help="erase one former pupil's record (cannot be undone)")
    p.add_argument("upn")
    p.add_argument("--confirm", action="store_true", help="required: erasing cannot be undone")
    p.set_defaults(func=cmd_retention_erase)

    p = sub.add_parser("dashboard", parents=[common], help="print the dashboard figures (default: this term)")
    add_period_options(p)
    p.set_defaults(func=cmd_dashboard)
