"""Role-dependent parts of the school pages (a vault of their own: one vault is open at a time)."""
from __future__ import annotations

from schoolmh.ui.context import AppContext


def test_head_sees_figures_without_liaison_notes_or_write_buttons(qtbot, sign_in_as, vault_dir):
    from PySide6.QtWidgets import QPushButton

    from schoolmh.ui.pages.dashboard import DashboardPage
    from schoolmh.ui.pages.whole_school import WholeSchoolPage

    head = sign_in_as("head")
    ctx = AppContext(vault_dir)
    ctx.session = head
    page = DashboardPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert page.actions_list.isHidden()  # liaison notes are not the head's to read
    assert page.tiles["actions"].value.text() == "0"  # the count alone identifies no one
    assert not page.gap_list.isHidden() and not page.plans_list.isHidden()

    school = WholeSchoolPage(ctx)
    qtbot.addWidget(school)
    school.refresh()
    labels = {b.text() for b in school.findChildren(QPushButton)}
    assert not labels & {"&New activity…", "&Add objective…", "De&lete…"}
    ctx.session = None

