"""Key derivation and key wrapping for the vault's key slots.

The database is encrypted with a random data key (DEK). Each way in (a staff
password, the recovery key, a remembered device) wraps that DEK with AES-256-GCM
under a key of its own. Associated data binds every wrap to the format version,
the vault, the slot and its KDF parameters, so a slot cannot be moved to another
vault or have its cost lowered without the unwrap failing.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import unicodedata
from dataclasses import asdict, dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32

# OWASP Password Storage Cheat Sheet (2024): Argon2id with at least m=19 MiB, t=2, p=1.
# We hold ourselves to a far higher floor because one laptop unlock a day can afford it.
ARGON2_FLOOR_MEMORY_KIB = 64 * 1024
ARGON2_FLOOR_TIME_COST = 3
ARGON2_PARALLELISM = 4
# A key file is untrusted input: a slot asking for more than this is damaged, not obeyed.
ARGON2_MAX_MEMORY_KIB = 1024 * 1024
ARGON2_MAX_TIME_COST = 32
SALT_MIN_BYTES = 16

# The one documented test-only setting: lets the suite create cheap slots.
# Slots made with it are marked and refused at unlock unless the setting is on.
TEST_KDF_ENV = "SCHOOLMH_TEST_FAST_KDF"


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def normalise_password(password: str) -> bytes:
    """NFC so the same password typed on a Mac and on Windows derives the same key."""
    return unicodedata.normalize("NFC", password).encode("utf-8")


@dataclass(frozen=True)
class KdfParams:
    alg: str  # "argon2id" or "hkdf-sha256"
    salt: str  # base64
    memory_kib: int = 0
    time_cost: int = 0
    parallelism: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "KdfParams":
        """Raises ValueError for anything a real slot could not hold (the caller reports a damaged key file)."""
        params = cls(
            alg=str(data["alg"]),
            salt=str(data["salt"]),
            memory_kib=int(data.get("memory_kib", 0)),
            time_cost=int(data.get("time_cost", 0)),
            parallelism=int(data.get("parallelism", 0)),
        )
        if len(b64d(params.salt)) < SALT_MIN_BYTES:
            raise ValueError("salt")
        if params.alg == "argon2id":
            if not (1 <= params.parallelism <= 64 and 8 * params.parallelism <= params.memory_kib <= ARGON2_MAX_MEMORY_KIB):
                raise ValueError("argon2 memory/parallelism")
            if not 1 <= params.time_cost <= ARGON2_MAX_TIME_COST:
                raise ValueError("argon2 time cost")
        elif params.alg != "hkdf-sha256":
            raise ValueError("alg")
        return params

    def below_floor(self) -> bool:
        return self.alg == "argon2id" and (
            self.memory_kib < ARGON2_FLOOR_MEMORY_KIB or self.time_cost < ARGON2_FLOOR_TIME_COST
        )


def fast_kdf_for_tests() -> bool:
    return os.environ.get(TEST_KDF_ENV) == "1"


def new_password_params(memory_kib: int | None = None, time_cost: int | None = None) -> KdfParams:
    if fast_kdf_for_tests():
        memory_kib, time_cost = memory_kib or 1024, time_cost or 1
    if not memory_kib or not time_cost:
        calibrated_memory, calibrated_time = calibrated_cost()
        memory_kib, time_cost = memory_kib or calibrated_memory, time_cost or calibrated_time
    return KdfParams(
        alg="argon2id",
        salt=b64e(secrets.token_bytes(16)),
        memory_kib=memory_kib,
        time_cost=time_cost,
        parallelism=ARGON2_PARALLELISM,
    )


# Beyond this, extra cost goes into passes rather than memory: the key derivation's memory is
# on top of the app's own (~110 MB at the unlock screen), and the whole should stay below 250 MB.
ARGON2_CALIBRATED_MEMORY_CAP_KIB = 128 * 1024
_calibrated: tuple[int, int] | None = None


def calibrated_cost(target_seconds: float = 0.5) -> tuple[int, int]:
    """(memory KiB, passes) so an unlock takes about half a second here; never below the floor.

    Measured once per process (new slots are rare; the faster of two runs, as a busy
    machine only ever adds time) and stored in each slot, so a faster laptop later can
    raise it without breaking older slots. Up to 4× the floor's cost: memory first
    (to 128 MiB), then passes.
    """
    global _calibrated
    if _calibrated is None:
        runs = []
        for _ in range(2):
            start = time.perf_counter()
            hash_secret_raw(b"calibrate", b"\0" * 16, ARGON2_FLOOR_TIME_COST, ARGON2_FLOOR_MEMORY_KIB,
                            ARGON2_PARALLELISM, KEY_BYTES, Type.ID)
            runs.append(time.perf_counter() - start)
        scale = min(max(target_seconds / max(min(runs), 1e-3), 1.0), 4.0)
        memory = min(int(ARGON2_FLOOR_MEMORY_KIB * scale), ARGON2_CALIBRATED_MEMORY_CAP_KIB) // 1024 * 1024
        passes = max(ARGON2_FLOOR_TIME_COST, round(ARGON2_FLOOR_TIME_COST * scale * ARGON2_FLOOR_MEMORY_KIB / memory))
        _calibrated = (memory, passes)
    return _calibrated


def derive_password_key(password: str, params: KdfParams) -> bytes:
    return hash_secret_raw(
        normalise_password(password),
        b64d(params.salt),
        params.time_cost,
        params.memory_kib,
        params.parallelism,
        KEY_BYTES,
        Type.ID,
    )


def new_hkdf_params() -> KdfParams:
    return KdfParams(alg="hkdf-sha256", salt=b64e(secrets.token_bytes(16)))


def derive_hkdf_key(secret: bytes, params: KdfParams, info: bytes) -> bytes:
    """For high-entropy secrets (recovery key, device secret) a slow KDF adds nothing."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=b64d(params.salt), info=info).derive(secret)


