"""Helpers shared by test modules (import as `from support import ...`).

Kept out of conftest.py because tests/ui/ has a conftest of its own and both
would be imported under the one module name "conftest".
"""
from __future__ import annotations

from schoolmh.services import users

LEAD_PASSWORD = "correct horse battery staple"
STAFF_PASSWORD = "another long passphrase"


def add_staff(session, username: str, role: str, name: str | None = None):
    return users.add_user(session, username, name or username.title(), role, STAFF_PASSWORD)
