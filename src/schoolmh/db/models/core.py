"""Staff accounts, settings and the audit trail: the tables the vault itself needs."""
from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, IntegerField, Model, TextField

from schoolmh.db.connection import database_proxy
from schoolmh.db.models.base import BaseModel, utcnow


class Staff(BaseModel):
    username = CharField(max_length=64, unique=True)  # stored casefolded
    full_name = CharField(max_length=200)
    role = CharField(max_length=16)  # lead | pastoral | head | mhst
    active = BooleanField(default=True)
    must_change_password = BooleanField(default=False)
    last_login_at = DateTimeField(null=True)
    # The account's current Ed25519 public key ("ed25519:…"; issue 11). A copy for reading: audit
    # verify trusts only keys introduced by signed audit rows and bound into key slots.
    sign_key = CharField(max_length=64, default="")


class Setting(Model):
    key = CharField(max_length=64, primary_key=True)
    value = TextField()  # JSON

    class Meta:
        database = database_proxy
        legacy_table_names = False


class AuditEntry(Model):
    """Append-only, hash-chained. Holds UUIDs and action names only: never names or note text."""

    seq = IntegerField(primary_key=True)
    at = DateTimeField(default=utcnow)
    actor = CharField(max_length=32, null=True)  # staff uuid; None for failed sign-ins of unknown users
    action = CharField(max_length=48)
    object_type = CharField(max_length=32, default="")
    object_uuid = CharField(max_length=32, default="", index=True)
    detail = TextField(default="")  # non-identifying: field names changed, counts, outcome
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)

    class Meta:
        database = database_proxy
        legacy_table_names = False
MODELS = [Staff, Setting, AuditEntry]
