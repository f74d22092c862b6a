"""services.csv_rows: the one CSV reader behind the sessions, measures and activities imports (no vault needed)."""
from __future__ import annotations

import pytest

from schoolmh.errors import ValidationError
from schoolmh.services.csv_rows import parse_csv, read_csv
from schoolmh.services.pupil_import import FileRejected

TEXT = "Start On;Title\r\n01/10/2025;Café quiz\r\n\r\n02/10/2025;Walk\r\n"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"), TEXT.encode("utf-8-sig"), TEXT.encode("utf-16"), TEXT.encode("cp1252"),
])
def test_encodings_delimiter_header_keys_and_row_numbers(data):
    table = parse_csv(data)
    assert table.keys == ("start_on", "title") and table.headers == ("Start On", "Title")
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"start_on": "01/10/2025", "title": "Café quiz"}),
        (4, {"start_on": "02/10/2025", "title": "Walk"}),  # the blank row 3 is skipped, not renumbered
    ]
    assert str(table.row_error(4, "start_on", "not a date")) == "row 4, column Start On: not a date"


def test_leading_blank_rows_keep_spreadsheet_numbers_and_header_problems():
    table = parse_csv(b"\n,,\nupn,Mood,upn\nX,1,2\n")
    assert table.header_row == 3 and table.rows[0].number == 4
    assert [str(e) for e in table.header_problems(("upn", "date"), ("date",), "a sessions file")] == [
        "row 3, column Mood: not a column of a sessions file",
        "row 3, column upn: this column appears twice",
        "row 3, column date: this column is missing",
    ]


@pytest.mark.parametrize("data, message", [
    (b"", "row 1: the file is empty"),
    (b"PK\x03\x04rest", "row 1: this is a spreadsheet workbook: save it as CSV and import that"),
    (b"a,b\n1,\x00\n", "row 1: this is not a CSV file (it contains binary data)"),
    (b"a,b\n1,2\n1,2,3\n1,2,,\n4,5,6\n", "row 3: this row has 3 cells but the header has 2\n"
                                        "row 5: this row has 3 cells but the header has 2"),
])
def test_unreadable_files_are_rejected_whole(data, message):
    with pytest.raises(FileRejected) as info:
        parse_csv(data)
    assert "\n".join(str(e) for e in info.value.errors) == message


def test_a_missing_file_is_a_plain_validation_error(tmp_path):
    with pytest.raises(ValidationError, match=r"^Could not open nope\.csv: "):
        read_csv(tmp_path / "nope.csv")
