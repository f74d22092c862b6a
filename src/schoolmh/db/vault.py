"""The vault: one folder holding the encrypted database and its key file.

Every way in (password, recovery key, remembered device) unwraps the same data
key; the database is then opened with it as a raw key. Each failure mode has its
own exception and none of them writes to the database or the key file.
"""
from __future__ import annotations

import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schoolmh.db import crypto, signing
from schoolmh.db.connection import DB_NAME, RawKeyCipherDatabase, database_proxy, open_database
from schoolmh.db.keyfile import (
    DEVICE, KEYFILE_NAME, RECOVERY, USER, KeyFile, Opened, Slot, ensure_backup, new_vault_id, save_keyfile_bytes, user_label,
)
from schoolmh.db.migrations import migrate
from schoolmh.errors import (
    DamagedDatabase,
    DamagedKeyFile,
    LockedOut,
    VaultBusy,
    VaultExists,
    VaultMissing,
    WrongPassword,
    WrongRecoveryKey,
)
from schoolmh.fsutil import atomic_write_bytes, fsync_dir, make_private

ATTEMPTS_NAME = "unlock-attempts.json"
from schoolmh.db.backup import AUDIT_HEAD as AUDIT_HEAD_NAME  # noqa: E402
KEYRING_SERVICE = "SchoolMH"
# A key rotation's new key file, written before the database is re-encrypted (see OpenVault.rotate_keys).
PENDING_KEYFILE_NAME = KEYFILE_NAME + ".next"

def check_location(data_dir: Path) -> None:
    """Sync tools and network shares corrupt SQLite files; refuse them for the live database (see db/location.py)."""
    from schoolmh.db.location import check_location as _check

    _check(data_dir)


def vault_exists(data_dir: Path) -> bool:
    return (Path(data_dir) / KEYFILE_NAME).exists() or (Path(data_dir) / DB_NAME).exists()


# --- failed-unlock back-off ------------------------------------------------
FREE_ATTEMPTS = 3
MAX_DELAY_SECONDS = 300


def backoff_seconds(failures: int) -> float:
    """No delay for the first few slips, then 5, 10, 20 … seconds, capped at five minutes."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return float(min(5 * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY_SECONDS))


@dataclass
class AttemptLog:
    """Persisted beside the vault (a count and a time, nothing else) so restarting does not reset it."""

    path: Path
    failures: int = 0
    last_failure: float = 0.0

    @classmethod
    def load(cls, data_dir: Path) -> "AttemptLog":
        path = Path(data_dir) / ATTEMPTS_NAME
        try:
            data = json.loads(path.read_text())
            return cls(path, int(data["failures"]), float(data["last_failure"]))
        except Exception:
            return cls(path)

    def remaining_wait(self, now: float | None = None) -> float:
        now = time.time() if now is None else now
        return max(0.0, self.last_failure + backoff_seconds(self.failures) - now)

    def check(self) -> None:
        wait = self.remaining_wait()
        if wait > 0:
            raise LockedOut(f"Too many failed attempts. Try again in {int(wait + 0.999)} seconds.", wait)

    def record_failure(self) -> None:
        self.failures += 1
        self.last_failure = time.time()
        self._save()

    def record_success(self) -> None:
        if self.failures:
            self.failures, self.last_failure = 0, 0.0
            self._save()

    def _save(self) -> None:
        try:
            atomic_write_bytes(self.path, json.dumps({"failures": self.failures, "last_failure": self.last_failure}).encode())
        except OSError:
            pass  # a read-only folder must not stop anyone signing in


# --- the open vault ----------------------------------------------------------
@dataclass(frozen=True)
class NewUserSlot:
    """One account's way in after a key rotation."""

    username: str
    password: str = field(repr=False)
    owner: str  # staff UUID
    seed: bytes = field(repr=False)  # the account's signing key (kept for the rotating lead, new for others)


