"""What the Team page and `schoolmh team status|conflicts` show, and keeping a conflict's version."""
from __future__ import annotations

import json
from dataclasses import dataclass

from schoolmh.db.connection import database_proxy as db
from schoolmh.db.models.base import utcnow
from schoolmh.errors import NotFound
from schoolmh.services.permissions import Action
from schoolmh.services.session import Session
from schoolmh.services.team import changes, hlc, merge, outbox, records, state, exchange
from schoolmh.services.team.exchange import TeamError

TABLE_NAMES = {
    "staff": "Staff account", "pupil": "Pupil", "support_plan": "Support plan", "goal": "Goal",
    "plan_review": "Plan review", "session": "Session", "goal_rating": "Goal rating", "measure_result": "Measure",
    "referral": "Referral", "referral_decision": "Referral decision", "objective": "Action-plan objective", "activity": "Whole-school activity",
    "activity_principle": "Activity principle", "liaison_meeting": "Liaison meeting", "liaison_pupil": "Liaison pupil",
    "liaison_action": "Liaison action", "consultation": "Consultation",
}


@dataclass(frozen=True)
class LaptopInfo:
    name: str
    scope: str
    last_exchange: str
    removed: bool
    this_laptop: bool


@dataclass(frozen=True)
class TeamStatus:
    in_team: bool
    laptop_name: str = ""
    scope: str = ""
    folder: str = ""
    to_send: int = 0
    conflicts: int = 0
    last_ok_at: str = ""
    last_fail_at: str = ""
    removed: bool = False
    laptops: tuple[LaptopInfo, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """The status bar's words."""
        if not self.in_team:
            return ""
        if self.removed:
            return "Removed from the team"
        if self.last_fail_at:
            return f"Team folder not reachable since {self.last_fail_at}"
        if self.to_send:
            return f"{self.to_send} change{'s' if self.to_send != 1 else ''} to send"
        return "Up to date"


def conflicts_text(count: int) -> str:
    if not count:
        return "no conflicts to review"
    return "1 conflict to review" if count == 1 else f"{count} conflicts to review"


def status(session: Session) -> TeamStatus:
    st = state.load()
    if st is None:
        return TeamStatus(False)
    laptops = tuple(
        LaptopInfo(l.name, l.scope, (st.last_ok_at or "never") if l.laptop_id == st.laptop_id else (l.last_bundle_at or "never"),
                   l.removed, l.laptop_id == st.laptop_id)
        for l in sorted(state.laptops().values(), key=lambda l: l.name.casefold())
    )
    open_conflicts = db.execute_sql("SELECT count(*) FROM team_conflict WHERE resolved = 0").fetchone()[0]
    # Changes still marked here, plus those packed in bundles the team folder has not received yet.
    packed = outbox.changes_waiting(outbox.path_for(session.vault.data_dir), st.scope, state.is_own)
    to_send = changes.dirty_count() + packed
    return TeamStatus(
        True, st.laptop_name, st.scope, st.folder, to_send, open_conflicts, st.last_ok_at,
        st.last_fail_at, st.removed, laptops, tuple(f"{f}: {m}" for f, m, _ in state.problems()),
    )


@dataclass(frozen=True)
class ConflictInfo:
    id: str
    kind: str  # "Pupil", "Support plan" …
    record_uuid: str
    other_version: str  # when and where the version not kept was made
    differences: tuple[tuple[str, str, str], ...]  # (field as people say it, kept value, other value)
    subject: str = ""  # whose record: the pupil's or the account holder's name, or the record's title


def field_label(column: str) -> str:
    """'tutor_group' -> 'Tutor group', 'pupil_uuid' -> 'Pupil': the lead reads words, not column names."""
    words = column.removesuffix("_uuid").removesuffix("_id").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else column


def _subject(table: str, row: dict) -> str:
    """Which record this is, as the lead (who sees every pupil) would recognise it."""
    from schoolmh.db.models.records import Pupil
    from schoolmh.services.pupils import display_name, pupil_name

    if table == "pupil":
        return display_name(*(row.get(k) or "" for k in ("legal_forename", "legal_surname", "preferred_forename",
                                                           "preferred_surname")))
    if table == "staff":
        return str(row.get("full_name") or row.get("username") or "")
    if row.get("pupil_uuid"):
        found = Pupil.get_or_none(Pupil.uuid == row["pupil_uuid"])
        return pupil_name(found) if found is not None else ""
    for key in ("title", "name", "description"):
        if row.get(key):
            return str(row[key])[:60]
    return ""


def conflicts(session: Session) -> list[ConflictInfo]:
    session.require(Action.SETTINGS_MANAGE)
    exchange.require_team(session)
    names = {l.laptop_id: l.name for l in state.laptops().values()}
    out = []
    for cid, table, uuid, loser_hlc, loser_laptop, fields in db.execute_sql(
        "SELECT id, tbl, uuid, loser_hlc, loser_laptop, fields FROM team_conflict WHERE resolved = 0 ORDER BY found_hlc, id"
    ).fetchall():
        other = json.loads(fields)
        current = records.read_rows(table, [uuid]).get(uuid, {})
        diffs = tuple(
            (field_label(k), _show(current.get(k)), _show(other.get(k))) for k in sorted(other)
            if k not in merge.STAMP_COLUMNS and current.get(k) != other.get(k)
        )
        out.append(ConflictInfo(cid, TABLE_NAMES.get(table, table), uuid,
                                f"{hlc.describe(loser_hlc)} on {names.get(loser_laptop, 'another laptop')}", diffs,
                                _subject(table, current or other)))
    return out


def _show(value) -> str:
    return "" if value is None else str(value)


def resolve(session: Session, conflict_id: str, keep_other: bool) -> None:
    """keep_other: the version listed under the conflict replaces the kept one (a new change that syncs).
    Either way the conflict is closed everywhere."""
    session.require(Action.SETTINGS_MANAGE)
    exchange.require_team(session)
    row = db.execute_sql("SELECT tbl, uuid, fields, resolved FROM team_conflict WHERE id = ?", (conflict_id,)).fetchone()
    if row is None or row[3]:
        raise NotFound("There is no open conflict with that id (it may have been resolved on another laptop).")
    table, uuid, fields = row[0], row[1], json.loads(row[2])
    with session.transaction():
        if keep_other:
            if records.exists(table, uuid) is None:
                raise TeamError("That record no longer exists here (it was deleted or erased).")
            link_ids = merge.Merger(state.load().scope, session.actor.uuid)._resolve_links(table, dict(fields))
            if not isinstance(link_ids, dict):
                raise TeamError("That version links to a record that no longer exists; it cannot be kept.")
            fields = dict(fields, updated_at=str(utcnow()), updated_by=session.actor.uuid)
            records.write_row(table, fields, link_ids)  # captured by the triggers: a change like any other
        db.execute_sql("UPDATE team_conflict SET resolved = 1, dirty = 1 WHERE id = ?", (conflict_id,))
        session.audit("team.conflict_keep" if keep_other else "team.conflict_dismiss", table, uuid, f"conflict={conflict_id}")
