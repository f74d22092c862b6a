"""Cloud and network folders are refused for the live vault (issue 11 item 10, issue 14 item 5).

What the system reports is asked first: the Windows calls (GetDriveTypeW, CfGetSyncRootInfoByPath,
the registry) are replaced by fakes that answer as a managed Windows laptop would; Linux mount
tables and macOS statfs() results are given as that system would give them. Names are the fallback.
Then every way into a vault is tried on a synced folder.
"""
from __future__ import annotations

import ctypes
import shutil

import pytest

from support import LEAD_PASSWORD, MemoryKeyring, keyring_backend
from schoolmh.db import location
from schoolmh.db import vault as vaultlib
from schoolmh.errors import UnsafeLocation
from schoolmh.services import access, vault_admin

LOCAL = "C:\\Users\\pat\\AppData\\Local\\SchoolMH"


# --- Windows, through fakes of the real calls ------------------------------------------------------
class FakeKernel32:
    def __init__(self, remote_roots=()):
        self.remote_roots = {r.upper() for r in remote_roots}
        self.asked = []

    def GetDriveTypeW(self, root):  # noqa: N802 - the Win32 name
        self.asked.append(root)
        return location.DRIVE_REMOTE if root.upper() in self.remote_roots else 3  # DRIVE_FIXED


class FakeCldApi:
    """CfGetSyncRootInfoByPath: S_OK under a registered sync root, else HRESULT 0x80070186
    (ERROR_CLOUD_FILE_NOT_IN_SYNC_ROOT)."""

    def __init__(self, roots=()):
        self.roots = [r.lower() for r in roots]
        self.asked = []

    def CfGetSyncRootInfoByPath(self, path, info_class, buffer, length, returned):  # noqa: N802
        assert isinstance(path, ctypes.c_wchar_p) and info_class == location.CF_SYNC_ROOT_INFO_BASIC
        assert length >= 8 and ctypes.sizeof(buffer) == length
        self.asked.append(path.value)
        if any(path.value.lower() == r or path.value.lower().startswith(r + "\\") for r in self.roots):
            return 0
        return -2147024506  # 0x80070186 as a signed HRESULT


class FakeWinreg:
    """The part of winreg the probe uses, over a dict {(hive, key path): {"subkeys": [...], "values": {...}}}."""

    HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER = "HKLM", "HKCU"

    def __init__(self, keys):
        self.keys = keys

    def OpenKey(self, hive, sub):  # noqa: N802
        if (hive, sub) not in self.keys:
            raise FileNotFoundError(2, "no such key")
        return (hive, sub)

    def EnumKey(self, key, i):  # noqa: N802
        names = self.keys[key].get("subkeys", [])
        if i >= len(names):
            raise OSError(259, "no more items")
        return names[i]

    def EnumValue(self, key, i):  # noqa: N802
        items = list(self.keys[key].get("values", {}).items())
        if i >= len(items):
            raise OSError(259, "no more items")
        return items[i][0], items[i][1], 1

    def QueryValueEx(self, key, name):  # noqa: N802
        values = self.keys[key].get("values", {})
        if name not in values:
            raise FileNotFoundError(2, name)
        return values[name], 1

    def CloseKey(self, key):  # noqa: N802
        pass


@pytest.fixture
def windows(monkeypatch):
    """Install fakes; returns a function that asks find_problem as Windows would."""
    state = {"kernel32": FakeKernel32(), "cldapi": FakeCldApi(), "winreg": FakeWinreg({})}
    monkeypatch.setattr(location, "_windows_api",
                        lambda: location.WindowsApi(state["kernel32"], state["cldapi"]))
    monkeypatch.setattr(location, "_winreg", lambda: state["winreg"])

    def ask(path, env=None):
        return location.find_problem(path, platform="win32", env=env or {})

    ask.state = state
    return ask


def test_windows_local_folder_is_fine(windows):
    assert windows(LOCAL) is None
    assert windows.state["kernel32"].asked == ["C:\\"]
    assert windows.state["cldapi"].asked[0] == LOCAL  # then each parent folder


def test_windows_mapped_network_drive(windows):
    windows.state["kernel32"] = FakeKernel32(remote_roots=["H:\\"])
    found = windows("H:\\SchoolMH")
    assert found.kind == location.NETWORK and "H:\\" in found.how