@dataclass
class OpenVault:
    data_dir: Path
    db: RawKeyCipherDatabase
    dek: bytes = field(repr=False)
    keyfile: KeyFile
    how: str  # "password" | "recovery" | "device" | "created"
    user_label: str = ""  # which account's slot opened it (empty for recovery)
    slot: Slot | None = None  # the slot that opened it (None for a new vault)
    # The signing key of whoever opened it (the account, or the recovery key); None until a
    # format-1 slot is upgraded (upgrade_slot). Sessions sign the audit trail with it.
    signer: signing.Signer | None = field(default=None, repr=False)
    _kek: bytes = field(default=b"", repr=False)  # kept only to re-wrap a format-1 slot at this unlock
    # This unlock finished a key rotation that stopped before it was recorded: the signing keys in the
    # new slots still need introducing to the audit trail (services/access.py does it for a lead).
    finished_rotation: bool = False

    @property
    def anchor_key(self) -> str:
        """Where this laptop keeps the rollback anchor for this vault in this folder (db/anchor.py)."""
        from schoolmh.db.anchor import key_for

        return key_for(self.keyfile.vault_id, self.data_dir)

    @property
    def owner(self) -> str:
        """The staff UUID bound into the slot that opened the vault ("" for the recovery key or a format-1 slot)."""
        return self.slot.owner if self.slot is not None and not self.slot.legacy else ""

    @property
    def keyfile_path(self) -> Path:
        return self.data_dir / KEYFILE_NAME

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    def close(self) -> None:
        """Close, and drop every copy of the data key this object and the database hold (best effort:
        Python cannot wipe immutable bytes, so the old objects live on until collected; see docs/SECURITY.md)."""
        if not self.db.is_closed():
            self.db.close()
        self.dek = b""
        self.signer = None
        self._kek = b""
        self.db._dek_hex = ""
        if database_proxy.obj is self.db:
            database_proxy.initialize(None)

    # -- key slots (no re-encryption: only one slot is rewritten) ------------
    def _save_keyfile(self, keyfile: KeyFile) -> None:
        keyfile.save(self.keyfile_path)
        self.keyfile = keyfile

    def set_password(self, username: str, password: str, *, owner: str, seed: bytes) -> None:
        """(Re)write `username`'s slot for staff UUID `owner`, wrapping the data key and signing seed `seed`."""
        kdf = crypto.new_password_params()
        kek = crypto.derive_password_key(password, kdf)
        label = user_label(self.keyfile.vault_id, username)
        self._save_keyfile(self.keyfile.with_slot(self.keyfile.make_slot(USER, kek, kdf, self.dek, seed, label, owner)))

    def upgrade_slot(self, owner: str = "") -> signing.Signer | None:
        """Re-wrap the format-1 slot that opened the vault as format 2 with a new signing key.

        Same secret, same KDF parameters; the owner (staff UUID, "" for the recovery slot)
        and the new public key are bound in. Returns the new signer, None when nothing to do.
        """
        slot = self.slot
        if slot is None or not slot.legacy or not self._kek:
            return None
        seed = signing.new_seed()
        new = self.keyfile.make_slot(slot.kind, self._kek, slot.kdf, self.dek, seed, slot.label, owner)
        self._save_keyfile(self.keyfile.with_slot(new))
        self.slot, self.signer, self._kek = new, signing.Signer(seed), b""
        return self.signer

    def remove_user(self, username: str) -> None:
        label = user_label(self.keyfile.vault_id, username)
        self._save_keyfile(self.keyfile.without(USER, label).without(DEVICE, label))

    def check_password(self, username: str, password: str) -> bool:
        """True when `password` opens `username`'s key slot in the key file as it is now, to this vault's key.

        For asking someone who is already signed in to prove it again (before changing their
        password): no second database connection, nothing written. An account without a slot
        costs the same key derivation as one with, like unlock_with_password.
        """
        attempts = AttemptLog.load(self.data_dir)
        attempts.check()  # wrong guesses here count towards the same back-off as at sign-in
        keyfile = KeyFile.load(self.keyfile_path)  # the file on disk: another window may have changed it
        slot = keyfile.user_slot(username)
        if slot is None or keyfile.vault_id != self.keyfile.vault_id:
            crypto.derive_password_key(password, crypto.new_password_params())
            ok = False
        else:
            opened = keyfile.open_slot(slot, crypto.derive_password_key(password, slot.kdf))
            ok = opened is not None and hmac.compare_digest(opened.dek, self.dek)
        attempts.record_success() if ok else attempts.record_failure()
        return ok

    def has_user_slot(self, username: str) -> bool:
        return self.keyfile.user_slot(username) is not None

    def new_recovery_key(self) -> str:
        """Replace the recovery slot (with a new signing key of its own, keyfile.recovery_public_key()):
        the old key stops working the moment this returns."""
        key = crypto.new_recovery_key()
        self._save_keyfile(self.keyfile.with_slot(recovery_slot(self.keyfile, key, self.dek)))
        return key

    def set_default_user(self, username: str) -> None:
        from dataclasses import replace

        self._save_keyfile(replace(self.keyfile, default_label=user_label(self.keyfile.vault_id, username)))

    # -- remember me on this laptop ------------------------------------------
    def _keyring_account(self, username: str) -> str:
        return f"{self.keyfile.vault_id}:{user_label(self.keyfile.vault_id, username)}"

    def remember_device(self, username: str) -> bool:
        """Store a device secret in the OS keyring; False (and nothing stored) when no keyring works.

        Only for the account that opened the vault (`username`): the device slot wraps its
        signing key too, bound to the same owner.
        """
        label = user_label(self.keyfile.vault_id, username)
        if label != self.user_label or self.signer is None or not self.owner:
            raise ValueError("a device slot is only made for the signed-in account")
        secret = secrets.token_bytes(32)
        try:
            from schoolmh.db.device_keyring import local_keyring

            local_keyring().set_password(KEYRING_SERVICE, self._keyring_account(username), crypto.b64e(secret))
        except Exception:
            return False
        kdf = crypto.new_hkdf_params()
        kek = crypto.derive_hkdf_key(secret, kdf, b"schoolmh device")
        slot = self.keyfile.make_slot(DEVICE, kek, kdf, self.dek, self.signer.seed, label, self.owner)
        self._save_keyfile(self.keyfile.with_slot(slot))
        return True

    def forget_device(self, username: str) -> None:
        label = user_label(self.keyfile.vault_id, username)
        try:
            from schoolmh.db.device_keyring import local_keyring

            local_keyring().delete_password(KEYRING_SERVICE, self._keyring_account(username))
        except Exception:
            pass
        if self.keyfile.slot_by_label(DEVICE, label):
            self._save_keyfile(self.keyfile.without(DEVICE, label))

    def forget_all_devices(self) -> None:
        kept = tuple(s for s in self.keyfile.slots if s.kind != DEVICE)
        from dataclasses import replace

        if len(kept) != len(self.keyfile.slots):
            self._save_keyfile(replace(self.keyfile, slots=kept))

    # -- rotating the data key ------------------------------------------------
    def rotate_keys(self, accounts: list[NewUserSlot], record: Callable[[], None] | None = None) -> str:
        """Re-encrypt the database under a new data key; returns the new recovery key.

        Every slot wraps the data key itself, so every way in is re-issued: a user slot
        for each of `accounts` (with its signing key), a new recovery slot, and no
        device slots (their keyring entries are forgotten). Must be called outside any
        transaction: SQLCipher's rekey commits one of its own.

        Crash safety (a crash or power cut at any point leaves a way in):
        1. The new key file is written whole to vault.keys.next (temp, fsync, rename).
           A crash here: vault.keys still opens the database; the .next file is junk
           and is tidied once it is an hour old.
        2. PRAGMA rekey re-encrypts every page in one transaction (in WAL mode the new
           pages reach the database file only at checkpoint): before its commit the old
           key opens the database, after it the new one, never a mix. The audit head
           file is MAC'd under both keys first, so it reads as genuine either way.
        3. vault.keys (and .bak) are replaced by the new key file and .next removed.
           A crash between 2 and 3: vault.keys's data key no longer opens the database;
           unlocking then tries the same credential on vault.keys.next and, when that
           opens the database, finishes the rotation (see _open_or_finish_rotation).
           The credential that always works there is the password of the person who
           rotated (the other new secrets were not shown yet).
        vault.keys.bak gets the new key file too: the old data key opens nothing now
        but backups made before the rotation, and those carry their own key file.

        `record` runs between (2) and (3), under the new key: the caller's transaction that
        introduces the new signing keys to the audit trail. A crash before it commits leaves
        vault.keys.next, so the unlock that finishes the rotation records the keys
        (OpenVault.finished_rotation); after (3) nothing is left unrecorded.
        """
        if self.db.in_transaction():
            raise RuntimeError("rotate_keys inside a transaction")
        old_dek, old_keyfile = self.dek, self.keyfile
        new_dek = secrets.token_bytes(crypto.KEY_BYTES)
        keyfile = KeyFile(vault_id=old_keyfile.vault_id, default_label=old_keyfile.default_label)
        for account in accounts:
            kdf = crypto.new_password_params()
            kek = crypto.derive_password_key(account.password, kdf)
            label = user_label(keyfile.vault_id, account.username)
            keyfile = keyfile.with_slot(keyfile.make_slot(USER, kek, kdf, new_dek, account.seed, label, account.owner))
        recovery = crypto.new_recovery_key()
        keyfile = keyfile.with_slot(recovery_slot(keyfile, recovery, new_dek))
        try:
            heads = self._read_head_file()
        except ValueError:
            heads = None  # tampered with: left as it is, so audit verify keeps reporting it
        pending = self.data_dir / PENDING_KEYFILE_NAME
        # (1)
        try:
            atomic_write_bytes(pending, keyfile.to_bytes())
            if heads:
                self._write_head_file(heads[0], heads[1] if len(heads) > 1 else None, next_dek=new_dek)
        except BaseException:
            pending.unlink(missing_ok=True)  # the old key file and head (its "mac" still fits) stand
            raise
        # (2)
        try:
            self.db.execute_sql(f"PRAGMA rekey = \"x'{new_dek.hex()}'\"").fetchall()
        except Exception:
            if not self._reopen_with(new_dek):  # did the commit land before the error?
                self._reopen_with(old_dek)
                pending.unlink(missing_ok=True)
                if heads:
                    self._write_head_file(heads[0], heads[1] if len(heads) > 1 else None)
                # SQLCipher names no cause (a write lock held elsewhere gives the same message).
                raise VaultBusy(
                    "The vault's keys could not be replaced: another SchoolMH window or command may be using "
                    "the vault. Close the others and try again; nothing was changed."
                ) from None
        self.dek, self.db._dek_hex, self.keyfile = new_dek, new_dek.hex(), keyfile
        try:
            # Move the re-encrypted pages from the WAL into the database file, over the old ones.
            self.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except Exception:
            pass  # SQLite checkpoints by itself later; nothing depends on it
        if record is not None:
            record()
            try:
                heads = self._read_head_file()  # moved on by record's transaction
            except ValueError:
                heads = None
        # (3)
        promote_keyfile(self.data_dir, keyfile)
        if heads:
            self._write_head_file(heads[0], heads[1] if len(heads) > 1 else None)
        for slot in old_keyfile.slots:
            if slot.kind == DEVICE:
                _forget_keyring_entry(f"{old_keyfile.vault_id}:{slot.label}")
        return recovery

    def _reopen_with(self, dek: bytes) -> bool:
        """After a failed rekey, reconnect and find which key the database is under; True when `dek` opens it."""
        try:
            self.db.close()
        except Exception:
            pass
        saved, self.db._dek_hex = self.db._dek_hex, dek.hex()
        try:
            self.db.connect()
            self.db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
            return True
        except Exception:
            self.db._dek_hex = saved
            if not self.db.is_closed():
                self.db.close()
            return False

    # -- audit head: detects a truncated audit chain ------------------------
    def _head_key(self, dek: bytes | None = None) -> bytes:
        params = crypto.KdfParams(alg="hkdf-sha256", salt=crypto.b64e(self.keyfile.vault_id.encode()[:16]))
        return crypto.derive_hkdf_key(self.dek if dek is None else dek, params, b"schoolmh audit head")

    def write_audit_head(self, seq: int, digest: str) -> None:
        """Record the chain's end beside the vault (at set-up and restore), MAC'd with a key derived from the data key."""
        self._write_head_file((seq, digest), None)

    def advance_audit_head(self, before: tuple[int, str], after: tuple[int, str]) -> bool:
        """Inside a transaction, just before its commit: name both possible ends of the chain.

        A crash on either side of the commit then never reads as a cut or extended
        trail. Only done when the file still names `before` (the chain's end when the
        transaction began): if it does not, the trail was changed outside SchoolMH (or
        the file removed), and the file is left alone so `audit verify` keeps reporting it.
        """
        try:
            current = self._read_head_file()
        except ValueError:
            return False
        if current is None or before not in current:
            return False
        self._write_head_file(after, before)
        return True

    def settle_audit_head(self, after: tuple[int, str]) -> None:
        """After the commit, with the write lock held again (see Session): name the one end."""
        try:
            current = self._read_head_file()
            if current and current[0] == after and len(current) > 1:
                self._write_head_file(after, None)
        except (OSError, ValueError):
            pass  # the file written before the commit already accepts this end

    def _write_head_file(
        self, head: tuple[int, str], previous: tuple[int, str] | None, next_dek: bytes | None = None
    ) -> None:
        """`next_dek`: during a key rotation, also MAC under the coming data key ("mac_next"), so the
        file reads as genuine whether or not the re-encryption commits before a crash."""
        data = {"head": f"{head[0]}:{head[1]}"}
        if previous is not None and previous != head:
            data["prev"] = f"{previous[0]}:{previous[1]}"
        data["mac"] = crypto.hmac_sha256(self._head_key(), self._head_mac_input(data))
        if next_dek is not None:
            data["mac_next"] = crypto.hmac_sha256(self._head_key(next_dek), self._head_mac_input(data))
        atomic_write_bytes(self.data_dir / AUDIT_HEAD_NAME, json.dumps(data).encode())

    @staticmethod
    def _head_mac_input(data: dict) -> bytes:
        return (data["head"] + ("|" + data["prev"] if "prev" in data else "")).encode()

    def _read_head_file(self) -> list[tuple[int, str]] | None:
        """None when no head was written; raises ValueError when the file was tampered with or is damaged."""
        path = self.data_dir / AUDIT_HEAD_NAME
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
            expected = crypto.hmac_sha256(self._head_key(), self._head_mac_input(data))
            # Either MAC must verify under the key that opened the vault ("mac_next" is only
            # there while a rotation is under way); knowing an older key forges neither.
            macs = [m for m in (data.get("mac"), data.get("mac_next")) if isinstance(m, str)]
            if not any(hmac.compare_digest(expected, m) for m in macs):
                raise ValueError("mac")
            heads = []
            for body in (data["head"], data.get("prev")):
                if body is not None:
                    seq, digest = body.split(":", 1)
                    heads.append((int(seq), digest))
            return heads
        except Exception:
            raise ValueError("audit head damaged or tampered with") from None

    def read_audit_heads(self) -> list[tuple[int, str]] | None:
        """The acceptable ends of the chain (the latest first), or None when no head was ever written."""
        return self._read_head_file()

    def read_audit_head(self) -> tuple[int, str] | None:
        heads = self._read_head_file()
        return heads[0] if heads else None


