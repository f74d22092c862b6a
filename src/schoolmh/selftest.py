"""`schoolmh --selftest`: does this installation work? Checked frozen or not, on the real window system.

One line per check, "ok  <check>: detail" or "FAIL <check>: why", and a non-zero exit
status when anything failed. `make dist` and the CI build run it on the built app, so
a missing library, font, Qt plugin or keyring backend in the bundle shows up there and
not on a school laptop. Nothing here touches the user's own vault or log folder.
"""
from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CheckResult = str  # the detail shown after "ok  <name>: "


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def check_sqlcipher() -> CheckResult:
    from sqlcipher3 import dbapi2 as sqlcipher

    conn = sqlcipher.connect(":memory:")
    try:
        conn.execute("PRAGMA key = \"x'" + "00" * 32 + "'\"")
        conn.execute("CREATE TABLE t (x)")  # the key is applied on first use
        version = str(conn.execute("PRAGMA cipher_version").fetchone()[0])
        provider = conn.execute("PRAGMA cipher_provider").fetchone()
    finally:
        conn.close()
    if not version.startswith("4"):
        raise RuntimeError(f"SQLCipher {version} found; 4.x is required")
    return f"SQLCipher {version} ({provider[0] if provider else 'unknown provider'}), SQLite {sqlcipher.sqlite_version}"


def check_vault_round_trip() -> CheckResult:
    """Create a vault in a temp folder, write, close, unlock with the password, read back."""
    from schoolmh.db import crypto
    from schoolmh.db.connection import integrity_ok
    from schoolmh.services import access, settings

    folder = Path(tempfile.mkdtemp(prefix="schoolmh-selftest-"))
    try:
        password = "selftest " + secrets.token_hex(8)
        marker = "selftest-" + secrets.token_hex(4)
        start = time.perf_counter()
        setup = access.init_school(folder / "vault", "Self-test School", "selftest", "Self Test", password)
        try:
            settings.update(setup.session, local_authority=marker)
        finally:
            setup.session.close()
        unlock_start = time.perf_counter()
        session = access.sign_in(folder / "vault", "selftest", password)
        unlocked = time.perf_counter() - unlock_start
        try:
            if settings.load().local_authority != marker:
                raise RuntimeError("the value written was not read back")
            if not integrity_ok(session.db):
                raise RuntimeError("integrity_check failed")
            slot = session.vault.keyfile.user_slot("selftest")
        finally:
            session.close()
        total = time.perf_counter() - start
        kdf = f"Argon2id m={slot.kdf.memory_kib // 1024} MiB t={slot.kdf.time_cost} p={slot.kdf.parallelism}"
        if crypto.fast_kdf_for_tests():
            kdf += " (test setting)"
        return f"create, write, unlock, read back in {total:.2f} s (unlock {unlocked:.2f} s, {kdf})"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_crypto() -> CheckResult:
    import argon2
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from schoolmh.db import crypto

    params = crypto.KdfParams(alg="argon2id", salt=crypto.b64e(b"\0" * 16), memory_kib=8 * 1024, time_cost=1, parallelism=1)
    kek = crypto.derive_password_key("selftest password", params)
    dek = secrets.token_bytes(crypto.KEY_BYTES)
    nonce, wrapped = crypto.wrap(kek, dek, b"selftest")
    if crypto.unwrap(kek, nonce, wrapped, b"selftest") != dek:
        raise RuntimeError("AES-GCM unwrap did not return the key")
    if crypto.unwrap(kek, nonce, wrapped, b"other") is not None:
        raise RuntimeError("AES-GCM accepted the wrong associated data")
    AESGCM.generate_key(bit_length=256)
    import cryptography

    return f"Argon2id (argon2-cffi {argon2.__version__ if hasattr(argon2, '__version__') else '?'}), AES-256-GCM (cryptography {cryptography.__version__})"