def test_windows_sync_root_from_the_cloud_files_api(windows):
    """A Box or Nextcloud folder named nothing like it, but registered with the cloud-files API;
    the vault folder does not exist yet, so its parent answers."""
    windows.state["cldapi"] = FakeCldApi(roots=["D:\\Work files"])
    found = windows("D:\\Work files\\Safeguarding\\SchoolMH")
    assert found.kind == location.CLOUD and "sync root" in found.how


def test_windows_onedrive_known_folder_move_from_the_environment(windows):
    env = {"OneDriveCommercial": "C:\\Users\\pat\\Oakfield Academy Trust"}
    found = windows("C:\\Users\\pat\\Oakfield Academy Trust\\Documents\\SchoolMH", env)
    assert found.kind == location.CLOUD and "%OneDriveCommercial%" in found.how
    assert windows("C:\\Users\\pat\\Oakfield Academy Trust2\\SchoolMH", env) is None  # a prefix is not inside


def test_windows_sync_roots_from_the_registry(windows):
    manager = location.SYNC_ROOT_MANAGER
    accounts = location.ONEDRIVE_ACCOUNTS
    windows.state["winreg"] = FakeWinreg({
        ("HKLM", manager): {"subkeys": ["GoogleDriveFS!S-1-5-21!pat"]},
        ("HKLM", manager + "\\GoogleDriveFS!S-1-5-21!pat\\UserSyncRoots"): {"values": {"S-1-5-21": "G:\\"}},
        ("HKCU", accounts): {"subkeys": ["Business1"]},
        ("HKCU", accounts + "\\Business1"): {"values": {"UserFolder": "C:\\Users\\pat\\OATrust"}},
        ("HKCU", accounts + "\\Business1\\ScopeIdToMountPointPathCache"): {
            "values": {"abc": "C:\\Users\\pat\\Oakfield Academy Trust\\Pastoral - Documents"}},
    })
    assert windows("G:\\Shared\\SchoolMH").kind == location.CLOUD
    assert windows("C:\\Users\\pat\\OATrust\\x").kind == location.CLOUD
    found = windows("C:\\Users\\pat\\Oakfield Academy Trust\\Pastoral - Documents\\SchoolMH")
    assert found.kind == location.CLOUD and "Pastoral - Documents" in found.how


def test_windows_without_the_cloud_files_dll_or_registry_still_checks_names(monkeypatch):
    def no_dll():
        raise OSError("cldapi.dll not found")

    def no_winreg():
        raise ImportError("winreg")

    monkeypatch.setattr(location, "_windows_api", no_dll)
    monkeypatch.setattr(location, "_winreg", no_winreg)
    assert location.find_problem("C:\\Users\\pat\\Dropbox\\SchoolMH", platform="win32", env={}).kind == location.CLOUD
    assert location.find_problem(LOCAL, platform="win32", env={}) is None


def test_unc_paths_are_network():
    assert location.find_problem("\\\\fileserver\\staff$\\SchoolMH", platform="win32", env={}).kind == location.NETWORK


# --- Linux and macOS ------------------------------------------------------------------------------
MOUNTS = """/dev/sda2 / ext4 rw,relatime 0 0
server:/export/home /home nfs4 rw,relatime 0 0
/dev/sdb1 /home/pat/local\\040disk ext4 rw 0 0
//nas/staff /mnt/staff cifs rw 0 0
pat@host:/srv /mnt/ssh fuse.sshfs rw 0 0
/dev/fuse /run/user/1000/doc fuse.portal rw 0 0
"""


@pytest.mark.parametrize("path,kind", [
    ("/home/pat/.local/share/SchoolMH", location.NETWORK),  # an NFS home directory
    ("/home/pat/local disk/SchoolMH", None),  # a local disk mounted inside it (escaped space)
    ("/mnt/staff/SchoolMH", location.NETWORK),
    ("/mnt/ssh/SchoolMH", location.NETWORK),
    ("/run/user/1000/doc/x", None),
    ("/var/lib/SchoolMH", None),
])
def test_linux_mount_types(path, kind):
    found = location._linux_finding(path, MOUNTS)
    assert (found.kind if found else None) == kind