# --- creating and opening ----------------------------------------------------
STALE_TEMP_SECONDS = 60
STALE_PENDING_SECONDS = 3600  # far longer than any rotation takes


def remove_stale_temp_files(data_dir: Path) -> None:
    """A crash during an atomic write leaves `<name>.<random>.tmp`; tidy those that are clearly abandoned.

    Only files older than a minute: another SchoolMH process may be mid-write right now.
    """
    now = time.time()
    for name in (KEYFILE_NAME, AUDIT_HEAD_NAME, ATTEMPTS_NAME):
        for path in Path(data_dir).glob(f"{name}.*.tmp"):
            try:
                if now - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    path.unlink()
            except OSError:
                pass
    # Only reached once a key has opened the database: a .next file this old is from a
    # rotation that failed before its rekey (or one already promoted) and opens nothing.
    pending = Path(data_dir) / PENDING_KEYFILE_NAME
    try:
        if now - pending.stat().st_mtime > STALE_PENDING_SECONDS:
            pending.unlink()
    except OSError:
        pass


def _forget_keyring_entry(account: str) -> None:
    try:
        from schoolmh.db.device_keyring import local_keyring

        local_keyring().delete_password(KEYRING_SERVICE, account)
    except Exception:
        pass


def promote_keyfile(data_dir: Path, keyfile: KeyFile) -> None:
    """Step (3) of a rotation: the new key file becomes vault.keys and vault.keys.bak; .next goes."""
    save_keyfile_bytes(Path(data_dir) / KEYFILE_NAME, keyfile.to_bytes())
    (Path(data_dir) / PENDING_KEYFILE_NAME).unlink(missing_ok=True)
    fsync_dir(Path(data_dir))


