"""The team exchange off the window's thread (issue 12): a worker's own connection, the outbox, publishing.

Real vaults in temp folders. A "crash" is an exception raised at the named moment: what the
next exchange finds is what a kill there would leave (soak/test_team_soak.py kills for real).
"""
from __future__ import annotations

import os
import threading

import pytest

from schoolmh.db.models.records import Session as SessionRow
from schoolmh.services import pupils, team, vault_admin
from schoolmh.services.team import background, bundle, changes, exchange, outbox, state
from team_support import add_sessions, lead_and_laptop


def _own_files(folder, laptop) -> list[str]:
    with laptop as s:
        me = state.load()
    return sorted(p.name for p in (folder / "laptops" / me.laptop_id).glob("*.smhb"))


def _count(laptop, sql: str, *args) -> int:
    with laptop as s:
        return s.db.execute_sql(sql, args).fetchone()[0]


@pytest.fixture
def two(tmp_path):
    with lead_and_laptop(tmp_path, "Office") as laptops:
        yield laptops


def test_a_worker_applies_bundles_while_this_thread_saves_and_the_audit_trail_verifies(two, monkeypatch):
    lead, office, folder = two
    with lead as s:
        for batch in range(4):  # four bundles, so the worker commits four times between the saves here
            add_sessions(s, 300, pupils_count=2, tag=f"Batch{batch}x")
            team.sync(s)
    saved_here = threading.Event()
    original = bundle.open_body

    def open_body_after_a_save(p, key):
        """Before each bundle (outside its transaction) the worker waits for one more save from the main thread."""
        assert saved_here.wait(10)
        saved_here.clear()
        return original(p, key)

    monkeypatch.setattr(bundle, "open_body", open_body_after_a_save)
    with office as s:
        applies_before = s.db.execute_sql("SELECT count(*) FROM audit_entry WHERE action = 'team.apply'").fetchone()[0]
        job = background.Exchange(s)
        outcomes = []
        worker = threading.Thread(target=lambda: outcomes.append(job.run()))
        worker.start()
        saved = 0
        while worker.is_alive():
            pupils.create_pupil(s, legal_forename=f"Typed{saved}", legal_surname="Here", year_group=9)
            saved += 1
            saved_here.set()
            worker.join(0.02)
        outcome = outcomes[0]
        assert outcome.error is None and not outcome.stopped
        assert outcome.report.applied == 4
        result = vault_admin.verify_audit(s)
        assert result.ok, result.problem
        actions = [a for a, in s.db.execute_sql("SELECT action FROM audit_entry ORDER BY seq")]
        assert actions.count("team.apply") == applies_before + 4
        assert actions.count("pupil.create") >= saved
        # The two threads' transactions really alternated: saves from here between the worker's applies.
        applies = [i for i, a in enumerate(actions) if a == "team.apply"][applies_before:]
        assert any(a == "pupil.create" for a in actions[applies[0]:applies[-1]])
        assert SessionRow.select().count() == _count(lead, "SELECT count(*) FROM session")
    with lead as s:
        lead_pupils = s.db.execute_sql("SELECT count(*) FROM pupil").fetchone()[0]
    monkeypatch.undo()
    office.sync()
    lead.sync()
    assert _count(lead, "SELECT count(*) FROM pupil") == lead_pupils + saved  # what was typed here travelled too


def test_a_stop_during_an_apply_finishes_that_bundle_whole_and_leaves_the_rest(two, monkeypatch):
    lead, office, folder = two
    with lead as s:
        for batch in range(3):
            add_sessions(s, 50, pupils_count=1, tag=f"Stop{batch}x")
            team.sync(s)
        lead_id = state.load().laptop_id
    original = exchange.merge.Merger.apply_all
    jobs = []

    def apply_while_locking(self, records, via_mhst):
        jobs[0].stop.set()  # the lock arrives while this bundle is being applied
        return original(self, records, via_mhst)

    monkeypatch.setattr(exchange.merge.Merger, "apply_all", apply_while_locking)
    with office as s:
        jobs.append(background.Exchange(s))
        outcomes = []
        worker = threading.Thread(target=lambda: outcomes.append(jobs[0].run()))
        worker.start()
        worker.join(30)
        assert outcomes[0].stopped and outcomes[0].error is None
        # The bundle under way was finished, whole; the other two wait for the next exchange.
        assert state.chain(lead_id, "school")[0] == 2  # bundle 1 came with the join, bundle 2 now
        assert s.db.execute_sql("SELECT count(*) FROM session WHERE note LIKE 'Stop0x%'").fetchone()[0] == 50
        assert s.db.execute_sql("SELECT count(*) FROM session WHERE note LIKE 'Stop1x%'").fetchone()[0] == 0
    monkeypatch.undo()
    assert office.sync().applied == 2


def test_lock_waits_for_the_database_phase_only(two):
    lead, office, folder = two
    with office as s:
        job = background.Exchange(s)
        with job.db_lock:  # a worker in the middle of applying a bundle
            waited = threading.Event()
            locker = threading.Thread(target=lambda: (job.stop_and_wait(), waited.set()))
            locker.start()
            assert not waited.wait(0.3)  # the lock waits while the bundle is applied …
        assert waited.wait(5)  # … and no longer
        locker.join()
        assert job.run().stopped  # and no database work starts afterwards


