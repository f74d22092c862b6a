"""One SchoolMH at a time per vault, where it matters: a restore never runs beside an open window.

The window holds Qt's QLockFile on ``<data folder>/schoolmh.lock`` for as long as it is
open; the CLI's ``restore`` takes the same file through this module, which speaks
QLockFile's protocol without Qt (the CLI loads no Qt):

- the file is created exclusively (O_CREAT|O_EXCL; on Windows without delete sharing,
  so nobody can remove it while it is held) and holds ``pid\\nappname\\nhostname\\n``;
- on POSIX the holder also keeps flock() and an fcntl() write lock on it, as QLockFile
  does, which is what lets a later taker tell a stale file (its holder died) from a
  live one;
- a file naming a process that is no longer running on this machine is stale and is
  removed, as QLockFile removes it.

A lock file naming this very process means the window in this process holds it: its
own restore goes ahead.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from schoolmh.errors import VaultBusy

LOCK_NAME = "schoolmh.lock"
HELD_BY_WINDOW = (
    "SchoolMH is open on this vault (in a window or another command). Close it, then run the restore again; "
    "nothing was changed."
)


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def _hostname() -> str:
    """QSysInfo::machineHostName(): gethostname() on POSIX, the computer name on Windows."""
    return socket.gethostname()


def _process_name(pid: int) -> str:
    """What QLockFile records as the app name and compares against (PID reuse check)."""
    if sys.platform.startswith("linux"):
        try:
            name = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
        except OSError:
            return ""
        return name.removesuffix(" (deleted)")
    if sys.platform == "darwin":
        try:
            import ctypes
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c"))
            buffer = ctypes.create_string_buffer(1024)
            libc.proc_name(int(pid), buffer, ctypes.sizeof(buffer))
            return buffer.value.decode(errors="replace")
        except Exception:
            return ""
    return os.path.basename(sys.executable) if pid == os.getpid() else ""


def _running(pid: int, appname: str) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":
        return _running_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    current = _process_name(pid)
    return not (current and appname and os.path.basename(appname) != current)  # PID reused by another program


def _running_windows(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    kernel32.OpenProcess.restype = ctypes.c_void_p  # a HANDLE is pointer-sized
    kernel32.OpenProcess.argtypes = (ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong)
    kernel32.GetExitCodeProcess.argtypes = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_ulong))
    kernel32.CloseHandle.argtypes = (ctypes.c_void_p,)
    handle = kernel32.OpenProcess(0x1000, False, int(pid))  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _holder(path: Path) -> tuple[int, str, str] | None:
    """(pid, appname, hostname) from a lock file, or None if unreadable."""
    try:
        lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        return int(lines[0]), lines[1] if len(lines) > 1 else "", lines[2] if len(lines) > 2 else ""
    except (OSError, ValueError, IndexError):
        return None


def _native_lock(fd: int) -> bool:
    if os.name == "nt":
        return True  # the open handle without delete sharing is the lock
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class InstanceLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = lock_path(data_dir)
        self._fd: int | None = None

    def held_by_this_process(self) -> bool:
        holder = _holder(self.path)
        return holder is not None and holder[0] == os.getpid() and holder[2] == _hostname()

    def acquire(self) -> None:
        """Raises VaultBusy when another process holds the lock."""
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            except (FileExistsError, PermissionError):  # Windows: a held file can also be a sharing violation
                if not self._remove_if_stale():
                    raise VaultBusy(HELD_BY_WINDOW) from None
                continue
            os.write(fd, f"{os.getpid()}\n{_process_name(os.getpid())}\n{_hostname()}\n".encode())
            _native_lock(fd)
            self._fd = fd
            return
        raise VaultBusy(HELD_BY_WINDOW)

    def _remove_if_stale(self) -> bool:
        fd: int | None
        holder = _holder(self.path)
        if holder is not None:
            pid, appname, hostname = holder
            if hostname and hostname != _hostname():
                return False  # another machine's (a shared folder): never guessed stale
            if _running(pid, appname):
                return False
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return True
        except OSError:
            return False
        if not _native_lock(fd):
            os.close(fd)
            return False  # its holder is alive after all
        if os.name == "nt":
            os.close(fd)  # Windows removes no file that is still open (ours included)
            fd = None
        try:
            os.unlink(self.path)
            return True
        except OSError:
            return False
        finally:
            if fd is not None:
                os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if os.name == "nt":
            os.close(fd)  # Windows removes no file that is still open
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # on POSIX before closing: the native lock keeps others out until then
        if os.name != "nt":
            os.close(fd)


@contextlib.contextmanager
def vault_lock(data_dir: Path) -> Iterator[None]:
    """Hold the vault's instance lock for the block; already held by this process (the window) is fine."""
    lock = InstanceLock(data_dir)
    if lock.path.exists() and lock.held_by_this_process():
        yield
        return
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
