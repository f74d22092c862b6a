"""May the live database live here? Not on a network file system, not in a cloud-synced folder.

SQLite's locking and WAL do not work over network file systems, and sync tools copy
a database while it is being written: both corrupt the vault. Backups may go anywhere.

What the system reports is asked first, names are the fallback:

- Linux: the file-system type of the mount holding the folder (/proc/self/mounts):
  nfs, cifs/smb3, sshfs, rclone, davfs, gvfs shares, ...
- macOS: statfs(): a mount without MNT_LOCAL, or a remote type (nfs, smbfs, afpfs, webdav).
- Windows: GetDriveTypeW() == DRIVE_REMOTE (mapped drives such as H:, UNC paths);
  CfGetSyncRootInfoByPath() succeeding (a folder under any cloud-files sync root:
  OneDrive, Dropbox, Box, iCloud, Nextcloud, ...); the OneDrive, OneDriveCommercial and
  OneDriveConsumer environment variables (Known Folder Move puts Desktop and Documents
  there); sync roots listed in the registry (Explorer's SyncRootManager, OneDrive's
  accounts and the SharePoint libraries it syncs).
- Dropbox's own info.json names its folder on every system.
- Names: OneDrive, Dropbox, Google Drive / My Drive, iCloud, Box, Nextcloud, ownCloud,
  MEGA, pCloud, SharePoint, Synology Drive, macOS CloudStorage, UNC paths.

The Windows calls go through `_windows_api()` and `_winreg()` so tests can replace
them with fakes; every probe that fails (no such DLL, no such key) just says nothing.
"""
from __future__ import annotations

import json
import ntpath
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from schoolmh.errors import UnsafeLocation

NETWORK, CLOUD = "network", "cloud"


@dataclass(frozen=True)
class Finding:
    kind: str  # NETWORK or CLOUD
    how: str  # what gave it away, for the message


def message(path: str, finding: Finding) -> str:
    if finding.kind == NETWORK:
        return (f"The vault cannot live in {path}: it is on a network drive or share ({finding.how}), and "
                "databases are corrupted over the network. Choose a folder on this computer's own disk; "
                "backups may go anywhere.")
    return (f"The vault cannot live in {path}: it is a cloud-synced folder ({finding.how}), and sync tools "
            "corrupt a database while it is being written. Choose a local folder that is not synced; "
            "backups may go anywhere.")


def check_location(data_dir: Path | str) -> None:
    """Raise UnsafeLocation, naming what was found, when the folder is networked or synced."""
    text = _absolute(data_dir)
    finding = find_problem(text)
    if finding is not None:
        raise UnsafeLocation(message(text, finding))


def _absolute(path: Path | str) -> str:
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return text  # a UNC path: realpath would mangle it on POSIX
    return os.path.realpath(text)


def find_problem(path: str, platform: str | None = None, env: Mapping[str, str] | None = None) -> Finding | None:
    platform = sys.platform if platform is None else platform
    env = os.environ if env is None else env
    if path.startswith(("\\\\", "//")):
        return Finding(NETWORK, "a network path")
    probes: list[Callable[[], Finding | None]] = []
    if platform.startswith("linux"):
        probes.append(lambda: _linux_finding(path))
    elif platform == "darwin":
        probes.append(lambda: _darwin_finding(path))
    elif platform == "win32":
        probes.append(lambda: _windows_finding(path, env))
    probes.append(lambda: _dropbox_finding(path, env, platform))
    probes.append(lambda: _name_finding(path))
    for probe in probes:
        try:
            finding = probe()
        except Exception:  # a probe that cannot answer says nothing; the next one is asked
            finding = None
        if finding is not None:
            return finding
    return None


def _inside(path: str, root: str, windows: bool) -> bool:
    if not root:
        return False
    if windows:
        a, b = ntpath.normcase(ntpath.normpath(path)), ntpath.normcase(ntpath.normpath(root))
        return a == b or a.startswith(b.rstrip("\\") + "\\")
    a, b = posixpath.normpath(path), posixpath.normpath(root)
    return a == b or a.startswith(b.rstrip("/") + "/")


