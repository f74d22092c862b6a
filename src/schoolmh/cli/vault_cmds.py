"""Vault and account commands: init, users, unlock-check, recover, backup, restore, audit verify, rotate-keys."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from schoolmh.cli.common import data_dir, out, read_secret, signed_in, username
from schoolmh.cli.options import add_output_option, output_path, write_output
from schoolmh.errors import ValidationError
from schoolmh.services import access, users, vault_admin
from schoolmh.services.permissions import ROLES


def write_recovery_key(args, path: Path, key: str, school: str) -> None:
    """Through the same output checks as every file a command writes (cli.options.write_output: never in
    the data folder, never over a file without --force, atomic, readable by the owner only)."""
    text = (
        f"SchoolMH recovery key for {school}\n\n{key}\n\n"
        "This key opens the vault and can set a new password for any account.\n"
        "Print it, keep it locked away from the laptop, then delete this file.\n"
    )
    write_output(args, Path(path), text.encode("utf-8"), "recovery-key-file")


def read_recovery_key(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        raise ValidationError(f"Cannot read the recovery key file {path}.", "recovery-key-file") from None
    from schoolmh.db.crypto import parse_recovery_key

    for line in text.splitlines():
        if parse_recovery_key(line):
            return line.strip()
    return text.strip()


def cmd_init(args) -> int:
    target = output_path(args, args.recovery_key_file, "recovery-key-file")  # before the vault exists
    password = read_secret(args, "SCHOOLMH_PASSWORD", "New lead password: ")
    setup = access.init_school(data_dir(args), args.school, args.admin, args.admin_name or args.admin, password)
    try:
        write_recovery_key(args, target, setup.recovery_key, args.school)
    finally:
        setup.session.close()
    out(f"Created the SchoolMH vault in {data_dir(args)} with lead account {args.admin}.")
    out(f"The recovery key is in {args.recovery_key_file}: print it, lock it away, then delete the file.")
    return 0


def cmd_users_add(args) -> int:
    with signed_in(args) as session:
        account = users.add_user(session, args.username, args.name, args.role, os.environ.get("SCHOOLMH_NEW_PASSWORD") or None)
    out(f"Added {account.info.username} ({account.info.role}).")
    if account.generated_password:
        out(f"First password (shown once; they must change it at first sign-in): {account.generated_password}")
    return 0


def cmd_users_list(args) -> int:
    with signed_in(args) as session:
        rows = users.list_users(session)
    out(f"{'user name':<20} {'role':<9} {'status':<9} {'last sign-in':<17} name")
    for u in rows:
        status = "active" if u.active else "disabled"
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never"
        out(f"{u.username:<20} {u.role:<9} {status:<9} {last:<17} {u.full_name}")
    return 0


def cmd_users_set_password(args) -> int:
    with signed_in(args) as session:
        new = read_secret(args, "SCHOOLMH_NEW_PASSWORD", f"New password for {args.username}: ")
        users.set_password(session, args.username, new)
    out(f"Password changed for {args.username}.")
    return 0


def cmd_users_disable(args) -> int:
    with signed_in(args) as session:
        users.disable(session, args.username)
        note = vault_admin.revocation_note(session)
    out(f"Disabled {args.username}; their key slot was removed and their records keep their name.")
    out(note.replace("(Admin → Vault → Rotate all keys…)", "(schoolmh rotate-keys)")
        .replace("(Admin → Team → Remove laptop…)", "(schoolmh team remove-laptop NAME)"))
    return 0


def cmd_users_role(args) -> int:
    with signed_in(args) as session:
        users.set_role(session, args.username, args.role)
    out(f"{args.username} is now {args.role}.")
    return 0


def cmd_unlock_check(args) -> int:
    with signed_in(args) as session:
        last = session.previous_login
    out(f"The password opens the vault. Last sign-in before this: {last:%Y-%m-%d %H:%M} UTC." if last else "The password opens the vault.")
    return 0


def cmd_recover(args) -> int:
    user = username(args)
    if not user:
        raise ValidationError("Name the account to reset with --user.", "user")
    key = read_recovery_key(args.recovery_key_file)
    new = read_secret(args, "SCHOOLMH_PASSWORD", f"New password for {user}: ")
    session = access.recover(data_dir(args), key, user, new, enable=args.enable)
    session.close()
    out(f"New password set for {user}. The old password no longer works.")
    if args.enable:
        out(f"{user}'s account is enabled.")
    return 0


def cmd_backup(args) -> int:
    target = output_path(args, args.out, create_folder=True)  # before signing in: a refusal changes nothing
    with signed_in(args) as session:
        result = vault_admin.backup(session, target, overwrite=args.force)
    out(f"Backup written to {result.path} ({result.size_bytes // 1024} KB); it opened and passed integrity_check.")
    return 0


def cmd_restore(args) -> int:
    if args.recovery_key_file:
        result = vault_admin.restore(data_dir(args), Path(args.file), recovery_key=read_recovery_key(args.recovery_key_file))
    else:
        password = read_secret(args, "SCHOOLMH_PASSWORD", "Password (as it was when the backup was made): ")
        result = vault_admin.restore(data_dir(args), Path(args.file), username=username(args), password=password)
    out("Restored and verified (integrity_check ok, audit chain intact).")
    if result.replaced_folder:
        out(f"The previous vault files were kept in {result.replaced_folder} (only the old recovery key opens "
            "them; delete the folder once you are sure).")
    return 0


def cmd_audit_verify(args) -> int:
    with signed_in(args) as session:
        result = vault_admin.verify_audit(session)
    if result.ok:
        out(f"Audit trail intact: {result.rows} rows, chain and recorded end match.")
        return 0
    print(f"schoolmh: the audit trail is broken: {result.problem}", file=sys.stderr)
    return 1


def cmd_rotate_keys(args) -> int:
    """The lead's password signs in and is asked for again by the service (it stays the lead's password)."""
    target = output_path(args, args.recovery_key_file, "recovery-key-file")
    password = read_secret(args, "SCHOOLMH_PASSWORD", "Password: ")
    session = access.sign_in(data_dir(args), username(args), password)
    try:
        from schoolmh.services import settings

        school = settings.load().school_name
        result = vault_admin.rotate_keys(session, password)
    finally:
        session.close()
    out("Every key was replaced: the database is encrypted under a new key.")
    try:
        write_recovery_key(args, target, result.recovery_key, school)
        out(f"The new recovery key is in {target}: print it, lock it away, then delete the file. The old one no longer works.")
    except (OSError, ValidationError):  # the key exists nowhere else: show it rather than lose it
        out(f"{target} could not be written, so here is the new recovery key (write it down now; the old one no longer works):")
        out(f"  {result.recovery_key}")
    out("Your password is unchanged. Remembered laptops were forgotten.")
    if result.new_passwords:
        out("One-time passwords (shown once; give each in person; they must choose their own at first sign-in):")
        width = max(len(name) for name in result.new_passwords)
        for name, new in result.new_passwords.items():
            out(f"  {name:<{width}}  {new}")
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("init", parents=[common], help="create a new vault and its lead account")
    p.add_argument("--school", required=True)
    p.add_argument("--admin", required=True, help="the lead's user name")
    p.add_argument("--admin-name", help="the lead's full name")
    add_output_option(p, "--recovery-key-file", help_text="where to write the recovery key (print it, then delete)")
    p.set_defaults(func=cmd_init)

    u = sub.add_parser("users", help="staff accounts").add_subparsers(dest="users_command", metavar="action")
    p = u.add_parser("add", parents=[common], help="add an account (first password from SCHOOLMH_NEW_PASSWORD, or generated)")
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=ROLES)
    p.set_defaults(func=cmd_users_add)
    p = u.add_parser("list", parents=[common], help="list accounts")
    p.set_defaults(func=cmd_users_list)
    p = u.add_parser("set-password", parents=[common], help="set an account's password (new one from SCHOOLMH_NEW_PASSWORD or the next stdin line)")
    p.add_argument("username")
    p.set_defaults(func=cmd_users_set_password)
    p = u.add_parser("disable", parents=[common], help="disable a leaver's account and remove its key slot")
    p.add_argument("username")
    p.set_defaults(func=cmd_users_disable)
    p = u.add_parser("set-role", parents=[common], help="change an account's role")
    p.add_argument("username")
    p.add_argument("role", choices=ROLES)
    p.set_defaults(func=cmd_users_role)

    p = sub.add_parser("unlock-check", parents=[common], help="exit 0 when the password opens the vault")
    p.set_defaults(func=cmd_unlock_check)
    p = sub.add_parser("recover", parents=[common], help="set a new password for --user with the recovery key")
    p.add_argument("--recovery-key-file", required=True)
    p.add_argument("--enable", action="store_true", help="also enable the account if it was disabled (refused without it)")
    p.set_defaults(func=cmd_recover)
    p = sub.add_parser("backup", parents=[common], help="write a verified encrypted backup")
    add_output_option(p, metavar="FILE.schoolmh-backup", help_text="where to write the backup")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", parents=[common], help="restore a backup; the live vault is replaced only after the copy verifies")
    p.add_argument("file")
    p.add_argument("--recovery-key-file", help="restore with the recovery key instead of a password")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser(
        "rotate-keys", parents=[common],
        help="after a suspected compromise: re-encrypt under a new key, new recovery key, one-time passwords for others",
    )
    add_output_option(p, "--recovery-key-file", help_text="a new file for the new recovery key (print it, then delete)")
    p.set_defaults(func=cmd_rotate_keys)
    a = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", metavar="action")
    p = a.add_parser("verify", parents=[common], help="check the hash chain; names the first broken row")
    p.set_defaults(func=cmd_audit_verify)
