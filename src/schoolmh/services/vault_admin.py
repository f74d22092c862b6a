"""The lead's vault jobs: backup, restore, audit verification, replacing the recovery key, rotating the keys."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schoolmh import fsutil
from schoolmh.db import anchor as anchorlib
from schoolmh.db import backup as backuplib
from schoolmh.db import signing
from schoolmh.db import vault as vaultlib
from schoolmh.db.instance_lock import vault_lock
from schoolmh.db.keyfile import KEYFILE_NAME, KeyFile, user_label
from schoolmh.db.migrations import schema_version
from schoolmh.db.models import Staff
from schoolmh.errors import (
    BackupError,
    DamagedDatabase,
    DamagedKeyFile,
    MigrationFailed,
    PermissionDenied,
    ValidationError,
    WrongPassword,
    WrongRecoveryKey,
)
from schoolmh.services import audit, backup_status, settings, users
from schoolmh.services.passwords import generate_password
from schoolmh.services.permissions import LEAD, Action
from schoolmh.services.session import Session

Progress = Callable[[int, int], None]

# After disabling an account or replacing the recovery key (issue 11): removing a slot cannot reach
# copies of the vault's files made before; only a new data key can.
REVOCATION_NOTE = (
    "Someone who could have copied the vault's files keeps their old way in until the keys are rotated "
    "(Admin → Vault → Rotate all keys…)."
)
TEAM_REVOCATION_NOTE = (
    "The change reaches the school's other laptops at their next exchange. Someone who could have copied a "
    "laptop's files keeps their old way into that copy: a team's keys cannot be rotated, so if a laptop may be "
    "in the wrong hands, remove it (Admin → Team → Remove laptop…)."
)


def revocation_note(session: Session) -> str:
    """What a disable or a new recovery key does not undo, and what does, on this laptop."""
    return TEAM_REVOCATION_NOTE if rotation_blocked(session) else REVOCATION_NOTE


def backup(session: Session, out: Path, progress: Progress | None = None, *, overwrite: bool = False) -> backuplib.BackupResult:
    """A consistent encrypted copy (online backup: the app may be writing), verified before success.

    `out` is checked first (not in the data folder; an existing file only with `overwrite`)."""
    session.require(Action.BACKUP)
    fsutil.check_output(out, session.vault.data_dir, overwrite=overwrite, create_folder=True)
    session.audit("vault.backup", "vault", session.vault.keyfile.vault_id)
    result = backuplib.write_backup(
        session.db, session.vault.dek, session.vault.keyfile, schema_version(session.db), Path(out), progress,
        overwrite=overwrite,
    )
    backup_status.record_backup(session, Path(out))  # after it verified: the overdue reminder starts again
    return result


@dataclass(frozen=True)
class RestoreResult:
    replaced_folder: Path | None  # where the previous live files were moved (kept, not deleted)
    audit_rows: int


RESTORE_SCRATCH = ".schoolmh-restore-"
# A backup's key file is someone else's file until it has opened: its Argon2 settings are capped
# well above anything SchoolMH writes (at most 128 MiB, calibrated to about half a second) but far
# below the 1 GiB x 32 passes (17 s a try here) a hostile file could ask for.
RESTORE_MAX_MEMORY_KIB = 256 * 1024
RESTORE_MAX_COST_KIB_PASSES = 256 * 1024 * 16


def restore(
    data_dir: Path,
    archive: Path,
    *,
    username: str | None = None,
    password: str | None = None,
    recovery_key: str | None = None,
) -> RestoreResult:
    """Unpack beside the live vault, unlock and verify the copy with the given credentials, then swap.

    The live files are only moved aside after the copy has opened, passed
    integrity_check and its audit chain has verified against the manifest. Guesses
    count towards the live vault's unlock back-off (a backup is a way in like any
    other), and the vault's instance lock is held, so no window has it open.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    vaultlib.check_location(data_dir)
    attempts = vaultlib.AttemptLog.load(data_dir)
    attempts.check()
    with vault_lock(data_dir), fsutil.scratch_dir(data_dir, RESTORE_SCRATCH) as folder:
        manifest = backuplib.extract_backup(Path(archive), folder)
        _check_kdf_ceiling(folder)
        try:
            if recovery_key:
                opened = vaultlib.unlock_with_recovery(folder, recovery_key)
            else:
                opened = vaultlib.unlock_with_password(folder, username, password or "")
        except (WrongPassword, WrongRecoveryKey):
            attempts.record_failure()
            raise
        except (DamagedDatabase, DamagedKeyFile, MigrationFailed) as exc:
            what = {
                DamagedDatabase: "That backup's database is damaged.",
                DamagedKeyFile: "That backup's key file is damaged.",
            }.get(type(exc), exc.message)
            raise BackupError(f"{what} Nothing was restored and the vault here was not changed.") from None
        try:
            actor = _restorer(opened, username)
            recorded = manifest.get("audit_head") or {}
            result = audit.verify((int(recorded.get("seq", 0)), str(recorded.get("hash", ""))))
            if not result.ok:
                raise BackupError(f"The backup's audit trail does not verify: {result.problem}")
            with opened.db.atomic():
                head = audit.append(actor, "vault.restore", "vault", opened.keyfile.vault_id, "recovery key" if recovery_key else "password")
                if opened.signer is not None:  # a backup from before signing stays unsigned until its first sign-in
                    audit.sign_head(opened.keyfile.vault_id, opened.signer)
            opened.write_audit_head(*head)
            dek, vault_id = opened.dek, opened.keyfile.vault_id
        finally:
            opened.close()
        attempts.record_success()
        backuplib.verify_restored(folder, dek)
        (folder / vaultlib.ATTEMPTS_NAME).unlink(missing_ok=True)
        replaced = backuplib.swap_into_place(folder, data_dir)
    anchorlib.reset(anchorlib.key_for(vault_id, data_dir), *head)  # a restore through SchoolMH is the one way back in time
    fsutil.make_private(data_dir)
    return RestoreResult(replaced, head[0])