def pending_keyfile(data_dir: Path, vault_id: str) -> KeyFile | None:
    """The key file of a rotation that may have stopped between re-encrypting and replacing vault.keys."""
    try:
        keyfile = KeyFile.load(Path(data_dir) / PENDING_KEYFILE_NAME)
    except Exception:
        return None
    return keyfile if keyfile.vault_id == vault_id else None


INTERRUPTED_ROTATION = (
    "The vault's keys were being replaced when SchoolMH stopped. Sign in with the password of the lead "
    "who replaced them, to finish; the records themselves are untouched."
)


def recovery_slot(keyfile: KeyFile, key: str, dek: bytes) -> Slot:
    """A recovery slot for `key` (a new signing key of its own: what the recovery route writes is signed by it)."""
    kdf = crypto.new_hkdf_params()
    kek = crypto.derive_hkdf_key(crypto.parse_recovery_key(key).encode(), kdf, b"schoolmh recovery")
    return keyfile.make_slot(RECOVERY, kek, kdf, dek, signing.new_seed())


@dataclass(frozen=True)
class _Unwrapped:
    opened: Opened
    slot: Slot
    kek: bytes = field(repr=False)


def _open_or_finish_rotation(
    data_dir: Path, found: _Unwrapped, keyfile: KeyFile, how: str,
    unwrap_pending: Callable[[KeyFile], _Unwrapped | None],
) -> OpenVault:
    """Open with vault.keys's data key; if that no longer fits and a rotation was interrupted
    after its rekey (step 2 of OpenVault.rotate_keys), try the same credential on
    vault.keys.next and, when its key opens the database, finish the rotation."""
    try:
        return _open(data_dir, found, keyfile, how)
    except DamagedDatabase:
        pending = pending_keyfile(data_dir, keyfile.vault_id)
        if pending is None:
            raise
        new = unwrap_pending(pending)
        if new is None:
            raise DamagedDatabase(INTERRUPTED_ROTATION) from None
        vault = _open(data_dir, new, pending, how)  # still DamagedDatabase if truly damaged
        promote_keyfile(data_dir, pending)
        vault.finished_rotation = True
        return vault


