"""DfE census codes as real MIS exports carry them: every extended ethnicity code, SIMS "CODE - description"
cells (CSV and XLSX) through the real import into a real vault, legacy SEN codes refused with what they
mean today, and control / bidirectional-override characters stripped from every imported text field.

The expected roll-up table below is written out by hand from the DfE school census guidance (main and
extended ethnicity codes), not generated from the code under test, so a wrong row in either shows.
All pupils are fictional; UPNs come from make_upn (local authority 999).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from schoolmh.db.models.records import Pupil
from schoolmh.domain import mis
from schoolmh.domain.mis import read_mis_bytes
from schoolmh.domain.upn import make_upn
from schoolmh.services import pupil_import
from schoolmh.services.pupil_import import FileRejected

EXPECTED_ROLL_UP = {
    # White - British
    "WENG": "WBRI", "WSCO": "WBRI", "WWEL": "WBRI", "WNIR": "WBRI", "WCOR": "WBRI", "WOWB": "WBRI",
    # Any other White background
    "WALB": "WOTH", "WBOS": "WOTH", "WCRO": "WOTH", "WGRE": "WOTH", "WGRK": "WOTH", "WGRC": "WOTH",
    "WITA": "WOTH", "WKOS": "WOTH", "WPOR": "WOTH", "WSER": "WOTH", "WTUR": "WOTH", "WTUK": "WOTH",
    "WTUC": "WOTH", "WEUR": "WOTH", "WEEU": "WOTH", "WWEU": "WOTH", "WOTW": "WOTH",
    # Gypsy / Roma
    "WROG": "WROM", "WROR": "WROM", "WROO": "WROM",
    # Mixed - White and Asian
    "MWAP": "MWAS", "MWAI": "MWAS", "MWAO": "MWAS",
    # Any other mixed background
    "MAOE": "MOTH", "MABL": "MOTH", "MACH": "MOTH", "MBOE": "MOTH", "MBCH": "MOTH", "MCOE": "MOTH",
    "MWOE": "MOTH", "MWCH": "MOTH", "MOTM": "MOTH",
    # Pakistani
    "AKPA": "APKN", "AMPK": "APKN", "AOPK": "APKN",
    # Any other Asian background
    "AAFR": "AOTH", "AKAO": "AOTH", "ANEP": "AOTH", "ASNL": "AOTH", "ASLT": "AOTH", "ASRO": "AOTH",
    "AOTA": "AOTH",
    # Black - African
    "BANN": "BAFR", "BCON": "BAFR", "BGHA": "BAFR", "BNGN": "BAFR", "BSLN": "BAFR", "BSOM": "BAFR",
    "BSUD": "BAFR", "BAOF": "BAFR",
    # Any other Black background
    "BEUR": "BOTH", "BNAM": "BOTH", "BOTB": "BOTH",
    # Chinese
    "CHKC": "CHNE", "CMAL": "CHNE", "CSNG": "CHNE", "CTWN": "CHNE", "COCH": "CHNE",
    # Any other ethnic group
    "OAFG": "OOTH", "OARA": "OOTH", "OEGY": "OOTH", "OFIL": "OOTH", "OIRN": "OOTH", "OIRQ": "OOTH",
    "OJPN": "OOTH", "OKOR": "OOTH", "OKRD": "OOTH", "OLAM": "OOTH", "OLEB": "OOTH", "OLIB": "OOTH",
    "OMAL": "OOTH", "OMRC": "OOTH", "OPOL": "OOTH", "OTHA": "OOTH", "OVIE": "OOTH", "OYEM": "OOTH",
    "OOEG": "OOTH",
}
EXPECTED_MAIN = ["WBRI", "WIRI", "WIRT", "WROM", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
                 "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"]


def parse_one(**cells: str):
    headers = ["Forename", "Surname", "Year", *cells]
    buf = io.StringIO()
    csv.writer(buf).writerows([headers, ["Ada", "Lovecraft", "9", *cells.values()]])
    return read_mis_bytes(buf.getvalue().encode(), "pupils.csv")


def test_code_tables_match_the_hand_written_census_lists():
    assert sorted(mis.ETHNICITY_MAIN_CODES) == sorted(EXPECTED_MAIN)
    assert {code: main for code, (main, _) in mis.ETHNICITY_EXTENDED_CODES.items()} == EXPECTED_ROLL_UP
    assert set(mis.SEN_PROVISION_CODES) == {"E", "K", "N"}
    assert sorted(mis.PRIMARY_NEED_CODES) == sorted(
        ["SPLD", "MLD", "SLD", "PMLD", "SLCN", "SEMH", "ASD", "VI", "HI", "MSI", "PD", "NSA", "OTH"])


@pytest.mark.parametrize("code", sorted(EXPECTED_ROLL_UP))
def test_every_extended_code_imports_as_its_main_code(code):
    for cell in (code, code.lower(), f"{code} - {mis.ETHNICITY_EXTENDED_CODES[code][1]}"):
        parsed = parse_one(Ethnicity=cell)
        assert parsed.errors == [], cell
        assert parsed.rows[0].ethnicity == EXPECTED_ROLL_UP[code], cell


@pytest.mark.parametrize("invented", ["APKA", "APKM", "APKO", "WXYZ"])
def test_codes_not_in_the_census_list_are_refused_by_row_and_column(invented):
    (error,) = parse_one(Ethnicity=invented).errors
    assert (error.row, error.column) == (2, "Ethnicity")
    assert "not a DfE ethnicity code" in error.message


@pytest.mark.parametrize("cell, field, expected", [
    ("K - SEN Support", "sen_provision", "K"),
    ("E - Education, Health and Care Plan", "sen_provision", "E"),
    ("N - No Special Educational Need", "sen_provision", "N"),
    ("E: EHC plan", "sen_provision", "E"),
    ("WBRI - White - British", "ethnicity", "WBRI"),
    ("AMPK - Mirpuri Pakistani", "ethnicity", "APKN"),
    ("AIND: Indian", "ethnicity", "AIND"),
    ("APKM - Mirpuri Pakistani", "ethnicity", "APKN"),  # a wrong code, but the description is a DfE one
    ("ASD - Autistic Spectrum Disorder", "primary_need", "ASD"),
    ("SEMH: Social, Emotional and Mental Health", "primary_need", "SEMH"),
    ("M - Male", "sex", "M"),
    ("Y - Yes", "fsm", True),
    ("N - No", "fsm", False),
])
def test_code_and_description_in_one_cell(cell, field, expected):
    column = {"sen_provision": "SEN Provision", "ethnicity": "Ethnicity", "primary_need": "Primary Need",
              "sex": "Gender", "fsm": "FSM"}[field]
    parsed = parse_one(**{column: cell})
    assert parsed.errors == []
    assert getattr(parsed.rows[0], field) == expected


@pytest.mark.parametrize("cell, says", [
    ("S", "statement"), ("S - Statement", "statement"), ("Statement", "statement"),
    ("A - School Action", "School Action"), ("P", "School Action Plus"), ("P - School Action Plus", "Action Plus"),
])
def test_legacy_sen_codes_are_refused_with_what_they_mean_today(cell, says):
    (error,) = parse_one(**{"SEN Provision": cell}).errors
    assert error.column == "SEN Provision"
    assert says in error.message and "September 2014" in error.message
    assert ("EHC plan" in error.message) if cell.startswith("S") else ("SEN support" in error.message)


def test_legacy_primary_need_is_refused_with_its_successor():
    (error,) = parse_one(**{"Primary Need": "BESD - Behaviour, Emotional and Social Difficulty"}).errors
    assert "SEMH" in error.message and "2014" in error.message


def test_a_wrong_code_with_a_wrong_description_is_still_refused():
    (error,) = parse_one(**{"SEN Provision": "X - Something else"}).errors
    assert "X - Something else" in error.message


# --- a SIMS export through the real import, CSV and XLSX --------------------------------------------------
SIMS_HEADERS = ["UPN", "Legal Surname", "Legal Forename", "DOB", "Year", "Reg", "Gender", "Ethnicity",
                "SEN Status", "Primary Need", "FSM"]
SIMS_ROWS = [
    [make_upn(1), "Qureshi", "Amina", "03/04/2012", "Year 8", "8A", "F - Female", "AMPK - Mirpuri Pakistani",
     "K - SEN Support", "ASD - Autistic Spectrum Disorder", "Y - Yes"],
    [make_upn(2), "Byrne", "Ciaran", "14/11/2011", "Year 9", "9B", "M - Male", "WNIR - Northern Irish",
     "E - Education, Health and Care Plan", "SLCN - Speech, Language and Communication Needs", "N - No"],
    [make_upn(3), "Hughes-Patel", "Leo", "01/09/2012", "Year 8", "8C", "M - Male",
     "MWAP - White and Pakistani", "N - No Special Educational Need", "", "N - No"],
    [make_upn(4), "Okafor", "Tobi", "22/02/2013", "Year 7", "7A", "M - Male", "WBRI - White - British",
     "N - No Special Educational Need", "", "N"],
]
EXPECTED_PUPILS = {
    make_upn(1): ("F", "APKN", "K", "ASD", True),
    make_upn(2): ("M", "WBRI", "E", "SLCN", False),
    make_upn(3): ("M", "MWAS", "N", "", False),
    make_upn(4): ("M", "WBRI", "N", "", False),
}


def sims_csv(path: Path, rows=SIMS_ROWS) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([["Student List - produced by SIMS"], SIMS_HEADERS, *rows])
    path.write_bytes(buf.getvalue().encode("cp1252"))  # what SIMS writes
    return path


def sims_xlsx(path: Path, rows=SIMS_ROWS) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(SIMS_HEADERS)
    for r in rows:
        sheet.append([dt.datetime.strptime(c, "%d/%m/%Y") if i == 3 else c for i, c in enumerate(r)])
    book.save(path)
    return path


@pytest.mark.parametrize("make", [sims_csv, sims_xlsx], ids=["csv", "xlsx"])
def test_sims_export_with_code_and_description_cells_imports(lead_session, tmp_path, make):
    path = make(tmp_path / f"sims.{'csv' if make is sims_csv else 'xlsx'}")
    summary = pupil_import.apply_import(lead_session, path)
    assert summary.added == 4
    got = {p.upn: (p.sex, p.ethnicity, p.sen_provision, p.primary_need, p.fsm) for p in Pupil.select()}
    assert got == EXPECTED_PUPILS


def test_one_legacy_code_blocks_the_file_and_says_where(lead_session, tmp_path):
    rows = [*SIMS_ROWS[:3], [*SIMS_ROWS[3][:8], "S - Statement", "", "N"]]
    with pytest.raises(FileRejected) as caught:
        pupil_import.apply_import(lead_session, sims_csv(tmp_path / "old.csv", rows))
    assert "row 6, column SEN Status" in caught.value.message and "EHC plan" in caught.value.message
    assert Pupil.select().count() == 0


# --- control and bidirectional-override characters ------------------------------------------------------
UNSAFE = "".join(chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def test_every_unsafe_character_is_stripped_from_every_text_field(lead_session, tmp_path):
    dirty = {  # each text column gets every unsafe character between its letters
        "Legal Surname": "Ev" + UNSAFE + "ans", "Legal Forename": "\u202eMia\u202c", "Reg": "7\x1b[2JB",
        "Preferred Forename": "Mi\x00a", "Preferred Surname": "\u2066Ev\u2069ans", "First Language": "ENG\x7f",
        "Gender": "F\x07", "Ethnicity": "WB\u202eRI",
    }
    headers = ["UPN", "Year", *dirty]
    buf = io.StringIO()
    csv.writer(buf).writerows([headers, [make_upn(7), "7", *dirty.values()]])
    path = tmp_path / "dirty.csv"
    path.write_bytes(buf.getvalue().replace("\x00", "").encode())  # a NUL makes the file binary: tested below
    pupil_import.apply_import(lead_session, path)
    p = Pupil.get(Pupil.upn == make_upn(7))
    stored = [p.legal_surname, p.legal_forename, p.tutor_group, p.preferred_forename, p.preferred_surname,
              p.first_language, p.sex, p.ethnicity, p.search_text]
    for value in stored:
        assert not any(ch in UNSAFE for ch in value), repr(value)
    # tab, line feed and carriage return become spaces, so words either side stay apart
    assert p.legal_surname == "Ev" + " " * 3 + "ans" and p.legal_forename == "Mia"
    assert (p.tutor_group, p.preferred_surname, p.first_language, p.sex, p.ethnicity) == (
        "7[2JB", "Evans", "ENG", "F", "WBRI")


def test_unsafe_characters_are_stripped_from_an_xlsx_too(lead_session, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["UPN", "Surname", "Forename", "Year"])
    book.active.append([make_upn(8), "Jo\u202ens", "\u2067Sam", 9])
    book.save(tmp_path / "x.xlsx")
    pupil_import.apply_import(lead_session, tmp_path / "x.xlsx")
    p = Pupil.get(Pupil.upn == make_upn(8))
    assert (p.legal_surname, p.legal_forename) == ("Jons", "Sam")


def test_headers_are_cleaned_too():
    parsed = parse_one(**{"Eth\u202enicity": "WBRI"})
    assert parsed.errors == [] and parsed.rows[0].ethnicity == "WBRI"
