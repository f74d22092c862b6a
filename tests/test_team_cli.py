"""`schoolmh team …` end to end through the CLI: exit codes, one-line errors, the code only on stdout."""
from __future__ import annotations

import pytest

from schoolmh.services import access, pupils
from support import LEAD_PASSWORD, one_line_error

ENV = {"SCHOOLMH_PASSWORD": LEAD_PASSWORD}


@pytest.fixture
def lead_dir(tmp_path, cli):
    data = tmp_path / "lead"
    code, _, err = cli("init", "--data-dir", data, "--school", "Oakfield Academy", "--admin", "lead",
                       "--recovery-key-file", tmp_path / "rk.txt", env=ENV)
    assert code == 0, err
    (tmp_path / "team").mkdir()
    return data


def test_team_commands_end_to_end(tmp_path, cli, lead_dir):
    folder = tmp_path / "team"
    code, out, err = cli("team", "init", "--folder", folder, "--data-dir", lead_dir, env=ENV)
    assert code == 0, err
    code, out, err = cli("team", "add-laptop", "--name", "Pastoral office", "--scope", "school",
                         "--out", tmp_path / "office.smhjoin", "--data-dir", lead_dir, env=ENV)
    assert code == 0, err
    one_time_code = out.strip()
    assert len(out.strip().splitlines()) == 1 and len(one_time_code.replace("-", "")) == 18
    office = tmp_path / "office"
    code, out, err = cli("team", "join", tmp_path / "office.smhjoin", "--data-dir", office, "--user", "lead",
                         "--password-stdin", stdin=f"{one_time_code}\n{LEAD_PASSWORD}\n")
    assert code == 0, err
    assert "Joined as 'Pastoral office'" in out
    # The same pupil's tutor group changed on both laptops before they exchange: a conflict.
    s = access.sign_in(lead_dir, "lead", LEAD_PASSWORD)
    uuid = pupils.create_pupil(s, legal_forename="Cli", legal_surname="Pupil", year_group=7).uuid
    s.close()
    assert cli("team", "sync", "--data-dir", lead_dir, env=ENV)[0] == 0
    assert cli("team", "sync", "--data-dir", office, env=ENV)[0] == 0
    for data, tutor in ((lead_dir, "7A"), (office, "7B")):
        s = access.sign_in(data, "lead", LEAD_PASSWORD)
        pupils.update_pupil(s, uuid, tutor_group=tutor)
        s.close()
    for data in (office, lead_dir, office):
        code, out, err = cli("team", "sync", "--data-dir", data, env=ENV)
        assert code == 0, err
    code, out, err = cli("team", "status", "--data-dir", lead_dir, env=ENV)
    assert code == 0 and "1 conflict to review" in out and "Pastoral office" in out
    code, out, err = cli("team", "conflicts", "--data-dir", lead_dir, env=ENV)
    assert code == 0 and "Pupil (Cli Pupil)" in out and "Tutor group: kept" in out
    conflict_id = out.split()[0]
    code, out, err = cli("team", "conflicts", "--keep", conflict_id, "--data-dir", lead_dir, env=ENV)
    assert code == 0, err
    for data in (lead_dir, office):
        cli("team", "sync", "--data-dir", data, env=ENV)
    for data in (lead_dir, office):
        code, out, err = cli("team", "conflicts", "--data-dir", data, env=ENV)
        assert "No conflicts to review." in out
    code, out, err = cli("team", "remove-laptop", "Pastoral office", "--data-dir", lead_dir, env=ENV)
    assert code == 0, err
    code, out, err = cli("team", "status", "--data-dir", lead_dir, env=ENV)
    assert "removed" in out


def test_team_command_failures_are_one_line(tmp_path, cli, lead_dir):
    code, out, err = cli("team", "status", "--data-dir", lead_dir, env=ENV)
    assert code == 0 and "not in a team" in out
    code, out, err = cli("team", "sync", "--data-dir", lead_dir, env=ENV)
    assert code == 2 and "not in a team" in one_line_error(err)
    code, out, err = cli("team", "init", "--folder", tmp_path / "missing", "--data-dir", lead_dir, env=ENV)
    assert code == 2 and "does not exist" in one_line_error(err)
    assert cli("team", "init", "--folder", tmp_path / "team", "--data-dir", lead_dir, env=ENV)[0] == 0
    code, out, err = cli("team", "add-laptop", "--name", "X", "--scope", "everything", "--out", tmp_path / "x",
                         "--data-dir", lead_dir, env=ENV)
    assert code == 2 and one_line_error(err)
    code, out, err = cli("team", "remove-laptop", "Nobody", "--data-dir", lead_dir, env=ENV)
    assert code == 2 and "no laptop called" in one_line_error(err)
    code, out, err = cli("team", "add-laptop", "--name", "New", "--scope", "mhst", "--out", tmp_path / "n.smhjoin",
                         "--data-dir", lead_dir, env=ENV)
    assert code == 0
    one_time_code = out.strip()
    code, out, err = cli("team", "join", tmp_path / "n.smhjoin", "--data-dir", tmp_path / "n", "--user", "lead",
                         env={**ENV, "SCHOOLMH_TEAM_CODE": "AAAA-BBBB-CCCC-DDDD-EE"})
    assert code == 2 and "mistyped" in one_line_error(err)
    code, out, err = cli("team", "join", tmp_path / "n.smhjoin", "--data-dir", tmp_path / "n", "--user", "lead",
                         env={"SCHOOLMH_PASSWORD": "not the lead's password", "SCHOOLMH_TEAM_CODE": one_time_code})
    assert code == 2 and "do not match an account allowed" in one_line_error(err)
    assert not (tmp_path / "n").exists()
    code, out, err = cli("team", "conflicts", "--keep", "nonexistent", "--data-dir", lead_dir, env=ENV)
    assert code == 2 and "no open conflict" in one_line_error(err)


def test_team_sync_publishes_what_the_window_packed_at_lock(tmp_path, cli, lead_dir):
    from schoolmh.services.team import exchange, outbox

    folder = tmp_path / "team"
    assert cli("team", "init", "--folder", folder, "--data-dir", lead_dir, env=ENV)[0] == 0
    s = access.sign_in(lead_dir, "lead", LEAD_PASSWORD)
    pupils.create_pupil(s, legal_forename="Packed", legal_surname="At Lock", year_group=7)
    exchange.write_outbox(s)  # what the window does at lock; its publication never ran (the laptop was shut)
    s.close()
    box = outbox.path_for(lead_dir)
    assert len(outbox.waiting(box)) == 1
    code, out, err = cli("team", "status", "--data-dir", lead_dir, env=ENV)
    assert code == 0 and "1 change to send" in out
    code, out, err = cli("team", "sync", "--data-dir", lead_dir, env=ENV)
    assert code == 0, err
    assert "wrote 0, published 1 to the team folder; up to date." in out.lower()
    assert outbox.waiting(box) == []
    assert len(list((folder / "laptops").rglob("00000002-school-*.smhb"))) == 1
