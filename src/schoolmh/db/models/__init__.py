"""Every table, in creation order. A feature adds its module to MODEL_MODULES and its classes to MODELS there."""
from __future__ import annotations

import importlib

from peewee import Model

from schoolmh.db.models.base import BaseModel, new_uuid, utcnow  # noqa: F401
from schoolmh.db.models.core import AuditEntry, Setting, Staff  # noqa: F401
from schoolmh.db.models.audit_signatures import AuditSignature  # noqa: F401

# Feature modules: each defines `MODELS: list[type[Model]]` in dependency order.
MODEL_MODULES = [
    "schoolmh.db.models.core",
    "schoolmh.db.models.records",
    "schoolmh.db.models.audit_signatures",
]


def all_models() -> list[type[Model]]:
    models: list[type[Model]] = []
    for name in MODEL_MODULES:
        models.extend(importlib.import_module(name).MODELS)
    return models