def _open(data_dir: Path, found: _Unwrapped, keyfile: KeyFile, how: str) -> OpenVault:
    db = open_database(data_dir / DB_NAME, found.opened.dek)
    remove_stale_temp_files(data_dir)
    make_private(data_dir)
    database_proxy.initialize(db)
    try:
        migrate(db, data_dir / (DB_NAME + ".pre-migration"))
    except Exception:
        db.close()
        raise
    ensure_backup(data_dir / KEYFILE_NAME)
    seed = found.opened.seed
    return OpenVault(
        data_dir=data_dir, db=db, dek=found.opened.dek, keyfile=keyfile, how=how,
        user_label=found.slot.label if found.slot.kind != RECOVERY else "", slot=found.slot,
        signer=signing.Signer(seed) if seed else None, _kek=found.kek if found.slot.legacy else b"",
    )


def create_vault(data_dir: Path, username: str, password: str, owner: str) -> tuple[OpenVault, str]:
    """A new empty vault with one user slot (for staff UUID `owner`) and the recovery slot.
    Returns the vault (its signer is the new account's) and the recovery key."""
    data_dir = Path(data_dir)
    check_location(data_dir)
    if vault_exists(data_dir):
        raise VaultExists(f"There is already a SchoolMH vault in {data_dir}.")
    data_dir.mkdir(parents=True, exist_ok=True)
    dek = secrets.token_bytes(crypto.KEY_BYTES)
    keyfile = KeyFile(vault_id=new_vault_id(), default_label="")
    db = open_database(data_dir / DB_NAME, dek, must_exist=False)
    database_proxy.initialize(db)
    migrate(db)
    vault = OpenVault(data_dir=data_dir, db=db, dek=dek, keyfile=keyfile, how="created")
    seed = signing.new_seed()
    vault.set_password(username, password, owner=owner, seed=seed)
    vault.set_default_user(username)
    recovery = vault.new_recovery_key()
    vault.user_label = user_label(keyfile.vault_id, username)
    vault.slot, vault.signer = vault.keyfile.user_slot(username), signing.Signer(seed)
    make_private(data_dir)
    return vault, recovery


