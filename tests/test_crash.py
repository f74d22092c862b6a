"""A writer process killed with SIGKILL at a random point leaves a vault that opens with every committed row.

The writer (a real process using the services, as the app does) prints each batch's
UUIDs only after the batch's transaction has committed. After the kill: the vault
opens, integrity_check passes, every printed row is there, no batch is half there,
and the audit trail verifies (a crash must never look like tampering).

The helpers here are shared with test_backup.py and the soak tests (soak/).
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from support import LEAD_PASSWORD

# One batch = one session.transaction() holding BATCH pupils (and their audit rows).
BATCH = 2
WRITER = r"""
import os, sys, time
from schoolmh.services import access, pupils
data_dir, tag, limit, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = access.sign_in(data_dir, "lead", os.environ["SCHOOLMH_PASSWORD"])
print("ready", flush=True)
n = 0
while limit <= 0 or n < limit:
    made = []
    with s.transaction():
        for k in range({batch}):
            made.append(pupils.create_pupil(
                s, legal_forename="W" + tag, legal_surname=f"B{n}", year_group=7 + k,
            ).uuid)
    print(f"{n} " + " ".join(made), flush=True)  # after the commit: these rows are durable
    n += 1
    if pause:
        time.sleep(pause)
s.close()
print("done", flush=True)
""".replace("{batch}", str(BATCH))


class Writer:
    """A writer subprocess and the batches it has reported committed."""

    def __init__(self, folder: Path, tag: str = "x", limit: int = 0, pause: float = 0.0) -> None:
        """pause: seconds between batches. 0 holds the write lock ~100% of the time (fine alone);
        with another process writing too, a few ms lets it in, as a person using the app would:
        SQLite's lock is not fair, so a writer that never lets go starves the other."""
        env = dict(os.environ, SCHOOLMH_PASSWORD=LEAD_PASSWORD)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), tag, str(limit), str(pause)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.strip()
            if line == "ready":
                self.ready.set()
            elif line and line != "done":
                self.lines.append(line)
        self.ready.set()

    def wait_for(self, batches: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.lines) < batches:
            if self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"writer ended early: {self.proc.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"writer made only {len(self.lines)} batches in {timeout}s")
            time.sleep(0.002)

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no clean-up either way
        self.proc.wait(10)
        self._reader.join(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self.proc.stderr.close()

    def committed(self) -> dict[int, list[str]]:
        """batch number → its UUIDs, for every batch reported after its commit."""
        out = {}
        for line in list(self.lines):
            number, *uuids = line.split()
            out[int(number)] = uuids
        return out


def check_vault(folder: Path, committed: dict[int, list[str]], tag: str = "x") -> int:
    """Open the vault and check: integrity, every committed row, no half batch, audit intact. Returns rows."""
    from schoolmh.db.connection import integrity_ok
    from schoolmh.db.models.records import Pupil
    from schoolmh.services import access, vault_admin

    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    try:
        assert integrity_ok(s.db)
        present = {u for (u,) in Pupil.select(Pupil.uuid).where(Pupil.legal_forename == "W" + tag).tuples()}
        wanted = {u for uuids in committed.values() for u in uuids}
        missing = wanted - present
        assert not missing, f"{len(missing)} committed rows missing"
        sizes = Counter(
            s for (s,) in Pupil.select(Pupil.legal_surname).where(Pupil.legal_forename == "W" + tag).tuples()
        )
        half = {k: v for k, v in sizes.items() if v != BATCH}
        assert not half, f"half-written batches: {half}"
        result = vault_admin.verify_audit(s)
        assert result.ok, result.problem
        return len(present)
    finally:
        s.close()


def new_vault(folder: Path) -> None:
    from schoolmh.services import access

    access.init_school(folder, "Crash Test School", "lead", "Alex Lead", LEAD_PASSWORD).session.close()


def kill_cycle(folder: Path, rng: random.Random, tag: str = "x", max_batches: int = 25) -> dict[int, list[str]]:
    """One run: start a writer, let it commit a random number of batches, SIGKILL at a random moment."""
    writer = Writer(folder, tag)
    try:
        writer.wait_for(rng.randint(1, max_batches))
        time.sleep(rng.random() * 0.02)  # land anywhere: mid-transaction, mid-commit, mid-audit-head
        writer.kill()
        return writer.committed()
    finally:
        writer.stop()


def test_kill_writer_leaves_every_committed_row(tmp_path):
    folder = tmp_path / "vault"
    new_vault(folder)
    rng = random.Random(20250106)
    all_committed: dict[str, list[str]] = {}
    for run in range(5):
        committed = kill_cycle(folder, rng, tag=f"r{run}")
        assert committed, "the writer was killed before committing anything"
        all_committed[f"r{run}"] = committed
        check_vault(folder, committed, tag=f"r{run}")
    # and the earliest runs' rows are all still there after later crashes
    for tag, committed in all_committed.items():
        check_vault(folder, committed, tag=tag)


def test_writer_running_to_completion(tmp_path):
    folder = tmp_path / "vault"
    new_vault(folder)
    writer = Writer(folder, "done", limit=5)
    assert writer.proc.wait(30) == 0, writer.proc.stderr.read()
    writer._reader.join(5)
    writer.stop()
    assert len(writer.committed()) == 5
    assert check_vault(folder, writer.committed(), tag="done") == 5 * BATCH
