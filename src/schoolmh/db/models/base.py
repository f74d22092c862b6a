"""Fields every record carries: a stable random UUID, and who created/changed it and when.

Authors are stored as staff UUIDs (not foreign keys) so records survive an
account being removed and can later be merged between laptops.
"""
from __future__ import annotations

import datetime as dt
import uuid

from peewee import CharField, DateTimeField, Model

from schoolmh.db.connection import database_proxy


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def new_uuid() -> str:
    return uuid.uuid4().hex


class BaseModel(Model):
    uuid = CharField(max_length=32, unique=True, default=new_uuid)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    created_by = CharField(max_length=32, null=True)
    updated_by = CharField(max_length=32, null=True)

    class Meta:
        database = database_proxy
        legacy_table_names = False
