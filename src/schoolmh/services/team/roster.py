"""Who vouches for accounts on a team: lead-signed rosters (docs/TEAM.md, "Who vouches for accounts").

Each laptop keeps its own signed audit trail, and `audit verify` wants every key bound in the
key file's slots to be its account's latest key registered there by a lead. Slots and staff
rows arrive from other laptops, so the trails must learn about keys and role changes made
elsewhere, and only from a lead. A **roster** carries that: the accounts this laptop's *signed
trail* vouches for (uuid, role, active, public key; no names), plus the recovery key, signed
with the Ed25519 key of the lead who sends it. It is computed from the trail's view
(`audit.signed_registry`), never from the staff table or the key file, which may hold a role or
a slot that arrived unvouched.

- A lead's exchange on a whole-school laptop sends a roster in the control stream when the
  trail's view differs from the latest roster sent or accepted here, and appends it to the
  trail as a `team.roster` row (detail = the signed text and its signature).
- A received roster is taken in (a `team.roster` row in the bundle's transaction, signed by
  whoever is signed in, like any row) when its signature holds, it is newer than the latest
  roster here, and its signer is a current lead with that key in this trail's view. Others
  are named on the Team page.
- A slot arriving with a signing key is installed only when that key is its owner's current
  key in this trail's view; a slot is sent only once a roster here lists its key, so it
  travels with or after the roster (control bundles are applied first).
- The enrolment file carries the latest roster; a joined laptop's trail begins with
  `team.join` and that roster.
The rules `audit verify` applies to `team.roster` rows are in audit.Registry.
"""
from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Callable

from schoolmh.db.keyfile import RECOVERY, Slot
from schoolmh.db.models import AuditEntry
from schoolmh.db.vault import OpenVault
from schoolmh.services import audit
from schoolmh.services.audit import Registry, Roster
from schoolmh.services.team import state

FORMAT = 1
ENTRY = "roster"  # control entry kind

# A roster not taken in, as the Team page says it (see audit.Registry.roster_problem).
REFUSALS = {
    audit.ROSTER_BAD_SIGNATURE: "refused: its signature does not match (it was forged or changed)",
    audit.ROSTER_OTHER_VAULT: "refused: it belongs to another school's vault",
    audit.ROSTER_OLDER: "ignored: it is older than a roster already accepted here",
    audit.ROSTER_NOT_LEAD: "refused: it is not signed by a lead this laptop knows, with that lead's key",
}
UNCHECKABLE = "could not be checked: this laptop's audit trail does not verify (run audit verify)"
UNSENT = ("none sent: this laptop's audit trail does not verify, so it vouches for no one "
          "(run audit verify, and settle what it names)")
_UNSENT_KEY = "roster-unsent"  # the Team page's problem row for it
ACCOUNT_CHANGED = ("Your account was changed on another laptop (a new password, a new role, or disabled): sign out "
                   "now, and sign in again (with the password the lead gave you if it was reset).")

_cache: dict[tuple, Registry | None] = {}
# Per open database: where the last walk that verified stopped, so the next carries on from there.
_points: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def view(vault: OpenVault) -> Registry | None:
    """What this laptop's signed trail says about accounts now; None when the trail does not verify
    (then nothing is vouched for: no roster is sent, no signed slot installed)."""
    # Inside a transaction its own rows are not signed yet: take them as its signer will sign them.
    pending = vault.signer.public if vault.signer is not None and vault.db.in_transaction() else None
    key = (id(vault.db), vault.keyfile.vault_id, audit.head(), pending)
    if key not in _cache:
        result, reg, point = audit.walk_registry(vault.keyfile.vault_id, vault.keyfile.signs_audit, pending=pending,
                                                 fast=True, resume=_points.get(vault.db))
        if point is not None:
            _points[vault.db] = point
        # A trail cut short or put back from an older copy would vouch for an older team: the anchor.
        rolled_back = audit.rollback_problem(vault.anchor_key)
        _cache.clear()  # one entry: the head moves with every transaction
        _cache[key] = reg if result.ok and not rolled_back else None
    return _cache[key]