def load_keyfile(data_dir: Path) -> KeyFile:
    data_dir = Path(data_dir)
    if not vault_exists(data_dir):
        raise VaultMissing(f"There is no SchoolMH vault in {data_dir}. Run set-up first.")
    check_location(data_dir)  # every way in (password, recovery key, this laptop) comes through here
    return KeyFile.load(data_dir / KEYFILE_NAME)


def unlock_with_password(data_dir: Path, username: str | None, password: str) -> OpenVault:
    """username None means the default account (the lead created at set-up)."""
    data_dir = Path(data_dir)
    check_location(data_dir)
    keyfile = load_keyfile(data_dir)
    attempts = AttemptLog.load(data_dir)
    attempts.check()
    slot = keyfile.user_slot(username) if username else keyfile.slot_by_label(USER, keyfile.default_label)
    opened = kek = None
    if slot is not None:
        if slot.kdf.below_floor() and not crypto.fast_kdf_for_tests():
            raise DamagedKeyFile("This account's key slot uses weaker settings than SchoolMH allows. Use the recovery key.")
        kek = crypto.derive_password_key(password, slot.kdf)
        opened = keyfile.open_slot(slot, kek)
    else:
        # Spend the same time as a real attempt so timing does not reveal which user names exist.
        crypto.derive_password_key(password, crypto.new_password_params())
    if opened is None:
        attempts.record_failure()
        raise WrongPassword("That user name and password do not match.")

    def unwrap_pending(pending: KeyFile) -> _Unwrapped | None:
        new_slot = pending.slot_by_label(USER, slot.label)
        if new_slot is None:
            return None
        new_kek = crypto.derive_password_key(password, new_slot.kdf)
        new = pending.open_slot(new_slot, new_kek)
        return _Unwrapped(new, new_slot, new_kek) if new else None

    vault = _open_or_finish_rotation(data_dir, _Unwrapped(opened, slot, kek), keyfile, "password", unwrap_pending)
    attempts.record_success()
    return vault


