"""Issue 13.4 on the Referrals tab, by clicking: a decision adds to the history shown under the list,
Withdraw keeps the referral (marked withdrawn), and a lead's Delete removes one made by mistake, asking
before un-sharing the pupil it alone shared with the MHST."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from schoolmh.db.models.records import Pupil
from schoolmh.services import pupils, referrals
from schoolmh.ui.pages.pupil_record import referrals_tab


def test_withdraw_and_delete_from_the_referrals_tab(qtbot, app_ctx, monkeypatch):
    from schoolmh.ui.pages.pupil_record import PupilRecordPage

    s = app_ctx.session
    pupil = pupils.create_pupil(s, legal_forename="Niamh", legal_surname="Ó Súilleabháin", year_group=8)
    mhst = referrals.create_referral(s, pupil.uuid, "mhst", s.today() - dt.timedelta(days=9), reason="Exam worry")
    referrals.record_decision(s, mhst.uuid, "accepted", s.today() - dt.timedelta(days=2), next_step="Triage call")
    gp = referrals.create_referral(s, pupil.uuid, "gp", s.today() - dt.timedelta(days=5))
    page = PupilRecordPage(app_ctx)
    qtbot.addWidget(page)
    page.show()
    page.show_pupil(pupil.uuid)
    tab = page.referrals_tab
    page.tabs.setCurrentWidget(tab)
    asked: list[str] = []
    monkeypatch.setattr(referrals_tab, "confirm", lambda *a, **k: asked.append(a[1]) or True)

    tab.view.setCurrentIndex(tab.proxy.index_for_key(mhst.uuid))
    assert "Exam worry" in tab.history.text() and "Accepted" in tab.history.text() and "Triage call" in tab.history.text()

    tab.view.setCurrentIndex(tab.proxy.index_for_key(gp.uuid))
    qtbot.mouseClick(tab.withdraw_button, Qt.MouseButton.LeftButton)
    assert asked == ["Withdraw referral"]
    assert referrals.get_referral(s, gp.uuid).decision == "withdrawn"  # still there, marked withdrawn

    unshare_asked = []
    monkeypatch.setattr(referrals_tab, "ask_unshare", lambda parent: unshare_asked.append(1) or True)
    tab.view.setCurrentIndex(tab.proxy.index_for_key(mhst.uuid))
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    assert asked[-1] == "Delete referral" and unshare_asked == [1]
    assert [r.uuid for r in referrals.list_referrals(s, pupil.uuid)] == [gp.uuid]
    assert not Pupil.get(Pupil.uuid == pupil.uuid).shared_with_mhst
    assert tab.model.rowCount() == 1  # the page reloaded