def _canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _entries(reg: Registry, since: tuple[int, str] = (0, "")) -> list[audit.RosterEntry]:
    """The trail's view of every account; an entry as the trail's newest roster entry for it keeps that
    entry's `since`, a changed one gets `since` (the roster about to be sent)."""
    out = []
    for u in sorted(set(reg.roles) | set(reg.current)):  # the recovery key too: its slot travels like the others
        entry = audit.RosterEntry(u, reg.roles.get(u, ""), u not in reg.disabled, reg.current.get(u, ""), since)
        held = reg.roster_view.get(u)
        out.append(entry if held is None or held.content != entry.content else held)
    return out


def _changed(reg: Registry) -> bool:
    """The view differs from the latest roster sent or accepted here (clocks aside)."""
    return not reg.roster_hlc or any(reg.roster_latest.get(e.uuid) != e.content for e in _entries(reg))


def _make(reg: Registry, me: state.TeamState, vault_id: str, stamp: int, signer_uuid: str, signer) -> Roster:
    data = {
        "v": FORMAT, "team": me.team_id, "vault_id": vault_id, "hlc": stamp, "laptop": me.laptop_id,
        "signer": signer_uuid, "signer_pub": signer.public,
        "accounts": [{"uuid": e.uuid, "role": e.role, "active": e.active, "key": e.key, "since": list(e.since)}
                     for e in _entries(reg, (stamp, me.laptop_id))],
        "recovery_key": reg.current.get(audit.RECOVERY, ""),
    }
    canonical = _canonical(data)
    roster = audit.parse_roster(canonical, signer.sign(audit.ROSTER_PREFIX + canonical.encode("utf-8")))
    assert roster is not None
    return roster


def _entry(roster: Roster) -> dict:
    return {"k": ENTRY, "roster": roster.canonical, "sig": roster.signature, "h": roster.hlc}


# -- sending ---------------------------------------------------------------------------------------
def send(session, me: state.TeamState, write_stream: Callable) -> bool:
    """A lead's exchange on a whole-school laptop: sign and send the trail's view when it changed.

    Inside the write transaction, before slots are collected (they wait for the roster that
    vouches for their key). `write_stream(me, stream, entries, stamp)` writes the control bundle."""
    signer = session.signer
    if me.scope != "school" or session.actor.role != "lead" or signer is None:
        return False
    reg = view(session.vault)
    if reg is None:
        from schoolmh.services.team.exchange import now_text  # exchange imports this module

        state.record_problem(_UNSENT_KEY, "This laptop's roster of accounts", UNSENT, now_text())
        return False
    state.clear_problem(_UNSENT_KEY)
    if not reg.is_lead(session.actor.uuid, signer.public):
        return False
    if not _changed(reg):
        return False
    state.receive(reg.roster_hlc)  # strictly newer than every roster this trail holds
    stamp = state.tick()
    roster = _make(reg, me, session.vault.keyfile.vault_id, stamp, session.actor.uuid, signer)
    audit.append(session.actor.uuid, audit.ROSTER, "roster", session.actor.uuid, roster.detail)
    write_stream(me, "control", [_entry(roster)], stamp)
    return True


# -- receiving -------------------------------------------------------------------------------------
def receive(session, sender: state.Laptop, entry: dict) -> str | None:
    """Take in a roster from a control bundle (inside its transaction); a note for the Team page, or None."""
    roster = audit.parse_roster(str(entry.get("roster", "")), str(entry.get("sig", "")))
    reg = view(session.vault)
    if roster is not None and reg is not None and roster.detail == _latest_detail(reg):
        return None  # the roster this trail already holds (a joined laptop's enrolment roster, sent again)
    if roster is None:
        problem = REFUSALS[audit.ROSTER_BAD_SIGNATURE]
    elif reg is None:
        problem = UNCHECKABLE
    else:
        code = reg.roster_problem(roster, session.vault.keyfile.vault_id)
        problem = REFUSALS[code] if code else None
    if problem is not None:
        what = f"Roster from {sender.name}"
        digest = hashlib.sha256(f"{entry.get('roster')}\n{entry.get('sig')}".encode()).hexdigest()
        from schoolmh.services.team.exchange import now_text  # exchange imports this module

        state.record_problem(digest, what, problem, now_text())
        return f"{what} {problem}"
    actor = session.actor.uuid
    mine, held = next((a for a in roster.accounts if a.uuid == actor), None), reg.roster_view.get(actor)
    changed_me = (mine is not None and (held is None or mine.since > held.since)
                  and mine.content != (reg.roles.get(actor, ""), actor not in reg.disabled, reg.current.get(actor, "")))
    audit.append(actor, audit.ROSTER, "roster", roster.signer, roster.detail)
    return ACCOUNT_CHANGED if changed_me else None


