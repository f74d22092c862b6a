"""Control entries: who is in the team and which keys are current. Signed, not secret.

A control bundle carries laptops added (name, scope, public keys), laptops removed (with
the last bundle number accepted from each of their streams) and new scope keys sealed for
each laptop that may hold them, and lead-signed rosters of the team's accounts (roster.py:
uuids, roles and public keys). Laptop names and public keys are not pupil data, and a
sealed key opens only with its recipient's private key, so control bundles are not
encrypted. Only a whole-school laptop may add or remove laptops or send rosters.
"""
from __future__ import annotations

from schoolmh.services.team import keys, roster, state
from schoolmh.services.team.state import TeamState


def add_entry(laptop_id: str, name: str, scope: str, sign_pub: str, box_pub: str, stamp: int) -> dict:
    return {"k": "add", "laptop": laptop_id, "name": name, "scope": scope, "sign_pub": sign_pub,
            "box_pub": box_pub, "h": stamp}


def remove_entry(laptop_id: str, cutoff: dict, stamp: int) -> dict:
    return {"k": "remove", "laptop": laptop_id, "cutoff": cutoff, "h": stamp}


def keys_entry(new_keys: dict[str, tuple[str, str]], recipients: list[state.Laptop], stamp: int) -> dict:
    """Seal each scope's new key for every laptop allowed it (the MHST key for all, the school key for school laptops)."""
    wraps = []
    for scope, (key_id, key) in new_keys.items():
        for laptop in recipients:
            if scope == "school" and laptop.scope != "school":
                continue
            wraps.append(keys.seal(laptop.box_pub, laptop.laptop_id, scope, key_id, key))
    return {"k": "keys", "key_ids": {s: k[0] for s, k in new_keys.items()}, "wraps": wraps, "h": stamp}


def apply(st: TeamState, sender: state.Laptop, entries: list[dict], session) -> list[str]:
    """Apply a control bundle's entries (in its transaction, under `session`); returns notes for the Team page."""
    notes: list[str] = []
    if sender.scope != "school":
        return [f"{sender.name} (MHST scope) may not change the team; its control entries were ignored"]
    for entry in entries:
        state.receive(int(entry.get("h", 0)))
        kind = entry.get("k")
        if kind == "add":
            state.add_laptop(entry["laptop"], entry["name"], entry["scope"], entry["sign_pub"], entry["box_pub"], entry["h"])
        elif kind == "remove":
            state.remove_laptop(entry["laptop"], {str(k): int(v) for k, v in entry["cutoff"].items()})
            if entry["laptop"] == st.laptop_id:
                state.mark_removed()
                notes.append("this laptop was removed from the team")
        elif kind == "keys":
            for wrap in entry["wraps"]:
                if wrap.get("to") != st.laptop_id:
                    continue
                key = keys.unseal(st.box_key, wrap)
                if key is not None:
                    state.add_key(wrap["scope"], wrap["key_id"], key, int(entry["h"]), sender.laptop_id)
        elif kind == roster.ENTRY:
            note = roster.receive(session, sender, entry)
            if note:
                notes.append(note)
    return notes
