"""The key file beside the database: the data key wrapped once per key slot.

It holds nothing readable about staff or pupils. A user slot is found by a
salted hash of the user name, so the file does not list who has accounts.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from schoolmh.db import crypto
from schoolmh.errors import DamagedKeyFile, KeyFileMissing
from schoolmh.fsutil import atomic_write_bytes

FORMAT = 1
KEYFILE_NAME = "vault.keys"

USER, RECOVERY, DEVICE = "user", "recovery", "device"
NONCE_BYTES = 12  # AES-GCM nonce
WRAPPED_BYTES = crypto.KEY_BYTES + 16  # the data key and the GCM tag


def user_label(vault_id: str, username: str) -> str:
    return hashlib.sha256(f"{vault_id}:{username.strip().casefold()}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Slot:
    id: str
    kind: str
    kdf: crypto.KdfParams
    nonce: str
    wrapped: str
    label: str = ""  # user slots: user_label(); device slots: the user label it signs in

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "kdf": self.kdf.to_json(),
            "nonce": self.nonce,
            "wrapped": self.wrapped,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Slot":
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
        )
        if slot.kind not in (USER, RECOVERY, DEVICE):
            raise ValueError("slot kind")
        if len(crypto.b64d(slot.nonce)) != NONCE_BYTES or len(crypto.b64d(slot.wrapped)) != WRAPPED_BYTES:
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
            if data.get("format") != FORMAT:
                raise ValueError("format")
            return cls(
                vault_id=str(data["vault_id"]),
                slots=tuple(Slot.from_json(s) for s in data["slots"]),
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
        atomic_write_bytes(path, self.to_bytes(), keep_backup=True)

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

    def _ad(self, slot_id: str, kind: str, kdf: crypto.KdfParams) -> bytes:
        return crypto.associated_data(FORMAT, self.vault_id, slot_id, kind, kdf)

    def make_slot(self, kind: str, kek: bytes, kdf: crypto.KdfParams, dek: bytes, label: str = "") -> Slot:
        slot_id = uuid.uuid4().hex
        nonce, wrapped = crypto.wrap(kek, dek, self._ad(slot_id, kind, kdf))
        return Slot(id=slot_id, kind=kind, kdf=kdf, nonce=nonce, wrapped=wrapped, label=label)

    def open_slot(self, slot: Slot, kek: bytes) -> bytes | None:
        return crypto.unwrap(kek, slot.nonce, slot.wrapped, self._ad(slot.id, slot.kind, slot.kdf))


def new_vault_id() -> str:
    return uuid.uuid4().hex
