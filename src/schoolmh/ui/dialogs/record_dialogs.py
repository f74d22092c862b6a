"""The pupil record's small edit dialogs: plan, goals, review, close, referral, decision, left.

Each is a widgets.common.FormDialog: field-level errors and Save/Cancel, and a
`submit()` that makes ONE service call (one transaction); after a save it emits
ctx.data_changed(kind) so every page catches up. The record page (ui/pages/pupil_record/) opens them.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import PEOPLE_INVOLVED, REFERRAL_DECISIONS, REFERRAL_DESTINATIONS, TIERS
from schoolmh.services import plans, pupils, referrals
from schoolmh.services.plans import PlanInfo
from schoolmh.services.pupils import PupilDetail
from schoolmh.services.referrals import ReferralInfo
from schoolmh.ui.models.table_model import format_date
from schoolmh.ui.widgets.common import FormDialog, text_box, wrapped_label
from schoolmh.ui.widgets.dates import DateEdit, OptionalDateEdit
from schoolmh.ui.widgets.suggest import offer_suggestions

__all__ = [
    "PlanDialog", "GoalsDialog", "ReviewDialog", "ClosePlanDialog", "ReferralDialog", "DecisionDialog", "LeftDialog",
]


CHOOSE = "Choose…"
# The reasons that make the gap explicit (DOMAIN.md): offered as the user types, never required word for word.
REASON_SUGGESTIONS = ["Above remit", "Above remit: asking to step up to CAMHS", "Below threshold"]


def choice_box(items: dict[str, str], accessible_name: str, current: str | None = None) -> QComboBox:
    """A list where a default would be a guess: it opens on "Choose…" (no value), and Save is
    refused next to it until something is chosen."""
    box = QComboBox()
    box.addItem(CHOOSE, None)
    for code, name in items.items():
        box.addItem(name, code)
    box.setAccessibleName(accessible_name)
    if current is not None:
        box.setCurrentIndex(max(0, box.findData(current)))
    return box


# --- the base for small edit dialogs ---------------------------------------------------------------------
class _FormDialog(FormDialog):
    """One form (label: field rows) above the form-level error and Save/Cancel."""

    kind = "pupils"

    def __init__(self, ctx, parent: QWidget | None, title: str, save_text: str = "&Save") -> None:
        super().__init__(ctx, parent, title, save_text=save_text)
        self.doing = f"saving ({title.lower()})"
        self.form = self.form_layout()
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 38)


class PlanDialog(_FormDialog):
    """Start a plan (with up to three goals), or edit an open plan's details."""

    kind = "plans"

    def __init__(self, ctx, parent, pupil_uuid: str, plan: PlanInfo | None = None) -> None:
        super().__init__(ctx, parent, "Edit support plan" if plan else "Start a support plan")
        self.pupil_uuid, self.plan = pupil_uuid, plan
        today = ctx.session.today()
        self.tier = QComboBox()
        for code, name in TIERS.items():
            self.tier.addItem(name, code)
        self.start = DateEdit(plan.start_date if plan else today)
        self.review = OptionalDateEdit("Set for", (plan.review_date if plan else None) or today + dt.timedelta(days=42),
                                       accessible_name="Review date")
        self.needs = text_box("Presenting needs", 3)
        self.strategies = text_box("Strategies", 3)
        people = QWidget()
        grid = QGridLayout(people)
        grid.setContentsMargins(0, 0, 0, 0)
        self.people: dict[str, QCheckBox] = {}
        for i, (code, name) in enumerate(PEOPLE_INVOLVED.items()):
            box = QCheckBox(name)
            box.setAccessibleName(f"Involved: {name}")
            self.people[code] = box
            grid.addWidget(box, i // 3, i % 3)
        e = self.errors
        e.add_row(self.form, "&Tier:", "tier", self.tier)
        e.add_row(self.form, "Starte&d:", "start_date", self.start)
        e.add_row(self.form, "Re&view date:", "review_date", self.review)
        e.add_row(self.form, "Presenting &needs:", "presenting_needs", self.needs)
        self.goals: list[QLineEdit] = []
        if plan is None:
            for n in (1, 2, 3):
                goal = QLineEdit()
                goal.setAccessibleName(f"Goal {n}")
                goal.setPlaceholderText("In the pupil's words, e.g. “Feel calmer before tests”" if n == 1 else "optional")
                self.goals.append(goal)
                e.add_row(self.form, f"Goal &{n}:", [f"goal{n}"] + (["goals"] if n == 1 else []), goal)
        e.add_row(self.form, "Str&ategies:", "strategies", self.strategies)
        e.add_row(self.form, "&People involved:", "people_involved", people)
        self.errors.add("pupil", self.tier, self.general)
        if plan is not None:
            self.tier.setCurrentIndex(max(0, self.tier.findData(plan.tier)))
            self.needs.setPlainText(plan.presenting_needs)
            self.strategies.setPlainText(plan.strategies)
            self.review.set_value(plan.review_date)
            for code in plan.people_involved:
                if code in self.people:
                    self.people[code].setChecked(True)
        else:
            self.tier.setCurrentIndex(max(0, self.tier.findData("targeted")))
            self.review.set_value(today + dt.timedelta(days=42))
            self.people["pupil"].setChecked(True)

    def values(self) -> dict:
        return {
            "tier": self.tier.currentData(),
            "presenting_needs": self.needs.toPlainText(),
            "strategies": self.strategies.toPlainText(),
            "people_involved": [code for code, box in self.people.items() if box.isChecked()],
            "start_date": self.start.value(),
            "review_date": self.review.value(),
        }

    def submit(self):
        v = self.values()
        if self.plan is None:
            return plans.create_plan(self.ctx.session, self.pupil_uuid, goals=[g.text() for g in self.goals], **v)
        current = {"tier": self.plan.tier, "presenting_needs": self.plan.presenting_needs,
                   "strategies": self.plan.strategies, "people_involved": list(self.plan.people_involved),
                   "start_date": self.plan.start_date, "review_date": self.plan.review_date}
        changed = {k: val for k, val in v.items() if current[k] != val}
        return plans.update_plan(self.ctx.session, self.plan.uuid, **changed) if changed else self.plan


class GoalsDialog(_FormDialog):
    kind = "plans"

    def __init__(self, ctx, parent, plan: PlanInfo) -> None:
        super().__init__(ctx, parent, "Edit goals")
        self.plan = plan
        self.goals: list[QLineEdit] = []
        note = wrapped_label("Up to three goals, agreed with the pupil. Editing a goal's wording keeps its ratings.")
        self.form.addRow(note)
        for n in (1, 2, 3):
            goal = QLineEdit()
            goal.setAccessibleName(f"Goal {n}")
            existing = next((g for g in plan.goals if g.position == n), None)
            goal.setText(existing.description if existing else "")
            self.goals.append(goal)
            self.errors.add_row(self.form, f"Goal &{n}:", [f"goal{n}"] + (["goals"] if n == 1 else []), goal)

    def submit(self):
        return plans.set_goals(self.ctx.session, self.plan.uuid, [g.text() for g in self.goals])


class ReviewDialog(_FormDialog):
    kind = "plans"

    def __init__(self, ctx, parent, plan: PlanInfo) -> None:
        super().__init__(ctx, parent, "Add a review")
        self.plan = plan
        today = ctx.session.today()
        self.date = DateEdit(today, accessible_name="Review date")
        self.notes = text_box("Review notes", 5)
        self.next = OptionalDateEdit("Set for", today + dt.timedelta(days=42), accessible_name="Next review date")
        self.next.set_value(today + dt.timedelta(days=42))
        self.errors.add_row(self.form, "Reviewed &on:", "review_date", self.date)
        self.errors.add_row(self.form, "&Notes:", "notes", self.notes)
        self.errors.add_row(self.form, "Ne&xt review:", "next_review_date", self.next)
        self.errors.add("plan", self.date, self.general)

    def submit(self):
        return plans.add_review(self.ctx.session, self.plan.uuid, self.date.value(), self.notes.toPlainText(),
                                self.next.value())


class ClosePlanDialog(_FormDialog):
    kind = "plans"

    def __init__(self, ctx, parent, plan: PlanInfo) -> None:
        super().__init__(ctx, parent, "Close the plan")
        self.plan = plan
        self.date = DateEdit(ctx.session.today(), accessible_name="Closing date")
        self.outcome = text_box("Outcome", 5)
        self.outcome.setPlaceholderText("Why the plan ended and what changed")
        self.errors.add_row(self.form, "Close&d on:", "closed_on", self.date)
        self.errors.add_row(self.form, "&Outcome:", "outcome", self.outcome)
        self.errors.add("plan", self.date, self.general)

    def submit(self):
        return plans.close_plan(self.ctx.session, self.plan.uuid, self.date.value(), self.outcome.toPlainText())


class ReferralDialog(_FormDialog):
    kind = "referrals"

    def __init__(self, ctx, parent, pupil_uuid: str) -> None:
        super().__init__(ctx, parent, "Add a referral")
        self.pupil_uuid = pupil_uuid
        self.destination = choice_box(REFERRAL_DESTINATIONS, "Service referred to")
        self.sent = DateEdit(ctx.session.today(), accessible_name="Date sent")
        self.reason = text_box("Reason for referral", 3)
        self.next_step = QLineEdit()
        self.next_step.setAccessibleName("Next step")
        self.errors.add_row(self.form, "Referred &to:", "destination", self.destination)
        self.errors.add_row(self.form, "Sent &on:", "sent_on", self.sent)
        self.errors.add_row(self.form, "&Reason:", "reason", self.reason)
        self.errors.add_row(self.form, "&Next step:", "next_step", self.next_step)
        hint = wrapped_label("A referral to the MHST also shares this pupil with the MHST practitioners.")
        self.form.addRow(hint)

    def submit(self):
        return referrals.create_referral(self.ctx.session, self.pupil_uuid, self.destination.currentData(),
                                         self.sent.value(), self.reason.toPlainText(), self.next_step.text())


class DecisionDialog(_FormDialog):
    kind = "referrals"

    def __init__(self, ctx, parent, referral: ReferralInfo) -> None:
        super().__init__(ctx, parent, "Record the decision")
        self.referral = referral
        lines = [f"Referral to {REFERRAL_DESTINATIONS.get(referral.destination, referral.destination)}, "
                 f"sent {format_date(referral.sent_on)}" + (f", for: {referral.reason}" if referral.reason else ".")]
        lines += [f"{format_date(d.decided_on)}: {REFERRAL_DECISIONS.get(d.decision, d.decision)}"
                  + (f" ({d.reason})" if d.reason else "") for d in referral.decisions]
        about = wrapped_label("\n".join(lines))
        about.setAccessibleName("The referral and its decisions so far")
        self.form.addRow(about)
        self.form.addRow(wrapped_label("The decision is added to the referral's dated history; what it was sent "
                                       "for stays as it is."))
        self.decision = choice_box({code: REFERRAL_DECISIONS[code] for code in referrals.DECIDED}, "Decision")
        self.date = DateEdit(ctx.session.today(), accessible_name="Decision date")
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("Needed if not accepted, e.g. “above remit”, “below threshold”")
        offer_suggestions(self.reason, REASON_SUGGESTIONS)
        self.next_step = QLineEdit()
        self.next_step.setAccessibleName("Next step")
        self.errors.add_row(self.form, "&Decision:", "decision", self.decision)
        self.errors.add_row(self.form, "Decided &on:", "decision_on", self.date)
        self.errors.add_row(self.form, "&Reason:", "reason", self.reason)
        self.errors.add_row(self.form, "&Next step:", "next_step", self.next_step)

    def submit(self):
        return referrals.record_decision(self.ctx.session, self.referral.uuid, self.decision.currentData(),
                                         self.date.value(), self.reason.text(), self.next_step.text())


class LeftDialog(_FormDialog):
    """A confirmation (chosen from the record's More actions): Enter marks the pupil as left on the date shown."""

    requires_input = False

    def __init__(self, ctx, parent, pupil: PupilDetail) -> None:
        super().__init__(ctx, parent, "Mark as left the school", save_text="&Mark as left")
        self.pupil = pupil
        self.date = DateEdit(ctx.session.today(), accessible_name="Date left")
        self.form.addRow(wrapped_label("Their records are kept; the retention schedule decides when they are erased."))
        self.errors.add_row(self.form, "&Left on:", "left_on", self.date)

    def submit(self):
        return pupils.archive_pupil(self.ctx.session, self.pupil.uuid, self.date.value())