# -- joining -----------------------------------------------------------------------------------------
def _latest_detail(reg: Registry) -> str | None:
    row = AuditEntry.get_or_none(AuditEntry.seq == reg.roster_seq) if reg.roster_seq else None
    return row.detail if row is not None else None


def for_enrolment(session) -> dict | None:
    """The latest roster in this trail (sent or accepted), for a new laptop's enrolment file."""
    reg = view(session.vault)
    roster = audit.roster_from_detail(_latest_detail(reg) or "") if reg is not None else None
    return {"roster": roster.canonical, "sig": roster.signature} if roster is not None else None


def from_enrolment(payload: dict, vault_id: str) -> Roster | None:
    """The enrolment file's roster when it is whole and consistent in itself (signed by a lead it lists)."""
    data = payload.get("roster") or {}
    roster = audit.parse_roster(str(data.get("roster", "")), str(data.get("sig", "")))
    if roster is None or Registry().roster_problem(roster, vault_id, enrolment=True):
        return None
    return roster


def begin_trail(actor: str, laptop_id: str, role: str, scope: str, roster: Roster) -> None:
    """A joined laptop's first rows (signed by the joiner, whose first key the roster lists)."""
    audit.append(actor, audit.TEAM_JOIN, "laptop", laptop_id, f"role={role},scope={scope}")
    audit.append(actor, audit.ROSTER, "roster", roster.signer, roster.detail)
    state.receive(roster.hlc)


# -- slots -------------------------------------------------------------------------------------------
def _owner(slot: Slot) -> str:
    """Whose key the slot binds: its account's, or the recovery key's own (the recovery slot has no owner)."""
    return audit.RECOVERY if slot.kind == RECOVERY else slot.owner


def _signed(slot: Slot | None) -> bool:
    return slot is not None and not slot.legacy and bool(_owner(slot)) and bool(slot.sign_pub)


def may_send(vault: OpenVault, slot: Slot) -> bool:
    """A slot travels once a roster here lists its key (legacy slots, with no key, as before)."""
    if not _signed(slot):
        return True
    reg = view(vault)
    listed = reg.roster_view.get(_owner(slot)) if reg is not None else None
    return listed is not None and listed.key == slot.sign_pub and listed.active


def vouched(vault: OpenVault, slot: Slot | None) -> bool:
    """An arriving slot's key is its owner's current key in this trail's view (legacy slots: as before).

    A recovery slot is never taken unvouched, legacy or not: whoever holds a recovery key can set
    any account's password, so one planted by a colleague holding the data key would be a way in."""
    if slot is not None and slot.kind == RECOVERY and not _signed(slot):
        return False
    if slot is None or not _signed(slot):
        return True
    reg = view(vault)
    owner = _owner(slot)
    return reg is not None and reg.current.get(owner) == slot.sign_pub and owner not in reg.disabled


def supersedes(vault: OpenVault, incoming: Slot | None, local: Slot | None) -> bool:
    """The arriving slot holds the vouched key and ours does not (two laptops changed it at once, and
    the roster chose the other): it replaces ours even if its version is older."""
    return _signed(incoming) and _signed(local) and vouched(vault, incoming) and not vouched(vault, local)


def in_use(vault: OpenVault, local: Slot | None) -> bool:
    """Our slot holds its owner's vouched key and the owner is active: a removal arriving for it is not
    a disable this laptop has heard of (a disable's roster travels first), so it is not taken."""
    return _signed(local) and vouched(vault, local)

