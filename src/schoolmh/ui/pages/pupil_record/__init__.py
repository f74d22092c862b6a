"""One pupil's record: header with flags, and tabs for overview, plan, sessions, measures, referrals, history.

Page "pupil" (not in the sidebar): the main window calls `show_pupil(uuid)` when
ctx.open_pupil fires, and `refresh()` after any data change while it is shown.
Opening a record is audited by the service (pupils.get_pupil, "pupil.view", once per sign-in).

Every change is one service call (one transaction) from a small dialog
(ui/dialogs/record_dialogs.py) or a form on a tab; validation errors are shown
next to the field they name, and a successful change emits ctx.data_changed(kind) so every page catches up.
Tabs a role may not use are hidden, not greyed (the head does not read case
notes; only the lead reads the audit trail).

A package with a file per part (page, one per tab, the measure entry, what they
share); `from schoolmh.ui.pages.pupil_record import PupilRecordPage` keeps working.
"""
from __future__ import annotations

from schoolmh.ui.pages.pupil_record.common import RATERS, rater_name
from schoolmh.ui.pages.pupil_record.measure_entry import MeasureEntry, ScoreSpin
from schoolmh.ui.pages.pupil_record.overview import score_rows
from schoolmh.ui.pages.pupil_record.page import PupilRecordPage

__all__ = ["PupilRecordPage", "MeasureEntry", "ScoreSpin", "RATERS", "rater_name", "score_rows"]
