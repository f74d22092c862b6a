"""`schoolmh team …`: several laptops sharing one school's records through a team folder (docs/TEAM.md)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from schoolmh.cli import common
from schoolmh.cli.common import data_dir, out, read_secret, signed_in, username
from schoolmh.errors import ValidationError
from schoolmh.services import team


def _with_session(args, work) -> int:
    with signed_in(args) as session:
        return int(work(session) or 0)


def cmd_init(args) -> int:
    def work(session):
        team.init_team(session, Path(args.folder), args.name or "")
        out(f"This laptop started the team in {Path(args.folder).resolve()}; the school's records are in its first bundle.")
    return _with_session(args, work)


def cmd_add_laptop(args) -> int:
    def work(session):
        code = team.add_laptop(session, args.name, args.scope, Path(args.out))
        out(code)
        print(f"Enrolment file written to {args.out}. On the new laptop run 'schoolmh team join {args.out}' and type "
              "the code above (shown once).", file=sys.stderr)
    return _with_session(args, work)


def cmd_join(args) -> int:
    code = os.environ.get("SCHOOLMH_TEAM_CODE") or common._next_stdin_line() or ""
    user = username(args)
    if not user:
        raise ValidationError("Name your account with --user (or SCHOOLMH_USER): you sign in on this laptop with it.", "user")
    password = read_secret(args, "SCHOOLMH_PASSWORD", "Password: ")
    session = team.join(data_dir(args), Path(args.file), code, user, password, Path(args.folder) if args.folder else None)
    try:
        status = team.status(session)
        out(f"Joined as '{status.laptop_name}' ({status.scope} scope); {status.summary.lower()}.")
        if not Path(args.file).exists():
            print("The enrolment file has been used and deleted: it cannot make another laptop.", file=sys.stderr)
    finally:
        session.close()
    return 0


def cmd_sync(args) -> int:
    def work(session):
        report = team.sync(session)
        out(f"Applied {report.applied} bundle(s), wrote {report.written}, published {report.published} to the team folder; "
            f"{team.status(session).summary}.")
        for line in report.refused:
            print(f"refused: {line}", file=sys.stderr)
        for line in report.waiting:
            print(f"waiting: {line}", file=sys.stderr)
        for line in report.notes:  # e.g. a roster refused, or this account changed on another laptop
            print(f"note: {line}", file=sys.stderr)
    return _with_session(args, work)


def cmd_status(args) -> int:
    def work(session):
        s = team.status(session)
        if not s.in_team:
            out("This laptop is not in a team.")
            return 0
        out(f"{s.laptop_name} ({s.scope} scope), team folder {s.folder}")
        out(f"Status: {s.summary}; {team.conflicts_text(s.conflicts)}")
        out(f"{'laptop':<24} {'scope':<7} last exchange")
        for laptop in s.laptops:
            last = "removed" if laptop.removed else laptop.last_exchange
            name = laptop.name + (" (this laptop)" if laptop.this_laptop else "")
            out(f"{name:<24} {laptop.scope:<7} {last}")
        for problem in s.problems:
            out(f"problem: {problem}")
    return _with_session(args, work)


def cmd_conflicts(args) -> int:
    def work(session):
        if args.keep or args.dismiss:
            team.resolve(session, args.keep or args.dismiss, keep_other=bool(args.keep))
            out("Kept the listed version; it reaches the other laptops at the next exchange." if args.keep
                else "Kept the current version; the conflict is closed on every laptop at the next exchange.")
            return 0
        items = team.conflicts(session)
        if not items:
            out("No conflicts to review.")
        for c in items:
            whose = f" ({c.subject})" if c.subject else ""
            out(f"{c.id}  {c.kind}{whose} {c.record_uuid}: the other version was made {c.other_version}")
            for name, kept, other in c.differences:
                out(f"    {name}: kept {kept!r}, other {other!r}")
    return _with_session(args, work)


def cmd_remove(args) -> int:
    def work(session):
        team.remove_laptop(session, args.name)
        out(f"Removed '{args.name}': its later bundles are refused and the team's keys were replaced.")
    return _with_session(args, work)


def register(sub, common_args) -> None:
    t = sub.add_parser("team", help="several laptops sharing records through a team folder").add_subparsers(
        dest="team_command", metavar="action")
    p = t.add_parser("init", parents=[common_args], help="start a team from this laptop (lead)")
    p.add_argument("--folder", required=True, help="the shared team folder (network share, synced folder, USB stick)")
    p.add_argument("--name", help="this laptop's name in the team (default: Lead's laptop)")
    p.set_defaults(func=cmd_init)
    p = t.add_parser("add-laptop", parents=[common_args], help="write an enrolment file; prints the one-time code")
    p.add_argument("--name", required=True)
    p.add_argument("--scope", required=True, choices=("school", "mhst"))
    p.add_argument("--out", required=True, help="where to write the enrolment file")
    p.set_defaults(func=cmd_add_laptop)
    p = t.add_parser("join", parents=[common_args],
                     help="join with an enrolment file (code from SCHOOLMH_TEAM_CODE or the first stdin line)")
    p.add_argument("file")
    p.add_argument("--folder", help="the team folder, if not where the lead's laptop sees it")
    p.set_defaults(func=cmd_join)
    p = t.add_parser("sync", parents=[common_args], help="exchange changes with the team folder now")
    p.set_defaults(func=cmd_sync)
    p = t.add_parser("status", parents=[common_args], help="laptops, changes waiting, conflicts, problems")
    p.set_defaults(func=cmd_status)
    p = t.add_parser("conflicts", parents=[common_args], help="list conflicts to review, or settle one")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--keep", metavar="ID", help="keep the version listed under this conflict")
    group.add_argument("--dismiss", metavar="ID", help="keep the current version and close this conflict")
    p.set_defaults(func=cmd_conflicts)
    p = t.add_parser("remove-laptop", parents=[common_args], help="remove a lost or leaver's laptop; keys are replaced")
    p.add_argument("name")
    p.set_defaults(func=cmd_remove)
