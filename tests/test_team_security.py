"""Bundles an attacker or a sync tool could hand a laptop: each refused with its own message, nothing changed.

The attacker has only the team folder: they can copy, cut, reorder and change its files,
bring a bundle from another school's team, or keep using a laptop that was removed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import pytest

from schoolmh.db.connection import database_proxy as db
from schoolmh.services import pupils, team
from schoolmh.services.team import bundle, records, state
from schoolmh.services.team import exchange as tsync
from team_support import add_and_join, lead_and_laptop, start_team


def fingerprint(laptop) -> str:
    """Every record and every piece of sync state: equal before and after means nothing changed."""
    with laptop:
        h = hashlib.sha256()
        for table in list(records.tables()) + ["team_change", "team_chain", "team_conflict", "team_pending", "team_alias"]:
            for row in db.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1, 2').fetchall():
                h.update(repr(row).encode())
        return h.hexdigest()


@pytest.fixture
def pair(tmp_path):
    with lead_and_laptop(tmp_path, "Pastoral office") as laptops:
        yield laptops


def new_pupil(laptop, surname: str) -> str:
    with laptop as s:
        return pupils.create_pupil(s, legal_forename="Test", legal_surname=surname, dob=dt.date(2013, 5, 6), year_group=6).uuid


def written_by(laptop, folder, before: set) -> list:
    laptop.sync()
    return sorted(set(folder.glob("laptops/*/*.smhb")) - before)


def test_tampered_bundle_is_refused_and_changes_nothing(pair):
    lead, other, folder = pair
    lead.sync()
    before = set(folder.glob("laptops/*/*.smhb"))
    new_pupil(other, "Tampered")
    (path,) = [p for p in written_by(other, folder, before) if "-school-" in p.name]
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01  # one bit of the encrypted body
    path.write_bytes(bytes(data))
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("signature that does not match" in r for r in report.refused), report
    assert fingerprint(lead) == print_before
    with lead as s:
        assert any("signature that does not match" in p for p in team.status(s).problems)


def test_truncated_bundle_waits_and_is_applied_once_whole(pair):
    lead, other, folder = pair
    lead.sync()
    before = set(folder.glob("laptops/*/*.smhb"))
    uuid = new_pupil(other, "Truncated")
    (path,) = [p for p in written_by(other, folder, before) if "-school-" in p.name]
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("cut short" in w for w in report.waiting)
    assert fingerprint(lead) == print_before
    path.write_bytes(whole)  # the sync tool finishes copying
    lead.sync()
    with lead:
        assert records.exists("pupil", uuid)


def test_replayed_bundle_is_refused(pair):
    lead, other, folder = pair
    lead.sync()
    before = set(folder.glob("laptops/*/*.smhb"))
    new_pupil(other, "First")
    (first,) = [p for p in written_by(other, folder, before) if "-school-" in p.name]
    lead.sync()
    # An attacker signs nothing: they can only re-present an old, genuine bundle under a new name.
    replay = first.with_name("00000009-school-0000000000000000.smhb")
    shutil.copy(first, replay)
    with lead:
        state.index_file("x", 0, 0, "")  # a fresh look at the folder
        db.execute_sql("DELETE FROM team_file")
        db.execute_sql("DELETE FROM team_seen WHERE state = 'applied'")  # as if the copy's content were new
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("already applied" in r for r in report.refused)
    assert fingerprint(lead) == print_before


def test_rewritten_bundle_with_an_old_number_is_refused(pair):
    """The laptop's own key signing different content for a number already applied (a fork)."""
    lead, other, folder = pair
    lead.sync()
    new_pupil(other, "Original")
    other.sync()
    lead.sync()
    with other:
        me = state.load()
        fork = bundle.encode(me.team_id, me.laptop_id, "school", 1, "", 1, [], me.sign_key, state.current_key("school"))
    bundle.write(folder / "laptops" / me.laptop_id, fork, "school", 1)
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("already applied with different content" in r for r in report.refused)
    assert fingerprint(lead) == print_before


