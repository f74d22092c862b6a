"""Before Qt: a fresh Debian/Ubuntu desktop without Qt's X11 libraries gets one line naming the
apt-get command (not Qt's plugin abort), and a start-up failure is shown even without a console."""
from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from schoolmh import __main__ as entry
from schoolmh import startup

X11_DESKTOP = {"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}


def fake_loader(missing: set[str]):
    """ctypes.CDLL as on a machine where `missing` are not installed (same OSError as the real one)."""

    def load(soname: str):
        if soname in missing:
            raise OSError(f"{soname}: cannot open shared object file: No such file or directory")
        return object()

    return load


def test_a_fresh_desktop_without_xcb_cursor_gets_the_apt_get_line():
    hint = startup.linux_qt_hint(X11_DESKTOP, "linux", fake_loader({"libxcb-cursor.so.0"}))
    assert hint == (
        "SchoolMH cannot open its window: Qt needs X11 libraries that are not installed. "
        "Install them with: sudo apt-get install libxcb-cursor0"
    )


def test_every_missing_library_is_named_once_in_one_command():
    missing = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"}
    hint = startup.linux_qt_hint(X11_DESKTOP, "linux", fake_loader(missing))
    assert "\n" not in hint
    command = hint.split("Install them with: ")[1]
    assert command == "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0"


@pytest.mark.parametrize(
    "environ, platform",
    [
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),  # tests, CI, `make dist`
        ({"QT_QPA_PLATFORM": "wayland"}, "linux"),
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux"),  # Qt tries wayland first
        (X11_DESKTOP, "win32"),  # Windows and macOS wheels carry everything Qt needs
        (X11_DESKTOP, "darwin"),
    ],
)
def test_no_hint_where_qt_does_not_use_xcb(environ, platform):
    assert startup.linux_qt_hint(environ, platform, fake_loader(set(startup.QT_LINUX_LIBRARIES))) is None


def test_explicit_xcb_is_checked():
    assert startup.linux_qt_hint({"QT_QPA_PLATFORM": "xcb"}, "linux", fake_loader({"libxcb-icccm.so.4"})).endswith(
        "sudo apt-get install libxcb-icccm4"
    )


def ldd_of_qt_xcb_plugin() -> dict[str, bool]:
    """{soname: found} for everything PySide6's xcb platform plugin loads, as the dynamic linker sees it."""
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True, timeout=30).stdout
    found = {}
    for line in out.splitlines():
        name, arrow, where = line.strip().partition(" => ")
        if arrow:
            found[name] = "not found" not in where
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("ldd"), reason="Linux shared libraries")
def test_the_table_covers_every_x11_library_qt_loads_and_the_real_loader_agrees_with_ldd():
    """Against the real plugin: a PySide6 upgrade that needs a new xcb library fails here, and the
    packages the check names are exactly those of the libraries the dynamic linker cannot find."""
    libraries = ldd_of_qt_xcb_plugin()
    x11 = {name for name in libraries if re.match(r"lib(xcb|xkbcommon|X11)", name) and "PySide6" not in name}
    assert x11 and x11 <= set(startup.QT_LINUX_LIBRARIES), x11 - set(startup.QT_LINUX_LIBRARIES)
    not_found = {startup.QT_LINUX_LIBRARIES[name] for name, ok in libraries.items() if not ok and name in startup.QT_LINUX_LIBRARIES}
    assert set(startup.missing_packages([name for name in startup.QT_LINUX_LIBRARIES if name in libraries])) == not_found


