"""Accounts' key slots travelling between laptops, so staff sign in anywhere with their usual password.

Every laptop of a team opens its vault with the same data key (it came in the enrolment
file), so a password slot made on one laptop (Argon2id of the password wrapping that key)
opens the vault on every other: the slot itself travels, never a password or a derived
key. A slot goes to an MHST-scope laptop only for accounts allowed there (the MHST
practitioner's role and the lead). Versions as for records: (hlc, laptop), newest wins.
A slot is installed only when its sender's data-key check matches ours, so a laptop whose
keys were rotated alone cannot push slots that would lock people out.

A slot binds its owner's public signing key (bound slots, issue 11). Such a slot is installed
only when that key is its owner's current key in this laptop's signed audit trail, which learns
about keys made elsewhere only from lead-signed rosters (roster.py); so a colleague holding the
data key cannot plant a slot for a made-up or someone else's account on other laptops. The
sending side holds a slot back until a roster here lists its key.
"""
from __future__ import annotations

from dataclasses import dataclass

from schoolmh.db import crypto
from schoolmh.db.connection import database_proxy as db
from schoolmh.db.keyfile import RECOVERY, USER, KeyFile, Slot, user_label
from schoolmh.db.models import Staff
from schoolmh.db.vault import OpenVault
from schoolmh.services.team import roster, state

MHST_ROLES = ("lead", "mhst")
RECOVERY_LABEL = "recovery"  # team_slot's label for the recovery slot (account slots' labels are salted hashes)


def dek_check(dek: bytes) -> str:
    return crypto.hmac_sha256(dek, b"schoolmh team data key check")[:32]


@dataclass(frozen=True)
class SlotEntry:
    change: dict
    to_mhst: bool


def _roles_by_label(vault_id: str) -> dict[str, str]:
    return {user_label(vault_id, s.username): s.role for s in Staff.select(Staff.username, Staff.role)}


def _travelling(keyfile: KeyFile) -> dict[str, Slot]:
    """The slots that travel, by their team_slot label: every account's, and the recovery slot (so a
    recovery key replaced on one laptop stops opening the others too)."""
    found = {s.label: s for s in keyfile.slots if s.kind == USER}
    recovery = keyfile.recovery_slot()
    if recovery is not None:
        found[RECOVERY_LABEL] = recovery
    return found


def _local(keyfile: KeyFile, label: str) -> Slot | None:
    return keyfile.recovery_slot() if label == RECOVERY_LABEL else keyfile.slot_by_label(USER, label)


def capture(vault: OpenVault, laptop_id: str) -> None:
    """Compare the key file with what was last sent; a new or removed slot becomes a change."""
    keyfile = KeyFile.load(vault.keyfile_path)
    current = _travelling(keyfile)
    known = {r[0]: (r[1], bool(r[2])) for r in db.execute_sql("SELECT label, slot_id, deleted FROM team_slot").fetchall()}
    for label, slot in current.items():
        if label not in known or known[label] != (slot.id, False):
            _upsert(label, slot.id, state.tick(), laptop_id, False, True)
    for label, (slot_id, deleted) in known.items():
        if label not in current and not deleted:
            _upsert(label, slot_id, state.tick(), laptop_id, True, True)


def _upsert(label: str, slot_id: str, stamp: int, laptop: str, deleted: bool, dirty: bool) -> None:
    db.execute_sql(
        "INSERT INTO team_slot (label, slot_id, hlc, laptop, deleted, dirty) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (label) DO UPDATE SET slot_id = excluded.slot_id, hlc = excluded.hlc, laptop = excluded.laptop, "
        "deleted = excluded.deleted, dirty = excluded.dirty",
        (label, slot_id, stamp, laptop, int(deleted), int(dirty)),
    )


def outgoing(vault: OpenVault) -> list[SlotEntry]:
    keyfile = KeyFile.load(vault.keyfile_path)
    roles = _roles_by_label(keyfile.vault_id)
    check = dek_check(vault.dek)
    out = []
    for label, slot_id, stamp, laptop, deleted, dirty in db.execute_sql(
        "SELECT label, slot_id, hlc, laptop, deleted, dirty FROM team_slot WHERE dirty >= 1"
    ).fetchall():
        slot = _local(keyfile, label)
        if not deleted and (slot is None or slot.id != slot_id):
            continue  # changed again since captured; the next capture sends it
        if not deleted and _orphaned(slot):
            continue
        if not deleted and not roster.may_send(vault, slot):
            # its key is in no roster here yet: held (dirty = 2, which mark_sent leaves) until one lists it
            db.execute_sql("UPDATE team_slot SET dirty = 2 WHERE label = ?", (label,))
            continue
        if dirty != 1:
            db.execute_sql("UPDATE team_slot SET dirty = 1 WHERE label = ?", (label,))  # sent now: mark_sent clears it
        change = {"s": label, "h": stamp, "l": laptop, "d": int(deleted), "dek": check,
                  "slot": None if deleted else slot.to_json()}
        out.append(SlotEntry(change, label == RECOVERY_LABEL or roles.get(label) in MHST_ROLES))
    return out


def _orphaned(slot: Slot | None) -> bool:
    """A slot bound to an account that was merged into another (duplicate user names): it opens nothing
    useful (sign-in looks for the account its slot names), so it never travels and always gives way."""
    return slot is not None and bool(slot.owner) and not Staff.select().where(Staff.uuid == slot.owner).exists()


def mark_sent() -> None:
    db.execute_sql("UPDATE team_slot SET dirty = 0 WHERE dirty = 1")


def apply(vault: OpenVault, change: dict, my_scope: str) -> bool:
    """Install (or remove) one account's slot; True when the key file changed."""
    if change.get("dek") != dek_check(vault.dek):
        return False
    label, version = str(change["s"]), (int(change["h"]), str(change["l"]))
    keyfile = KeyFile.load(vault.keyfile_path)
    incoming = None if change.get("d") else Slot.from_json(change["slot"])
    if _orphaned(incoming) or not roster.vouched(vault, incoming):
        return False  # a key no lead's roster gave its owner: never installed
    row = db.execute_sql("SELECT hlc, laptop FROM team_slot WHERE label = ?", (label,)).fetchone()
    local = _local(keyfile, label)
    if row is not None and (row[0], row[1]) >= version and not _orphaned(local) \
            and not roster.supersedes(vault, incoming, local):
        return False
    if label == RECOVERY_LABEL:
        if change.get("d") or incoming.kind != RECOVERY:
            return False  # a vault always keeps a recovery slot; only a newer one replaces it
        new, slot_id = keyfile.with_slot(incoming), incoming.id
    elif my_scope == "mhst" and _roles_by_label(keyfile.vault_id).get(label) not in MHST_ROLES:
        return False
    elif change.get("d"):
        if roster.in_use(vault, local):
            return False  # the slot of an account the trail holds active: only a disable (its roster first) removes it
        new, slot_id = keyfile.without(USER, label), ""
    else:
        if incoming.kind != USER or incoming.label != label:
            return False
        new, slot_id = keyfile.with_slot(incoming), incoming.id
    new.save(vault.keyfile_path)
    vault.keyfile = new
    _upsert(label, slot_id, version[0], version[1], bool(change.get("d")), False)
    return True