def test_a_crash_before_the_commit_leaves_a_pending_file_that_is_never_published(two, monkeypatch):
    lead, office, folder = two
    box = outbox.path_for(lead.data_dir)
    before = _own_files(folder, lead)
    with lead as s:
        pupils.create_pupil(s, legal_forename="Crash", legal_surname="Before", year_group=7)

        def crash(out):
            raise RuntimeError("power cut")

        monkeypatch.setattr(changes, "mark_sent", crash)
        with pytest.raises(RuntimeError):
            exchange.write_outbox(s)
        monkeypatch.undo()
        pending = list(box.glob("*.pending"))
        assert len(pending) == 1 and outbox.waiting(box) == []
        if os.name == "posix":
            assert pending[0].stat().st_mode & 0o777 == 0o600 and box.stat().st_mode & 0o077 == 0
        (box / "00000009-school-0123456789abcdef.smhb.pending.Xq1.tmp").write_bytes(b"cut short")
        assert exchange.publish_own(s) == 0  # nothing committed, nothing published
        assert team.status(s).to_send == changes.dirty_count() >= 1  # still marked to send, counted once
    assert _own_files(folder, lead) == before
    with lead as s:
        team.sync(s)
        assert not pending[0].exists() and list(box.iterdir()) == []
    after = _own_files(folder, lead)
    new = sorted(set(after) - set(before))
    assert len(new) == 1 and new[0][:8] == pending[0].name[:8] and new[0] != pending[0].name[: -len(".pending")]
    report = office.sync()
    assert report.applied == 1 and not report.refused
    with office as s:
        assert s.db.execute_sql("SELECT count(*) FROM pupil WHERE legal_forename = 'Crash'").fetchone()[0] == 1


def test_a_crash_after_the_commit_before_the_rename_is_published_at_the_next_exchange(two, monkeypatch):
    lead, office, folder = two
    box = outbox.path_for(lead.data_dir)
    with lead as s:
        pupils.create_pupil(s, legal_forename="Crash", legal_surname="After", year_group=7)

        def crash(paths):
            raise RuntimeError("power cut")

        monkeypatch.setattr(outbox, "commit", crash)
        with pytest.raises(RuntimeError):
            exchange.write_outbox(s)
        monkeypatch.undo()
        assert len(list(box.glob("*.pending"))) == 1 and changes.dirty_count() == 0
        assert team.status(s).to_send >= 1  # committed, not in the folder yet: waiting to send
        assert team.status(s).summary.endswith("to send")
        team.sync(s)
        assert list(box.iterdir()) == [] and team.status(s).summary == "Up to date"
    assert office.sync().applied == 1
    with office as s:
        assert s.db.execute_sql("SELECT count(*) FROM pupil WHERE legal_surname = 'After'").fetchone()[0] == 1


def test_an_unreachable_folder_leaves_the_changes_packed_and_they_are_published_later(two):
    lead, office, folder = two
    with lead as s:
        pupils.create_pupil(s, legal_forename="Away", legal_surname="Day", year_group=7)
    folder.rename(folder.with_name("moved"))
    with lead as s:
        with pytest.raises(team.TeamError, match="cannot be reached"):
            team.sync(s)
        assert changes.dirty_count() == 0 and outbox.waiting(outbox.path_for(lead.data_dir))
        assert team.status(s).to_send >= 1 and "not reachable since" in team.status(s).summary
    folder.with_name("moved").rename(folder)
    report = lead.sync()
    assert report.published == 1 and team.status(lead.session).summary == "Up to date"
    assert office.sync().applied == 1


def test_publishing_needs_no_key_and_copies_only_what_reads_back_the_same(two):
    lead, office, folder = two
    with lead as s:
        pupils.create_pupil(s, legal_forename="Locked", legal_surname="Later", year_group=7)
        exchange.write_outbox(s)
        view = exchange.folder_view(s)
    lead.close()  # locked: the data key is gone
    box = outbox.path_for(lead.data_dir)
    waiting = outbox.waiting(box)
    assert len(waiting) == 1
    data = waiting[0].read_bytes()
    assert b"Locked" not in data  # encrypted, like everything in the folder
    # A copy left in the folder by an earlier attempt that was cut short: replaced by the real one.
    target = folder / "laptops" / view.laptop_id / waiting[0].name
    target.write_bytes(data[:40])
    assert exchange.publish(view) == 1
    assert target.read_bytes() == data and outbox.waiting(box) == []
    assert exchange.publish(view) == 0


def test_two_exchanges_applying_the_same_bundle_at_once_apply_it_once(two, monkeypatch):
    lead, office, folder = two
    with lead as s:
        pupils.create_pupil(s, legal_forename="Twice", legal_surname="Race", year_group=7)
        team.sync(s)
    both_checked = threading.Barrier(2, timeout=10)
    original = bundle.open_body

    def open_body_together(p, key):
        both_checked.wait()  # both threads have checked the bundle against the chain: both may apply it
        return original(p, key)

    monkeypatch.setattr(bundle, "open_body", open_body_together)
    with office as s:
        applies = "SELECT count(*) FROM audit_entry WHERE action = 'team.apply'"
        before = s.db.execute_sql(applies).fetchone()[0]
        view = exchange.folder_view(s)
        fetched = exchange.prefetch(view)
        reports = []

        def other_thread() -> None:
            with s.on_worker_thread() as worker:
                reports.append(exchange.read(worker, fetched=exchange.prefetch(view)))

        thread = threading.Thread(target=other_thread)
        thread.start()
        reports.append(exchange.read(s, fetched=fetched))
        thread.join()
        assert sorted(r.applied for r in reports) == [0, 1]
        assert s.db.execute_sql(applies).fetchone()[0] == before + 1
        assert s.db.execute_sql("SELECT count(*) FROM pupil WHERE legal_forename = 'Twice'").fetchone()[0] == 1