def test_make_run_prints_one_line_and_exits_instead_of_qt_aborting(tmp_path):
    """A real process starting the window with the loader faked: stderr is the one line, exit 1.

    Without the check, Qt aborts this same process (SIGABRT) with "could not load the Qt platform plugin".
    """
    code = (
        "import sys; from schoolmh import startup\n"
        "real = startup.missing_packages\n"
        "def fake(name):\n"
        "    if name == 'libxcb-cursor.so.0': raise OSError(name)\n"
        "startup.missing_packages = lambda sonames=None, load=None: real(sonames, fake)\n"
        "sys.platform = 'linux'\n"
        "from schoolmh.__main__ import main; sys.exit(main([]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND"))}
    env.update(X11_DESKTOP, DISPLAY=":99", SCHOOLMH_DATA_DIR=str(tmp_path / "vault"), SCHOOLMH_LOG_DIR=str(tmp_path / "logs"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [startup.install_hint(["libxcb-cursor0"])]
    assert not (tmp_path / "vault").exists()


def test_an_import_error_naming_a_library_gets_the_same_hint():
    exc = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    assert startup.hint_for_import_error(exc) == startup.install_hint(["libegl1"])
    assert startup.hint_for_import_error(ImportError("No module named 'PySide6'")) is None


# --- a start-up failure before Qt is up ------------------------------------------------------------
class FakeUser32:
    def __init__(self) -> None:
        self.boxes: list[tuple[str, str, int]] = []

    def MessageBoxW(self, owner, text, title, flags):  # noqa: N802 - the Win32 name
        self.boxes.append((text, title, flags))
        return 1


def test_windowed_build_without_qt_shows_a_windows_message_box(monkeypatch, tmp_path, capsys):
    """PySide6 failing to import (a DLL missing from the bundle): MessageBoxW, not a silent exit."""
    user32 = FakeUser32()
    monkeypatch.setattr(ctypes, "windll", type("windll", (), {"user32": user32}), raising=False)
    monkeypatch.setattr(startup.sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "schoolmh.ui.app", None)  # `from schoolmh.ui.app import …` raises ImportError
    monkeypatch.setenv("SCHOOLMH_DATA_DIR", str(tmp_path / "vault"))
    assert entry.main([]) == 1
    ((text, title, flags),) = user32.boxes
    assert title == "SchoolMH" and flags == 0x10 and text.startswith("SchoolMH could not start on this computer.")
    assert os.environ["SCHOOLMH_LOG_DIR"] in text  # where IT finds the details
    assert capsys.readouterr().err.strip() == text
    with open(os.path.join(os.environ["SCHOOLMH_LOG_DIR"], "schoolmh.log"), encoding="utf-8") as log:
        assert "start-up: builtins.ModuleNotFoundError" in log.read()


def test_a_console_without_a_stream_still_gets_the_box(monkeypatch):
    """A windowed build has sys.stderr = None: the report must not fail there."""
    user32 = FakeUser32()
    monkeypatch.setattr(ctypes, "windll", type("windll", (), {"user32": user32}), raising=False)
    monkeypatch.setattr(sys, "stderr", None)
    startup.report_startup_failure(RuntimeError("no"), platform="win32")
    assert len(user32.boxes) == 1


def test_utf8_stdio_survives_missing_streams(monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    startup.utf8_stdio()  # pythonw / windowed build: nothing to reconfigure, nothing raised


def test_a_failure_before_the_qapplication_exists_gets_the_native_box(tmp_path):
    """make_application itself failing (say, Qt's GUI libraries half there): Windows' MessageBoxW, exit 1."""
    code = (
        "import ctypes, sys\n"
        "boxes = []\n"
        "ctypes.windll = type('windll', (), {'user32': type('user32', (), {\n"
        "    'MessageBoxW': staticmethod(lambda owner, text, title, flags: boxes.append((title, text)))})})\n"
        "from schoolmh.ui import app\n"
        "def broken(argv=None): raise OSError('Qt6Gui.dll could not be loaded')\n"
        "app.make_application = broken\n"
        "sys.platform = 'win32'\n"
        "from schoolmh.__main__ import main\n"
        "code = main([])\n"
        "print(code, len(boxes), boxes[0][0], boxes[0][1].startswith('SchoolMH could not start'))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SCHOOLMH_DATA_DIR=str(tmp_path / "vault"),
               SCHOOLMH_LOG_DIR=str(tmp_path / "logs"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.stdout.split() == ["1", "1", "SchoolMH", "True"], proc.stdout + proc.stderr
    assert "start-up: builtins.OSError" in (tmp_path / "logs" / "schoolmh.log").read_text(encoding="utf-8")
