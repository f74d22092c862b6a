"""The change bundle: one immutable, signed, encrypted file in the team folder.

Layout: MAGIC | header length (4 bytes, big-endian) | header (canonical JSON) | Ed25519
signature (64 bytes) | body. The header names the team, the laptop, the stream ("school",
"mhst" or "control"), the sequence number, the previous bundle's hash (a chain per laptop
and stream), the scope key's id, the GCM nonce and the body's length. The body is the
changes as JSON, zlib-compressed, then AES-256-GCM under the stream's scope key with the
header as associated data (control bundles carry no pupil data and are only signed). The
signature covers MAGIC, header and body, so no byte can change unnoticed. The file is
named by its content hash, written under a temporary name and renamed, and never
rewritten: sync tools can copy it but never merge it.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schoolmh.db.crypto import b64d, b64e
from schoolmh import fsutil
from schoolmh.fsutil import fsync_dir
from schoolmh.services.team import keys

MAGIC = b"SMHTEAM1"
VERSION = 1
SUFFIX = ".smhb"
STREAMS = ("control", "school", "mhst")
SIG_BYTES = 64


class BundleUnreadable(Exception):
    """A bundle this laptop will not apply; `permanent` False means "try again later"."""

    def __init__(self, message: str, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Parsed:
    header: dict
    header_bytes: bytes
    signature: bytes
    body: bytes
    digest: str  # sha256 of the whole file: its identity everywhere

    @property
    def laptop(self) -> str:
        return str(self.header.get("laptop", ""))

    @property
    def stream(self) -> str:
        return str(self.header.get("stream", ""))

    @property
    def seq(self) -> int:
        return int(self.header.get("seq", 0))


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _signed_part(header_bytes: bytes, body: bytes) -> bytes:
    return hashlib.sha256(MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + body).digest()


def encode(team_id: str, laptop: str, stream: str, seq: int, prev: str, stamp: int, changes: list,
           sign_key: str, scope_key: tuple[str, str] | None) -> bytes:
    """`scope_key` is (key id, key); None only for control bundles."""
    plain = zlib.compress(_canonical({"changes": changes}), 6)
    header = {"v": VERSION, "team": team_id, "laptop": laptop, "stream": stream, "seq": seq, "prev": prev,
              "hlc": stamp, "count": len(changes), "key_id": "", "nonce": ""}
    if scope_key is not None:
        nonce = secrets.token_bytes(12)
        header.update(key_id=scope_key[0], nonce=b64e(nonce))
    header["size"] = len(plain) + (16 if scope_key is not None else 0)
    header_bytes = _canonical(header)
    body = plain if scope_key is None else AESGCM(b64d(scope_key[1])).encrypt(nonce, plain, header_bytes)
    signature = keys.sign(sign_key, _signed_part(header_bytes, body))
    return MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + signature + body


def parse(data: bytes) -> Parsed:
    """Structure only (no keys needed). Raises BundleUnreadable for anything that is not a whole bundle."""
    if not data.startswith(MAGIC):
        raise BundleUnreadable("is not a SchoolMH change bundle (or its first bytes were changed)")
    try:
        length = int.from_bytes(data[len(MAGIC):len(MAGIC) + 4], "big")
        start = len(MAGIC) + 4
        header_bytes = data[start:start + length]
        if len(header_bytes) != length:
            raise ValueError
        header = json.loads(header_bytes.decode("utf-8"))
        signature = data[start + length:start + length + SIG_BYTES]
        body = data[start + length + SIG_BYTES:]
        if len(signature) != SIG_BYTES or not isinstance(header, dict) or header.get("stream") not in STREAMS:
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise BundleUnreadable("is incomplete or damaged (cut short, or its header was changed)", permanent=False) from None
    if len(body) < int(header.get("size", -1)):
        raise BundleUnreadable("is incomplete: cut short (perhaps still being copied)", permanent=False)
    if len(body) > int(header.get("size", -1)):
        raise BundleUnreadable("is longer than its header says: bytes were added after it was written")
    return Parsed(header, header_bytes, signature, body, digest_of(data))


def signature_ok(parsed: Parsed, sign_pub: str) -> bool:
    return keys.verify(sign_pub, parsed.signature, _signed_part(parsed.header_bytes, parsed.body))


def open_body(parsed: Parsed, scope_key: str | None) -> list:
    try:
        plain = parsed.body
        if parsed.header.get("key_id"):
            if scope_key is None:
                raise BundleUnreadable("is encrypted under a key this laptop does not hold", permanent=False)
            plain = AESGCM(b64d(scope_key)).decrypt(b64d(parsed.header["nonce"]), parsed.body, parsed.header_bytes)
        changes = json.loads(zlib.decompress(plain).decode("utf-8"))["changes"]
    except BundleUnreadable:
        raise
    except (InvalidTag, ValueError, KeyError, zlib.error, UnicodeDecodeError):
        raise BundleUnreadable("could not be decrypted: it was changed after it was written") from None
    if not isinstance(changes, list) or len(changes) != parsed.header.get("count"):
        raise BundleUnreadable("holds a different number of changes than its header says")
    return changes


def file_name(stream: str, seq: int, digest: str) -> str:
    return f"{seq:08d}-{stream}-{digest[:16]}{SUFFIX}"


def write(folder: Path, data: bytes, stream: str, seq: int) -> Path:
    """Temp name, fsync, rename: a reader never sees half a bundle under its real name."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = digest_of(data)
    path = folder / file_name(stream, seq, digest)
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        fsutil.replace(tmp, path)
        fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
