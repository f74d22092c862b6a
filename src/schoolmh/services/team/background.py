"""One exchange with the team folder on a worker thread, so the window never waits for it.

The window's exchanges (at sign-in and every few minutes) run `Exchange.run` on a thread of
their own, in phases:

1. database (short): what the file work needs (the file index, this laptop's folder);
2. files: list, read, hash and parse new bundles (`exchange.prefetch`);
3. database: check, decrypt and apply them one transaction per bundle, then write this
   laptop's changes to its outbox (`exchange.read`, `exchange.write_outbox`);
4. files: publish the outbox into the team folder (`exchange.publish`);
5. database (short): record whether the folder answered.

Each database phase runs on the worker's own SQLite connection (Session.on_worker_thread),
opened for the phase and closed at its end, holding `db_lock`. At lock the window calls
`stop_all`: each exchange's stop flag is set (`read` looks at it before each bundle) and
the database phase under way, if any, is waited for - at most the bundle being applied,
never the folder. No database phase starts once the flag is set, so the vault can then be
closed. A job is known to `stop_all` from its creation (on the window's thread) until its
`run` ends.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from schoolmh.services.session import Session
from schoolmh.services.team import exchange, folder, state


class Stopped(Exception):
    """The window is locking: this exchange gives way (what it did not do, the next one does)."""


@dataclass
class Outcome:
    """What the window needs afterwards: did anything arrive, did the folder answer, what went wrong."""

    report: exchange.SyncReport
    unreachable: str = ""  # why the team folder did not answer ("" when it did)
    stopped: bool = False
    error: BaseException | None = None
    in_team: bool = True

    @property
    def reachable(self) -> bool:
        return not self.unreachable


# Every exchange under way in this process, so a lock stops all those on its vault (stop_all).
_running: set["Exchange"] = set()
_running_lock = threading.Lock()


class Exchange:
    def __init__(self, session: Session) -> None:
        self.session = session  # the window's; only its vault and account are used (on_worker_thread)
        self.stop = threading.Event()
        self.db_lock = threading.Lock()
        with _running_lock:  # from now on, a lock (stop_all) finds it, even before its thread starts
            _running.add(self)

    def _database(self, work):
        with self.db_lock:
            if self.stop.is_set():
                raise Stopped()
            with self.session.on_worker_thread() as worker:
                return work(worker)

    def run(self) -> Outcome:
        """The whole exchange, once; call on a worker thread. Never raises: the outcome says what happened."""
        try:
            return self._run()
        finally:
            with _running_lock:
                _running.discard(self)

    def _run(self) -> Outcome:
        outcome = Outcome(exchange.SyncReport())
        try:
            me, view = self._database(_prepare)
            if view is None:
                outcome.in_team = me is not None
                return outcome
            try:
                fetched = exchange.prefetch(view)
            except folder.FolderUnreachable as exc:
                fetched, outcome.unreachable = None, str(exc)
            self._database(lambda s: self._apply_and_pack(s, fetched, outcome.report))
            if self.stop.is_set():
                raise Stopped()
            if outcome.reachable:
                try:
                    outcome.report.published += exchange.publish(view)
                except folder.FolderUnreachable as exc:
                    outcome.unreachable = str(exc)
            self._database(lambda s: exchange.record_reachable(s, outcome.reachable))
        except Stopped:
            outcome.stopped = True
        except Exception as exc:  # noqa: BLE001 - handed to the window, which logs it
            outcome.error = exc
        return outcome

    def _apply_and_pack(self, session: Session, fetched, report: exchange.SyncReport) -> None:
        if fetched is not None:
            exchange.read(session, report, fetched, stop=self.stop)
        if not self.stop.is_set():  # locking: the window packs the last changes itself
            exchange.write_outbox(session, report)

    def stop_and_wait(self) -> None:
        """At lock, on the window's thread: no more database work; waits for the phase under way (one bundle at most)."""
        self.stop.set()
        with self.db_lock:
            pass


def stop_all(session: Session) -> None:
    """At lock: every exchange on this session's vault stops; returns once none is in a database phase."""
    with _running_lock:
        jobs = [job for job in _running if job.session.vault is session.vault]
    for job in jobs:
        job.stop_and_wait()


def _prepare(session: Session) -> tuple[state.TeamState | None, exchange.FolderView | None]:
    me = state.load()
    return me, (exchange.folder_view(session) if me is not None and not me.removed else None)


def publish_in_background(view: exchange.FolderView) -> threading.Thread:
    """Publish the outbox on a daemon thread (no key, no database: fine after the vault is locked)."""

    def work() -> None:
        try:
            exchange.publish(view)
        except Exception:  # noqa: BLE001 - the bundles stay in the outbox for the next exchange
            pass

    thread = threading.Thread(target=work, name="team-publish", daemon=True)
    thread.start()
    return thread