def _check_kdf_ceiling(folder: Path) -> None:
    """Refuse a backup whose password slots would cost far more than SchoolMH ever asks, per try."""
    try:
        keyfile = KeyFile.load(folder / KEYFILE_NAME)
    except Exception:
        return  # unlocking reports a damaged key file in its own words
    for slot in keyfile.slots:
        kdf = slot.kdf
        if kdf.alg == "argon2id" and (
            kdf.memory_kib > RESTORE_MAX_MEMORY_KIB or kdf.memory_kib * kdf.time_cost > RESTORE_MAX_COST_KIB_PASSES
        ):
            raise BackupError(
                f"That backup's key file asks for far more work per password try ({kdf.memory_kib // 1024} MiB, "
                f"{kdf.time_cost} passes) than SchoolMH ever uses: it was not made by SchoolMH or was changed. "
                "Nothing was restored."
            )


def _restorer(opened: vaultlib.OpenVault, username: str | None) -> str | None:
    """The lead doing the restore (None with the recovery key, which any lead may hold)."""
    if opened.how == "recovery":
        return None
    staff = next(
        (s for s in Staff.select() if user_label(opened.keyfile.vault_id, s.username) == opened.user_label), None
    )
    if staff is not None and opened.owner and staff.uuid != opened.owner:
        staff = None  # a slot's label edited to another account's
    if staff is None or staff.role != LEAD or not staff.active:
        raise PermissionDenied("Only a lead can restore a backup.")
    return staff.uuid


def verify_audit(session: Session) -> audit.VerifyResult:
    session.require(Action.AUDIT_VERIFY)
    try:
        heads = session.vault.read_audit_heads()
    except ValueError:
        result = audit.VerifyResult(False, 0, "The recorded end of the audit chain (audit.head) was tampered with or is damaged.")
    else:
        if heads is None:
            result = audit.verify(None)
            if result.ok and result.rows:
                result = audit.VerifyResult(
                    False, result.rows,
                    "The recorded end of the audit chain (audit.head beside the vault) is missing, "
                    "so rows cut from the end could not be detected.",
                )
        else:
            # A crash between writing the head and committing leaves two acceptable ends.
            results = [audit.verify(h) for h in heads[:1]]
            if not results[0].ok and len(heads) > 1:
                results.append(audit.verify(heads[1]))
            result = next((r for r in results if r.ok), results[0])
    if result.ok:
        result = verify_signatures(session)
    if result.ok:
        rolled_back = session.rollback_warning or audit.rollback_problem(session.vault.anchor_key)
        if rolled_back:
            result = audit.VerifyResult(False, result.rows, rolled_back)
    session.audit("audit.verify", "vault", session.vault.keyfile.vault_id, "ok" if result.ok else "failed")
    return result


def verify_signatures(session: Session) -> audit.VerifyResult:
    """Every signature against the account that wrote the rows it covers (see audit.verify_signatures)."""
    keyfile = session.vault.keyfile
    names = {s.uuid: f"{s.full_name} ({s.username})" for s in Staff.select(Staff.uuid, Staff.full_name, Staff.username)}
    return audit.verify_signatures(
        keyfile.vault_id, keyfile.public_keys(), keyfile.recovery_public_key(), keyfile.signs_audit, names
    )


def audit_rows(session: Session, object_uuids: list[str], limit: int = 500) -> list[audit.AuditRow]:
    """The audit entries about some records (newest first), for the lead's history view."""
    session.require(Action.AUDIT_READ)
    return audit.rows_for(object_uuids, limit)


def replace_recovery_key(session: Session) -> str:
    """A new key; the old one stops working when this returns. Show it once and print the sheet.

    On a team the new recovery slot travels to every laptop, vouched for by the lead's roster; only a
    whole-school laptop sends rosters, so an MHST laptop's lead is sent to one (docs/TEAM.md)."""
    session.require(Action.RECOVERY_KEY_REPLACE)
    if _team_scope() == "mhst":
        raise ValidationError("Make the new recovery key on one of the school's whole-school laptops: from there it "
                              "reaches every laptop of the team, this one too.")
    with session.transaction():
        session.audit("vault.recovery_key", "vault", session.vault.keyfile.vault_id)
        settings.write_raw(recovery_sheet_confirmed=False)  # until someone says the new one is stored
        key = session.vault.new_recovery_key()
        _register_recovery_key(session)
    return key