def associated_data(fmt: int, vault_id: str, slot_id: str, kind: str, params: KdfParams) -> bytes:
    return json.dumps(
        {"format": fmt, "vault": vault_id, "slot": slot_id, "kind": kind, "kdf": params.to_json()},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def wrap(kek: bytes, dek: bytes, ad: bytes) -> tuple[str, str]:
    nonce = secrets.token_bytes(12)
    return b64e(nonce), b64e(AESGCM(kek).encrypt(nonce, dek, ad))


def unwrap(kek: bytes, nonce: str, wrapped: str, ad: bytes) -> bytes | None:
    """None when the tag fails: wrong secret (or a tampered slot)."""
    try:
        return AESGCM(kek).decrypt(b64d(nonce), b64d(wrapped), ad)
    except InvalidTag:
        return None


def hmac_sha256(key: bytes, data: bytes) -> str:
    import hmac

    return hmac.new(key, data, hashlib.sha256).hexdigest()


# --- the recovery key ------------------------------------------------------
# Crockford base32: no I, L, O, U, so a key read aloud or copied by hand survives.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_DATA_CHARS = 26  # 130 bits
RECOVERY_CHECK_CHARS = 2  # 10-bit checksum catches typos before any decryption


def _recovery_checksum(data_chars: str) -> str:
    digest = int.from_bytes(hashlib.sha256(data_chars.encode()).digest()[:2], "big") >> 6
    return RECOVERY_ALPHABET[digest >> 5] + RECOVERY_ALPHABET[digest & 31]


def new_recovery_key() -> str:
    data = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_DATA_CHARS))
    return format_recovery_key(data + _recovery_checksum(data))


def format_recovery_key(chars: str) -> str:
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def parse_recovery_key(text: str) -> str | None:
    """Canonical characters, or None if it cannot be a recovery key (length or checksum)."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != RECOVERY_DATA_CHARS + RECOVERY_CHECK_CHARS:
        return None
    if any(ch not in RECOVERY_ALPHABET for ch in cleaned):
        return None
    data, check = cleaned[:RECOVERY_DATA_CHARS], cleaned[RECOVERY_DATA_CHARS:]
    return cleaned if _recovery_checksum(data) == check else None
