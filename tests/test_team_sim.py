"""The team promise, simulated: three laptops, one team folder, random work in random order.

Hypothesis drives edits of every record kind on random laptops, exchanges in random order,
a laptop offline for many rounds, bundles held back and delivered late, and bundles
delivered twice (as a sync tool's "name (1).smhb" copy). After everyone exchanges:
* every laptop's `export all` is identical (apart from per-laptop things: when and by whom
  the export was made, each laptop's own audit trail and settings, last sign-in times);
* every value typed anywhere is in the records, or listed as a conflict, or was knowingly
  overwritten on a laptop that already had it;
* no erased pupil is anywhere: not as a record, an alias target, a conflict or a waiting change.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from schoolmh.db.connection import database_proxy as db
from schoolmh.domain.upn import make_upn
from schoolmh.services import activities, export, liaison, pupils, referrals, retention, sessions
from team_support import add_and_join, start_team

TODAY = dt.date.today()
UPNS = [make_upn(n) for n in (101, 102, 103)]
NAMES = [("Amira", "Okafor"), ("Ben", "Ashworth"), ("Chloé", "Nguyễn")]
TUTORS = ["7A", "7B", "8C", "9D"]
LOCAL_ONLY = {"exported_at", "exported_by", "audit", "settings"}


def normalised_export(session) -> dict:
    data = export.export_all(session)
    out = {}
    for key, value in data.items():
        if key in LOCAL_ONLY:
            continue
        if isinstance(value, list):
            rows = []
            for row in value:
                row = dict(row)
                row.pop("last_login_at", None)
                if "pupil_uuids" in row:
                    row["pupil_uuids"] = sorted(row["pupil_uuids"])
                rows.append(row)
            value = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        out[key] = value
    return out


def _diff(a: list, b: list) -> str:
    ka = {r["uuid"]: r for r in a if isinstance(r, dict) and "uuid" in r}
    kb = {r["uuid"]: r for r in b if isinstance(r, dict) and "uuid" in r}
    out = [f"only first: {sorted(set(ka) - set(kb))}", f"only second: {sorted(set(kb) - set(ka))}"]
    for u in set(ka) & set(kb):
        if ka[u] != kb[u]:
            out.append(f"{u}: " + str({k: (ka[u].get(k), kb[u].get(k)) for k in ka[u] if ka[u].get(k) != kb[u].get(k)}))
    return "; ".join(out)


class TeamMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="team-sim-"))
        self.laptops = []
        self.offline: set[int] = set()
        self.held: list[tuple[Path, Path]] = []  # (holding place, where it belongs)
        self.typed: list[tuple[str, str, str, object]] = []  # (table, uuid, field, value)
        self.overwritten: set[tuple[str, str, str, str]] = set()
        self.notes: dict[str, tuple[str, str]] = {}  # session uuid -> (note, pupil uuid): append-only records
        self.erased: set[str] = set()

    @initialize()
    def set_up(self) -> None:
        lead, self.folder = start_team(self.tmp)
        self.laptops = [lead, add_and_join(self.tmp, lead, "Pastoral office"), add_and_join(self.tmp, lead, "Head's laptop")]

    def teardown(self) -> None:
        try:
            if self.laptops:
                self._exchange_everything()
                self._check_converged()
        finally:
            for laptop in self.laptops:
                laptop.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------
    def _pupil_uuids(self, i: int) -> list[str]:
        with self.laptops[i]:
            return [r[0] for r in db.execute_sql("SELECT uuid FROM pupil ORDER BY uuid").fetchall()]

    def _exchange_everything(self) -> None:
        for place, home in self.held:
            if place.exists():
                shutil.move(str(place), str(home))
        self.held.clear()
        self.offline.clear()
        for _ in range(10):  # until a whole round moves nothing
            reports = [laptop.sync() for laptop in self.laptops]
            if not any(r.applied or r.written for r in reports):
                break
        else:
            raise AssertionError("the laptops kept exchanging changes: no quiet round after ten")

    def _check_converged(self) -> None:
        exports = []
        for laptop in self.laptops:
            with laptop as s:
                exports.append(normalised_export(s))
        for other in exports[1:]:
            for table in exports[0]:
                assert other[table] == exports[0][table], f"laptops differ in {table}: {_diff(exports[0][table], other[table])}"
        aliases: dict[str, str] = {}  # a laptop learns only the aliases of the merges it made itself
        for laptop in self.laptops:
            with laptop:
                aliases.update(db.execute_sql("SELECT old_uuid, new_uuid FROM team_alias").fetchall())
        with self.laptops[0] as s:
            conflicts = [(t, u, json.loads(f)) for t, u, f in db.execute_sql("SELECT tbl, uuid, fields FROM team_conflict")]
            current = {(t, r["uuid"]): r for t in ("pupil",) for r in exports[0]["pupils"]}
        for laptop in self.laptops[1:]:
            with laptop:
                other = sorted(db.execute_sql("SELECT id, resolved FROM team_conflict").fetchall())
            with self.laptops[0]:
                mine = sorted(db.execute_sql("SELECT id, resolved FROM team_conflict").fetchall())
            assert other == mine, "laptops list different conflicts"

        def resolve(uuid: str) -> str:
            while uuid in aliases:
                uuid = aliases[uuid]
            return uuid

        erased = {resolve(u) for u in self.erased} | self.erased
        overwritten = {(t, resolve(u), f, v) for t, u, f, v in self.overwritten}
        for table, uuid, field, value in self.typed:
            uuid = resolve(uuid)
            if uuid in erased:
                continue
            row = current.get((table, uuid))
            assert row is not None, f"a {table} typed here vanished"
            if row.get(field) == value or (table, uuid, field, str(value)) in overwritten:
                continue
            assert any(t == table and resolve(u) == uuid and f.get(field) == value for t, u, f in conflicts), (
                f"{table}.{field}={value!r} typed on a laptop is neither kept nor listed as a conflict"
            )
        session_rows = {r["uuid"]: r for r in exports[0]["sessions"]}
        for uuid, (note, pupil_uuid) in self.notes.items():
            if uuid in session_rows:
                assert session_rows[uuid]["note"] == note
            else:  # only an erasure (of this pupil or a copy merged with it, wherever typed) removes a session
                assert resolve(pupil_uuid) in erased or pupil_uuid in erased, "a session was lost"
        for laptop in self.laptops:
            with laptop:
                present = {r[0] for r in db.execute_sql("SELECT uuid FROM pupil")}
                assert not (present & erased), "an erased pupil reappeared"
                for table in ("team_conflict", "team_pending"):
                    left = {r[0] for r in db.execute_sql(f"SELECT uuid FROM {table} WHERE tbl = 'pupil'")}
                    assert not (left & erased), f"an erased pupil is still in {table}"

    # -- rules: work on a laptop ------------------------------------------------------------------
    @rule(i=st.integers(0, 2), who=st.integers(0, 2), with_upn=st.booleans())
    def create_pupil(self, i: int, who: int, with_upn: bool) -> None:
        forename, surname = NAMES[who]
        with self.laptops[i] as s:
            if with_upn and pupils.find_by_upn(s, UPNS[who]) is not None:
                return
            try:
                p = pupils.create_pupil(s, legal_forename=forename, legal_surname=surname, dob=dt.date(2012, 1, 1 + who),
                                        year_group=7, upn=UPNS[who] if with_upn else None)
            except Exception:
                return
        self.typed.append(("pupil", p.uuid, "legal_forename", forename))

    @rule(i=st.integers(0, 2), k=st.integers(0, 20), tutor=st.sampled_from(TUTORS))
    def edit_pupil(self, i: int, k: int, tutor: str) -> None:
        uuids = self._pupil_uuids(i)
        if not uuids:
            return
        uuid = uuids[k % len(uuids)]
        with self.laptops[i] as s:
            before = db.execute_sql("SELECT tutor_group FROM pupil WHERE uuid = ?", (uuid,)).fetchone()[0]
            pupils.update_pupil(s, uuid, tutor_group=tutor)
        if before != tutor:
            self.overwritten.add(("pupil", uuid, "tutor_group", str(before)))
            self.typed.append(("pupil", uuid, "tutor_group", tutor))

    @rule(i=st.integers(0, 2), k=st.integers(0, 20), shared=st.booleans())
    def share(self, i: int, k: int, shared: bool) -> None:
        uuids = self._pupil_uuids(i)
        if uuids:
            with self.laptops[i] as s:
                pupils.share_with_mhst(s, uuids[k % len(uuids)], shared)

    @rule(i=st.integers(0, 2), k=st.integers(0, 20), n=st.integers(0, 10_000))
    def record_session(self, i: int, k: int, n: int) -> None:
        uuids = self._pupil_uuids(i)
        if not uuids:
            return
        note = f"Session note {n}"
        with self.laptops[i] as s:
            info = sessions.record_session(s, uuids[k % len(uuids)], date=TODAY, note=note)
        self.notes[info.uuid] = (note, uuids[k % len(uuids)])

    @rule(i=st.integers(0, 2), k=st.integers(0, 20))
    def referral(self, i: int, k: int) -> None:
        uuids = self._pupil_uuids(i)
        if uuids:
            with self.laptops[i] as s:
                r = referrals.create_referral(s, uuids[k % len(uuids)], "camhs", TODAY, reason="low mood")
                if k % 2:
                    referrals.record_decision(s, r.uuid, "accepted", TODAY)

    @rule(i=st.integers(0, 2), n=st.integers(0, 100))
    def whole_school(self, i: int, n: int) -> None:
        with self.laptops[i] as s:
            objective = activities.create_objective(s, principle="ethos", text=f"Objective {n}")
            activities.create_activity(s, title=f"Assembly {n}", start_on=TODAY, principles=["ethos"],
                                       objective_uuid=objective.uuid)

    @rule(i=st.integers(0, 2), k=st.integers(0, 20))
    def liaison_meeting(self, i: int, k: int) -> None:
        uuids = self._pupil_uuids(i)
        with self.laptops[i] as s:
            liaison.create_meeting(s, date=TODAY, discussion="Caseload review",
                                   pupil_uuids=[uuids[k % len(uuids)]] if uuids else [], actions=[("Call home", "", None)])

    @rule(i=st.integers(0, 2), k=st.integers(0, 20))
    def erase(self, i: int, k: int) -> None:
        uuids = self._pupil_uuids(i)
        if not uuids:
            return
        uuid = uuids[k % len(uuids)]
        with self.laptops[i] as s:
            pupils.archive_pupil(s, uuid, TODAY)
            retention.erase_pupil(s, uuid)
        self.erased.add(uuid)

    # -- rules: the folder and the network ----------------------------------------------------------
    @rule(i=st.integers(0, 2))
    def sync(self, i: int) -> None:
        if i not in self.offline:
            self.laptops[i].sync()

    @rule(i=st.integers(1, 2))
    def go_offline(self, i: int) -> None:
        self.offline.add(i)

    @rule(i=st.integers(0, 2))
    def come_back(self, i: int) -> None:
        self.offline.discard(i)

    @rule(k=st.integers(0, 1000))
    def hold_back_a_bundle(self, k: int) -> None:
        files = sorted(self.folder.glob("laptops/*/*.smhb"))
        if files:
            path = files[k % len(files)]
            place = self.tmp / "held" / f"{len(self.held)}-{path.name}"
            place.parent.mkdir(exist_ok=True)
            shutil.move(str(path), str(place))
            self.held.append((place, path))

    @precondition(lambda self: self.held)
    @rule()
    def deliver_late(self) -> None:
        place, home = self.held.pop(0)
        shutil.move(str(place), str(home))

    @rule(k=st.integers(0, 1000))
    def deliver_twice(self, k: int) -> None:
        files = sorted(self.folder.glob("laptops/*/*.smhb"))
        if files:
            path = files[k % len(files)]
            shutil.copy(path, path.with_name(path.stem + " (1)" + path.suffix))

    @invariant()
    def nothing_half_written(self) -> None:
        assert not list(self.folder.glob("laptops/*/*.tmp"))


# SCHOOLMH_SIM_EXAMPLES=500 (and SCHOOLMH_SIM_STEPS=60) for a long hunt; the suite runs 10 x 30.
TeamMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("SCHOOLMH_SIM_EXAMPLES", "10")),
    stateful_step_count=int(os.environ.get("SCHOOLMH_SIM_STEPS", "30")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_team_simulation = TeamMachine.TestCase
