"""Ed25519 signing keys: one per account (and one for the recovery key), so what an account wrote
to the audit trail can be checked against that account and no other.

The private key is its 32-byte seed, kept only inside the account's key slots (wrapped with the
data key, see keyfile.py); the public key is in the key file (bound into the slot's associated
data) and in the staff record, and each is introduced to the audit trail by a signed row.
"""
from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from schoolmh.db.crypto import b64d, b64e

SEED_BYTES = 32
PREFIX = "ed25519:"


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def public_key(seed: bytes) -> str:
    """The public key as text ("ed25519:<base64>"), as stored in the key file, staff record and audit."""
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PREFIX + b64e(raw)


def sign(seed: bytes, message: bytes) -> str:
    return b64e(Ed25519PrivateKey.from_private_bytes(seed).sign(message))


def verify(public: str, message: bytes, signature: str) -> bool:
    try:
        if not public.startswith(PREFIX):
            return False
        Ed25519PublicKey.from_public_bytes(b64d(public[len(PREFIX):])).verify(b64d(signature), message)
        return True
    except (InvalidSignature, ValueError):
        return False


class Signer:
    """The unlocked session's signing key: signs, and says which public key it is. Never printed."""

    __slots__ = ("_seed", "public")

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self.public = public_key(seed)

    def sign(self, message: bytes) -> str:
        return sign(self._seed, message)

    @property
    def seed(self) -> bytes:
        """Only for wrapping into another slot of the same account (password change, remember me)."""
        return self._seed

    def __repr__(self) -> str:
        return f"Signer({self.public})"
