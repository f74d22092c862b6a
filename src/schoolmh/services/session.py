"""A signed-in session: the open vault, who is acting, and the one way to write.

Every change runs in `session.transaction()`: one SQLite transaction holding the
change and its audit row, so both land or neither does. Around the outermost
commit the recorded end of the audit chain beside the vault is moved on (see
OpenVault.advance_audit_head), so cutting rows off the end is detectable.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from peewee import OperationalError

from schoolmh.db.connection import BUSY_TIMEOUT_MS
from schoolmh.db.models.base import utcnow
from schoolmh.db.vault import OpenVault
from schoolmh.errors import PermissionDenied, VaultBusy, VaultError
from schoolmh.services import audit
from schoolmh.services.permissions import PUPIL_SCOPED_ROLES, ROLE_NAMES, Action, allowed, describe


# Sessions on several threads of one process (the team exchange's worker) move the rollback anchor
# one at a time, so a slower thread can never write an older position over a newer one.
_ANCHOR_LOCK = threading.Lock()


@dataclass(frozen=True)
class Actor:
    uuid: str
    username: str
    full_name: str
    role: str

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


class Session:
    def __init__(self, vault: OpenVault, actor: Actor, previous_login: dt.datetime | None = None) -> None:
        self.vault = vault
        self.actor = actor
        self.previous_login = previous_login
        self._depth = 0
        # Set at sign-in when the vault is older than this laptop last saw it (audit.rollback_problem);
        # while set, the rollback anchor is not moved on (only a restore through SchoolMH does that).
        self.rollback_warning: str | None = None
        # Pupils whose record view is already audited in this sign-in (services/pupils.get_pupil).
        self.viewed_pupils: set[str] = set()

    @property
    def db(self):
        return self.vault.db

    @property
    def signer(self):
        """The signed-in account's Ed25519 signing key (db.signing.Signer; None after close)."""
        return self.vault.signer

    @property
    def is_open(self) -> bool:
        """Whether this thread's connection is open (peewee keeps one connection per thread)."""
        return not self.vault.db.is_closed()

    @contextmanager
    def on_worker_thread(self) -> Iterator["Session"]:
        """This session for a worker thread: same vault and account, its own connection and transactions.

        peewee keeps connection state per thread, so connecting here opens a second SQLite connection
        to the same WAL database (keyed and set up like the first: db/connection.py); its writes and
        the window's serialise through SQLite's write lock (IMMEDIATE, busy timeout). The sibling has
        its own transaction depth: sharing this object's would make the window's outermost
        transaction look nested (no IMMEDIATE, no audit signature). The connection is closed on
        this thread at the end. Whoever closes the vault must first wait for the worker to finish.
        """
        db = self.vault.db
        if not self.vault.dek:  # the vault was closed (locked) meanwhile
            raise VaultError("The vault is locked.")
        worker = Session(self.vault, self.actor, self.previous_login)
        worker.rollback_warning = self.rollback_warning
        opened = db.connect(reuse_if_open=True)  # False on a thread that has its connection already
        try:
            yield worker
        finally:
            if opened and not db.is_closed():
                db.close()

    # -- permissions ----------------------------------------------------------
    def can(self, action: Action) -> bool:
        return allowed(self.actor.role, action)

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise PermissionDenied(f"Your role ({self.actor.role_name}) cannot {describe(action)}.")

    @property
    def pupil_scoped(self) -> bool:
        """True when this role sees only pupils shared with the MHST."""
        return self.actor.role in PUPIL_SCOPED_ROLES

    # -- writing ----------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        outermost = self._depth == 0
        self._depth += 1
        head: tuple[int, str] | None = None
        advanced = False
        try:
            with self.db.atomic("IMMEDIATE") if outermost else self.db.atomic():
                if outermost:
                    before = audit.head()  # under the write lock: the chain's end as this change begins
                yield
                if outermost:
                    head = audit.head()
                    if head != before:
                        if self.vault.signer is not None:  # the rows this change appended, signed by its writer
                            audit.sign_head(self.vault.keyfile.vault_id, self.vault.signer)
                        # Just before the commit, record both possible ends of the chain: a crash
                        # on either side of the commit must never read as a cut or extended trail.
                        # (Compared, not flagged by audit(): rows appended directly count too.)
                        advanced = self.vault.advance_audit_head(before, head)
        except OperationalError as exc:
            if outermost and ("locked" in str(exc).lower() or "busy" in str(exc).lower()):
                raise VaultBusy(
                    "The vault is busy: another SchoolMH window or command is saving. "
                    "Nothing was saved; try again in a moment."
                ) from None
            raise
        finally:
            self._depth -= 1
        if advanced:
            self._settle_audit_head(head)
        if outermost and head is not None and head != before and self.rollback_warning is None:
            try:
                with _ANCHOR_LOCK:
                    audit.advance_anchor(self.vault.anchor_key)
            except Exception:
                pass  # the anchor is a check, never a reason to fail a saved change

    def _settle_audit_head(self, head: tuple[int, str]) -> None:
        """After the commit, name the one end, holding the write lock so no other process is mid-commit.

        Skipped when another process has moved the chain on (its own head file is newer)
        or holds the lock for long: the file written before the commit still accepts this end.
        """
        self.db.execute_sql("PRAGMA busy_timeout = 0")  # never make the user wait for this
        try:
            with self.db.atomic("IMMEDIATE"):
                if audit.head() == head:
                    self.vault.settle_audit_head(head)
        except (OperationalError, OSError):
            pass
        finally:
            self.db.execute_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def audit(self, action: str, object_type: str = "", object_uuid: str = "", detail: str = "") -> None:
        with self.transaction():
            audit.append(self.actor.uuid, action, object_type, object_uuid, detail)

    def save(self, record, action: str, detail: str = "", *, created: bool = False, object_type: str = "") -> None:
        """Stamp, save and audit one record: the way every service writes a change.

        The audit's object type defaults to the action's prefix ("plan.close" -> "plan").
        Call inside the change's transaction.
        """
        self.stamp(record, created=created)
        record.save()
        self.audit(action, object_type or action.split(".", 1)[0], record.uuid, detail)

    def stamp(self, record, *, created: bool = False) -> None:
        """Set the author and time fields every record carries."""
        now = utcnow()
        if created:
            record.created_by = self.actor.uuid
            record.created_at = now
        record.updated_by = self.actor.uuid
        record.updated_at = now

    def today(self) -> dt.date:
        return dt.date.today()

    def make_current(self) -> None:
        """Point the models at this session's database again.

        One process may hold two sessions at once (a team join opens the new laptop's vault beside
        the lead's); the models follow the one opened last until told otherwise.
        """
        from schoolmh.db.connection import database_proxy

        database_proxy.initialize(self.vault.db)

    def close(self) -> None:
        self.vault.close()
