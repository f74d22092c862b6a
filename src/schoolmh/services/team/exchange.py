"""One exchange with the team folder: apply what others wrote, write what this laptop changed, publish it.

Every received bundle is checked before anything is applied (team, laptop, signature,
removal cut-off, chain, key), then applied in one transaction with its chain position
and content hash, so a crash leaves it either wholly applied or not at all and a copy of
it is never applied twice. A refused bundle is listed on the Team page with its own
message and the others carry on. Writing happens inside the transaction that clears the
dirty marks, into the local outbox (outbox.py: never waits for the team folder); publishing
copies committed bundles from there into the team folder, with no key and no database.

The steps are separate so the window can run them off its GUI thread (background.py):
prefetch (files), read and write_outbox (database, on the worker's own connection), publish
(files). `sync` runs them in turn, for the CLI.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from schoolmh.db.connection import database_proxy
from schoolmh.errors import SchoolMHError
from schoolmh.services import audit
from schoolmh.services.session import Session
from schoolmh.services.team import bundle, changes, control, folder, keys, merge, outbox, roster, slots, state
from schoolmh.services.team.bundle import BundleUnreadable, Parsed

FINAL = ("applied", "own", "ignored", "refused")


class TeamError(SchoolMHError):
    """A team operation that cannot go ahead; the message is for the person at the keyboard."""


@dataclass
class SyncReport:
    applied: int = 0  # bundles
    written: int = 0
    changes_in: int = 0
    changes_out: int = 0
    conflicts: int = 0
    waiting: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    published: int = 0


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def require_team(session: Session) -> state.TeamState:
    st = state.load()
    if st is None:
        raise TeamError("This laptop is not in a team: run 'schoolmh team init --folder DIR' or join one.")
    return st


def streams_to_read(me: state.TeamState, sender: state.Laptop, stream: str) -> bool:
    if stream == "control":
        return True
    if me.scope == "mhst":
        return stream == "mhst"
    return stream == sender.scope  # school laptops' whole-school stream; MHST laptops' own stream


def _name(laptops: dict, laptop_id: str) -> str:
    return laptops[laptop_id].name if laptop_id in laptops else f"laptop {laptop_id[:8]}"


def check(me: state.TeamState, p: Parsed, laptops: dict[str, state.Laptop], seen: dict[str, str]) -> state.Laptop:
    """Everything that can be known before decrypting; raises BundleUnreadable with the reason."""
    if p.header.get("team") != me.team_id:
        raise BundleUnreadable("belongs to another school's team (a foreign vault): refused")
    sender = laptops.get(p.laptop)
    if sender is None:
        raise BundleUnreadable("comes from a laptop this one has not been told about (yet)", permanent=False)
    if not bundle.signature_ok(p, sender.sign_pub):
        raise BundleUnreadable(f"has a signature that does not match {sender.name}: it was changed after it was written, "
                               "or was not written by that laptop")
    if sender.removed and p.seq > int(sender.cutoff.get(p.stream, 0)):
        raise BundleUnreadable(f"was written by {sender.name} after it was removed from the team: refused")
    last_seq, last_hash = state.chain(p.laptop, p.stream)
    if p.seq <= last_seq:
        if seen.get(p.digest) == "applied":
            raise BundleUnreadable(f"is a copy of bundle {p.seq} from {sender.name}, already applied (replayed): ignored")
        raise BundleUnreadable(f"claims to be bundle {p.seq} from {sender.name}, which was already applied with "
                               "different content (replayed or rewritten): refused")
    if p.seq > last_seq + 1:
        raise BundleUnreadable(f"is bundle {p.seq} from {sender.name}, which must wait for bundle {last_seq + 1} "
                               "(delivered out of order)", permanent=False)
    if p.header.get("prev") != last_hash:
        raise BundleUnreadable(f"does not follow bundle {last_seq} from {sender.name}: the chain is broken "
                               "(reordered or rewritten): refused")
    if p.stream != "control" and state.key(p.stream, str(p.header.get("key_id"))) is None:
        raise BundleUnreadable(f"from {sender.name} is encrypted under a key this laptop does not hold "
                               "(yet, or any more)", permanent=False)
    return sender


# -- reading ---------------------------------------------------------------------------------------
@dataclass
class Fetched:
    """What reading the team folder found, before anything touches the vault (see prefetch)."""

    found: list[tuple[str, Parsed]] = field(default_factory=list)
    new_index: list[tuple[str, int, int, str]] = field(default_factory=list)
    problems: list[tuple[str, str, str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class FolderView:
    """The little the file work (prefetch, publish) needs from the vault, read beforehand."""

    folder: Path
    laptop_id: str
    index: dict
    seen: dict
    outbox: Path


def folder_view(session: Session) -> FolderView:
    me = require_team(session)
    return FolderView(Path(me.folder), me.laptop_id, state.file_index(), state.seen_states(),
                      outbox.path_for(session.vault.data_dir))


def prefetch(view: FolderView) -> Fetched:
    """The slow, file-system part of reading (listing, reading, hashing, parsing): no database,
    so the window runs it on a worker thread. Raises folder.FolderUnreachable."""
    out = Fetched()
    own_prefix = view.laptop_id + "/"
    for c in folder.scan(view.folder):
        known = view.index.get(c.name)
        if known and known[:2] == (c.size, c.mtime_ns) and view.seen.get(known[2]) in FINAL:
            continue
        if c.name.startswith(own_prefix) and known and known[:2] == (c.size, c.mtime_ns):
            continue
        try:
            data = c.path.read_bytes()
        except OSError:
            continue  # being written or locked by a sync tool: next time
        digest = bundle.digest_of(data)
        out.new_index.append((c.name, c.size, c.mtime_ns, digest))
        if view.seen.get(digest) in FINAL:
            continue  # a copy (sync-tool conflict copy, second delivery) of a bundle already handled
        try:
            out.found.append((c.name, bundle.parse(data)))
        except BundleUnreadable as exc:
            out.problems.append((digest, c.name, str(exc), exc.permanent))
    return out


def _load_candidates(session: Session, report: SyncReport, fetched: Fetched | None) -> list[tuple[str, Parsed]]:
    fetched = fetched if fetched is not None else prefetch(folder_view(session))
    with session.transaction():
        for entry in fetched.new_index:
            state.index_file(*entry)
        for digest, name, message, permanent in fetched.problems:
            _note_problem(report, digest, name, message, permanent)
    return fetched.found


def _note_problem(report: SyncReport, digest: str, name: str, message: str, permanent: bool) -> None:
    text = f"{name} {message}"
    state.record_problem(digest, name, message, now_text())
    if permanent:
        state.mark_seen(digest, "", "", 0, "refused")
        report.refused.append(text)
    else:
        report.waiting.append(text)


def read(session: Session, report: SyncReport | None = None, fetched: Fetched | None = None,
         stop: threading.Event | None = None) -> SyncReport:
    """Apply what the folder holds; `fetched` is prefetch()'s result when the file work was done elsewhere.

    `stop` is looked at before each bundle: once set, the rest waits for the next exchange."""
    report = report or SyncReport()
    me = require_team(session)
    if me.removed:
        raise TeamError("This laptop was removed from the team: it no longer exchanges changes.")
    candidates = _load_candidates(session, report, fetched)
    pending: dict[str, tuple[str, Parsed]] = {}
    for name, p in candidates:
        pending.setdefault(p.digest, (name, p))
    progress = True
    while progress and pending:
        if stop is not None and stop.is_set():
            return report  # locking: what is left is read again next time
        progress = False
        me = state.load()
        laptops, seen = state.laptops(), state.seen_states()
        order = sorted(pending.values(), key=lambda item: (item[1].stream != "control", item[1].laptop, item[1].stream, item[1].seq))
        for name, p in order:
            if p.laptop == me.laptop_id:
                with session.transaction():
                    _adopt_own(me, p)
                    state.mark_seen(p.digest, p.laptop, p.stream, p.seq, "own")
                pending.pop(p.digest)
                continue
            sender = laptops.get(p.laptop)
            if sender is not None and not streams_to_read(me, sender, p.stream):
                with session.transaction():
                    state.mark_seen(p.digest, p.laptop, p.stream, p.seq, "ignored")
                pending.pop(p.digest)
                continue
            try:
                sender = check(me, p, laptops, seen)
                body = bundle.open_body(p, state.key(p.stream, str(p.header.get("key_id"))) if p.stream != "control" else None)
            except BundleUnreadable as exc:
                continue_later = not exc.permanent
                if continue_later:
                    continue
                with session.transaction():
                    _note_problem(report, p.digest, name, str(exc), True)
                pending.pop(p.digest)
                continue
            _apply(session, me, sender, p, body, report)
            pending.pop(p.digest)
            progress = True
            break  # laptops, keys and chains may have changed: look again from the start
    if pending:
        laptops, seen = state.laptops(), state.seen_states()
        me = state.load()
        with session.transaction():
            for name, p in pending.values():
                try:
                    check(me, p, laptops, seen)
                    message = "is waiting to be applied"
                except BundleUnreadable as exc:
                    message = str(exc)
                _note_problem(report, p.digest, name, message, False)
    return report


def _apply(session: Session, me: state.TeamState, sender: state.Laptop, p: Parsed, body: list, report: SyncReport) -> None:
    with session.transaction():
        if state.chain(p.laptop, p.stream) != (p.seq - 1, p.header.get("prev")):
            return  # applied meanwhile by another exchange (the window's worker, a `team sync`): checked under the write lock
        state.set_applying(True)
        if p.stream == "control":
            report.notes.extend(control.apply(me, sender, body, session))
            detail = f"control={len(body)}"
        else:
            records = [c for c in body if "s" not in c]
            result = merge.Merger(me.scope, session.actor.uuid).apply_all(records, via_mhst=p.stream == "mhst")
            for change in (c for c in body if "s" in c):
                slots.apply(session.vault, change, me.scope)
            merge.dedupe_pupils(session.actor.uuid, result)
            merge.purge_deleted()
            report.changes_in += result.applied
            report.conflicts += result.conflicts
            detail = f"applied={result.applied},skipped={result.skipped},conflicts={result.conflicts},waiting={result.waiting}"
        state.advance_chain(p.laptop, p.stream, p.seq, p.digest)
        state.mark_seen(p.digest, p.laptop, p.stream, p.seq, "applied")
        state.clear_problem(p.digest)
        state.touch_laptop(p.laptop, now_text())
        audit.append(session.actor.uuid, "team.apply", "laptop", p.laptop, f"stream={p.stream},seq={p.seq},{detail}")
        state.set_applying(False)
    report.applied += 1


# -- writing ---------------------------------------------------------------------------------------
def _adopt_own(me: state.TeamState, p: Parsed) -> None:
    """One of this laptop's bundles found in the folder one past its chain: take it as written.

    Bundles reach the folder only after their commit (outbox.py), so this happens only for a
    bundle an older SchoolMH renamed into the folder just before a crash lost its commit, or
    after this vault was put back from a backup older than its last bundle: writing the same
    number again would fork the chain, which every other laptop refuses."""
    seq, prev = state.chain(me.laptop_id, p.stream)
    if p.seq == seq + 1 and p.header.get("prev") == prev and bundle.signature_ok(p, keys.sign_public(me.sign_key)):
        state.advance_chain(me.laptop_id, p.stream, p.seq, p.digest)


def _outbox() -> Path:
    """This vault's outbox, beside its database (callers inside a transaction have no session to ask)."""
    return outbox.path_for(Path(database_proxy.database).parent)


