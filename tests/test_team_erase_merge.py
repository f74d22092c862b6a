"""An erasure meets a duplicate merge that only some laptops made (found by test_team_sim.py).

C adds Chloé (no UPN) and sends her; A receives her. B, not yet in touch, adds Chloé too.
C erases its Chloé, then adds her again; B adds a Chloé with a UPN. When they exchange, B
merges C's first Chloé with its own, C merges B's (merged) Chloé with its second one, and
C's erasure reaches laptops that know the erased UUID under another name or not at all.
Every laptop must end with the same pupils, whichever copy's UUID survives the merge.
"""
from __future__ import annotations

import datetime as dt
import uuid
from contextlib import contextmanager

import pytest

from schoolmh.db.connection import database_proxy as db
from schoolmh.domain.upn import make_upn
from schoolmh.services import export, pupils, retention, sessions
from team_support import add_and_join, start_team

TODAY = dt.date.today()


@contextmanager
def _next_uuid(monkeypatch, value: str):
    """The next record created gets `value` as its UUID (so the test decides which copy survives a merge)."""
    real, given = uuid.uuid4, iter([uuid.UUID(value)])
    with monkeypatch.context() as m:
        m.setattr(uuid, "uuid4", lambda: next(given, None) or real())
        yield


def _chloe(laptop, monkeypatch, value: str, upn: str | None = None) -> str:
    with laptop as s, _next_uuid(monkeypatch, value):
        p = pupils.create_pupil(s, legal_forename="Chloé", legal_surname="Nguyễn", dob=dt.date(2012, 1, 3),
                                year_group=7, upn=upn)
    assert p.uuid == value
    return p.uuid


def _pupils(laptop) -> list[tuple[str, str | None]]:
    with laptop as s:
        return sorted((r["uuid"], r["upn"]) for r in export.export_all(s)["pupils"])


@pytest.mark.parametrize("first, b_copy, second", [
    ("9" * 32, "1" * 32, "5" * 32),  # B's copy survives its merge with the erased one
    ("1" * 32, "9" * 32, "5" * 32),  # the erased copy's UUID survives the merge on B
])
def test_erasing_one_copy_of_a_pupil_merged_elsewhere_converges(tmp_path, monkeypatch, first, b_copy, second):
    lead, _ = start_team(tmp_path)
    a, b, c = lead, add_and_join(tmp_path, lead, "Pastoral office"), add_and_join(tmp_path, lead, "Head's laptop")
    try:
        _chloe(c, monkeypatch, first)
        c.sync()
        a.sync()
        _chloe(b, monkeypatch, b_copy)
        with b as s:
            note = sessions.record_session(s, b_copy, date=TODAY, note="Session before the merge")
        with c as s:
            pupils.archive_pupil(s, first, TODAY)
            retention.erase_pupil(s, first)
        _chloe(c, monkeypatch, second)
        with_upn = _chloe(b, monkeypatch, "7" * 32, upn=make_upn(103))

        for _ in range(10):  # until a whole round moves nothing
            reports = [laptop.sync() for laptop in (a, b, c)]
            if not any(r.applied or r.written for r in reports):
                break
        else:
            raise AssertionError("the laptops kept exchanging changes")

        everywhere = [_pupils(laptop) for laptop in (a, b, c)]
        assert everywhere[0] == everywhere[1] == everywhere[2], everywhere
        # The copies without UPN were one pupil (merged on B and C), and that pupil was erased.
        assert everywhere[0] == [(with_upn, make_upn(103))]
        for laptop in (a, b, c):
            with laptop:
                assert db.execute_sql("SELECT count(*) FROM session WHERE uuid = ?", (note.uuid,)).fetchone()[0] == 0
                for table in ("team_conflict", "team_pending"):
                    left = db.execute_sql(f"SELECT count(*) FROM {table} WHERE tbl = 'pupil' AND uuid IN (?, ?, ?)",
                                          (first, b_copy, second)).fetchone()[0]
                    assert left == 0
    finally:
        for laptop in (a, b, c):
            laptop.close()
