"""The team's key material: laptop identity keys, scope keys, sealed wraps and the one-time code.

* Each laptop has an Ed25519 key (signs every bundle it writes) and an X25519 key (opens
  scope keys wrapped for it). The private halves live in the laptop's own encrypted vault
  (team_state), i.e. under the vault's data key; only the public halves travel.
* Each scope ("school", "mhst") has a random AES-256 key per key generation; removing a
  laptop makes new ones, sealed for each remaining laptop's X25519 key (ephemeral-static
  ECDH, HKDF-SHA256, AES-256-GCM; associated data names recipient, scope and key id).
* The one-time enrolment code: 80 random bits in Crockford base32 (no I, L, O, U) plus a
  10-bit checksum, in groups of four, so a typo is caught before any decryption.
"""
from __future__ import annotations

import hashlib
import json
import secrets

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from schoolmh.db.crypto import RECOVERY_ALPHABET, b64d, b64e

SCOPES = ("school", "mhst")
_RAW = serialization.Encoding.Raw
_RAW_PRIV = (serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


# -- identity keys ---------------------------------------------------------------------
def new_sign_key() -> str:
    return b64e(Ed25519PrivateKey.generate().private_bytes(*_RAW_PRIV))


def new_box_key() -> str:
    return b64e(X25519PrivateKey.generate().private_bytes(*_RAW_PRIV))


def sign_public(private_b64: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(b64d(private_b64))
    return b64e(key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def box_public(private_b64: str) -> str:
    key = X25519PrivateKey.from_private_bytes(b64d(private_b64))
    return b64e(key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def sign(private_b64: str, data: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(b64d(private_b64)).sign(data)


def verify(public_b64: str, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(b64d(public_b64)).verify(signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False


# -- scope keys --------------------------------------------------------------------------
def new_scope_key() -> tuple[str, str]:
    """(key id, key): the id is random too, so two laptops making keys at once never clash."""
    return secrets.token_hex(8), b64e(secrets.token_bytes(32))


def _wrap_ad(recipient: str, scope: str, key_id: str) -> bytes:
    return json.dumps({"to": recipient, "scope": scope, "key_id": key_id}, sort_keys=True).encode()


def _shared_key(secret: bytes, ad: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"schoolmh team wrap" + ad).derive(secret)


def seal(recipient_box_pub: str, recipient: str, scope: str, key_id: str, key_b64: str) -> dict:
    """Wrap a scope key so only `recipient` (holding the X25519 private key) can open it."""
    ephemeral = X25519PrivateKey.generate()
    ad = _wrap_ad(recipient, scope, key_id)
    secret = ephemeral.exchange(X25519PublicKey.from_public_bytes(b64d(recipient_box_pub)))
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_shared_key(secret, ad)).encrypt(nonce, b64d(key_b64), ad)
    return {
        "to": recipient, "scope": scope, "key_id": key_id, "nonce": b64e(nonce), "sealed": b64e(sealed),
        "eph": b64e(ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)),
    }


def unseal(box_private_b64: str, wrap: dict) -> str | None:
    """The scope key, or None when the wrap is not for this key or was changed."""
    try:
        ad = _wrap_ad(wrap["to"], wrap["scope"], wrap["key_id"])
        private = X25519PrivateKey.from_private_bytes(b64d(box_private_b64))
        secret = private.exchange(X25519PublicKey.from_public_bytes(b64d(wrap["eph"])))
        return b64e(AESGCM(_shared_key(secret, ad)).decrypt(b64d(wrap["nonce"]), b64d(wrap["sealed"]), ad))
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None


# -- the one-time enrolment code ----------------------------------------------------------
CODE_DATA_CHARS = 16  # 80 bits
CODE_CHECK_CHARS = 2  # 10 bits


def _code_check(data: str) -> str:
    digest = int.from_bytes(hashlib.sha256(b"schoolmh team code:" + data.encode()).digest()[:2], "big") >> 6
    return RECOVERY_ALPHABET[digest >> 5] + RECOVERY_ALPHABET[digest & 31]


def new_code() -> str:
    data = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(CODE_DATA_CHARS))
    chars = data + _code_check(data)
    return "-".join(chars[i:i + 4] for i in range(0, len(chars), 4))


def parse_code(text: str) -> str | None:
    """The canonical characters, or None for a mistyped code (wrong length or checksum)."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != CODE_DATA_CHARS + CODE_CHECK_CHARS or any(ch not in RECOVERY_ALPHABET for ch in cleaned):
        return None
    data, check = cleaned[:CODE_DATA_CHARS], cleaned[CODE_DATA_CHARS:]
    return cleaned if _code_check(data) == check else None
