"""Backup (built locally, copied out, read back) and restore of the demo school; the location check;
how long a held file is retried before "vault busy"; refusing a zip bomb."""
from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile


def bench(ctx) -> list:
    from schoolmh import fsutil
    from schoolmh.db import location
    from schoolmh.db.connection import DB_NAME
    from schoolmh.errors import BackupError, VaultBusy
    from schoolmh.services import access, vault_admin

    demo = ctx.demo()
    session = access.sign_in(demo.data_dir, demo.username, demo.password)
    counter = {"n": 0}

    def backup():
        counter["n"] += 1
        return vault_admin.backup(session, ctx.tmp / "out" / f"b{counter['n']}.schoolmh-backup")

    try:
        timing = ctx.timeit(backup, repeat=2 if ctx.quick else 3)
        result = backup()
    finally:
        session.close()
    size_mb = result.size_bytes / 1e6
    restore = ctx.timeit(lambda: vault_admin.restore(ctx.tmp / f"restored{time.monotonic_ns()}", result.path,
                                                     recovery_key=demo.recovery_key), repeat=1, warmup=0)
    check = ctx.timeit(lambda: location.check_location(demo.data_dir), repeat=20)

    real = os.replace

    def held(src, dst):
        exc = PermissionError(13, "held")
        exc.winerror = 32
        raise exc

    os.replace = held
    try:
        started = time.perf_counter()
        try:
            fsutil.atomic_write_bytes(ctx.tmp / "busy", b"x")
        except VaultBusy:
            pass
        busy_after = time.perf_counter() - started
    finally:
        os.replace = real

    with zipfile.ZipFile(result.path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    bomb = b"\0" * (256 * 1024 * 1024)
    manifest = json.loads(members["manifest.json"])
    manifest["parts"][DB_NAME] = hashlib.sha256(bomb).hexdigest()
    crafted = ctx.tmp / "bomb.zip"
    with zipfile.ZipFile(crafted, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        z.writestr(DB_NAME, bomb, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("vault.keys", members["vault.keys"])
    del bomb
    started = time.perf_counter()
    try:
        vault_admin.restore(ctx.tmp / "bombed", crafted, recovery_key=demo.recovery_key)
    except BackupError:
        pass
    bomb_refused = time.perf_counter() - started

    return [
        ctx.Row("backup of the demo school (p50)", timing.p50, "s", note=f"{size_mb:.1f} MB, incl. read-back"),
        ctx.Row("restore of that backup", restore.p50, "s", note="recovery key, verify, swap"),
        ctx.Row("cloud/network folder check (p50)", check.p50, "s", target="< 20 ms", ok=check.p50 < 0.02),
        ctx.Row("held file retried before 'vault busy'", busy_after, "s", target="about 1 s",
                ok=0.8 < busy_after < 2.0),
        ctx.Row("256 MB zip bomb refused", bomb_refused, "s", note=f"{crafted.stat().st_size / 1e6:.2f} MB file, "
                "nothing unpacked"),
    ]