def write_stream(me: state.TeamState, stream: str, entries: list[dict], stamp: int) -> Path:
    """Call inside the transaction that records it; the bundle waits in the outbox under a pending name
    (returned) until that commits. publish_own (or the next write) then puts it in the team folder."""
    seq, prev = state.chain(me.laptop_id, stream)
    key = None if stream == "control" else state.current_key(stream)
    if stream != "control" and key is None:
        raise TeamError(f"This laptop holds no key for the {stream} scope; it cannot write its changes.")
    data = bundle.encode(me.team_id, me.laptop_id, stream, seq + 1, prev, stamp, entries, me.sign_key, key)
    path = outbox.put_pending(_outbox(), data, stream, seq + 1)
    digest = bundle.digest_of(data)
    state.advance_chain(me.laptop_id, stream, seq + 1, digest)
    state.mark_seen(digest, me.laptop_id, stream, seq + 1, "own")
    return path


def write_outbox(session: Session, report: SyncReport | None = None) -> SyncReport:
    """This laptop's changes as bundles in its outbox: database and local disk only, never the team folder."""
    report = report or SyncReport()
    me = require_team(session)
    if me.removed:
        raise TeamError("This laptop was removed from the team: it no longer exchanges changes.")
    written: list[Path] = []
    with session.transaction():
        outbox.settle(_outbox(), state.is_own, discard=True)  # under the write lock: no other writer is mid-bundle
        # A lead's view of the accounts, before the slots it vouches for (a control bundle, committed with the rest).
        roster.send(session, me, lambda *args: written.append(write_stream(*args)))
        slots.capture(session.vault, me.laptop_id)
        state.set_applying(True)
        merge.dedupe_pupils(session.actor.uuid)
        state.set_applying(False)
        merge.spread_erasures()
        merge.purge_deleted()
        out = changes.collect(me)
        for entry in slots.outgoing(session.vault):
            if me.scope == "school":
                out.streams.setdefault("school", []).append(entry.change)
            if entry.to_mhst:
                out.streams.setdefault("mhst", []).append(entry.change)
        stamp = state.tick()
        for stream in ("school", "mhst"):
            entries = out.streams.get(stream)
            if entries:
                written.append(write_stream(me, stream, entries, stamp))
                report.written += 1
                report.changes_out = max(report.changes_out, len(entries))
        changes.mark_sent(out)
        slots.mark_sent()
        if report.written:
            audit.append(session.actor.uuid, "team.send", "laptop", me.laptop_id,
                         f"bundles={report.written},changes={report.changes_out}")
    outbox.commit(written)
    return report