def _register_recovery_key(session: Session) -> None:
    """The recovery slot's new signing key, introduced by the lead (inside their transaction)."""
    vault = session.vault
    audit.register_key(session.actor.uuid, audit.RECOVERY, vault.keyfile.vault_id, vault.keyfile.recovery_public_key())


def confirm_recovery_key_stored(session: Session) -> None:
    """The lead ticked "I have stored it" for the key just shown."""
    session.require(Action.RECOVERY_KEY_REPLACE)
    with session.transaction():
        settings.write_raw(recovery_sheet_confirmed=True)
        session.audit("vault.recovery_key_stored", "vault", session.vault.keyfile.vault_id)


def handover_warning(session: Session) -> str | None:
    """SECURITY.md: at least two leads or a stored recovery key, or the school can lose its records.

    Shown to leads until one holds; None when all is well (or for other roles, who cannot fix it).
    """
    if session.rollback_warning:  # every role is told: they may be looking at older records
        return session.rollback_warning
    if not session.can(Action.USERS_MANAGE):
        return None
    if settings.load().recovery_sheet_confirmed or users.lead_count(session) >= 2:
        return None
    return (
        "Only one lead account, and nobody has confirmed the recovery key is stored: if this password is "
        "lost, nobody can open these records. Add a second lead (Admin → Users) or make and print a new "
        "recovery key (Admin → Vault)."
    )


@dataclass(frozen=True)
class RotationResult:
    """The new secrets, to be shown once: nothing else holds them in clear."""

    recovery_key: str = field(repr=False)
    new_passwords: dict[str, str] = field(repr=False)  # user name → one-time password (not the lead's)


def _team_scope() -> str | None:
    """This laptop's scope in a team ("school" or "mhst"), or None when it is in none (or was removed)."""
    from schoolmh.services.team import state as team_state  # only when asked: the team package is not needed to start

    me = team_state.load()
    return None if me is None or me.removed else me.scope


def rotation_blocked(session: Session) -> str | None:
    """Why this vault's keys cannot be rotated here, or None.

    A team laptop opens its vault with the data key every laptop of the school shares (so
    password slots travel, docs/TEAM.md); a new key on one laptop alone would leave the others
    on the old one and stop passwords travelling, while shutting nobody out of them.
    """
    if _team_scope() is None:
        return None
    return ("This laptop is one of your school's team, and its data key is shared with the other laptops, so it "
            "cannot be changed here alone. If a laptop was lost or may be in the wrong hands, remove it (Admin → "
            "Team → Remove laptop…): the others move to new keys it does not hold. If a password got out, reset "
            "that account's password (Admin → Users).")


def rotate_keys(session: Session, lead_password: str) -> RotationResult:
    """After a suspected compromise: a new data key, and so a new way in for everyone.

    The database is re-encrypted under the new key (PRAGMA rekey; crash-safe, see
    OpenVault.rotate_keys). The lead keeps their password; every other active account
    gets a one-time password it must change at first sign-in; the recovery key is new;
    remembered laptops are forgotten. Backups made before keep opening with the
    credentials of their day (each carries its own key file).
    """
    session.require(Action.VAULT_ROTATE)
    blocked = rotation_blocked(session)
    if blocked:
        raise ValidationError(blocked)
    if session.db.in_transaction():
        raise RuntimeError("rotate_keys runs its own transactions")
    if not lead_password or not session.vault.check_password(session.actor.username, lead_password):
        raise WrongPassword("That is not your password. Nothing was changed.")
    others = list(
        Staff.select(Staff.uuid, Staff.username).where(Staff.active & (Staff.uuid != session.actor.uuid)).order_by(Staff.username)
    )
    new_passwords = {s.username: generate_password() for s in others}
    # The lead keeps their signing key; everyone else gets a new one with their one-time password.
    accounts = [vaultlib.NewUserSlot(session.actor.username, lead_password, session.actor.uuid, session.signer.seed)]
    accounts += [vaultlib.NewUserSlot(s.username, new_passwords[s.username], s.uuid, signing.new_seed()) for s in others]

    def record() -> None:
        """After the re-encryption (SQLCipher's rekey commits a transaction of its own, so this cannot
        share it) and before vault.keys is replaced. A crash before this commits leaves the vault
        rotated but unrecorded and the other accounts without the must-change flag (the lead resets
        their passwords); the lead's next sign-in finishes the rotation and registers the new keys."""
        with session.transaction():
            for account in accounts[1:]:
                public = signing.public_key(account.seed)
                Staff.update(must_change_password=True, sign_key=public).where(Staff.uuid == account.owner).execute()
                audit.register_key(session.actor.uuid, "staff", account.owner, public)
            _register_recovery_key(session)
            settings.write_raw(recovery_sheet_confirmed=False)
            session.audit("vault.rotate", "vault", session.vault.keyfile.vault_id, f"accounts={len(others) + 1}")

    recovery_key = session.vault.rotate_keys(accounts, record)
    return RotationResult(recovery_key, new_passwords)