def check_pdf() -> CheckResult:
    from schoolmh.resources import resource_path

    font = resource_path("fonts", "DejaVuSans.ttf")
    if not font.exists():
        raise RuntimeError(f"bundled font missing: {font}")
    try:
        from schoolmh.reports.recovery_sheet import recovery_sheet_pdf
    except ImportError as exc:
        if is_frozen():
            raise RuntimeError(f"PDF module missing from the build ({exc.name})") from None
        return "skipped: schoolmh.reports.recovery_sheet is not written yet"
    import datetime as dt

    from schoolmh.db.crypto import new_recovery_key

    data = recovery_sheet_pdf("Self-test School", new_recovery_key(), dt.date.today())
    if not data.startswith(b"%PDF") or b"DejaVu" not in data:
        raise RuntimeError("the PDF was not built with the bundled fonts")
    return f"recovery sheet, {len(data) // 1024} KB, bundled DejaVu fonts embedded"


def check_keyring() -> CheckResult:
    """Store, read back and delete a throwaway secret the way "remember me" does (local-machine persistence)."""
    from schoolmh.db.device_keyring import local_keyring, verify_local_persistence

    backend = local_keyring()
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if type(backend).__module__.endswith((".fail", ".null")):
        return f"importable; no OS keyring here ({name}): 'remember me' is unavailable, passwords work"
    service, account, secret = "SchoolMH self-test", "selftest-" + secrets.token_hex(4), secrets.token_urlsafe(24)
    backend.set_password(service, account, secret)
    try:
        if backend.get_password(service, account) != secret:
            raise RuntimeError(f"{name} did not return the secret it stored")
        stored_as = verify_local_persistence(backend, service, account)
    finally:
        backend.delete_password(service, account)
    if backend.get_password(service, account) is not None:
        raise RuntimeError(f"{name} still returns a deleted secret")
    return f"set, get and delete with {name}" + (f" ({stored_as})" if stored_as else "")


def qt_platform(platform: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The platform plugin the self-test must show a window on ('' lets Qt choose).

    The real one on Windows and macOS whatever QT_QPA_PLATFORM says; on Linux the one asked
    for, the desktop's own when there is a display, else offscreen (a build machine or CI).
    """
    platform = sys.platform if platform is None else platform
    environ = dict(os.environ) if environ is None else environ
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "cocoa"
    if environ.get("QT_QPA_PLATFORM"):
        return environ["QT_QPA_PLATFORM"]
    return "" if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY") else "offscreen"


def check_qt() -> CheckResult:
    """The window check lives in ui/ (the only package that imports Qt)."""
    from schoolmh.startup import linux_qt_hint

    hint = linux_qt_hint()
    if hint and qt_platform() in ("", "xcb"):
        raise RuntimeError(hint)
    from schoolmh.ui.selftest_window import show_test_window

    return show_test_window(qt_platform())


CHECKS: list[tuple[str, Callable[[], CheckResult]]] = [
    ("sqlcipher", check_sqlcipher),
    ("vault round trip", check_vault_round_trip),
    ("argon2id and aes-gcm", check_crypto),
    ("pdf with bundled fonts", check_pdf),
    ("keyring", check_keyring),
    ("qt window", check_qt),
]


def run_selftest() -> int:
    from schoolmh import __version__

    print(f"SchoolMH {__version__} self-test ({'built app' if is_frozen() else 'from source'}, "
          f"Python {sys.version.split()[0]}, {sys.platform})", flush=True)
    failed = 0
    for name, check in CHECKS:
        try:
            detail = check()
        except Exception as exc:  # every failure is reported, then the next check runs
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        else:
            if detail.startswith("skipped") and is_frozen():
                failed += 1
                print(f"FAIL {name}: {detail}", flush=True)
            else:
                print(f"ok  {name}: {detail}", flush=True)
    print("self-test passed" if not failed else f"self-test FAILED: {failed} of {len(CHECKS)} checks", flush=True)
    return 1 if failed else 0