def publish(view: FolderView) -> int:
    """The outbox's committed bundles into the team folder: files only (no key, no database).
    Raises folder.FolderUnreachable."""
    try:
        return outbox.publish(view.outbox, view.folder, view.laptop_id)
    except folder.FolderUnreachable:
        raise
    except OSError as exc:
        raise folder.FolderUnreachable(f"The team folder {view.folder} cannot be written ({exc.strerror or exc}).") from None


def publish_own(session: Session) -> int:
    """After a transaction that wrote bundles (write_outbox, adding or removing a laptop): publish them now."""
    outbox.settle(outbox.path_for(session.vault.data_dir), state.is_own, discard=False)
    me = require_team(session)
    return publish(FolderView(Path(me.folder), me.laptop_id, {}, {}, outbox.path_for(session.vault.data_dir)))


def deliver(session: Session) -> int:
    """publish_own after adding or removing a laptop; a folder not answering leaves the bundle in the
    outbox (counted as waiting to send) for the next exchange, rather than failing what was done."""
    try:
        return publish_own(session)
    except folder.FolderUnreachable:
        return 0


def write(session: Session, report: SyncReport | None = None) -> SyncReport:
    """write_outbox, then publish: what setting up and adding a laptop need done before they go on."""
    report = write_outbox(session, report)
    report.published += publish_own(session)
    return report


def sync(session: Session, fetched: Fetched | None = None) -> SyncReport:
    """Read, then write (so conflicts found while reading travel at once). Records whether the folder answered."""
    require_team(session)
    report = SyncReport()
    unreachable = None
    try:
        read(session, report, fetched)
    except folder.FolderUnreachable as exc:
        unreachable = exc
    write_outbox(session, report)  # whatever the folder does, this laptop's changes are packed
    if unreachable is None:
        try:
            report.published += publish_own(session)
        except folder.FolderUnreachable as exc:
            unreachable = exc
    record_reachable(session, unreachable is None)
    if unreachable is not None:
        raise TeamError(str(unreachable))
    return report


def record_reachable(session: Session, ok: bool) -> None:
    """Whether the folder answered this exchange (the status bar's "not reachable since …")."""
    with session.transaction():
        state.mark_reachable(ok, now_text())
