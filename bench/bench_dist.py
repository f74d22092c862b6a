"""Benchmark: the size of the built app (dist/SchoolMH from `make dist`), if it has been built."""
from __future__ import annotations

from pathlib import Path

DIST = Path(__file__).resolve().parents[1] / "dist" / "SchoolMH"


def bench(ctx) -> list:
    if not DIST.is_dir():
        return [ctx.Row("size of dist/SchoolMH", "not built (run make dist)")]
    files = [p for p in DIST.rglob("*") if p.is_file() and not p.is_symlink()]  # Qt links counted once
    size = sum(p.stat().st_size for p in files) / 2**20
    return [ctx.Row("size of dist/SchoolMH", size, "MB", note=f"{len(files)} files, one-folder build, UPX off")]