def test_reordered_bundles_wait_then_apply_in_order(pair):
    lead, other, folder = pair
    lead.sync()
    before = set(folder.glob("laptops/*/*.smhb"))
    first_uuid = new_pupil(other, "One")
    (first,) = [p for p in written_by(other, folder, before) if "-school-" in p.name]
    before = set(folder.glob("laptops/*/*.smhb"))
    second_uuid = new_pupil(other, "Two")
    written_by(other, folder, before)
    held = first.with_name("held.bin")
    first.rename(held)  # bundle 2 arrives before bundle 1
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("must wait for bundle 1" in w for w in report.waiting)
    assert fingerprint(lead) == print_before
    held.rename(first)
    lead.sync()
    with lead:
        assert records.exists("pupil", first_uuid) and records.exists("pupil", second_uuid)


def test_broken_chain_is_refused(pair):
    lead, other, folder = pair
    lead.sync()
    with other:
        me = state.load()
        wrong = bundle.encode(me.team_id, me.laptop_id, "school", 1, "f" * 64, 1, [], me.sign_key, state.current_key("school"))
    bundle.write(folder / "laptops" / me.laptop_id, wrong, "school", 1)
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("chain is broken" in r for r in report.refused)
    assert fingerprint(lead) == print_before


def test_foreign_vault_bundle_is_refused(pair, tmp_path):
    lead, other, folder = pair
    lead.sync()
    stranger, stranger_folder = start_team(tmp_path / "elsewhere", "Another School")
    new_pupil(stranger, "Foreign")
    stranger.sync()
    for path in stranger_folder.glob("laptops/*/*-school-*.smhb"):
        target = folder / "laptops" / path.parent.name
        target.mkdir(exist_ok=True)
        shutil.copy(path, target / path.name)
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("another school's team" in r for r in report.refused)
    assert fingerprint(lead) == print_before
    stranger.close()


def test_removed_laptop_is_refused_and_cannot_read_what_follows(pair, tmp_path):
    lead, other, folder = pair
    third = add_and_join(tmp_path, lead, "Head's laptop")
    for laptop in (lead, other, third):
        laptop.sync()
    with lead as s:
        team.remove_laptop(s, "Pastoral office")
    secret = new_pupil(lead, "AfterRemoval")
    lead.sync()
    # The removed laptop, not yet told, carries on writing.
    new_pupil(other, "WrittenAfterRemoval")
    with other as s:
        tsync.write(s)  # writes without reading first: it has not seen its removal
    print_before = fingerprint(lead)
    report = lead.sync()
    assert any("after it was removed from the team" in r for r in report.refused)
    assert fingerprint(lead) == print_before
    # It learns it was removed, and the lead's later bundle is under keys it was never given.
    with other:
        assert not records.exists("pupil", secret)
        assert not state.load().removed
    third.sync()
    with third:
        assert records.exists("pupil", secret)  # the remaining laptops got the new keys
    with other as s:
        report = tsync.read(s)
        assert "this laptop was removed from the team" in report.notes
        assert any("key this laptop does not hold" in w for w in report.waiting)
        assert not records.exists("pupil", secret)
        with pytest.raises(team.TeamError, match="removed from the team"):
            team.sync(s)
    third.close()


def test_sync_tool_copies_and_temporary_files_are_not_applied_twice(pair):
    lead, other, folder = pair
    lead.sync()
    before = set(folder.glob("laptops/*/*.smhb"))
    uuid = new_pupil(other, "Copied")
    (path,) = [p for p in written_by(other, folder, before) if "-school-" in p.name]
    shutil.copy(path, path.with_name(path.stem + " (1)" + path.suffix))
    shutil.copy(path, path.with_name(path.stem + "-LAPTOP-7" + path.suffix))
    (path.parent / f".{path.name}.1234.tmp").write_bytes(path.read_bytes()[:10])
    report = lead.sync()
    assert report.applied == 1 and not report.refused
    with lead:
        assert records.exists("pupil", uuid)
        assert db.execute_sql("SELECT count(*) FROM audit_entry WHERE action = 'team.apply'").fetchone()[0] == 1
