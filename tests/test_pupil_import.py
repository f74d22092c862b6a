"""MIS import service and `schoolmh import pupils`: all or nothing, re-import, leavers, formats, fuzzing.

All names are fictional; UPNs come from make_upn (local authority 999, not a real one).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff
from schoolmh import cli
from schoolmh.db.models import AuditEntry
from schoolmh.db.models.records import Pupil
from schoolmh.domain.mis import csv_safe
from schoolmh.domain.upn import make_upn
from schoolmh.errors import ValidationError
from schoolmh.services import access, pupil_import, pupils, vault_admin
from schoolmh.services.pupil_import import FileRejected

TODAY = dt.date.today()
HEADERS = ["UPN", "Legal Surname", "Legal Forename", "Preferred Forename", "DOB", "Year", "Reg", "FSM"]


def row(n: int, **over) -> dict:
    values = {"UPN": make_upn(n), "Legal Surname": f"Adeyemi{n}", "Legal Forename": "Ife",
              "Preferred Forename": "", "DOB": "03/04/2012", "Year": "8", "Reg": "8A", "FSM": "N"}
    values.update(over)
    return values


def write_csv(path: Path, rows: list[dict], headers=HEADERS, encoding="utf-8-sig") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in headers])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def count() -> int:
    return Pupil.select().count()


def audit_count() -> int:
    return AuditEntry.select().count()


# --- service ------------------------------------------------------------------------------------------
def test_import_then_reimport_updates_without_duplicates(lead_session, tmp_path):
    f = write_csv(tmp_path / "a.csv", [row(1), row(2), row(3, **{"Preferred Forename": "Zoë"})])
    preview = pupil_import.preview_import(lead_session, f)
    assert preview.ok and (preview.added, preview.updated, preview.unchanged, preview.left_the_school) == (3, 0, 0, 0)
    assert count() == 0  # a preview writes nothing
    summary = pupil_import.apply_import(lead_session, f)
    assert (summary.added, summary.updated, summary.unchanged, summary.marked_left) == (3, 0, 0, 0)
    assert summary.line() == "Added 3, updated 0, unchanged 0, marked left 0."
    p3 = Pupil.get(Pupil.upn == make_upn(3))
    assert p3.preferred_forename == "Zoë" and p3.dob == dt.date(2012, 4, 3) and p3.year_group == 8
    assert pupils.search_pupils(lead_session, "zoe")[0].uuid == p3.uuid  # search text computed on import

    write_csv(f, [row(1), row(2, Reg="8B", FSM="Y"), row(3, **{"Preferred Forename": "Zoë"})])
    summary = pupil_import.apply_import(lead_session, f)
    assert (summary.added, summary.updated, summary.unchanged, summary.marked_left) == (0, 1, 2, 0)
    assert count() == 3
    p2 = Pupil.get(Pupil.upn == make_upn(2))
    assert (p2.tutor_group, p2.fsm) == ("8B", True)
    details = [d for (d,) in AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "pupil.import").tuples()]
    assert details[-1] == "rows=3;added=0;updated=1;unchanged=2;left=0"
    update = AuditEntry.select().where(AuditEntry.action == "pupil.update").get()
    assert update.object_uuid == p2.uuid and update.detail == "via=import;fields=fsm,tutor_group"
    created = [u for (u,) in AuditEntry.select(AuditEntry.object_uuid).where(AuditEntry.action == "pupil.create").tuples()]
    assert sorted(created) == sorted(p.uuid for p in Pupil.select())
    assert vault_admin.verify_audit(lead_session).ok  # the batch-appended entries chain correctly
    lead_session.close()
    reopened = access.sign_in(lead_session.vault.data_dir, None, LEAD_PASSWORD)
    try:
        assert vault_admin.verify_audit(reopened).ok  # and the recorded chain end matches after a restart
    finally:
        reopened.close()


def test_bad_row_rejects_whole_file_with_row_numbers(lead_session, tmp_path):
    pupil_import.apply_import(lead_session, write_csv(tmp_path / "ok.csv", [row(1)]))
    before, audits = count(), audit_count()
    bad = write_csv(tmp_path / "bad.csv", [row(1, Reg="CHANGED"), row(2), row(3, UPN="A999000000003"),
                                           row(4, Year="Year Q")])
    with pytest.raises(FileRejected) as info:
        pupil_import.apply_import(lead_session, bad)
    text = info.value.message
    assert "row 4, column UPN: UPN check letter should be" in text
    assert "row 5, column Year:" in text
    assert [e.row for e in info.value.errors] == [4, 5]
    assert count() == before and audit_count() == audits  # nothing at all changed
    assert Pupil.get(Pupil.upn == make_upn(1)).tutor_group == "8A"
    preview = pupil_import.preview_import(lead_session, bad)
    assert not preview.ok and len(preview.errors) == 2


def test_pupils_missing_from_the_file_are_marked_left_and_come_back(lead_session, tmp_path):
    f = tmp_path / "p.csv"
    pupil_import.apply_import(lead_session, write_csv(f, [row(1), row(2), row(3)]))
    hand_added = pupils.create_pupil(lead_session, legal_forename="Noor", legal_surname="Haddad", year_group=8)
    write_csv(f, [row(1), row(3)])
    preview = pupil_import.preview_import(lead_session, f)
    assert preview.left_the_school == 1
    assert pupil_import.preview_import(lead_session, f, mark_left=False).left_the_school == 0
    summary = pupil_import.apply_import(lead_session, f)
    assert (summary.unchanged, summary.marked_left) == (2, 1)
    assert Pupil.get(Pupil.upn == make_upn(2)).left_on == TODAY
    assert pupils.get_pupil(lead_session, hand_added.uuid).left_on is None  # no UPN: absence proves nothing
    # back on the roll
    summary = pupil_import.apply_import(lead_session, write_csv(f, [row(1), row(2), row(3)]))
    assert (summary.added, summary.updated, summary.marked_left) == (0, 1, 0)
    assert Pupil.get(Pupil.upn == make_upn(2)).left_on is None


def test_file_without_upns_matches_on_name_and_dob(lead_session, tmp_path):
    headers = ["Surname", "Forename", "DOB", "Year"]
    f = write_csv(tmp_path / "n.csv", [{"Surname": "Kowalski", "Forename": "Łukasz", "DOB": "2012-01-05", "Year": "8"},
                                       {"Surname": "Kowalski", "Forename": "Agnieszka", "DOB": "2012-01-05",
                                        "Year": "8"}], headers)
    assert pupil_import.apply_import(lead_session, f).added == 2
    existing = pupils.create_pupil(lead_session, legal_forename="Ana", legal_surname="Núñez", year_group=9,
                                   dob=dt.date(2011, 6, 1), upn=make_upn(40))
    write_csv(f, [{"Surname": "KOWALSKI", "Forename": "lukasz", "DOB": "05/01/2012", "Year": "9"},
                  {"Surname": "Kowalski", "Forename": "Agnieszka", "DOB": "2012-01-05", "Year": "8"},
                  {"Surname": "Núñez", "Forename": "Ana", "DOB": "01/06/2011", "Year": "9"}], headers)
    summary = pupil_import.apply_import(lead_session, f)
    assert (summary.added, summary.updated, summary.unchanged, summary.marked_left) == (0, 1, 2, 0)
    assert count() == 3
    assert pupils.get_pupil(lead_session, existing.uuid).upn == make_upn(40)  # no UPN column: kept


def test_new_upn_adopts_pupil_typed_in_by_hand(lead_session, tmp_path):
    typed = pupils.create_pupil(lead_session, legal_forename="Ife", legal_surname="Adeyemi7", year_group=8,
                                dob=dt.date(2012, 4, 3))
    summary = pupil_import.apply_import(lead_session, write_csv(tmp_path / "a.csv", [row(7)]))
    assert (summary.added, summary.updated) == (0, 1)
    assert pupils.get_pupil(lead_session, typed.uuid).upn == make_upn(7)


def test_ambiguous_match_is_an_error_not_a_guess(lead_session, tmp_path):
    for _ in range(2):
        pupils.create_pupil(lead_session, legal_forename="Ife", legal_surname="Adeyemi9", year_group=8,
                            dob=dt.date(2012, 4, 3))
    with pytest.raises(FileRejected) as info:
        pupil_import.apply_import(lead_session, write_csv(tmp_path / "a.csv", [row(9)]))
    assert "row 2, column UPN: matches 2 pupils" in info.value.message
    assert count() == 2


def test_repeated_row_without_upn_is_an_error(lead_session, tmp_path):
    headers = ["Surname", "Forename", "DOB", "Year"]
    twice = {"Surname": "Diallo", "Forename": "Awa", "DOB": "2012-01-05", "Year": "8"}
    with pytest.raises(FileRejected) as info:
        pupil_import.apply_import(lead_session, write_csv(tmp_path / "n.csv", [twice, twice], headers))
    assert "row 3, column Surname: same name and date of birth as row 2" in info.value.message
    assert count() == 0


def test_columns_absent_from_the_file_are_left_alone(lead_session, tmp_path):
    pupil_import.apply_import(lead_session, write_csv(tmp_path / "a.csv", [row(1)]))
    pupil_import.apply_import(lead_session, write_csv(tmp_path / "b.csv", [{"UPN": make_upn(1), "Legal Surname": "Adeyemi1",
                                                                         "Legal Forename": "Ife", "Year": "9"}],
                                                      ["UPN", "Legal Surname", "Legal Forename", "Year"]))
    p = Pupil.get(Pupil.upn == make_upn(1))
    assert (p.year_group, p.dob, p.tutor_group) == (9, dt.date(2012, 4, 3), "8A")


def test_mapping_xlsx_cp1252_and_progress(lead_session, tmp_path):
    # --map for a header the importer does not know
    f = write_csv(tmp_path / "m.csv", [{"UPN": make_upn(1), "Surname": "Lévy", "Forename": "Anaïs", "Cohort": "10"}],
                  ["UPN", "Surname", "Forename", "Cohort"])
    with pytest.raises(FileRejected, match="year group"):
        pupil_import.apply_import(lead_session, f)
    assert pupil_import.apply_import(lead_session, f, {"Cohort": "year_group"}).added == 1
    # Windows-1252, as Excel saves "CSV"
    f = write_csv(tmp_path / "w.csv", [row(2, **{"Legal Forename": "Chloé", "Legal Surname": "Dvořák".replace("ř", "r")})],
                  encoding="cp1252")
    pupil_import.apply_import(lead_session, f, mark_left=False)
    assert Pupil.get(Pupil.upn == make_upn(2)).legal_forename == "Chloé"
    # XLSX with a real date cell
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UPN", "Legal Surname", "Legal Forename", "Date of Birth", "NC Year"])
    ws.append([make_upn(3), "Ó Súilleabháin", "Saoirse", dt.datetime(2011, 9, 30), 10])
    wb.save(tmp_path / "x.xlsx")
    seen = []
    summary = pupil_import.apply_import(lead_session, tmp_path / "x.xlsx", progress=lambda d, t: seen.append((d, t)),
                                        mark_left=False)
    assert summary.added == 1 and seen[-1] == (1, 1)
    p = Pupil.get(Pupil.upn == make_upn(3))
    assert (p.legal_surname, p.dob, p.year_group) == ("Ó Súilleabháin", dt.date(2011, 9, 30), 10)


def test_missing_file_is_a_plain_error(lead_session, tmp_path):
    with pytest.raises(ValidationError, match="Could not open"):
        pupil_import.preview_import(lead_session, tmp_path / "nope.csv")


# --- command line ---------------------------------------------------------------------------------------
@pytest.fixture
def cli_vault(recovery_key, vault_dir, monkeypatch):
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    return vault_dir


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def vault_pupils(vault_dir) -> list[tuple[str, str]]:
    s = access.sign_in(vault_dir, None, LEAD_PASSWORD)
    try:
        return sorted((p.upn, p.tutor_group) for p in pupils.list_pupils(s, include_left=True))
    finally:
        s.close()


def test_cli_import_dry_run_errors_and_map(cli_vault, tmp_path, capsys):
    d = str(cli_vault)
    good = write_csv(tmp_path / "good.csv", [row(1), row(2)])
    code, out, err = run(capsys, "import", "pupils", str(good), "--data-dir", d, "--dry-run")
    assert code == 0 and out.strip() == "Dry run (nothing written): Added 2, updated 0, unchanged 0, marked left 0."
    assert vault_pupils(cli_vault) == []

    code, out, _ = run(capsys, "import", "pupils", str(good), "--data-dir", d)
    assert code == 0 and out.strip() == "Added 2, updated 0, unchanged 0, marked left 0."

    rows = [row(n, UPN=make_upn(n)[:-1] + "X") for n in range(10, 35)]  # 25 bad UPNs
    bad = write_csv(tmp_path / "bad.csv", [row(1, Reg="9Z")] + rows)
    code, out, err = run(capsys, "import", "pupils", str(bad), "--data-dir", d)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith("schoolmh: Nothing was imported: the file has 25 problems.")
    assert lines[1].startswith("row 3, column UPN: ")
    assert len([ln for ln in lines if ln.startswith("row ")]) == 20
    assert lines[-1] == "… and 5 more errors"
    assert vault_pupils(cli_vault) == [(make_upn(1), "8A"), (make_upn(2), "8A")]

    mapped = write_csv(tmp_path / "map.csv", [{"UPN": make_upn(1), "Family": "Adeyemi1", "Given": "Ife",
                                               "Cohort": "9", "House": "Tudor"}],
                       ["UPN", "Family", "Given", "Cohort", "House"])
    code, out, err = run(capsys, "import", "pupils", str(mapped), "--data-dir", d, "--map", "Family=legal_surname",
                         "--map", "Given=legal_forename", "--map", "Cohort=year_group", "--map", "House=tutor_group",
                         "--keep-missing")
    assert code == 0, err
    assert out.strip() == "Added 0, updated 1, unchanged 0, marked left 0."
    assert vault_pupils(cli_vault) == [(make_upn(1), "Tudor"), (make_upn(2), "8A")]

    code, _, err = run(capsys, "import", "pupils", str(mapped), "--data-dir", d, "--map", "Family=shoe_size")
    assert code == 2 and "not a field SchoolMH can import" in err


def test_cli_import_needs_the_lead(cli_vault, tmp_path, capsys, monkeypatch):
    s = access.sign_in(cli_vault, None, LEAD_PASSWORD)
    add_staff(s, "pat", "pastoral")
    s.close()
    monkeypatch.setenv("SCHOOLMH_PASSWORD", STAFF_PASSWORD)
    code, _, err = run(capsys, "import", "pupils", str(write_csv(tmp_path / "a.csv", [row(1)])),
                       "--data-dir", str(cli_vault), "--user", "pat")
    assert code == 2 and err.strip() == "schoolmh: Your role (Pastoral staff) cannot import the pupil list."


# --- fuzzing ---------------------------------------------------------------------------------------------
HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2", "@SUM(A1)", "\t=1", "Zoë", "O'Connor", "", " ",
           "\"quoted\"", "a,b", "Ψ", "x" * 120, "\x00"]
NAMES = st.sampled_from(["Zoë", "O'Connor", "=HYPERLINK(\"http://x\",\"y\")", "+44 7700", "-dash", "@handle",
                         "Nguyễn", "Smith-Jones", "Ife"])
VALID = {  # a plausible value for each column; a row mixes these with hostile cells
    "UPN": st.one_of(st.just(""), st.integers(0, 5).map(make_upn)),  # duplicate UPNs are likely
    "Legal Surname": NAMES, "Legal Forename": NAMES,
    "DOB": st.sampled_from(["", "03/04/2012", "2011-09-30"]),
    "Year": st.sampled_from(["7", "Y9", "Year 11", "R"]),
    "Reg": st.sampled_from(["", "7A", "=cmd|' /C calc'!A0"]),
    "FSM": st.sampled_from(["", "Y", "N", "TRUE"]),
    "Extra": st.text(max_size=8),
}
HOSTILE_CELL = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(["A999000000001", "15", "31/02/2012", "01/01/2099", "maybe"]),
    st.text(max_size=12),
)
FUZZ_HEADERS = list(VALID)


@st.composite
def files(draw):
    if draw(st.integers(0, 5)) == 0:  # raw bytes, as CSV or claiming to be XLSX
        return draw(st.binary(max_size=400)), draw(st.sampled_from([".csv", ".xlsx"]))
    if draw(st.integers(0, 4)) == 0:  # any columns at all
        headers = draw(st.lists(st.sampled_from(FUZZ_HEADERS), min_size=1, max_size=8, unique=True))
    else:  # the required columns and some others, in any order
        optional = draw(st.lists(st.sampled_from(FUZZ_HEADERS[3:] + ["UPN"]), max_size=5, unique=True))
        headers = draw(st.permutations(["Legal Surname", "Legal Forename", "Year"] + optional))
    hostility = draw(st.sampled_from([0, 0, 8, 30]))  # 0: a clean file
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        cells = [draw(HOSTILE_CELL if hostility and draw(st.integers(0, hostility)) == 0 else VALID[h])
                 for h in headers]
        cut = draw(st.integers(0, 15))  # now and then a row with missing or extra cells
        if cut == 0:
            cells = cells[: draw(st.integers(0, len(cells)))]
        elif cut == 1:
            cells += ["surplus"]
        rows.append(cells)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return buf.getvalue().encode(encoding, errors="replace"), ".csv"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=files(), reimport=st.booleans())
def test_fuzz_never_crashes_never_half_imports(lead_session, tmp_path, data, reimport):
    content, suffix = data
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    before = {p.upn: p.updated_at for p in Pupil.select()}
    n_before, audits = count(), audit_count()
    try:
        preview = pupil_import.preview_import(lead_session, path, mark_left=False)
    except ValidationError:
        return
    try:
        summary = pupil_import.apply_import(lead_session, path, mark_left=False)
    except FileRejected as exc:
        event("rejected")
        assert not preview.ok and exc.errors
        assert count() == n_before and audit_count() == audits
        assert {p.upn: p.updated_at for p in Pupil.select()} == before
        return
    event("imported" if summary.rows else "imported (no rows)")
    assert preview.ok
    assert (summary.added, summary.updated, summary.unchanged) == (preview.added, preview.updated, preview.unchanged)
    assert count() == n_before + summary.added
    assert summary.added + summary.updated + summary.unchanged == summary.rows == len(preview.parsed.rows)
    stored = {(p.legal_surname, p.legal_forename, p.upn) for p in Pupil.select()}
    for r in preview.parsed.rows:  # every row of the file is in the vault, text exactly as given
        if r.upn:
            p = Pupil.get(Pupil.upn == r.upn)
            assert (p.legal_surname, p.legal_forename) == (r.legal_surname, r.legal_forename)
        else:
            assert any(s[:2] == (r.legal_surname, r.legal_forename) for s in stored)
        for text in (r.legal_surname, r.legal_forename):  # neutralised when written to CSV later
            assert not csv_safe(text).startswith(("=", "+", "-", "@"))
    if reimport:  # importing the same file again changes nothing
        again = pupil_import.apply_import(lead_session, path, mark_left=False)
        assert again.added == 0 and again.updated == 0 and count() == n_before + summary.added
