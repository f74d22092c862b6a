"""kill -9 while a laptop writes a bundle and while another applies one, 200 times (`make soak`).

Laptop A adds pupils and exchanges; laptop B exchanges; each runs in its own process and
is SIGKILLed at a random moment. After every kill: nothing B holds is unknown to A, no
bundle was applied twice (one team.apply audit row per bundle), both vaults pass
integrity_check, and every bundle of A's in the team folder is one A committed (a bundle
killed before its commit stays in A's outbox under a pending name, never published). At
the end, one clean exchange each way: every pupil A committed is on B, A's outbox is empty.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import LEAD_PASSWORD, scaled
from schoolmh.db.connection import integrity_ok
from schoolmh.services import access, team
from schoolmh.services.team import bundle, outbox

KILLS = 200
ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, sys, datetime as dt
os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"
from schoolmh.services import access, pupils, team
data_dir, role, tag = sys.argv[1], sys.argv[2], sys.argv[3]
session = access.sign_in(data_dir, "lead", os.environ["SCHOOLMH_PASSWORD"])
if role == "write":
    for i in range(3):
        pupils.create_pupil(session, legal_forename=f"Soak{tag}", legal_surname=f"N{i}", year_group=7)
        print("committed", f"Soak{tag}", f"N{i}", flush=True)
team.sync(session)
print("synced", flush=True)
session.close()
"""


KILLED = {"write": 0, "apply": 0}


def run_child(data_dir: Path, role: str, tag: str, rng: random.Random) -> list[str]:
    env = dict(os.environ, SCHOOLMH_PASSWORD=LEAD_PASSWORD, SCHOOLMH_TEST_FAST_KDF="1")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir), role, tag], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    time.sleep(rng.uniform(0.3, 2.0))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        KILLED[role] += 1
    out, _ = proc.communicate()
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("committed")]


def own_bundles_committed(data_dir: Path, folder: Path) -> bool:
    """Every bundle this laptop has in the team folder is one its vault committed as its own."""
    session = access.sign_in(data_dir, "lead", LEAD_PASSWORD)
    try:
        me = session.db.execute_sql("SELECT laptop_id FROM team_state").fetchone()[0]
        own = {h for h, in session.db.execute_sql("SELECT hash FROM team_seen WHERE state = 'own'")}
    finally:
        session.close()
    return all(bundle.digest_of(p.read_bytes()) in own for p in (folder / "laptops" / me).glob("*.smhb"))


def pupils_and_applies(data_dir: Path) -> tuple[set[str], list[str], bool]:
    session = access.sign_in(data_dir, "lead", LEAD_PASSWORD)
    try:
        names = {f"{f} {s}" for f, s in session.db.execute_sql("SELECT legal_forename, legal_surname FROM pupil")}
        applies = [r[0] for r in session.db.execute_sql("SELECT object_uuid || ':' || detail FROM audit_entry "
                                                        "WHERE action = 'team.apply'")]
        applies = [a.split(",applied=")[0] for a in applies]
        return names, applies, integrity_ok(session.db)
    finally:
        session.close()


@pytest.mark.timeout(7200)
def test_team_kill_soak(tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    setup = access.init_school(tmp_path / "a", "Soak School", "lead", "Alex Lead", LEAD_PASSWORD)
    team.init_team(setup.session, folder)
    code = team.add_laptop(setup.session, "B", "school", tmp_path / "b.smhjoin")
    setup.session.close()
    team.join(tmp_path / "b", tmp_path / "b.smhjoin", code, "lead", LEAD_PASSWORD).close()
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)
    committed: set[str] = set()
    kills = scaled(KILLS)
    for run in range(kills):
        if rng.random() < 0.5:
            committed.update(run_child(tmp_path / "a", "write", str(run), rng))
        else:
            run_child(tmp_path / "b", "apply", str(run), rng)
        names_b, applies, ok_b = pupils_and_applies(tmp_path / "b")
        names_a, _, ok_a = pupils_and_applies(tmp_path / "a")
        context = f"kill {run + 1} of {kills} (seed {seed})"
        assert ok_a and ok_b, f"{context}: integrity_check failed"
        assert committed <= names_a, f"{context}: a committed pupil is missing on A"
        assert names_b <= names_a, f"{context}: B holds a pupil A never had"
        assert len(applies) == len(set(applies)), f"{context}: a bundle was applied twice"
        assert own_bundles_committed(tmp_path / "a", folder), f"{context}: an uncommitted bundle was published"
    for data in (tmp_path / "a", tmp_path / "b", tmp_path / "a", tmp_path / "b"):
        session = access.sign_in(data, "lead", LEAD_PASSWORD)
        team.sync(session)
        session.close()
    names_b, _, _ = pupils_and_applies(tmp_path / "b")
    assert committed <= names_b, f"(seed {seed}): pupils committed on A never reached B"
    assert outbox.waiting(outbox.path_for(tmp_path / "a")) == [], f"(seed {seed}): A's outbox was not published"
    print(f"\n{kills} runs, {KILLED['write']} killed while writing and {KILLED['apply']} while applying "
          f"(seed {seed}); {len(committed)} pupils committed, all on both laptops, none applied twice")