# --- names -----------------------------------------------------------------------------------------
_SYNCED_TEXT = re.compile(
    r"onedrive|dropbox|google ?drive|googledrive|my drive|icloud ?drive|icloud~|mobile documents|box sync|"
    r"nextcloud|owncloud|pcloud|sharepoint|synology ?drive|megasync|seafile|tresorit|gvfs/google-drive",
    re.I,
)
_SYNCED_COMPONENTS = {"box", "mega", "cloudstorage"}  # whole folder names only: "box" inside a word is fine
_NETWORK_TEXT = re.compile(r"gvfs/(smb-share|sftp|dav|ftp|afp-volume|nfs)", re.I)


def _name_finding(path: str) -> Finding | None:
    match = _SYNCED_TEXT.search(path)
    if match:
        return Finding(CLOUD, f"its name contains “{match.group(0)}”")
    for part in re.split(r"[\\/]", path):
        if part.lower() in _SYNCED_COMPONENTS:
            return Finding(CLOUD, f"it is inside a folder called “{part}”")
    match = _NETWORK_TEXT.search(path)
    if match:
        return Finding(NETWORK, "a desktop network mount")
    return None


# --- Linux -----------------------------------------------------------------------------------------
REMOTE_FS_TYPES = {
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "smb2", "ncpfs", "afs", "coda", "ceph", "glusterfs", "lustre",
    "gpfs", "beegfs", "orangefs", "pvfs2", "davfs", "sshfs", "9p.remote", "afpfs", "webdav",
}
_REMOTE_FUSE = re.compile(r"sshfs|rclone|s3fs|gcsfuse|davfs|onedrive|google|dropbox|gvfsd|smb|nfs|ceph|gluster|"
                          r"goofys|juicefs|blobfuse|mega|pcloud|nextcloud|owncloud", re.I)


