"""Parsing MIS exports (SIMS, Arbor, Bromcom): headers, values, errors, hostile input.

All names are fictional.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolmh.domain import mis
from schoolmh.domain.mis import (
    CANONICAL_FIELDS,
    ParsedFile,
    PupilRow,
    RowError,
    csv_safe,
    format_errors,
    guess_mapping,
    parse_map_option,
    read_mis_bytes,
    read_mis_file,
    validate_mapping,
)
from schoolmh.domain.upn import make_upn
from schoolmh.errors import ValidationError

BASIC_HEADERS = ["UPN", "Legal Surname", "Legal Forename", "DOB", "Year"]


def make_csv(headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def basic_row(n: int, **overrides: str) -> list[str]:
    values = {
        "UPN": make_upn(n),
        "Legal Surname": f"Quillfeather{n}",
        "Legal Forename": "Ottilie",
        "DOB": "14/02/2012",
        "Year": "8",
    }
    values.update(overrides)
    return [values[h] for h in BASIC_HEADERS]


def parse(headers: list[str], rows: list[list[str]], **kwargs: object) -> ParsedFile:
    return read_mis_bytes(make_csv(headers, rows), "pupils.csv", **kwargs)  # type: ignore[arg-type]


# --- headers -------------------------------------------------------------------------------
ALIASES = [
    ("UPN", "upn"),
    ("Legal Surname", "legal_surname"), ("Surname", "legal_surname"),
    ("Legal Forename", "legal_forename"), ("Forename", "legal_forename"),
    ("First Name", "legal_forename"),
    ("Preferred Forename", "preferred_forename"), ("Preferred Name", "preferred_forename"),
    ("Known As", "preferred_forename"),
    ("Preferred Surname", "preferred_surname"),
    ("DOB", "dob"), ("Date of Birth", "dob"),
    ("Gender", "sex"), ("Sex", "sex"),
    ("Year", "year_group"), ("NC Year", "year_group"), ("Year Group", "year_group"),
    ("National Curriculum Year", "year_group"),
    ("Reg", "tutor_group"), ("Reg Group", "tutor_group"), ("Registration Group", "tutor_group"),
    ("Tutor Group", "tutor_group"), ("Form", "tutor_group"),
    ("Ethnicity", "ethnicity"), ("Ethnic Code", "ethnicity"), ("Ethnicity Code", "ethnicity"),
    ("SEN Status", "sen_provision"), ("SEN Provision", "sen_provision"), ("SEN", "sen_provision"),
    ("Primary Need", "primary_need"), ("SEN Primary Need", "primary_need"),
    ("FSM", "fsm"), ("FSM Eligible", "fsm"), ("Free School Meals", "fsm"),
    ("EAL", "eal"),
    ("First Language", "first_language"), ("Home Language", "first_language"),
    ("Pupil Premium", "pupil_premium"), ("PP", "pupil_premium"),
    ("In Care", "looked_after"), ("CLA", "looked_after"), ("Looked After", "looked_after"),
    ("LAC", "looked_after"),
    ("Young Carer", "young_carer"),
    ("Service Child", "service_child"), ("Service Children", "service_child"),
]


@pytest.mark.parametrize(("header", "field"), ALIASES)
def test_each_usual_header_is_recognised(header: str, field: str) -> None:
    assert guess_mapping([header]) == {header: field}
    # case, spacing and punctuation do not matter
    messy = f"  {header.upper().replace(' ', '_')}. "
    assert guess_mapping([messy]) == {messy.strip(): field}


def test_every_field_documented() -> None:
    for name, spec in CANONICAL_FIELDS.items():
        assert spec.name == name
        assert spec.description and spec.accepted and spec.aliases
    assert len(CANONICAL_FIELDS) == 19


def test_no_alias_is_shared_by_two_fields() -> None:
    owners: dict[str, str] = {}
    for spec in CANONICAL_FIELDS.values():
        for alias in (spec.name, *spec.aliases):
            key = mis._key(alias)
            assert owners.setdefault(key, spec.name) == spec.name, alias


def test_legal_header_beats_plain_one_when_both_present() -> None:
    mapping = guess_mapping(["Surname", "Legal Surname", "Forename", "Preferred Forename"])
    assert mapping == {
        "Legal Surname": "legal_surname",
        "Forename": "legal_forename",
        "Preferred Forename": "preferred_forename",
    }


def test_typical_sims_arbor_bromcom_headers_parse() -> None:
    sims = ["UPN", "Surname", "Forename", "Preferred Forename", "Date of Birth", "Gender",
            "Year", "Reg", "Ethnicity", "SEN Status", "Primary Need", "FSM Eligible", "EAL",
            "In Care", "Pupil Premium Indicator"]
    row = [make_upn(7), "Brackenridge", "Tobias", "Toby", "01/09/2011", "M", "Year 9", "9TW",
           "WBRI", "K", "SEMH", "Y", "N", "N", "Y"]
    parsed = parse(sims, [row])
    assert parsed.errors == []
    (pupil,) = parsed.rows
    assert pupil == PupilRow(
        row_number=2, upn=make_upn(7), legal_surname="Brackenridge", legal_forename="Tobias",
        preferred_forename="Toby", dob=dt.date(2011, 9, 1), sex="M", year_group=9,
        tutor_group="9TW", ethnicity="WBRI", sen_provision="K", primary_need="SEMH",
        fsm=True, eal=False, looked_after=False, pupil_premium=True,
    )
    assert pupil.display_name == "Toby Brackenridge"
    assert "upn" in parsed.present_fields and "young_carer" not in parsed.present_fields

    arbor = ["First name", "Last name", "Preferred first name", "Date of birth", "Year group",
             "Registration form", "Ethnicity", "SEN status", "FSM", "Young carer"]
    parsed = parse(arbor, [["Marisol", "Upwood", "", "2010-05-17", "Year 10", "10U",
                            "White - British", "EHC Plan", "No", "Yes"]])
    assert parsed.errors == []
    assert parsed.rows[0].year_group == 10
    assert parsed.rows[0].sen_provision == "E"
    assert parsed.rows[0].young_carer is True
    assert parsed.rows[0].forename == "Marisol"


# --- values ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("14/02/2012", dt.date(2012, 2, 14)), ("4/2/2012", dt.date(2012, 2, 4)),
     ("2012-02-14", dt.date(2012, 2, 14)), ("2012-02-14 00:00:00", dt.date(2012, 2, 14)),
     ("14/02/2012 00:00", dt.date(2012, 2, 14)), ("", None)],
)
def test_dates(text: str, expected: dt.date | None) -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1, DOB=text)])
    assert parsed.errors == []
    assert parsed.rows[0].dob == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [("31/02/2012", "not a real date"), ("14/02/12", "not a date"), ("12/31/2012", "not a real date"),
     ("yesterday", "not a date"), ("01/01/2999", "in the future")],
)
def test_bad_dates_name_row_and_column(text: str, why: str) -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1), basic_row(2, DOB=text)])
    assert len(parsed.rows) == 1
    (error,) = parsed.errors
    assert (error.row, error.column) == (3, "DOB")
    assert why in error.message
    assert str(error).startswith("row 3, column DOB: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), ("07", 7), ("Year 7", 7), ("Y7", 7), ("Yr 11", 11), ("year 13", 13), ("14", 14),
     ("R", 0), ("Reception", 0), ("Year R", 0), ("N1", -2), ("N2", -1), ("1", 1), ("7.0", 7)],
)
def test_year_groups(text: str, expected: int) -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1, Year=text)])
    assert parsed.errors == []
    assert parsed.rows[0].year_group == expected


@pytest.mark.parametrize("text", ["15", "Year 15", "-1", "Seven", "N3", "7B"])
def test_bad_year_groups(text: str) -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1, Year=text)])
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "Year")]
    assert "not a year group" in parsed.errors[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Y", True), ("yes", True), ("TRUE", True), ("1", True), ("T", True),
     ("N", False), ("No", False), ("false", False), ("0", False), ("f", False), ("", False)],
)
def test_booleans(text: str, expected: bool) -> None:
    parsed = parse(["Forename", "Surname", "Year", "FSM", "PP"], [["Ada", "Lovecraft", "9", text, text]])
    assert parsed.errors == []
    assert parsed.rows[0].fsm is expected
    assert parsed.rows[0].pupil_premium is expected


def test_bad_boolean() -> None:
    parsed = parse(["Forename", "Surname", "Year", "EAL"], [["Ada", "Lovecraft", "9", "sometimes"]])
    assert str(parsed.errors[0]) == "row 2, column EAL: should be Y or N, not “sometimes”"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("M", "M"), ("male", "M"), ("F", "F"), ("Female", "F"), ("", ""), ("X", "X"),
     ("Not stated", "Not stated")],
)
def test_sex(text: str, expected: str) -> None:
    parsed = parse(["Forename", "Surname", "Year", "Gender"], [["Ada", "Lovecraft", "9", text]])
    assert parsed.errors == []
    assert parsed.rows[0].sex == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("WBRI", "WBRI"), ("wbri", "WBRI"), ("AIND", "AIND"), ("NOBT", "NOBT"), ("REFU", "REFU"),
     ("WENG", "WBRI"), ("WSCO", "WBRI"), ("WWEL", "WBRI"), ("WCOR", "WBRI"), ("WOWB", "WBRI"),
     ("AMPK", "APKN"), ("AKPA", "APKN"), ("AOPK", "APKN"), ("MWAP", "MWAS"), ("WNIR", "WBRI"), ("BSOM", "BAFR"), ("WPOR", "WOTH"),
     ("White - British", "WBRI"), ("White British", "WBRI"), ("Black - African", "BAFR"),
     ("Asian or Asian British - Pakistani", "APKN"), ("Chinese", "CHNE"),
     ("Mixed - White and Asian", "MWAS"), ("Any other ethnic group", "OOTH"),
     ("WBRI - White British", "WBRI"), ("Information not yet obtained", "NOBT"), ("", "")],
)
def test_ethnicity(text: str, expected: str) -> None:
    parsed = parse(["Forename", "Surname", "Year", "Ethnicity"], [["Ada", "Lovecraft", "9", text]])
    assert parsed.errors == []
    assert parsed.rows[0].ethnicity == expected


@pytest.mark.parametrize("text", ["ZZZZ", "Martian", "W"])
def test_unknown_ethnicity_is_an_error(text: str) -> None:
    parsed = parse(["Forename", "Surname", "Year", "Ethnic Code"], [["Ada", "Lovecraft", "9", text]])
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "Ethnic Code")]
    assert "not a DfE ethnicity code" in parsed.errors[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("E", "E"), ("EHC Plan", "E"), ("Education, Health and Care Plan", "E"), ("K", "K"),
     ("SEN Support", "K"), ("N", "N"), ("No Special Educational Need", "N"), ("", "N")],
)
def test_sen_provision(text: str, expected: str) -> None:
    parsed = parse(["Forename", "Surname", "Year", "SEN"], [["Ada", "Lovecraft", "9", text]])
    assert parsed.errors == []
    assert parsed.rows[0].sen_provision == expected


def test_bad_sen_provision() -> None:
    parsed = parse(["Forename", "Surname", "Year", "SEN"], [["Ada", "Lovecraft", "9", "X"]])
    assert "E (EHC plan), K (SEN support) or N (none)" in parsed.errors[0].message


@pytest.mark.parametrize("code", list(mis.PRIMARY_NEED_CODES))
def test_primary_need_codes_and_descriptions(code: str) -> None:
    description = mis.PRIMARY_NEED_CODES[code]
    parsed = parse(["Forename", "Surname", "Year", "Primary Need"],
                   [["Ada", "Lovecraft", "9", code.lower()], ["Ada", "Lovecraft", "9", description]])
    assert parsed.errors == []
    assert [r.primary_need for r in parsed.rows] == [code, code]


def test_bad_primary_need() -> None:
    parsed = parse(["Forename", "Surname", "Year", "Primary Need"], [["Ada", "Lovecraft", "9", "XYZ"]])
    assert "not a primary need code" in parsed.errors[0].message


def test_text_is_stored_as_given_not_neutralised() -> None:
    parsed = parse(["Forename", "Surname", "Year", "Form"], [["=Ada", "+Lovecraft", "9", "  -7A  "]])
    assert parsed.errors == []
    row = parsed.rows[0]
    assert (row.legal_forename, row.legal_surname, row.tutor_group) == ("=Ada", "+Lovecraft", "-7A")


def test_overlong_text_is_an_error() -> None:
    parsed = parse(["Forename", "Surname", "Year"], [["A" * 101, "Lovecraft", "9"]])
    assert parsed.errors[0].column == "Forename" and "too long" in parsed.errors[0].message


# --- UPNs and row rules ---------------------------------------------------------------------------
def test_wrong_check_letter_reported_with_row() -> None:
    good = make_upn(3)
    bad = ("B" if good[0] != "B" else "C") + good[1:]
    parsed = parse(BASIC_HEADERS, [basic_row(1), basic_row(2, UPN=bad)])
    assert [str(e) for e in parsed.errors] == [
        f"row 3, column UPN: UPN check letter should be {good[0]}"
    ]
    assert [r.row_number for r in parsed.rows] == [2]


def test_upn_normalised_and_optional() -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1, UPN=f" {make_upn(1).lower()} "), basic_row(2, UPN="")])
    assert parsed.errors == []
    assert [r.upn for r in parsed.rows] == [make_upn(1), ""]


def test_duplicate_upn_is_an_error_on_the_second_occurrence() -> None:
    rows = [basic_row(n) for n in range(2, 13)]  # spreadsheet rows 2..12
    rows[10] = basic_row(4)  # row 12 repeats the UPN on row 4 (pupil n=4 sits on row 4)
    parsed = parse(BASIC_HEADERS, rows)
    assert [str(e) for e in parsed.errors] == ["row 12, column UPN: duplicate of row 4"]
    assert len(parsed.rows) == 10


def test_name_and_year_required() -> None:
    parsed = parse(
        ["Legal Forename", "Preferred Forename", "Legal Surname", "Year"],
        [["", "Jun", "Okonkwo-Hale", "7"],  # preferred forename is enough
         ["", "", "Okonkwo-Hale", "7"],
         ["Rafe", "", "", "7"],
         ["Rafe", "", "Okonkwo-Hale", ""]],
    )
    assert [str(e) for e in parsed.errors] == [
        "row 3, column Legal Forename: a forename is required (legal or preferred)",
        "row 4, column Legal Surname: a surname is required (legal or preferred)",
        "row 5, column Year: a year group is required",
    ]
    assert [r.row_number for r in parsed.rows] == [2]
    assert parsed.rows[0].forename == "Jun"


def test_all_errors_in_a_row_reported_in_column_order() -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1, UPN="X", DOB="soon", Year="99")])
    assert [e.column for e in parsed.errors] == ["UPN", "DOB", "Year"]
    assert parsed.rows == []


def test_missing_cells_extra_cells_and_blank_rows() -> None:
    data = (
        "Forename,Surname,Year,Gender\r\n"
        "Ada,Lovecraft,9\r\n"  # missing Gender cell
        "Bo,Pennywhistle,10,M,extra,cells,here\r\n"  # extra cells ignored
        ",,,\r\n"  # blank row inside: skipped, but numbering keeps counting
        "Cy,Marchbanks,11,F\r\n"
        "\r\n,,,\r\n\r\n"  # trailing blank rows
    ).encode()
    parsed = read_mis_bytes(data, "pupils.csv")
    assert parsed.errors == []
    assert [(r.row_number, r.legal_forename, r.sex) for r in parsed.rows] == [
        (2, "Ada", ""), (3, "Bo", "M"), (5, "Cy", "F")]
    assert parsed.raw_rows == [["Ada", "Lovecraft", "9", ""], ["Bo", "Pennywhistle", "10", "M"],
                               ["Cy", "Marchbanks", "11", "F"]]
    assert parsed.raw_row_numbers == [2, 3, 5]


def test_title_rows_above_the_header_are_skipped_and_rows_keep_sheet_numbers() -> None:
    data = ("Pupil list for Hollowmere Academy\r\nPrinted 01/10/2024\r\n\r\n"
            "UPN,Surname,Forename,Year\r\n"
            f"{make_upn(1)},Lovecraft,Ada,9\r\n"
            "X,Pennywhistle,Bo,9\r\n").encode()
    parsed = read_mis_bytes(data, "pupils.csv")
    assert parsed.headers == ["UPN", "Surname", "Forename", "Year"]
    assert parsed.rows[0].row_number == 5
    assert [(e.row, e.column) for e in parsed.errors] == [(6, "UPN")]


def test_multiline_quoted_cell_counts_as_one_spreadsheet_row() -> None:
    data = b'Forename,Surname,Year\r\n"Ada\nMay",Lovecraft,9\r\nBo,Pennywhistle,X\r\n'
    parsed = read_mis_bytes(data, "pupils.csv")
    assert parsed.rows[0].legal_forename == "Ada May"  # a line break inside a cell becomes a space
    assert [(e.row, e.column) for e in parsed.errors] == [(3, "Year")]


def test_semicolon_and_tab_delimiters() -> None:
    for sep in (";", "\t"):
        data = sep.join(["Forename", "Surname", "Year"]).encode() + b"\n" + \
            sep.join(["Ada", "Lovecraft, Jr", "9"]).encode() + b"\n"
        parsed = read_mis_bytes(data, "pupils.csv")
        assert parsed.errors == [] and parsed.rows[0].legal_surname == "Lovecraft, Jr"


# --- encodings and formats ----------------------------------------------------------------------------
def test_utf8_bom_is_removed_from_first_header() -> None:
    data = make_csv(BASIC_HEADERS, [basic_row(1, **{"Legal Forename": "Zoë"})], encoding="utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = read_mis_bytes(data, "pupils.csv")
    assert parsed.headers[0] == "UPN" and parsed.mapping["UPN"] == "upn"
    assert parsed.errors == [] and parsed.rows[0].legal_forename == "Zoë"


def test_windows_1252_file() -> None:
    data = make_csv(["Forename", "Surname", "Year"],
                    [["Zoë", "Ní Bhriain", "9"], ["Siân", "Prydderch", "10"]], encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = read_mis_bytes(data, "pupils.csv")
    assert parsed.errors == []
    assert [(r.legal_forename, r.legal_surname) for r in parsed.rows] == [
        ("Zoë", "Ní Bhriain"), ("Siân", "Prydderch")]


def test_utf16_with_bom() -> None:
    text = "Forename\tSurname\tYear\r\nZoë\tNí Bhriain\t9\r\n"
    parsed = read_mis_bytes(text.encode("utf-16"), "pupils.txt")
    assert parsed.errors == [] and parsed.rows[0].legal_forename == "Zoë"


def test_xlsx_with_date_and_number_cells(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["UPN", "Legal Surname", "Legal Forename", "Preferred Forename", "Date of Birth",
                  "NC Year", "Reg Group", "FSM", "Ethnicity"])
    sheet.append([make_upn(11), "Ní Bhriain", "Zoë", None, dt.datetime(2011, 3, 9), 9, "9NB", True, "WIRI"])
    sheet.append([make_upn(12), "Prydderch", "Siân", "Sia", dt.date(2013, 12, 1), "Year 7", "7P", "N", None])
    sheet.append([None] * 9)  # trailing empty row
    sheet.append([make_upn(11), "Quillfeather", "Ottilie", None, "31/12/2012", 7.0, None, None, None])
    path = tmp_path / "Arbor export.xlsx"
    workbook.save(path)

    parsed = read_mis_file(path)
    assert parsed.headers[4] == "Date of Birth"
    assert [str(e) for e in parsed.errors] == ["row 5, column UPN: duplicate of row 2"]
    first, second = parsed.rows
    assert (first.legal_forename, first.dob, first.year_group, first.fsm, first.ethnicity) == (
        "Zoë", dt.date(2011, 3, 9), 9, True, "WIRI")
    assert (second.preferred_forename, second.dob, second.year_group) == ("Sia", dt.date(2013, 12, 1), 7)
    assert parsed.raw_rows[0][4] == "2011-03-09"


def test_xlsx_bytes_named_csv_are_still_read_as_xlsx() -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Forename", "Surname", "Year"])
    workbook.active.append(["Ada", "Lovecraft", 9])
    buf = io.BytesIO()
    workbook.save(buf)
    parsed = read_mis_bytes(buf.getvalue(), "pupils.csv")
    assert parsed.errors == [] and parsed.rows[0].year_group == 9


@pytest.mark.parametrize(
    ("data", "name", "why"),
    [(b"", "pupils.csv", "empty"), (b"\r\n,,\r\n", "pupils.csv", "empty"),
     (b"\x00\x01\x02binary", "pupils.csv", "not a CSV"),
     (b"not a zip at all", "pupils.xlsx", "could not be opened as an Excel"),
     (b"PK\x03\x04broken zip", "pupils.xlsx", "could not be opened as an Excel"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "pupils.xls", ".xls"),
     (b"Name,Age,Favourite Colour\nAda,12,Teal\n", "pupils.csv", "No column was recognised"),
     (b"\xff\xfe\x00", "pupils.csv", "UTF-16")],
)
def test_unreadable_files_give_one_clear_row_1_error(data: bytes, name: str, why: str) -> None:
    parsed = read_mis_bytes(data, name)
    assert parsed.rows == []
    (error,) = parsed.errors
    assert error.row == 1 and why in error.message, error.message


def test_missing_columns_message_lists_what_was_found() -> None:
    parsed = parse(["Surname", "Forename", "Tutor"], [["Lovecraft", "Ada", "9L"]])
    (error,) = parsed.errors
    assert "No column was recognised for the year group" in error.message
    assert "“Tutor”" in error.message
    assert str(error).startswith("row 1: ")
    assert parsed.raw_rows == [["Lovecraft", "Ada", "9L"]]  # the wizard can still preview


def test_size_and_row_limits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = make_csv(BASIC_HEADERS, [basic_row(n) for n in range(1, 8)])
    monkeypatch.setattr(mis.reading, "MAX_FILE_BYTES", 100)
    (error,) = read_mis_bytes(data, "pupils.csv").errors
    assert "limit is" in error.message
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    (error,) = read_mis_file(path).errors
    assert "limit is" in error.message

    monkeypatch.setattr(mis.reading, "MAX_FILE_BYTES", 10**6)
    monkeypatch.setattr(mis.reading, "MAX_DATA_ROWS", 5)
    (error,) = read_mis_bytes(data, "pupils.csv").errors
    assert "more than 5 rows" in error.message
    assert read_mis_bytes(make_csv(BASIC_HEADERS, [basic_row(n) for n in range(1, 6)]),
                          "pupils.csv").errors == []


def test_read_mis_file_missing_path_raises_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        read_mis_file(tmp_path / "nowhere.csv")
    with pytest.raises(ValidationError):
        read_mis_file(tmp_path)  # a folder


# --- user mapping --------------------------------------------------------------------------------------
def test_user_mapping_overrides_and_extends_guess() -> None:
    headers = ["Pupil Ref", "Surname", "Forename", "Nickname", "Preferred Name", "Curric Yr", "Notes"]
    row = [make_upn(5), "Lovecraft", "Ada", "Addie", "Ada-May", "Y9", "text"]
    parsed = parse(headers, [row], mapping={
        "Pupil Ref": "upn", "nickname": "Preferred Forename", "Curric Yr": "year_group",
        "Notes": "ignore",
    })
    assert parsed.errors == []
    assert parsed.mapping == {"Pupil Ref": "upn", "Surname": "legal_surname",
                              "Forename": "legal_forename", "Nickname": "preferred_forename",
                              "Curric Yr": "year_group"}
    assert parsed.rows[0].preferred_forename == "Addie"
    assert parsed.rows[0].upn == make_upn(5)


def test_user_mapping_can_drop_a_recognised_column() -> None:
    parsed = parse(["Forename", "Surname", "Year", "Gender"], [["Ada", "Lovecraft", "9", "??"]],
                   mapping={"Gender": ""})
    assert parsed.errors == [] and "Gender" not in parsed.mapping


def test_unknown_mapping_target_raises_clear_error() -> None:
    with pytest.raises(ValidationError) as caught:
        parse(BASIC_HEADERS, [basic_row(1)], mapping={"Legal Surname": "family"})
    assert "'family' is not a field" in caught.value.message and "legal_surname" in caught.value.message
    assert caught.value.field == "mapping"
    with pytest.raises(ValidationError):
        validate_mapping({"A": "surname_legal"})
    assert validate_mapping({"A": "Date of birth", "B": " YEAR GROUP ", "C": "IGNORE"}) == {
        "A": "dob", "B": "year_group", "C": "ignore"}
    with pytest.raises(ValidationError, match="Two columns"):
        validate_mapping({"A": "dob", "B": "DOB"})


def test_mapping_column_not_in_file_is_a_row_1_error() -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1)], mapping={"Tutor": "tutor_group"})
    assert [str(e) for e in parsed.errors] == [
        "row 1, column Tutor: this column, named in the mapping, is not in the file"]


def test_parse_map_option() -> None:
    assert parse_map_option("Their Header=year_group") == ("Their Header", "year_group")
    assert parse_map_option(" A=B = dob ") == ("A=B", "dob")
    with pytest.raises(ValidationError):
        parse_map_option("no equals sign")
    with pytest.raises(ValidationError):
        parse_map_option("=dob")


# --- helpers ------------------------------------------------------------------------------------------
def test_format_errors_limits_lines() -> None:
    errors = [RowError(n, "DOB", "not a date") for n in range(2, 27)]
    text = format_errors(errors)
    lines = text.splitlines()
    assert len(lines) == 21
    assert lines[0] == "row 2, column DOB: not a date"
    assert lines[-1] == "… and 5 more errors"
    assert format_errors(errors[:21]).splitlines()[-1] == "… and 1 more error"
    assert format_errors(errors[:3]).count("\n") == 2
    assert format_errors([]) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+44", "'+44"), ("-1", "'-1"), ("@cmd", "'@cmd"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ada", "Ada"), ("", ""), ("A=B", "A=B")],
)
def test_csv_safe(text: str, expected: str) -> None:
    assert csv_safe(text) == expected


def test_results_are_frozen() -> None:
    parsed = parse(BASIC_HEADERS, [basic_row(1)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.rows[0].year_group = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.errors = []  # type: ignore[misc]


def test_two_thousand_rows_parse_without_errors() -> None:
    """Speed is measured in bench/, not asserted here; this checks a full-size file parses cleanly."""
    headers = ["UPN", "Legal Surname", "Legal Forename", "Preferred Forename", "DOB", "Gender",
               "Year", "Reg", "Ethnicity", "SEN Status", "Primary Need", "FSM", "EAL",
               "First Language", "Pupil Premium", "In Care", "Young Carer", "Service Child"]
    rows = [[make_upn(n), f"Surname{n}", "Ottilie", "", "14/02/2012", "F", "Year 8", "8Q", "WENG",
             "K", "SEMH", "Y", "N", "ENG", "Y", "N", "", ""] for n in range(2000)]
    data = make_csv(headers, rows)
    parsed = read_mis_bytes(data, "pupils.csv")
    assert parsed.errors == [] and len(parsed.rows) == 2000


# --- hostile input -----------------------------------------------------------------------------------------
def _check_result(parsed: ParsedFile) -> None:
    assert isinstance(parsed, ParsedFile)
    for error in parsed.errors:
        assert isinstance(error, RowError) and str(error)
    for row in parsed.rows:
        assert isinstance(row, PupilRow) and isinstance(row.year_group, int)
    format_errors(parsed.errors)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["a.csv", "a.xlsx", "a.xls", "a.txt", "a"]))
def test_random_bytes_never_raise(data: bytes, name: str) -> None:
    _check_result(read_mis_bytes(data, name))


@FUZZ
@given(st.binary(max_size=500))
def test_random_bytes_after_zip_magic_never_raise(data: bytes) -> None:
    _check_result(read_mis_bytes(b"PK\x03\x04" + data, "a.xlsx"))


cell_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), max_size=15
) | st.sampled_from(["", "Y", "N", "R", "7", "Year 7", "14/02/2012", "2012-02-14", "WBRI", "E",
                     "SEMH", make_upn(1), "=1+1", '"', "\r", "\n"])


@FUZZ
@given(
    st.lists(st.lists(cell_text, max_size=8), max_size=12),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_random_text_rows_under_a_real_header_never_raise(rows: list[list[str]], encoding: str) -> None:
    headers = ["UPN", "Surname", "Forename", "DOB", "Year", "Gender", "Ethnicity", "SEN"]
    data = make_csv(headers, rows).decode("utf-8").encode(encoding, errors="replace")
    parsed = read_mis_bytes(data, "pupils.csv")
    _check_result(parsed)
    # Every non-blank data row ends up as either a pupil or at least one error.
    accounted = {r.row_number for r in parsed.rows} | {e.row for e in parsed.errors}
    assert set(parsed.raw_row_numbers) <= accounted | {1}


@FUZZ
@given(st.text(max_size=3000))
def test_random_text_file_never_raises(text: str) -> None:
    for encoding in ("utf-8", "utf-16"):
        data = text.encode(encoding, errors="surrogatepass")
        _check_result(read_mis_bytes(data, "pupils.csv"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_text | st.integers() | st.floats() | st.booleans() | st.dates(),
                         max_size=6), max_size=6))
def test_random_xlsx_cells_never_raise(rows: list[list[object]]) -> None:
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Forename", "Surname", "Year", "DOB", "FSM", "Gender"])
    try:
        for row in rows:
            sheet.append(row)
    except IllegalCharacterError:
        return  # openpyxl refuses control characters; not our parser's concern
    buf = io.BytesIO()
    workbook.save(buf)
    _check_result(read_mis_bytes(buf.getvalue(), "pupils.xlsx"))
