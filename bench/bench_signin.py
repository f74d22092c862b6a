"""Benchmark: signing in end to end (issue 11): key slot unwrap (Argon2id, production cost), opening the
database, checks made at unlock (rollback anchor, slot format) and the signed sign-in audit row.
The third row repeats the sign-in on a vault made with the test-only cheap KDF: what signing in costs
besides Argon2id (open, migrate check, anchor, the signed audit row), the part this issue changed.

Run on its own: `.venv/bin/python bench/bench_signin.py` (prints one table). Uses a new small vault in a
temp folder with production key-derivation parameters; the config folder points at the same temp folder.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "correct horse battery staple"


def main() -> int:
    os.environ.pop("SCHOOLMH_TEST_FAST_KDF", None)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SCHOOLMH_CONFIG_DIR"] = str(Path(tmp) / "config")
        from schoolmh.db import crypto
        from schoolmh.services import access

        folder = Path(tmp) / "vault"
        access.init_school(folder, "Bench School", "lead", "Bench Lead", PASSWORD).session.close()
        params = crypto.new_password_params()
        kdf, total = [], []
        for _ in range(7):
            start = time.perf_counter()
            crypto.derive_password_key(PASSWORD, params)
            kdf.append(time.perf_counter() - start)
            start = time.perf_counter()
            access.sign_in(folder, "lead", PASSWORD).close()
            total.append(time.perf_counter() - start)
        # Everything but Argon2id: the same sign-in on a vault whose slot uses the test-only cheap KDF.
        os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"
        cheap_folder = Path(tmp) / "cheap"
        access.init_school(cheap_folder, "Bench School", "lead", "Bench Lead", PASSWORD).session.close()
        cheap = []
        for _ in range(15):
            start = time.perf_counter()
            access.sign_in(cheap_folder, "lead", PASSWORD).close()
            cheap.append(time.perf_counter() - start)
        os.environ.pop("SCHOOLMH_TEST_FAST_KDF", None)
    p50_total, p50_kdf = statistics.median(total), statistics.median(kdf)
    rows = [
        ("sign-in, end to end (p50 of 7)", p50_total * 1000),
        ("  Argon2id key derivation alone (p50 of 7)", p50_kdf * 1000),
        ("sign-in without Argon2id cost (p50 of 15)", statistics.median(cheap) * 1000),
    ]
    print(f"{'measure':<46} {'ms':>8}")
    for name, value in rows:
        print(f"{name:<46} {value:>8.1f}")
    print(f"(Argon2id m={params.memory_kib // 1024} MiB, t={params.time_cost}, p={params.parallelism}; {sys.platform})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
