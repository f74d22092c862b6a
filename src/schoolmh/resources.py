"""Locate bundled, read-only resources (fonts, icons, styles).

From the source tree the resources live in ``<repo>/resources``; in a PyInstaller
build they are collected into the bundle and found under ``sys._MEIPASS``. The
build spec must therefore add the folder as ``('resources', 'resources')`` so
that ``sys._MEIPASS/resources/fonts/...`` exists in the frozen app.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["resource_root", "resource_path"]


def resource_root() -> Path:
    """The folder that holds ``fonts/``, ``icons/`` and ``styles/``."""
    meipass = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and meipass:
        return Path(meipass) / "resources"
    # src/schoolmh/resources.py -> parents[0]=schoolmh, [1]=src, [2]=repo root
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("fonts", "DejaVuSans.ttf")``."""
    return resource_root().joinpath(*parts)
