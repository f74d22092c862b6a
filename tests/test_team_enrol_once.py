"""An enrolment file makes one laptop, once.

Without a server a file can always be copied, so "single use" is enforced where every
laptop looks: the laptop identity inside the file is claimed in the team folder (created
exclusively) when a vault joins with it. The tests try to use one file twice, including
from a copy kept before the first join, and check that a failed join leaves nothing that
would block or spoil a second attempt.
"""
from __future__ import annotations

import shutil
import threading

import pytest

from schoolmh.db.keyfile import KEYFILE_NAME
from schoolmh.db.vault import vault_exists
from schoolmh.errors import WrongPassword
from schoolmh.services import team
from schoolmh.services.team import folder as team_folder
from support import LEAD_PASSWORD
from team_support import start_team


@pytest.fixture
def invited(tmp_path):
    lead, folder = start_team(tmp_path)
    enrol = folder / "office.smhjoin"
    with lead as s:
        code = team.add_laptop(s, "Office", "school", enrol)
    yield lead, folder, enrol, code
    lead.close()


def test_a_copy_of_a_used_file_is_refused_and_makes_nothing(invited, tmp_path):
    lead, folder, enrol, code = invited
    spare = tmp_path / "kept-copy.smhjoin"
    shutil.copy(enrol, spare)
    first = team.join(tmp_path / "office", enrol, code, "lead", LEAD_PASSWORD)
    first.close()
    assert not enrol.exists(), "the spent file (the data key under the code) is deleted after joining"

    with pytest.raises(team.TeamError, match="already used: a laptop joined with it on 20"):
        team.join(tmp_path / "second", spare, code, "lead", LEAD_PASSWORD)
    assert not vault_exists(tmp_path / "second")
    assert spare.exists(), "a refused file is left where it was"


def test_a_wrong_password_does_not_spend_the_file(invited, tmp_path):
    lead, folder, enrol, code = invited
    with pytest.raises(WrongPassword):
        team.join(tmp_path / "office", enrol, code, "lead", "not the password at all")
    assert enrol.exists()
    team.join(tmp_path / "office", enrol, code, "lead", LEAD_PASSWORD).close()


def test_a_join_that_fails_half_way_can_be_tried_again(invited, tmp_path, monkeypatch):
    lead, folder, enrol, code = invited
    from schoolmh.services.team import exchange

    def broken(session, *args, **kwargs):
        for n in range(5):  # part-way: rows written (and seen by this laptop) before the share went away
            session.audit("test.partway", "laptop", "", str(n))
        raise OSError("the share went away while reading")

    with monkeypatch.context() as patched, pytest.raises(OSError):
        patched.setattr(exchange, "read", broken)
        team.join(tmp_path / "office", enrol, code, "lead", LEAD_PASSWORD)
    assert not vault_exists(tmp_path / "office") and not (tmp_path / "office" / (KEYFILE_NAME + ".bak")).exists()
    assert enrol.exists()

    session = team.join(tmp_path / "office", enrol, code, "lead", LEAD_PASSWORD)
    try:
        assert team.status(session).in_team
    finally:
        session.close()
    # The second attempt's trail is not mistaken for an older copy of the first one's.
    from schoolmh.services import access

    again = access.sign_in(tmp_path / "office", "lead", LEAD_PASSWORD)
    try:
        assert again.rollback_warning is None
    finally:
        again.close()


def test_two_joins_racing_on_one_share_have_one_winner(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    barrier, wins, losses = threading.Barrier(8), [], []

    def attempt() -> None:
        barrier.wait()
        try:
            team_folder.claim(folder, "a" * 32, "2026-12-03 10:00 UTC")
            wins.append(1)
        except team_folder.AlreadyClaimed:
            losses.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(wins), len(losses)) == (1, 7)
