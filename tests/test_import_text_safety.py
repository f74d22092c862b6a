"""Records imports strip control and bidirectional-override characters and take "code - description"
cells; the command line never prints such characters raw, whatever is stored. Fictional pupils only."""
from __future__ import annotations

import datetime as dt

import pytest

from support import LEAD_PASSWORD
from schoolmh import cli
from schoolmh.cli.common import terminal_safe
from schoolmh.db.models.records import MeasureResult, Pupil
from schoolmh.db.models.records import Session as SessionRow
from schoolmh.domain.upn import make_upn
from schoolmh.services import access, pupils, records_import

UNSAFE = [*map(chr, range(0x00, 0x20)), "\x7f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
TERMINAL_UNSAFE = [c for c in UNSAFE if c not in "\n\t"] + [chr(c) for c in range(0x80, 0xA0)]


def test_sessions_import_strips_unsafe_characters_and_reads_code_and_description(lead_session, tmp_path):
    pupils.create_pupil(lead_session, legal_forename="Ife", legal_surname="Adeyemi", year_group=8, upn=make_upn(1))
    note = "Exam\u202e worries\x1b[2J, \u2066calmer\u2069\r\nafter breathing\x07 work"
    f = tmp_path / "s.csv"
    f.write_bytes(("upn,da\u202ete,duration_minutes,function,type,mode,attendance,note\n"
                   f'{make_upn(1)},03/02/2025,45,1 - Direct support,one_to_one - 1:1,Video: video call,'
                   f'attended - Attended,"{note}"\n').encode())
    assert records_import.import_sessions_csv(lead_session, f).imported == 1
    row = SessionRow.get()
    assert (row.function, row.type, row.mode, row.attendance) == (1, "one_to_one", "video", "attended")
    assert not any(c in row.note for c in UNSAFE)
    assert row.note == "Exam worries[2J, calmer  after breathing work"


def test_measures_import_reads_an_instrument_with_its_name(lead_session, tmp_path):
    pupils.create_pupil(lead_session, legal_forename="Ife", legal_surname="Adeyemi", year_group=8, upn=make_upn(1),
                        dob=dt.date(2012, 4, 3))
    f = tmp_path / "m.csv"
    f.write_text("upn,date,instrument,rater,goal1\n"
                 f"{make_upn(1)},03/02/2025,GBO - Goal Based Outcomes,se\u202elf,4\n", encoding="utf-8")
    assert records_import.import_measures_csv(lead_session, f).imported == 1
    assert MeasureResult.get().instrument == "GBO"


def test_terminal_safe_escapes_everything_a_terminal_acts_on():
    text = "".join(TERMINAL_UNSAFE)
    shown = terminal_safe("A" + text + "\n\tB")
    assert not any(c in shown for c in TERMINAL_UNSAFE)
    assert shown.startswith("A\\x00") and shown.endswith("\n\tB") and "\\u202e" in shown and "\\x1b" in shown
    assert terminal_safe("Zoë محمد O’Connor") == "Zoë محمد O’Connor"  # letters are left alone


@pytest.fixture
def cli_vault(recovery_key, vault_dir, monkeypatch):
    monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
    return vault_dir


def test_cli_never_prints_stored_control_characters_raw(cli_vault, capsys):
    # A name stored before imports stripped them (or typed into the window) reaches `retention list`.
    s = access.sign_in(cli_vault, None, LEAD_PASSWORD)
    try:
        made = pupils.create_pupil(s, legal_forename="Sam", legal_surname="Old", year_group=11,
                                   dob=dt.date(1990, 5, 1), upn=make_upn(5))
        Pupil.update(legal_surname="Old\x1b]0;owned\x07\u202eenaJ", left_on=dt.date(2007, 7, 20)).where(
            Pupil.uuid == made.uuid).execute()
    finally:
        s.close()
    assert cli.main(["retention", "list", "--data-dir", str(cli_vault)]) == 0
    printed = capsys.readouterr().out
    assert "Sam Old" in printed and "\\x1b]0;owned\\x07\\u202eenaJ" in printed
    assert not any(c in printed for c in TERMINAL_UNSAFE)


def test_cli_error_messages_quoting_input_are_terminal_safe(cli_vault, tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_text("Forename,Surname,Year\nAda,Lovecraft,9\n", encoding="utf-8")
    code = cli.main(["import", "pupils", str(f), "--data-dir", str(cli_vault), "--map", "Year=\x1b[2Jshoe\u202e"])
    err = capsys.readouterr().err
    assert code == 2 and "shoe" in err and "\\x1b[2J" in err
    assert not any(c in err for c in TERMINAL_UNSAFE)


def test_activities_import_strips_unsafe_characters(lead_session):
    from schoolmh.services import activities

    data = ("title,start_on,principles,audience,notes\n"
            "Year\u202e 7 drop-in\x1b[2J,01/10/2025,targeted,Year\u2066 7\u2069,\"first\r\nsecond\x07\"\n").encode()
    assert activities.import_activities(lead_session, data).added == 1
    (made,) = activities.list_activities(lead_session)
    stored = [made.title, made.audience, made.notes]
    assert stored == ["Year 7 drop-in[2J", "Year 7", "first  second"]
