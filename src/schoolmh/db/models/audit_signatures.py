"""Signatures over the audit chain (issue 11): append-only, like the chain they sign."""
from __future__ import annotations

from peewee import CharField, IntegerField, Model

from schoolmh.db.connection import database_proxy


class AuditSignature(Model):
    """The signer's Ed25519 signature over the chain's end after a transaction (services/audit.py).

    `seq` is the last audit row the transaction wrote; the signature covers its hash, and so
    every row before it. `public_key` names the signer (an account's or the recovery key's).
    """

    seq = IntegerField(primary_key=True)
    public_key = CharField(max_length=64)
    signature = CharField(max_length=100)

    class Meta:
        database = database_proxy
        legacy_table_names = False


MODELS = [AuditSignature]
