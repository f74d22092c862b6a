"""Opening the SQLCipher database with a raw 256-bit key and safe pragmas."""
from __future__ import annotations

from pathlib import Path

from peewee import DatabaseProxy
from playhouse.sqlcipher_ext import SqlCipherDatabase
from sqlcipher3 import dbapi2 as sqlcipher

from schoolmh.errors import DamagedDatabase, DatabaseMissing

DB_NAME = "schoolmh.db"

# Models are defined before any vault is unlocked; the proxy is pointed at the open database.
database_proxy = DatabaseProxy()

BUSY_TIMEOUT_MS = 5000

PRAGMAS = (
    ("foreign_keys", "ON"),
    ("journal_mode", "WAL"),  # readers never block the writer; backup runs beside the app
    ("synchronous", "FULL"),  # durable: a committed session survives a power cut
    ("secure_delete", "ON"),  # freed pages are zeroed, so erased records do not linger
    ("temp_store", "MEMORY"),  # sort/temp tables never touch disk
    ("busy_timeout", str(BUSY_TIMEOUT_MS)),
)


class RawKeyCipherDatabase(SqlCipherDatabase):
    """Keyed with `x'…'` (no passphrase KDF: the data key is already random) and logging silenced."""

    def __init__(self, path: str, dek: bytes, **kwargs) -> None:
        self._dek_hex = dek.hex()
        super().__init__(path, **kwargs)

    def _connect(self):  # noqa: D401 - peewee hook
        conn = sqlcipher.connect(self.database, isolation_level=None, check_same_thread=False, timeout=5)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = \"x'{self._dek_hex}'\"")
            self._add_conn_hooks(conn)
        except Exception:
            conn.close()
            raise
        return conn


def open_database(path: Path, dek: bytes, *, must_exist: bool = True) -> RawKeyCipherDatabase:
    """Open and check the database. A key that does not fit, or pages that fail their HMAC, is DamagedDatabase."""
    path = Path(path)
    if must_exist and not path.exists():
        raise DatabaseMissing(f"The database file is missing from {path.parent}. Restore it from a backup.")
    db = RawKeyCipherDatabase(str(path), dek, pragmas=PRAGMAS, autoconnect=False)
    try:
        db.connect()
        version = db.execute_sql("PRAGMA cipher_version").fetchone()
        if not version or not str(version[0]).startswith("4"):
            raise DamagedDatabase("This copy of SchoolMH was built without SQLCipher 4; it cannot open the vault.")
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
        if must_exist:
            quick = db.execute_sql("PRAGMA quick_check").fetchone()
            if not quick or quick[0] != "ok":
                raise sqlcipher.DatabaseError("quick_check failed")
    except DamagedDatabase:
        db.close()
        raise
    except Exception:
        if not db.is_closed():
            db.close()
        raise DamagedDatabase(
            "The database could not be read: it is damaged or is not this vault's database. "
            "Restore it from a backup; nothing has been changed."
        ) from None
    return db


def integrity_ok(db: RawKeyCipherDatabase) -> bool:
    row = db.execute_sql("PRAGMA integrity_check").fetchone()
    return bool(row) and row[0] == "ok"