def _unescape_mount(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_type(path: str, mounts_text: str) -> str | None:
    """The file-system type of the longest mount point holding `path`, from /proc/mounts text."""
    best, best_type = "", None
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point, fstype = _unescape_mount(fields[1]), fields[2]
        if _inside(path, point, windows=False) and len(point) >= len(best):
            best, best_type = point, fstype
    return best_type


def remote_fs_type(fstype: str) -> bool:
    base = fstype.lower()
    if base in REMOTE_FS_TYPES:
        return True
    if base.startswith("fuse."):
        return bool(_REMOTE_FUSE.search(base[5:]))
    return False


def _linux_finding(path: str, mounts_text: str | None = None) -> Finding | None:
    if mounts_text is None:
        mounts_text = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
    fstype = mount_type(path, mounts_text)
    if fstype and remote_fs_type(fstype):
        return Finding(NETWORK, f"the system reports a {fstype} file system")
    return None


# --- macOS ------------------------------------------------------------------------------------------
MNT_LOCAL = 0x00001000
_MAC_REMOTE = {"nfs", "smbfs", "afpfs", "webdav", "cifs", "ftp"}


def _existing(path: str) -> str:
    current = path
    while not os.path.exists(current):
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return current


def _darwin_statfs(path: str) -> tuple[str, int]:
    """(f_fstypename, f_flags) from statfs(2) (the 64-bit-inode struct, as every current macOS uses)."""
    import ctypes
    import ctypes.util

    class StatFs(ctypes.Structure):
        _fields_ = [
            ("f_bsize", ctypes.c_uint32), ("f_iosize", ctypes.c_int32),
            ("f_blocks", ctypes.c_uint64), ("f_bfree", ctypes.c_uint64), ("f_bavail", ctypes.c_uint64),
            ("f_files", ctypes.c_uint64), ("f_ffree", ctypes.c_uint64), ("f_fsid", ctypes.c_int32 * 2),
            ("f_owner", ctypes.c_uint32), ("f_type", ctypes.c_uint32), ("f_flags", ctypes.c_uint32),
            ("f_fssubtype", ctypes.c_uint32), ("f_fstypename", ctypes.c_char * 16),
            ("f_mntonname", ctypes.c_char * 1024), ("f_mntfromname", ctypes.c_char * 1024),
            ("f_flags_ext", ctypes.c_uint32), ("f_reserved", ctypes.c_uint32 * 7),
        ]

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    try:
        statfs = getattr(libc, "statfs$INODE64")  # Intel Macs; Apple silicon has only the one statfs
    except AttributeError:
        statfs = libc.statfs
    info = StatFs()
    if statfs(os.fsencode(_existing(path)), ctypes.byref(info)) != 0:
        raise OSError(ctypes.get_errno(), "statfs")
    return info.f_fstypename.decode(errors="replace"), int(info.f_flags)


def _darwin_finding(path: str, statfs: Callable[[str], tuple[str, int]] | None = None) -> Finding | None:
    fstype, flags = (statfs or _darwin_statfs)(path)
    if fstype.lower() in _MAC_REMOTE or not flags & MNT_LOCAL:
        return Finding(NETWORK, f"the system reports a {fstype} network volume")
    return None


# --- Windows ----------------------------------------------------------------------------------------
DRIVE_REMOTE = 4
S_OK = 0
CF_SYNC_ROOT_INFO_BASIC = 0
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")
HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER = "HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER"
SYNC_ROOT_MANAGER = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Explorer\SyncRootManager"
ONEDRIVE_ACCOUNTS = r"Software\Microsoft\OneDrive\Accounts"


@dataclass
class WindowsApi:
    kernel32: object
    cldapi: object | None  # cldapi.dll (Windows 10 1709 and later)


def _windows_api() -> WindowsApi:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.GetDriveTypeW.argtypes = (ctypes.c_wchar_p,)
    kernel32.GetDriveTypeW.restype = ctypes.c_uint
    try:
        cldapi = ctypes.WinDLL("cldapi")  # type: ignore[attr-defined]
        cldapi.CfGetSyncRootInfoByPath.restype = ctypes.c_long  # HRESULT
    except (OSError, AttributeError):
        cldapi = None  # before Windows 10 1709
    return WindowsApi(kernel32, cldapi)


def _winreg():
    import winreg  # Windows only

    return winreg


def _ancestors(path: str) -> Iterable[str]:
    current = ntpath.normpath(path)
    while True:
        yield current
        parent = ntpath.dirname(current)
        if parent == current:
            return
        current = parent


def _drive_root(path: str) -> str:
    drive = ntpath.splitdrive(ntpath.normpath(path))[0]
    return drive.rstrip("\\") + "\\" if drive else ""


def _in_sync_root(api: WindowsApi, path: str) -> bool:
    """CfGetSyncRootInfoByPath answers S_OK for a path under a registered sync root. A folder that does
    not exist yet is judged by the nearest one that does, so each ancestor is asked."""
    if api.cldapi is None:
        return False
    import ctypes

    function = api.cldapi.CfGetSyncRootInfoByPath
    for candidate in _ancestors(path):
        buffer = ctypes.create_string_buffer(64)  # CF_SYNC_ROOT_BASIC_INFO is 8 bytes
        returned = ctypes.c_ulong(0)
        result = function(ctypes.c_wchar_p(candidate), CF_SYNC_ROOT_INFO_BASIC, buffer, ctypes.sizeof(buffer),
                          ctypes.byref(returned))
        if int(result) == S_OK:
            return True
    return False


def registry_sync_roots(reg) -> list[str]:
    """Folders the registry lists as synced: Explorer's SyncRootManager (every cloud-files provider),
    and OneDrive's accounts with the SharePoint libraries each one syncs."""
    roots: list[str] = []

    def subkeys(key) -> list[str]:
        names, i = [], 0
        while True:
            try:
                names.append(reg.EnumKey(key, i))
            except OSError:
                return names
            i += 1

    def values(key) -> list[tuple[str, object]]:
        found, i = [], 0
        while True:
            try:
                name, data, _kind = reg.EnumValue(key, i)
            except OSError:
                return found
            found.append((name, data))
            i += 1

    def opened(hive, sub):
        try:
            return reg.OpenKey(getattr(reg, hive), sub)
        except OSError:
            return None

    manager = opened(HKEY_LOCAL_MACHINE, SYNC_ROOT_MANAGER)
    if manager is not None:
        for provider in subkeys(manager):
            user_roots = opened(HKEY_LOCAL_MACHINE, f"{SYNC_ROOT_MANAGER}\\{provider}\\UserSyncRoots")
            if user_roots is not None:
                roots += [str(data) for _name, data in values(user_roots) if isinstance(data, str)]
                reg.CloseKey(user_roots)
        reg.CloseKey(manager)
    accounts = opened(HKEY_CURRENT_USER, ONEDRIVE_ACCOUNTS)
    if accounts is not None:
        for account in subkeys(accounts):
            key = opened(HKEY_CURRENT_USER, f"{ONEDRIVE_ACCOUNTS}\\{account}")
            if key is not None:
                try:
                    roots.append(str(reg.QueryValueEx(key, "UserFolder")[0]))
                except OSError:
                    pass
                reg.CloseKey(key)
            cache = opened(HKEY_CURRENT_USER, f"{ONEDRIVE_ACCOUNTS}\\{account}\\ScopeIdToMountPointPathCache")
            if cache is not None:
                roots += [str(data) for _name, data in values(cache) if isinstance(data, str)]
                reg.CloseKey(cache)
        reg.CloseKey(accounts)
    return [root for root in roots if root]


def _windows_finding(path: str, env: Mapping[str, str]) -> Finding | None:
    api = None
    try:
        api = _windows_api()
    except Exception:
        pass
    if api is not None:
        root = _drive_root(path)
        if root and int(api.kernel32.GetDriveTypeW(root)) == DRIVE_REMOTE:
            return Finding(NETWORK, f"Windows reports {root} as a network drive")
        try:
            if _in_sync_root(api, path):
                return Finding(CLOUD, "Windows reports it as inside a cloud sync root")
        except Exception:
            pass
    for variable in ONEDRIVE_VARIABLES:
        if _inside(path, env.get(variable, ""), windows=True):
            return Finding(CLOUD, f"OneDrive, %{variable}%")
    try:
        roots = registry_sync_roots(_winreg())
    except Exception:
        roots = []
    for root in roots:
        if _inside(path, root, windows=True):
            return Finding(CLOUD, f"inside the synced folder {root}")
    return None


# --- Dropbox, every system ------------------------------------------------------------------------------
def _dropbox_finding(path: str, env: Mapping[str, str], platform: str) -> Finding | None:
    windows = platform == "win32"
    if windows:
        candidates = [ntpath.join(env[v], "Dropbox", "info.json") for v in ("APPDATA", "LOCALAPPDATA") if env.get(v)]
    else:
        candidates = [os.path.join(os.path.expanduser("~"), ".dropbox", "info.json")]
    for candidate in candidates:
        try:
            info = json.loads(Path(candidate).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for account in info.values() if isinstance(info, dict) else ():
            root = account.get("path") if isinstance(account, dict) else None
            if isinstance(root, str) and _inside(path, root, windows):
                return Finding(CLOUD, "inside the Dropbox folder")
    return None


# --- a data folder chosen at set-up ------------------------------------------------------------------------
POINTER_NAME = "data-folder.txt"


def _pointer_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("SchoolMH", appauthor=False, roaming=False)) / POINTER_NAME


def remembered_data_dir() -> Path | None:
    """The folder chosen in the first-run wizard when the default one was refused (None if none was)."""
    try:
        text = _pointer_file().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Path(text) if text else None


def remember_data_dir(path: Path) -> None:
    """Kept in the per-user config folder, so the window and the CLI find the vault next time."""
    from schoolmh.fsutil import atomic_write_bytes

    pointer = _pointer_file()
    pointer.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(pointer, str(Path(path)).encode("utf-8"))
