"""Removing a laptop (lost, stolen, a leaver's): its later bundles are refused and the keys move on.

The control bundle names the laptop and, per stream, the last bundle accepted from it (what
this laptop has applied: anything it wrote later is refused everywhere). It carries new
scope keys sealed for each remaining laptop's own X25519 key, so the removed laptop, which
can still read the folder, cannot read anything written after this. Bundles already in the
folder stay readable with the old keys it held: removal protects what comes next.
"""
from __future__ import annotations

from schoolmh.services import audit
from schoolmh.services.permissions import Action
from schoolmh.services.session import Session
from schoolmh.services.team import bundle, control, keys, state, exchange
from schoolmh.services.team.exchange import TeamError


def remove_laptop(session: Session, name: str) -> None:
    session.require(Action.SETTINGS_MANAGE)
    me = exchange.require_team(session)
    if me.scope != "school":
        raise TeamError("Only a whole-school laptop can remove laptops.")
    laptops = state.laptops()
    matches = [l for l in laptops.values() if l.name.casefold() == " ".join(name.split()).casefold() and not l.removed]
    if not matches:
        known = ", ".join(sorted(l.name for l in laptops.values() if not l.removed)) or "none"
        raise TeamError(f"There is no laptop called {name!r} in the team (laptops: {known}).")
    target = matches[0]
    if target.laptop_id == me.laptop_id:
        raise TeamError("A laptop cannot remove itself: remove it from another whole-school laptop.")
    try:
        exchange.read(session)  # take everything it wrote before now
    except Exception:
        pass  # a damaged or unreachable folder does not stop a removal; the cut-off is what this laptop has
    cutoff = {stream: state.chain(target.laptop_id, stream)[0] for stream in bundle.STREAMS}
    with session.transaction():
        stamp = state.tick()
        new_keys = {scope: keys.new_scope_key() for scope in keys.SCOPES}
        for scope, (key_id, key) in new_keys.items():
            state.add_key(scope, key_id, key, stamp, me.laptop_id)
        state.remove_laptop(target.laptop_id, cutoff)
        remaining = [l for l in state.laptops().values() if not l.removed]
        entries = [control.remove_entry(target.laptop_id, cutoff, stamp), control.keys_entry(new_keys, remaining, stamp)]
        exchange.write_stream(me, "control", entries, stamp)
        audit.append(session.actor.uuid, "team.remove_laptop", "laptop", target.laptop_id,
                     ",".join(f"{s}={n}" for s, n in cutoff.items()))
    exchange.deliver(session)