def unlock_with_recovery(data_dir: Path, recovery_key: str) -> OpenVault:
    data_dir = Path(data_dir)
    keyfile = load_keyfile(data_dir)
    attempts = AttemptLog.load(data_dir)
    attempts.check()
    canonical = crypto.parse_recovery_key(recovery_key)
    slot = keyfile.recovery_slot()
    if canonical is None:
        raise WrongRecoveryKey("That is not a valid recovery key: check each group of characters against the sheet.")
    opened = kek = None
    if slot is not None:
        kek = crypto.derive_hkdf_key(canonical.encode(), slot.kdf, b"schoolmh recovery")
        opened = keyfile.open_slot(slot, kek)
    if opened is None:
        attempts.record_failure()
        raise WrongRecoveryKey("That recovery key does not open this vault. It may have been replaced by a newer one.")

    def unwrap_pending(pending: KeyFile) -> _Unwrapped | None:
        new_slot = pending.recovery_slot()
        if new_slot is None:
            return None
        new_kek = crypto.derive_hkdf_key(canonical.encode(), new_slot.kdf, b"schoolmh recovery")
        new = pending.open_slot(new_slot, new_kek)
        return _Unwrapped(new, new_slot, new_kek) if new else None

    vault = _open_or_finish_rotation(data_dir, _Unwrapped(opened, slot, kek), keyfile, "recovery", unwrap_pending)
    attempts.record_success()
    return vault


