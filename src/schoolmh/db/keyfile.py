"""The key file beside the database: the data key wrapped once per key slot.

It holds nothing readable about staff or pupils. A user slot is found by a
salted hash of the user name, so the file does not list who has accounts.

Slot format 2 (issue 11): the wrap's associated data binds everything that says
whose slot it is (kind, label, the owner's staff UUID, the owner's public signing
key) besides the format, vault, slot id and KDF parameters, so editing or swapping
any of them makes the slot not open. The wrapped payload is the data key followed
by the owner's Ed25519 signing seed (see signing.py). Format-1 slots (data key
only, label unbound) still open; the unlock that opens one re-wraps it as format 2
(see OpenVault.upgrade_slot).
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from schoolmh.db import crypto, signing
from schoolmh.errors import DamagedKeyFile, KeyFileMissing
from schoolmh.fsutil import atomic_write_bytes

FORMAT = 2
LEGACY_FORMAT = 1  # data key only, label not bound: opened once, then re-wrapped
KEYFILE_NAME = "vault.keys"

USER, RECOVERY, DEVICE = "user", "recovery", "device"
NONCE_BYTES = 12  # AES-GCM nonce
TAG_BYTES = 16
WRAPPED_BYTES = {  # the payload and the GCM tag
    LEGACY_FORMAT: crypto.KEY_BYTES + TAG_BYTES,
    FORMAT: crypto.KEY_BYTES + signing.SEED_BYTES + TAG_BYTES,
}


def user_label(vault_id: str, username: str) -> str:
    return hashlib.sha256(f"{vault_id}:{username.strip().casefold()}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Opened:
    """What a slot's wrap holds: the data key and (format 2) the owner's signing seed."""

    dek: bytes = field(repr=False)
    seed: bytes | None = field(repr=False, default=None)


@dataclass(frozen=True)
class Slot:
    id: str
    kind: str
    kdf: crypto.KdfParams
    nonce: str
    wrapped: str
    label: str = ""  # user slots: user_label(); device slots: the user label it signs in
    owner: str = ""  # the staff UUID (user and device slots); "" for the recovery slot
    sign_pub: str = ""  # the owner's (or the recovery key's) Ed25519 public key
    version: int = FORMAT

    @property
    def legacy(self) -> bool:
        return self.version == LEGACY_FORMAT

    def to_json(self) -> dict:
        data = {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "kdf": self.kdf.to_json(),
            "nonce": self.nonce,
            "wrapped": self.wrapped,
            "v": self.version,
        }
        if not self.legacy:
            data.update(owner=self.owner, sign_pub=self.sign_pub)
        return data

    @classmethod
    def from_json(cls, data: dict, file_format: int = FORMAT) -> "Slot":
        """Raises for a slot that cannot be real (bad base64, wrong sizes, unknown kind): a damaged key file.

        A well-formed slot whose bytes were changed still parses; its GCM tag then fails at unlock.
        """
        slot = cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            label=str(data.get("label", "")),
            kdf=crypto.KdfParams.from_json(data["kdf"]),
            nonce=str(data["nonce"]),
            wrapped=str(data["wrapped"]),
            owner=str(data.get("owner", "")),
            sign_pub=str(data.get("sign_pub", "")),
            version=int(data.get("v", file_format)),
        )
        if slot.kind not in (USER, RECOVERY, DEVICE):
            raise ValueError("slot kind")
        if slot.version not in WRAPPED_BYTES or slot.version > file_format:
            raise ValueError("slot format")
        if len(crypto.b64d(slot.nonce)) != NONCE_BYTES or len(crypto.b64d(slot.wrapped)) != WRAPPED_BYTES[slot.version]:
            raise ValueError("slot sizes")
        return slot


@dataclass(frozen=True)
class KeyFile:
    vault_id: str
    slots: tuple[Slot, ...] = ()
    default_label: str = ""  # the lead created by init: the account headless commands use by default

    # -- reading ------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> "KeyFile":
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise KeyFileMissing(
                f"The vault's key file ({KEYFILE_NAME}) is missing from {Path(path).parent}. Copy {KEYFILE_NAME}.bak "
                f"beside it to {KEYFILE_NAME}, or restore from a backup; the records themselves are untouched."
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
            file_format = data.get("format")
            if file_format not in (LEGACY_FORMAT, FORMAT):
                raise ValueError("format")
            return cls(
                vault_id=str(data["vault_id"]),
                slots=tuple(Slot.from_json(s, file_format) for s in data["slots"]),
                default_label=str(data.get("default_label", "")),
            )
        except Exception:
            raise DamagedKeyFile(
                "The vault's key file is damaged. Restore it from a backup, or use vault.keys.bak "
                "beside it; the records themselves are untouched."
            ) from None

    def to_bytes(self) -> bytes:
        data = {
            "format": FORMAT,
            "vault_id": self.vault_id,
            "default_label": self.default_label,
            "slots": [s.to_json() for s in self.slots],
        }
        return json.dumps(data, indent=1, sort_keys=True).encode("utf-8")

    def save(self, path: Path) -> None:
        """Atomically; vault.keys.bak then gets the same new content (see save_keyfile_bytes)."""
        save_keyfile_bytes(Path(path), self.to_bytes())

    # -- slots --------------------------------------------------------------
    def user_slot(self, username: str) -> Slot | None:
        label = user_label(self.vault_id, username)
        return next((s for s in self.slots if s.kind == USER and s.label == label), None)

    def slot_by_label(self, kind: str, label: str) -> Slot | None:
        return next((s for s in self.slots if s.kind == kind and s.label == label), None)

    def recovery_slot(self) -> Slot | None:
        return next((s for s in self.slots if s.kind == RECOVERY), None)

    def without(self, kind: str, label: str = "") -> "KeyFile":
        kept = tuple(s for s in self.slots if not (s.kind == kind and (kind == RECOVERY or s.label == label)))
        return replace(self, slots=kept)

    def with_slot(self, slot: Slot) -> "KeyFile":
        return replace(self.without(slot.kind, slot.label), slots=self.without(slot.kind, slot.label).slots + (slot,))

    def user_slots(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.kind == USER)

    def public_keys(self) -> dict[str, str]:
        """Owner staff UUID → public signing key, from the format-2 user slots (each bound to its slot)."""
        return {s.owner: s.sign_pub for s in self.slots if s.kind == USER and not s.legacy}

    def recovery_public_key(self) -> str | None:
        slot = self.recovery_slot()
        return slot.sign_pub if slot is not None and not slot.legacy else None

    @property
    def signs_audit(self) -> bool:
        """True once any slot is format 2: from then on the audit trail must be signed."""
        return any(not s.legacy for s in self.slots)

    def _ad(self, slot: Slot) -> bytes:
        if slot.legacy:
            return crypto.associated_data(LEGACY_FORMAT, self.vault_id, slot.id, slot.kind, slot.kdf)
        return slot_associated_data(self.vault_id, slot)

    def make_slot(
        self, kind: str, kek: bytes, kdf: crypto.KdfParams, dek: bytes, seed: bytes,
        label: str = "", owner: str = "",
    ) -> Slot:
        """A format-2 slot wrapping the data key and `seed` (the owner's signing key) for `owner`."""
        slot = Slot(id=uuid.uuid4().hex, kind=kind, kdf=kdf, nonce="", wrapped="", label=label, owner=owner,
                    sign_pub=signing.public_key(seed))
        nonce, wrapped = crypto.wrap(kek, dek + seed, self._ad(slot))
        return replace(slot, nonce=nonce, wrapped=wrapped)

    def open_slot(self, slot: Slot, kek: bytes) -> Opened | None:
        """None when the tag fails: a wrong secret, or any bound field of the slot edited or swapped."""
        payload = crypto.unwrap(kek, slot.nonce, slot.wrapped, self._ad(slot))
        if payload is None:
            return None
        if slot.legacy:
            return Opened(payload)
        dek, seed = payload[: crypto.KEY_BYTES], payload[crypto.KEY_BYTES :]
        if signing.public_key(seed) != slot.sign_pub:
            return None  # cannot happen without the key: the public key is bound too
        return Opened(dek, seed)


def slot_associated_data(vault_id: str, slot: Slot) -> bytes:
    """Format 2: everything that identifies the slot, so none of it can be edited or swapped."""
    return json.dumps(
        {
            "format": FORMAT, "vault": vault_id, "slot": slot.id, "kind": slot.kind, "label": slot.label,
            "owner": slot.owner, "sign_pub": slot.sign_pub, "kdf": slot.kdf.to_json(),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def save_keyfile_bytes(path: Path, data: bytes) -> None:
    """Write the key file so that no copy of a removed or replaced slot survives (issue 11).

    The previous version is not kept: .bak is removed first, the new content is written
    atomically (temp, fsync, rename, fsync folder) and only then copied to .bak. A crash at
    any point leaves vault.keys whole (old or new) and .bak either absent or equal to the new
    file; opening the vault rewrites a missing or different .bak (see ensure_backup).
    """
    backup = path.with_name(path.name + ".bak")
    backup.unlink(missing_ok=True)
    atomic_write_bytes(path, data)
    atomic_write_bytes(backup, data)


def ensure_backup(path: Path) -> None:
    """After a successful unlock: make .bak an exact copy of vault.keys (nothing older survives)."""
    backup = path.with_name(path.name + ".bak")
    try:
        data = path.read_bytes()
        if not backup.exists() or backup.read_bytes() != data:
            atomic_write_bytes(backup, data)
    except OSError:
        pass  # a read-only folder must not stop anyone signing in


def new_vault_id() -> str:
    return uuid.uuid4().hex
