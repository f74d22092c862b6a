"""Exports: every record present (count each kind in the vault vs the JSON), computed scores, audit; CSV safety."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from recordsb_helpers import an_activity, full_record, open_vault, point_models_at
from support import STAFF_PASSWORD
from schoolmh.db.models.core import AuditEntry, Staff
from schoolmh.db.models.records import (
    Activity, Consultation, Goal, GoalRating, LiaisonAction, LiaisonMeeting, MeasureResult, Objective, PlanReview,
    Pupil, Referral, ReferralDecision, Session as SessionRow, SupportPlan,
)
from schoolmh.errors import PermissionDenied
from schoolmh.services import access, activities, export, sessions

MODEL_OF = {
    "staff": Staff, "pupils": Pupil, "plans": SupportPlan, "goals": Goal, "goal_ratings": GoalRating,
    "plan_reviews": PlanReview, "sessions": SessionRow, "measures": MeasureResult, "referrals": Referral,
    "referral_decisions": ReferralDecision, "objectives": Objective, "activities": Activity, "liaison_meetings": LiaisonMeeting,
    "liaison_actions": LiaisonAction, "consultations": Consultation,
}


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vault")
    s = open_vault(folder, extra_staff=(("pat", "pastoral"),))
    one = full_record(s, "Nguyễn", 1)
    two = full_record(s, "Ó Briain", 2, forename="Siân")
    sessions.record_session(s, None, date=dt.date(2026, 10, 1), function=2, type="group", mode="group")
    objective = activities.create_objective(s, principle="ethos", text="Anti-bullying charter", owner="Head")
    activities.update_activity(s, an_activity(s).uuid, objective_uuid=objective.uuid)
    yield s, folder, one, two
    s.close()


def test_export_all_round_trip_every_record(school):
    s, _, _, _ = school
    data = json.loads(export.to_json_bytes(export.export_all(s)))
    assert data["format"] == "schoolmh-export" and data["version"] == 1 and data["scope"] == "all"
    assert data["school"]["name"] == "Oakfield Academy"
    for table in export.TABLES:
        model = MODEL_OF[table]
        assert {r["uuid"] for r in data[table]} == {u for (u,) in model.select(model.uuid).tuples()}, table
    assert len(data["audit"]) == AuditEntry.select().count()
    assert data["audit"][-1]["action"] == "export.all"
    # computed values: SDQ totals/bands and the change classification
    sdq = [m for m in data["measures"] if m["instrument"] == "SDQ"]
    assert sdq[0]["totals"]["total_difficulties"] == 20 and sdq[0]["band"] == "very high"
    changes = {(c["pupil_uuid"], c["instrument"]): c for c in data["measure_changes"]}
    assert len(changes) == 2
    assert all(c["classification"] == "reliable improvement" and c["delta"] == -8 for c in changes.values())
    assert len(data["gap"]) == 2
    assert all("password" not in json.dumps(row).lower() for row in data["staff"])
    assert data["activities"][0]["objective_uuid"] is not None and data["activities"][0]["principles"] == ["ethos", "voice"]


def test_export_pupil_holds_only_that_pupil(school):
    s, _, one, two = school
    data = export.export_pupil(s, one.pupil)
    assert data["scope"] == "pupil" and [p["uuid"] for p in data["pupils"]] == [one.pupil]
    assert data["pupils"][0]["legal_surname"] == "Nguyễn"
    assert {r["uuid"] for r in data["plans"]} == {one.plan}
    assert {r["uuid"] for r in data["sessions"]} == set(one.sessions)
    assert {r["uuid"] for r in data["measures"]} == set(one.measures)
    assert {r["uuid"] for r in data["referrals"]} == set(one.referrals)
    assert [r["uuid"] for r in data["liaison_meetings"]] == [one.meeting]
    assert [r["uuid"] for r in data["liaison_actions"]] == [one.action]
    assert [r["uuid"] for r in data["consultations"]] == [one.consultation]
    assert len(data["goal_ratings"]) == 3 and len(data["plan_reviews"]) == 1
    assert data["gap"][0]["pupil_uuid"] == one.pupil
    assert two.pupil not in json.dumps(data)
    assert any(a["action"] == "export.pupil" and a["object_uuid"] == one.pupil for a in data["audit"])
    assert any(a["action"] == "plan.create" for a in data["audit"])
    raw = export.to_json_bytes(data)
    assert "Nguyễn".encode() in raw  # readable UTF-8, not \\u escapes


def test_only_the_lead_exports(school):
    s, folder, one, _ = school
    pat = access.sign_in(folder, "pat", STAFF_PASSWORD)
    try:
        with pytest.raises(PermissionDenied):
            export.export_pupil(pat, one.pupil)
        with pytest.raises(PermissionDenied):
            export.export_all(pat)
    finally:
        pat.close()
        point_models_at(s)


def test_csv_writer_neutralises_formulas():
    data = export.csv_bytes(["name", "n", "flag"], [["=HYPERLINK(\"http://x\")", 3, True], ["+44 1234", None, False],
                                                     ["-1", -2, True], ["@SUM(A1)", 1, False], ["Zoë", 2, True]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "3", "Y"]
    assert [r[0] for r in rows[2:]] == ["'+44 1234", "'-1", "'@SUM(A1)", "Zoë"]
    assert rows[3][1] == "-2"


def test_exported_audit_chain_verifies_as_documented(school):
    import hashlib

    s, _, _, _ = school
    rows = export.export_all(s)["audit"]
    prev = "0" * 64
    for row in rows:
        at = row["at"].rstrip("Z")
        canonical = json.dumps([row["seq"], at, row["actor"] or "", row["action"], row["object_type"],
                                row["object_uuid"], row["detail"]], separators=(",", ":"), ensure_ascii=False)
        assert row["prev_hash"] == prev
        prev = hashlib.sha256(prev.encode("ascii") + canonical.encode("utf-8")).hexdigest()
        assert row["hash"] == prev, row["seq"]
