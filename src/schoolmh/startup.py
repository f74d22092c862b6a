"""What runs before Qt: UTF-8 output, the X11 libraries Qt needs on Linux, and a start-up
failure a person can see even when Qt never came up.

No Qt imports here: a broken or incomplete Qt is one of the things this module reports.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

APP_NAME = "SchoolMH"

# The shared libraries that Qt 6.5+'s xcb platform plugin and QtGui load on Linux (from
# `ldd` of PySide6's libqxcb.so), with the Debian/Ubuntu package that provides each.
# A fresh desktop install usually lacks the libxcb-* utility libraries, from libxcb-cursor0 on.
QT_LINUX_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}

STARTUP_FAILED = (
    "SchoolMH could not start on this computer. Nothing in the vault was changed. "
    "The technical details were written to SchoolMH's log (without any names): {log}"
)


def utf8_stdio() -> None:
    """Write standard output and error as UTF-8, whatever the console or redirection says.

    Redirected output on Windows uses the ANSI code page (cp1252 in England), which cannot
    write "Łukasz" or "Nguyễn": every command listing staff or pupils would fail. A
    character that still cannot be written (a lone surrogate) is escaped, never fatal.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # None under pythonw / a windowed build
        if reconfigure is None:
            continue
        try:
            reconfigure(encoding="utf-8", errors="backslashreplace")
        except (ValueError, OSError):  # a closed or detached stream: nothing to write to anyway
            pass


def qt_will_try_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt's first choice of platform plugin here is xcb (X11) rather than Wayland or offscreen."""
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return environ.get("XDG_SESSION_TYPE", "").lower() != "wayland"


def missing_packages(sonames: list[str] | None = None, load: Callable[[str], object] | None = None) -> list[str]:
    """The Debian packages of the libraries that cannot be loaded (loading them is what Qt would do next)."""
    if load is None:
        import ctypes

        load = ctypes.CDLL
    missing = []
    for soname in sonames if sonames is not None else list(QT_LINUX_LIBRARIES):
        try:
            load(soname)
        except OSError:
            missing.append(QT_LINUX_LIBRARIES[soname])
    return missing


def install_hint(packages: list[str]) -> str:
    return (
        "SchoolMH cannot open its window: Qt needs X11 libraries that are not installed. "
        f"Install them with: sudo apt-get install {' '.join(packages)}"
    )


def linux_qt_hint(
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    load: Callable[[str], object] | None = None,
) -> str | None:
    """The one line to print instead of Qt's "could not load the Qt platform plugin" abort, or None.

    Qt aborts the process when the xcb plugin cannot load, so the libraries are checked first.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or not qt_will_try_xcb(environ):
        return None
    missing = missing_packages(load=load)
    return install_hint(missing) if missing else None


def hint_for_import_error(exc: BaseException) -> str | None:
    """'libEGL.so.1: cannot open shared object file' from importing PySide6 → the package to install."""
    if not isinstance(exc, ImportError):
        return None
    text = str(exc)
    packages = [package for soname, package in QT_LINUX_LIBRARIES.items() if soname in text]
    return install_hint(packages) if packages else None


def report_startup_failure(exc: BaseException, platform: str | None = None) -> None:
    """The app could not start before Qt was up: log it, say so on stderr and in a native message box.

    A windowed build has no console, so without the message box a school laptop would show nothing at all.
    """
    from schoolmh.logs import log_dir, log_exception

    platform = sys.platform if platform is None else platform
    log_exception(exc, "start-up")
    text = hint_for_import_error(exc) if platform.startswith("linux") else None
    if text is None:
        text = STARTUP_FAILED.format(log=log_dir())
    if sys.stderr is not None:
        try:
            print(text, file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass
    native_message_box(text, platform)


def native_message_box(text: str, platform: str) -> None:
    """Show `text` without Qt: MessageBoxW on Windows, an AppleScript alert from a macOS app bundle."""
    import ctypes
    import subprocess

    try:
        if platform == "win32":
            mb_ok_iconerror = 0x10
            ctypes.windll.user32.MessageBoxW(None, text, APP_NAME, mb_ok_iconerror)  # type: ignore[attr-defined]
        elif platform == "darwin" and getattr(sys, "frozen", False):
            quoted = text.replace("\\", "\\\\").replace('"', '\\"')
            script = f'display alert "{APP_NAME}" message "{quoted}" as critical'
            subprocess.run(["osascript", "-e", script], check=False, timeout=600)
    except Exception:  # the message was already logged and printed; never fail while reporting a failure
        pass