@pytest.mark.parametrize("answer,kind", [
    (("apfs", location.MNT_LOCAL), None),
    (("smbfs", 0), location.NETWORK),
    (("nfs", 0), location.NETWORK),
    (("macfuse", 0), location.NETWORK),  # not MNT_LOCAL
])
def test_macos_statfs(answer, kind):
    found = location._darwin_finding("/Users/pat/SchoolMH", statfs=lambda _p: answer)
    assert (found.kind if found else None) == kind


@pytest.mark.parametrize("path", [
    "/Users/pat/Library/CloudStorage/GoogleDrive-pat@oakfield.sch.uk/My Drive/SchoolMH",
    "G:\\My Drive\\SchoolMH",
    "/home/pat/Box/SchoolMH",
    "/home/pat/Nextcloud/SchoolMH",
    "/home/pat/ownCloud/SchoolMH",
    "C:\\Users\\pat\\MEGA\\SchoolMH",
    "P:\\pCloud Drive\\SchoolMH",
    "C:\\Users\\pat\\Oakfield Trust\\SharePoint Sites - Pastoral\\SchoolMH",
    "C:\\Users\\pat\\SynologyDrive\\SchoolMH",
    "/Users/pat/Synology Drive/SchoolMH",
    "/Users/pat/Library/Mobile Documents/com~apple~CloudDocs/SchoolMH",
    "/home/pat/OneDrive - Oakfield/SchoolMH",
])
def test_names_are_the_fallback(path):
    assert location._name_finding(path).kind == location.CLOUD


def test_everyday_names_are_not_mistaken():
    for path in ("/home/pat/boxes/SchoolMH", "/home/pat/megan/SchoolMH", "C:\\Users\\pat\\AppData\\Local\\SchoolMH"):
        assert location._name_finding(path) is None


def test_dropbox_info_json_names_its_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))  # what expanduser reads on Windows
    (tmp_path / ".dropbox").mkdir()
    (tmp_path / ".dropbox" / "info.json").write_text('{"business": {"path": "/srv/work-sync"}}')
    assert location.find_problem("/srv/work-sync/SchoolMH", platform="linux", env={}).kind == location.CLOUD


# --- every way in ----------------------------------------------------------------------------------------
@pytest.fixture
def memory_keyring():
    with keyring_backend(MemoryKeyring()) as backend:
        yield backend


def test_every_way_into_a_vault_in_a_synced_folder_is_refused(tmp_path, monkeypatch, memory_keyring):
    """A vault made in a local folder, then moved (by the school's IT) under OneDrive."""
    made = tmp_path / "local" / "SchoolMH"
    setup = access.init_school(made, "Oakfield", "lead", "Alex Lead", LEAD_PASSWORD)
    backup = tmp_path / "b.schoolmh-backup"
    vault_admin.backup(setup.session, backup)
    assert setup.session.vault.remember_device("lead")
    setup.session.close()
    onedrive = tmp_path / "Oakfield Trust"
    moved = onedrive / "SchoolMH"
    onedrive.mkdir()
    shutil.move(str(made), str(moved))
    monkeypatch.setenv("OneDriveCommercial", str(onedrive))
    monkeypatch.setattr(location.sys, "platform", "win32")  # only the environment variable gives it away
    monkeypatch.setattr(location, "_windows_api", lambda: location.WindowsApi(FakeKernel32(), FakeCldApi()))
    monkeypatch.setattr(location, "_winreg", lambda: FakeWinreg({}))
    ways_in = {
        "password": lambda: access.sign_in(moved, "lead", LEAD_PASSWORD),
        "recovery key": lambda: access.recover(moved, setup.recovery_key, "lead", "a brand new long password"),
        "this laptop": lambda: vaultlib.unlock_with_device(moved, "lead"),
        "restore target": lambda: vault_admin.restore(moved, backup, recovery_key=setup.recovery_key),
        "set-up": lambda: access.init_school(onedrive / "Another", "Oakfield", "lead", "Alex", LEAD_PASSWORD),
    }
    for how, attempt in ways_in.items():
        with pytest.raises(UnsafeLocation) as refused:
            attempt()
        assert "%OneDriveCommercial%" in refused.value.message, how
    assert not (onedrive / "Another").exists()
