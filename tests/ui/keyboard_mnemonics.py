"""Issue 13.7: every Alt+letter is unique in its dialog or page, and a label's lands in its own field.

Walks every dialog (dialog_registry) and every page of the main window signed in
as the lead (each tab of each page in turn, the pupil record included), reading
the mnemonics Qt registers for what is shown (mnemonic_walk). Then presses each
label's Alt+letter in every dialog and checks where the focus lands.
"""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from dialog_registry import confirmations, ctx, other_dialogs, record_dialogs, seeded  # noqa: F401 (fixtures)
from mnemonic_walk import clashes, mistargeted, mnemonics, tab_states


def all_dialogs(ctx, x) -> dict:
    return {**record_dialogs(ctx, x), **confirmations(ctx, x), **other_dialogs(ctx, x)}


def test_every_dialog_has_unique_and_well_aimed_mnemonics(qtbot, ctx, seeded):
    x, _ = seeded
    problems: list[str] = []
    walked = 0
    for name, make in all_dialogs(ctx, x).items():
        dialog = make()
        dialog.show()
        for state in tab_states(dialog):
            found = mnemonics(dialog)
            walked += len(found)
            problems += [f"{name} [{state}]: {c}" for c in clashes(found)]
            problems += [f"{name} [{state}]: {w}" for w in mistargeted(found, dialog)]
        dialog.done(0)
        shiboken6.delete(dialog)  # now, not at teardown: 25 dialogs in a row (see dialog_registry)
    assert walked > 100  # the walk really read the dialogs
    assert not problems, "\n".join(problems)


def test_every_page_has_unique_and_well_aimed_mnemonics(qtbot, main_window):
    from schoolmh.services import pupils

    window = main_window
    problems: list[str] = []
    walked = 0

    def read(where: str) -> None:
        nonlocal walked
        for state in tab_states(window):
            found = mnemonics(window)
            walked += len(found)
            problems.extend(f"{where} [{state}]: {c}" for c in clashes(found))
            problems.extend(f"{where} [{state}]: {w}" for w in mistargeted(found, window))

    from schoolmh.ui import main_window as mw

    for key, *_rest in mw.pages():
        window.go(key)
        read(key)
    from schoolmh.services import plans

    s = window.ctx.session
    pupil = pupils.create_pupil(s, legal_forename="Aoife", legal_surname="Byrne", year_group=10)
    window.ctx.open_pupil.emit(pupil.uuid)
    read("pupil record, no plan")
    plan = plans.create_plan(s, pupil.uuid, "targeted", goals=["Feel settled at lunch"])
    window.ctx.open_pupil.emit(pupil.uuid)
    read("pupil record, open plan")
    plans.close_plan(s, plan.uuid, s.today(), "Settled")
    window.ctx.open_pupil.emit(pupil.uuid)
    read("pupil record, closed plan")
    assert walked > 50
    assert not problems, "\n".join(problems)


def test_pressing_each_labels_alt_letter_lands_in_its_field(qtbot, ctx, seeded):
    """The keys themselves: Alt+letter for every buddied label moves the focus into that label's own input."""
    x, _ = seeded
    wrong: list[str] = []
    pressed = 0
    for name, make in all_dialogs(ctx, x).items():
        dialog = make()
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(lambda d=dialog: QApplication.activeWindow() is d, timeout=3000)
        for m in mnemonics(dialog):
            if not isinstance(m.owner, QLabel) or m.target is None or not m.target.isEnabled():
                continue
            key = getattr(Qt.Key, f"Key_{m.letter.upper()}", None)
            if key is None:
                continue
            qtbot.keyClick(QApplication.focusWidget() or dialog, key, Qt.KeyboardModifier.AltModifier)
            pressed += 1
            landed = QApplication.focusWidget()
            if landed is not m.target and not (landed is not None and m.target.isAncestorOf(landed)):
                wrong.append(f"{name}: {m} went to {type(landed).__name__} "
                             f"{landed.accessibleName() if landed else ''!r}")
        dialog.done(0)
        shiboken6.delete(dialog)  # now, not at teardown: 25 dialogs in a row (see dialog_registry)
    assert pressed > 60
    assert not wrong, "\n".join(wrong)
