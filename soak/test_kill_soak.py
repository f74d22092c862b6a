"""At least 200 SIGKILLs of a writer at random points: every committed row present, integrity_check each time."""
from __future__ import annotations

import random

import pytest

from conftest import scaled
from test_crash import check_vault, kill_cycle, new_vault

KILLS = 200


@pytest.mark.timeout(3600)  # the suite's per-test limit is for hangs, not for soaks
def test_kill_soak(tmp_path):
    folder = tmp_path / "vault"
    new_vault(folder)
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)
    kills = scaled(KILLS)
    for run in range(kills):
        tag = f"k{run}"
        committed = kill_cycle(folder, rng, tag=tag, max_batches=40)
        try:
            check_vault(folder, committed, tag=tag)
        except AssertionError as exc:
            raise AssertionError(f"kill {run + 1} of {kills} (seed {seed}): {exc}") from None
    stray = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    print(f"\n{kills} kills (seed {seed}); every committed row present, integrity_check ok, audit verified; "
          f"{len(stray)} stray temp files")
