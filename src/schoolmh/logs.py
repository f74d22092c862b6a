"""Technical logging that can never leak a pupil's or colleague's name.

Exception messages can quote data (an SQL value, a name in a ValueError), so the
log keeps only the exception's type and the code locations of its traceback.
"""
from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path


def log_dir() -> Path:
    env = os.environ.get("SCHOOLMH_LOG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir("SchoolMH", appauthor=False))


def scrubbed_traceback(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"{type(exc).__module__}.{type(exc).__qualname__}"]
    lines += [f"  {Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames]
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc:
        lines.append("caused by " + scrubbed_traceback(cause))
    return "\n".join(lines)


def log_exception(exc: BaseException, where: str) -> None:
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        with open(folder / "schoolmh.log", "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {where}: {scrubbed_traceback(exc)}\n")
    except OSError:
        pass
