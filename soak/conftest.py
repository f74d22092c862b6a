"""Soak tests (`make soak`, not part of `make test`): long, repeated runs of the crash, backup and import checks.

They reuse the helpers in tests/ (the writer process, the vault checks), so that
folder is put on sys.path. Counts can be raised with SCHOOLMH_SOAK_SCALE (e.g. 2).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ["SCHOOLMH_TEST_FAST_KDF"] = "1"
# The rollback anchor (db/anchor.py) never in the real profile or keyring, even for module-scoped vaults.
os.environ["SCHOOLMH_CONFIG_DIR"] = tempfile.mkdtemp(prefix="schoolmh-config-")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import importlib.util  # noqa: E402

import pytest  # noqa: E402

# The tests' helpers do `from conftest import LEAD_PASSWORD`; in a soak run "conftest" is this
# module, so it re-exports the suite's constants (loaded by path, fixtures not registered).
_spec = importlib.util.spec_from_file_location("_suite_conftest", Path(__file__).resolve().parents[1] / "tests" / "conftest.py")
_suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_suite)
LEAD_PASSWORD = _suite.LEAD_PASSWORD
STAFF_PASSWORD = _suite.STAFF_PASSWORD


def scaled(n: int) -> int:
    return max(1, int(n * float(os.environ.get("SCHOOLMH_SOAK_SCALE", "1"))))


@pytest.fixture(autouse=True)
def _isolated_logs(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SCHOOLMH_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
