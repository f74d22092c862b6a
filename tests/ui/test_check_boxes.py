"""Check boxes with the app's style sheet: a focused label keeps its full width, and an unticked box
stands out on a dark palette (Fusion's own outline is a darker shade of the dark window colour)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QRadioButton, QStyle, QStyleOptionButton, QWidget

from schoolmh.ui.app import apply_style
from schoolmh.ui.screenshots import _dark_palette


@pytest.fixture
def styled(qapp):
    """The app's own style sheet (tests otherwise run without it), removed afterwards."""
    before, palette = qapp.styleSheet(), qapp.palette()
    apply_style(qapp)
    yield qapp
    qapp.setStyleSheet(before)
    qapp.setPalette(palette)


def _row(qtbot, *widgets):
    host = QWidget()
    qtbot.addWidget(host)
    layout = QHBoxLayout(host)
    for w in widgets:
        layout.addWidget(w)
    layout.addStretch(1)
    host.show()
    qtbot.waitExposed(host)
    return host


@pytest.mark.parametrize("kind", [QCheckBox, QRadioButton])
def test_a_focused_label_is_not_cut_short(qtbot, styled, kind):
    before = QLineEdit()
    box = kind("In the &gap")
    host = _row(qtbot, before, box)
    before.setFocus()
    qtbot.waitUntil(before.hasFocus)
    unfocused = box.sizeHint()
    width = box.width()
    qtbot.keyClick(before, Qt.Key.Key_Tab)  # focus arrives as it does for a keyboard user
    assert box.hasFocus()
    host.layout().activate()
    assert box.sizeHint() == unfocused  # the focus frame does not ask for more room
    option = QStyleOptionButton()
    box.initStyleOption(option)
    element = QStyle.SubElement.SE_CheckBoxContents if kind is QCheckBox else QStyle.SubElement.SE_RadioButtonContents
    contents = box.style().subElementRect(element, option, box)
    assert box.width() == width and contents.width() >= box.fontMetrics().horizontalAdvance("In the gap")


def _indicator_contrast(box, window: QColor) -> int:
    """Largest lightness difference between the indicator's pixels and the window behind it."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    ratio = image.devicePixelRatio()
    best = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            colour = image.pixelColor(QPoint(int(x * ratio), int(y * ratio)))
            best = max(best, abs(colour.lightness() - window.lightness()))
    return best


def test_an_unticked_box_is_clearly_visible_on_a_dark_palette(qtbot, styled):
    dark = _dark_palette()
    styled.setPalette(dark)
    box = QCheckBox("Include leavers")
    host = _row(qtbot, box)  # noqa: F841 - kept alive while the box is checked
    assert not box.isChecked()
    assert _indicator_contrast(box, dark.color(dark.ColorRole.Window)) >= 120
    box.setChecked(True)
    assert _indicator_contrast(box, dark.color(dark.ColorRole.Window)) >= 120
