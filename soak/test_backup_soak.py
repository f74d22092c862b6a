"""50 backups taken while another process writes: each restores (recovery key or password) and verifies."""
from __future__ import annotations

import random

import pytest

from conftest import LEAD_PASSWORD, scaled
from test_crash import Writer, check_vault, new_vault

from schoolmh.services import access, vault_admin

BACKUPS = 50


@pytest.mark.timeout(3600)  # the suite's per-test limit is for hangs, not for soaks
def test_backup_soak(tmp_path):
    folder = tmp_path / "live"
    new_vault(folder)
    setup_key = None
    # the recovery key: replace it once so this test knows it
    s = access.sign_in(folder, "lead", LEAD_PASSWORD)
    setup_key = vault_admin.replace_recovery_key(s)
    s.close()
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)
    total = scaled(BACKUPS)
    writer = Writer(folder, "soak", pause=0.005)
    try:
        for n in range(total):
            writer.wait_for(len(writer.lines) + rng.randint(1, 10))
            before = writer.committed()
            out = tmp_path / f"b{n}.zip"
            s = access.sign_in(folder, "lead", LEAD_PASSWORD)
            try:
                vault_admin.backup(s, out)
            finally:
                s.close()
            target = tmp_path / f"restored{n}"
            if n % 2:
                vault_admin.restore(target, out, recovery_key=setup_key)
            else:
                vault_admin.restore(target, out, username="lead", password=LEAD_PASSWORD)
            try:
                check_vault(target, before, tag="soak")
            except AssertionError as exc:
                raise AssertionError(f"backup {n + 1} of {total} (seed {seed}): {exc}") from None
            out.unlink()
            for p in sorted(target.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            target.rmdir()
    finally:
        writer.stop()
    check_vault(folder, writer.committed(), tag="soak")
    print(f"\n{total} backups during writes (seed {seed}): each restored, integrity_check ok, "
          f"every row committed before it began present, audit verified; {len(writer.lines)} batches written")
