"""Outcome measures through the service: storing scores, change first-to-latest by instrument and rater,
the catalogue, `schoolmh measures list`, and the measures CSV import. All names fictional.

Expected numbers are small hand sums (SDQ total difficulties = emotional + conduct +
hyperactivity + peer; SWEMWBS metric from the Rasch table in domain.instruments).
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from support import LEAD_PASSWORD
from schoolmh import cli
from schoolmh.db.models import AuditEntry
from schoolmh.db.models.records import MeasureResult
from schoolmh.domain.instruments import (
    INSTRUMENTS,
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
)
from schoolmh.domain.upn import make_upn
from schoolmh.errors import NotFound, ValidationError
from schoolmh.services import access, measures, pupils, records_import
from schoolmh.services.pupil_import import FileRejected

TODAY = dt.date.today()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def sdq(e, c, h, p, pro=7):
    return {"emotional": e, "conduct": c, "hyperactivity": h, "peer": p, "prosocial": pro}


def swemwbs(each: int) -> dict:
    return {f"i{k}": each for k in range(1, 8)}


@pytest.fixture
def pupil(lead_session):
    return pupils.create_pupil(lead_session, legal_forename="Ngozi", legal_surname="Okafor", year_group=10,
                               upn=make_upn(1), dob=dt.date(2010, 1, 15))


def test_record_and_list(lead_session, pupil):
    m = measures.record_measure(lead_session, pupil.uuid, "sdq", "Self", sdq(8, 3, 6, 4), days_ago(60))
    # 8 + 3 + 6 + 4 = 21 total difficulties: self-report band 20-40 "very high"
    assert (m.instrument, m.rater, m.headline, m.band) == ("SDQ", "self", 21.0, "very high")
    assert m.totals == {"total_difficulties": 21, "externalising": 9, "internalising": 12}
    stored = MeasureResult.get()
    assert json.loads(stored.values_json) == sdq(8, 3, 6, 4)  # scores only
    assert measures.list_measures(lead_session, pupil.uuid) == [m]
    entry = AuditEntry.select().where(AuditEntry.action == "measure.create").get()
    assert entry.object_uuid == m.uuid and entry.detail == f"pupil={pupil.uuid};instrument=SDQ"


def test_age_dependent_band_uses_dob(lead_session, pupil):
    # ORS total 5 + 6 + 7 + 8.5 = 26.5; at 14 the cut-off is 28, so clinical range
    m = measures.record_measure(lead_session, pupil.uuid, "ORS", "self",
                                {"individually": 5, "interpersonally": 6, "socially": 7, "overall": 8.5},
                                dt.date(2024, 6, 1))
    assert (m.headline, m.band) == (26.5, "clinical range")


@pytest.mark.parametrize("instrument, rater, values, field, words", [
    ("SDQ", "self", sdq(11, 0, 0, 0), "emotional", "out of range"),
    ("SDQ", "self", {"emotional": 3}, "conduct", "missing"),
    ("SDQ", "teacher", {**sdq(1, 1, 1, 1), "mood": 3}, "mood", "not a score"),
    ("SDQ", "cat", sdq(1, 1, 1, 1), "rater", "cannot be completed"),
    ("PHQ9", "self", {}, "instrument", "not a questionnaire"),
])
def test_bad_values_name_the_field(lead_session, pupil, instrument, rater, values, field, words):
    with pytest.raises(ValidationError) as info:
        measures.record_measure(lead_session, pupil.uuid, instrument, rater, values)
    assert info.value.field == field and words in info.value.message
    assert MeasureResult.select().count() == 0


def test_future_date_and_foreign_session_refused(lead_session, pupil):
    with pytest.raises(ValidationError, match="future"):
        measures.record_measure(lead_session, pupil.uuid, "GBO", "self", {"goal1": 3}, days_ago(-1))
    with pytest.raises(ValidationError, match="not one of this pupil's"):
        measures.record_measure(lead_session, pupil.uuid, "GBO", "self", {"goal1": 3}, session_uuid="0" * 32)


def test_change_summary_respects_direction_and_rater(lead_session, pupil):
    rec = measures.record_measure
    # SDQ self: 21 -> 14 -> 11; delta -10, threshold 7, lower is better -> reliable improvement
    rec(lead_session, pupil.uuid, "SDQ", "self", sdq(8, 3, 6, 4), days_ago(90))
    rec(lead_session, pupil.uuid, "SDQ", "self", sdq(5, 3, 4, 2), days_ago(45))
    rec(lead_session, pupil.uuid, "SDQ", "self", sdq(3, 2, 4, 2), days_ago(1))
    # SDQ parent: only one result, so no change is claimed
    rec(lead_session, pupil.uuid, "SDQ", "parent", sdq(3, 2, 4, 2), days_ago(1))
    # SWEMWBS: all 4s (raw 28, metric 25.03) -> all 2s (raw 14, metric 15.32): higher is better, a fall
    rec(lead_session, pupil.uuid, "SWEMWBS", "self", swemwbs(4), days_ago(60))
    rec(lead_session, pupil.uuid, "SWEMWBS", "self", swemwbs(2), days_ago(2))
    # GBO: 4 -> 6, change 2 < 3
    rec(lead_session, pupil.uuid, "GBO", "self", {"goal1": 4}, days_ago(30))
    rec(lead_session, pupil.uuid, "GBO", "self", {"goal1": 6}, days_ago(3))
    summary = {(c.instrument, c.rater): c for c in measures.change_summary(lead_session, pupil.uuid)}
    assert set(summary) == {("SDQ", "self"), ("SWEMWBS", "self"), ("GBO", "self")}
    s = summary[("SDQ", "self")]
    assert (s.count, s.first_date, s.first_headline, s.latest_headline, s.delta, s.classification) == (
        3, days_ago(90), 21.0, 11.0, -10.0, RELIABLE_IMPROVEMENT)
    w = summary[("SWEMWBS", "self")]
    assert (w.first_headline, w.latest_headline, w.classification) == (25.03, 15.32, RELIABLE_DETERIORATION)
    assert summary[("GBO", "self")].classification == NO_RELIABLE_CHANGE


def test_delete_measure(lead_session, pupil):
    m = measures.record_measure(lead_session, pupil.uuid, "GBO", "self", {"goal1": 3})
    measures.delete_measure(lead_session, m.uuid)
    assert measures.list_measures(lead_session, pupil.uuid) == []
    with pytest.raises(NotFound):
        measures.delete_measure(lead_session, m.uuid)


def test_catalogue_covers_every_instrument():
    cat = {i.code: i for i in measures.instrument_catalogue()}
    assert set(cat) == set(INSTRUMENTS)
    sdq_info = cat["SDQ"]
    assert sdq_info.raters == ("parent", "teacher", "self") and not sdq_info.higher_is_better
    assert [(f.code, f.min, f.max) for f in sdq_info.fields][0] == ("emotional", 0, 10)
    assert len(cat["RCADS25"].forms) == 2
    assert measures.csv_columns("sdq") == ["upn", "date", "instrument", "rater", "emotional", "conduct",
                                           "hyperactivity", "peer", "prosocial"]


def test_cli_measures_list(capsys):
    assert cli.main(["measures", "list"]) == 0
    out = capsys.readouterr().out
    assert "upn,date,instrument,rater,emotional,conduct,hyperactivity,peer,prosocial" in out
    assert "upn,date,instrument,rater,goal1,goal2,goal3" in out
    for code in INSTRUMENTS:
        assert f"\n{code}: " in "\n" + out


# --- measures CSV import ----------------------------------------------------------------------------------
def test_measures_csv_import(lead_session, pupil, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text(
        "UPN,Date,Instrument,Rater,emotional,conduct,hyperactivity,peer,prosocial,goal1,anxiety,depression\n"
        f"{make_upn(1)},03/02/2025,SDQ,self,8,3,6,4,7,,,\n"
        f"{make_upn(1)},2025-03-03,GBO,self,,,,,,5,,\n"
        f"{make_upn(1)},04/03/2025,RCADS-25,child,,,,,,,20,10\n", encoding="utf-8-sig")
    summary = records_import.import_measures_csv(lead_session, f)
    assert (summary.imported, summary.already_recorded) == (3, 0)
    got = [(m.date, m.instrument, m.headline) for m in measures.list_measures(lead_session, pupil.uuid)]
    assert got == [(dt.date(2025, 2, 3), "SDQ", 21.0), (dt.date(2025, 3, 3), "GBO", 5.0),
                   (dt.date(2025, 3, 4), "RCADS25", 30.0)]  # 20 + 10
    again = records_import.import_measures_csv(lead_session, f)
    assert (again.imported, again.already_recorded) == (0, 3)

    f.write_text(
        "upn,date,instrument,rater,emotional,conduct,hyperactivity,peer,prosocial,goal1\n"
        f"{make_upn(1)},05/03/2025,SDQ,self,8,3,6,4,7,\n"  # fine on its own
        f"{make_upn(1)},05/03/2025,SDQ,self,12,3,6,4,7,\n"
        f"{make_upn(1)},05/03/2025,SDQ,self,8,3,6,4,7,4\n"
        f"{make_upn(2)},05/03/2025,GBO,grandparent,,,,,,4\n"
        f"{make_upn(1)},,XYZ,self,,,,,,\n", encoding="utf-8")
    with pytest.raises(FileRejected) as info:
        records_import.import_measures_csv(lead_session, f)
    text = info.value.message
    for expected in ("row 3, column emotional: Emotional", "out of range",
                     "row 4, column goal1: 'goal1' is not a score on the SDQ",
                     "row 5, column upn: no pupil with UPN", "row 5, column rater:",
                     "row 6, column date: a date is required", "row 6, column instrument:"):
        assert expected in text, text
    assert MeasureResult.select().count() == 3

    f.write_text("upn,date,instrument\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="row 1, column rater: this column is missing"):
        records_import.import_measures_csv(lead_session, f)


def test_cli_import_measures(recovery_key, vault_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    s = access.sign_in(vault_dir, None, LEAD_PASSWORD)
    p = pupils.create_pupil(s, legal_forename="Ngozi", legal_surname="Okafor", year_group=10, upn=make_upn(1))
    s.close()
    f = tmp_path / "m.csv"
    f.write_text("upn,date,instrument,rater,goal1,goal2\n"
                 f"{make_upn(1)},03/02/2025,GBO,self,3,4\n", encoding="utf-8")
    assert cli.main(["import", "measures", str(f), "--data-dir", str(vault_dir)]) == 0
    assert capsys.readouterr().out.strip() == "imported 1 measures, 0 already recorded (of 1 rows)."
    f.write_bytes(b"PK\x03\x04 not really a workbook")
    assert cli.main(["import", "measures", str(f), "--data-dir", str(vault_dir)]) == 2
    assert "save it as CSV" in capsys.readouterr().err
    s = access.sign_in(vault_dir, None, LEAD_PASSWORD)
    assert [m.headline for m in measures.list_measures(s, p.uuid)] == [3.5]  # mean of 3 and 4
    s.close()