def device_remembered(data_dir: Path, username: str) -> bool:
    try:
        keyfile = load_keyfile(data_dir)
    except Exception:
        return False
    return keyfile.slot_by_label(DEVICE, user_label(keyfile.vault_id, username)) is not None


def unlock_with_device(data_dir: Path, username: str) -> OpenVault | None:
    """None when this laptop does not remember the account (no keyring, entry gone or replaced)."""
    data_dir = Path(data_dir)
    keyfile = load_keyfile(data_dir)
    label = user_label(keyfile.vault_id, username)
    slot = keyfile.slot_by_label(DEVICE, label)
    if slot is None or slot.legacy:
        return None  # a format-1 device slot holds no signing key: the password upgrades the account
    try:
        from schoolmh.db.device_keyring import local_keyring

        secret_text = local_keyring().get_password(KEYRING_SERVICE, f"{keyfile.vault_id}:{label}")
    except Exception:
        return None
    if not secret_text:
        return None
    kek = crypto.derive_hkdf_key(crypto.b64d(secret_text), slot.kdf, b"schoolmh device")
    opened = keyfile.open_slot(slot, kek)
    if opened is None:
        return None
    try:
        return _open_or_finish_rotation(data_dir, _Unwrapped(opened, slot, kek), keyfile, "device", lambda pending: None)
    except DamagedDatabase:
        if pending_keyfile(data_dir, keyfile.vault_id) is not None:
            return None  # a rotation dropped device slots: the password finishes it
        raise


def default_data_dir() -> Path:
    env = os.environ.get("SCHOOLMH_DATA_DIR")
    if env:
        return Path(env)
    from schoolmh.db.location import remembered_data_dir

    chosen = remembered_data_dir()  # picked at set-up because the default folder was refused
    if chosen is not None:
        return chosen
    import platformdirs

    return Path(platformdirs.user_data_dir("SchoolMH", appauthor=False, roaming=False))
