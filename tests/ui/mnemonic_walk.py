"""Reading a window's Alt+letter mnemonics as Qt registers them (issue 13.7), for test_mnemonics.py.

A mnemonic is the letter after a single "&" in a button's, tick box's, tab's or
buddied label's text. Qt registers it as a window-wide shortcut while its widget
is visible, so two visible ones with the same letter make Alt+letter alternate
between them (Alt+S went to Save instead of "Started"). A label's mnemonic only
works through its buddy, which must take the focus and be the field of its own
row (Alt+P "Pupils discussed" landed in the Discussion box).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QAbstractButton, QFormLayout, QGroupBox, QLabel, QTabWidget, QWidget


def mnemonic(text: str) -> str | None:
    """The letter after a single '&' ("&&" is a literal ampersand), lower-cased; None if there is none."""
    i = 0
    while i < len(text) - 1:
        if text[i] == "&":
            if text[i + 1] == "&":
                i += 2
                continue
            return text[i + 1].lower()
        i += 1
    return None


@dataclass
class Mnemonic:
    letter: str
    text: str
    owner: QWidget  # the button, tab widget, or label
    target: QWidget | None  # where Alt+letter should put the focus (a label's buddy); None for buttons

    def __str__(self) -> str:
        return f"Alt+{self.letter.upper()} {self.text!r} ({type(self.owner).__name__})"


def _shown(widget: QWidget, root: QWidget) -> bool:
    return widget is root or widget.isVisibleTo(root)


def mnemonics(root: QWidget) -> list[Mnemonic]:
    """Every mnemonic Qt would act on in `root` as it is shown now (hidden tabs' contents excluded)."""
    found: list[Mnemonic] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not _shown(w, root):
            continue
        if isinstance(w, QAbstractButton) and w.text():
            letter = mnemonic(w.text())
            if letter:
                found.append(Mnemonic(letter, w.text(), w, None))
        elif isinstance(w, QLabel) and w.textFormat() != 1 and mnemonic(w.text()):  # 1 = Qt.RichText
            found.append(Mnemonic(mnemonic(w.text()), w.text(), w, w.buddy()))
        elif isinstance(w, QGroupBox) and w.isCheckable() and mnemonic(w.title()):
            found.append(Mnemonic(mnemonic(w.title()), w.title(), w, None))
        elif isinstance(w, QTabWidget):
            for i in range(w.count()):
                if w.isTabVisible(i) and mnemonic(w.tabText(i)):
                    found.append(Mnemonic(mnemonic(w.tabText(i)), w.tabText(i), w, None))
    return found


def clashes(found: list[Mnemonic]) -> list[str]:
    by_letter: dict[str, list[Mnemonic]] = {}
    for m in found:
        by_letter.setdefault(m.letter, []).append(m)
    return [" and ".join(str(m) for m in ms) for ms in by_letter.values() if len(ms) > 1]


def _beside(label: QLabel, buddy: QWidget, root: QWidget) -> bool:
    """True when `buddy` is the field the label stands for: the field of the label's own form row
    (QFormLayout.labelForField of the buddy or a box holding it), or, outside a form, the input drawn
    level with it to its right or just under it. Reads no layout items (wrappers of those crashed
    PySide's collector in long runs)."""
    from PySide6.QtCore import QPoint, QRect

    forms = root.findChildren(QFormLayout)
    w = buddy
    while w is not None and w is not root:
        for form in forms:
            if form.labelForField(w) is label:
                return True
        w = w.parentWidget()
    if any(form.indexOf(label) >= 0 for form in forms):
        return False  # a form's label, and the buddy is not in its row
    lab = QRect(label.mapTo(root, QPoint(0, 0)), label.size())
    bud = QRect(buddy.mapTo(root, QPoint(0, 0)), buddy.size())
    level = bud.top() <= lab.center().y() <= bud.bottom() or lab.top() <= bud.center().y() <= lab.bottom()
    if level and bud.left() >= lab.left():
        return True
    below = 0 <= bud.top() - lab.bottom() <= 2 * lab.height() + 8
    return below and bud.left() <= lab.right() and bud.right() >= lab.left()


def mistargeted(found: list[Mnemonic], root: QWidget) -> list[str]:
    """Labels whose Alt+letter would go nowhere or somewhere other than their own field."""
    from PySide6.QtCore import Qt

    wrong = []
    for m in found:
        if not isinstance(m.owner, QLabel):
            continue
        buddy = m.target
        if buddy is None:
            wrong.append(f"{m}: no buddy, so Alt+{m.letter.upper()} does nothing")
            continue
        if buddy.focusPolicy() == Qt.FocusPolicy.NoFocus:
            wrong.append(f"{m}: its buddy ({type(buddy).__name__}) cannot take the focus")
            continue
        if not _shown(buddy, root):
            wrong.append(f"{m}: its buddy is hidden")
            continue
        if not _beside(m.owner, buddy, root):
            wrong.append(f"{m}: lands in {buddy.accessibleName() or type(buddy).__name__}, not the field beside it")
    return wrong


def tab_states(root: QWidget):
    """Show each tab of each tab widget under `root` in turn (nested ones included), yielding a label."""
    seen: set[int] = set()

    def walk(widget: QWidget, path: str):
        tabs = [t for t in widget.findChildren(QTabWidget) if id(t) not in seen and _shown(t, root)]
        if not tabs:
            yield path or "(no tabs)"
            return
        tab = tabs[0]
        seen.add(id(tab))
        for i in range(tab.count()):
            if not tab.isTabVisible(i):
                continue
            tab.setCurrentIndex(i)
            yield from walk(widget, f"{path} › {tab.tabText(i).replace('&', '')}".strip(" ›"))
        seen.discard(id(tab))

    yield from walk(root, "")
