"""Render every main page from a demo vault at 1366×768: `python -m schoolmh.ui.screenshots DIR`.

With QT_SCALE_FACTOR=1.5 the same 1366×768 panel is 911×512 logical pixels (a school laptop at
150%, the Windows default on many): `make screenshots` draws both sets, the second in DIR/911x512/.
The window opens as it does for a user (ui/window_geometry.py: fitted to the screen, here
maximised), never at a size chosen for the picture.

Builds a fictional demo vault (services.demo) in a temporary folder, or reuses
the one a previous run left there, signs in as the lead and saves
DIR/<page>.png for each sidebar page, plus the pupil record (and its measures
tab), the quick session dialog, the unlock screen, the first-run pages and a
new vault's dashboard.
Options: --pupils N (default 300), --seed N, --dark (a dark palette, for
checking contrast), --fresh (rebuild the demo vault).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

SIZE = (1366, 768)
DEMO_PASSWORD = "demo vault password 2025"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m schoolmh.ui.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dark", action="store_true", help="render with a dark palette")
    parser.add_argument("--fresh", action="store_true", help="build a new demo vault even if one is cached")
    return parser.parse_args(argv)


def _settle(app, ms: int = 250) -> None:
    """Let lazy pages load, background operations finish and layouts settle."""
    from schoolmh.ui import ops

    deadline = time.monotonic() + 30
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end or (ops.running() and time.monotonic() < deadline):
        app.processEvents()
        time.sleep(0.01)


def _dark_palette():
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#171717", QPalette.ColorRole.AlternateBase: "#2a2b2e",
        QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2e31",
        QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2d2e31",
        QPalette.ColorRole.ToolTipText: "#e8eaed", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Mid: "#5f6368", QPalette.ColorRole.Light: "#3c4043", QPalette.ColorRole.Dark: "#111111",
        QPalette.ColorRole.Link: "#8ab4f8",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#80868b"))
    return p


def demo_vault(pupils: int, seed: int, fresh: bool) -> Path:
    """A cached demo vault in the temp folder (built once; fictional data only)."""
    from schoolmh.services import access, demo

    folder = Path(tempfile.gettempdir()) / f"schoolmh-screenshots-demo-{pupils}-{seed}"
    if folder.exists() and not fresh:
        try:
            access.sign_in(folder, "lead", DEMO_PASSWORD).close()
            return folder
        except Exception:
            pass
    shutil.rmtree(folder, ignore_errors=True)
    print(f"Building a demo vault with {pupils} fictional pupils in {folder} …", flush=True)
    session, _key = demo.create_demo_vault(folder, pupils=pupils, seed=seed, password=DEMO_PASSWORD)
    session.close()
    return folder


def _save(widget, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"  {path}")
    return path


def _pick_pupil(session) -> str | None:
    """A pupil with an open plan (so the record shows goals, sessions and measures)."""
    from schoolmh.services import pupils

    rows = pupils.list_pupils(session)
    with_plan = [p for p in rows if p.has_open_plan]
    chosen = (with_plan or rows or [None])[0]
    return chosen.uuid if chosen else None


def _offscreen_laptop() -> str:
    """The offscreen platform with a 1366×768 panel (its default is 800×600, which squeezes dialogs
    sized from the screen). With QT_SCALE_FACTOR=1.5 the panel stays 1366×768 physical pixels, so
    the window gets 911×512 logical ones, as on a laptop at 150%."""
    import json

    config = Path(tempfile.gettempdir()) / "schoolmh-screenshots-screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "laptop", "x": 0, "y": 0, "width": SIZE[0], "height": SIZE[1],
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1,
    }]}), encoding="utf-8")
    return f"offscreen:configfile={config}"


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":  # plain offscreen is 800×600
        os.environ["QT_QPA_PLATFORM"] = _offscreen_laptop()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    from schoolmh.ui.app import make_application

    app = make_application([])
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QCursor

    # Not the user's own remembered window geometry: a fresh fit, as on a new laptop.
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="schoolmh-shots-"))

    QCursor.setPos(5000, 5000)  # no hover highlight where the pointer happens to be
    if args.dark:
        app.setPalette(_dark_palette())
    folder = demo_vault(args.pupils, args.seed, args.fresh)

    from schoolmh.services import access
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.main_window import MainWindow, visible_pages

    ctx = AppContext(folder)
    window = MainWindow(ctx)
    window.show_fitted()
    window.unlock_screen.username.setText("lead")
    window.unlock_screen.password.setFocus()
    _settle(app)
    print(f"Screenshots in {out}:")
    _save(window, out, "unlock")

    window.signed_in(access.sign_in(folder, "lead", DEMO_PASSWORD))
    _settle(app, 400)
    for key, _label, _spec, _action in visible_pages(ctx.session):
        window.go(key)
        _settle(app, 300)
        _save(window, out, key)

    pupil = _pick_pupil(ctx.session)
    if pupil:
        ctx.open_pupil.emit(pupil)
        _settle(app, 400)
        _save(window, out, "pupil_record")
        page = window.workspace.pages.get("pupil")
        if page is not None:  # the measure entry: its Save scores must be on screen on a small laptop
            page.tabs.setCurrentWidget(page.measures_tab)
            _settle(app, 300)
            _save(window, out, "pupil_record_measures")
            page.tabs.setCurrentIndex(0)

    window.go("dashboard")
    _settle(app)
    window.quick_session()
    _settle(app, 300)
    from PySide6.QtWidgets import QDialog

    dialogs = [w for w in app.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    if dialogs:
        _save(dialogs[-1], out, "quick_session")
        dialogs[-1].done(0)
    window.lock_manager.lock_now()
    _settle(app)
    window.close()

    _first_run_key_page(app, out)
    from schoolmh.ui.pages.team import screenshots as team_screenshots  # issue 12: Team page, join step

    team_screenshots(app, out, _save, _settle)
    return 0


def _first_run_key_page(app, out: Path) -> None:
    """A throwaway vault in a temp folder, so the wizard's recovery-key page can be shown for real."""
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.first_run import FirstRunWizard

    with tempfile.TemporaryDirectory(prefix="schoolmh-firstrun-") as tmp:
        wizard = FirstRunWizard(AppContext(Path(tmp) / "vault"))
        # sized by the wizard itself (fitted to the screen), as a user sees it
        wizard.show()
        wizard.school_page.school.setText("Demo Academy (fictional)")
        _settle(app, 100)
        _save(wizard, out, "first_run_school")
        wizard.next()
        page = wizard.lead_page
        page.username.setText("m.ellis")
        page.full_name.setText("Morgan Ellis")
        page.fields.password.setText("a sentence is easy to remember")
        page.fields.confirm.setText("a sentence is easy to remember")
        _settle(app, 100)
        _save(wizard, out, "first_run_account")
        wizard.next()
        _settle(app, 150)
        _save(wizard, out, "first_run_recovery_key")
        wizard.key_page.panel.stored.setChecked(True)
        wizard.next()
        wizard.accept()
        _settle(app, 50)
        session = wizard.take_session()
        wizard.close()
        if session is not None:  # the new vault's dashboard: one next step, import the pupil list
            from schoolmh.ui.main_window import MainWindow

            window = MainWindow(wizard.ctx)
            window.show_fitted()
            window.signed_in(session)
            _settle(app, 300)
            _save(window, out, "dashboard_new_vault")
            window.lock_manager.lock_now()
            window.close()


if __name__ == "__main__":
    sys.exit(main())
