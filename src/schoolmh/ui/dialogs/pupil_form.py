"""Add or edit one pupil by hand (the MIS import adds them in bulk).

The form only gathers what was typed; services.pupils validates it. Every
problem the service reports (ValidationErrors lists them all) is shown under
its field, so a member of staff fixes everything in one go and nothing is
half-saved.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.codes import SEN_PROVISION
from schoolmh.domain.mis import ETHNICITY_MAIN_CODES, PRIMARY_NEED_CODES
from schoolmh.services import pupils
from schoolmh.services.pupils import PupilDetail
from schoolmh.ui.models.pupils_model import FLAGS, year_label
from schoolmh.ui.widgets.common import FormDialog, scroll_area

__all__ = ["PupilFormDialog"]

YEARS = list(range(-2, 15))
_FLAG_LABELS = {  # no mnemonics: the letters are taken by the fields above; Tab reaches them
    "looked_after": "Looked after (CLA)",
    "young_carer": "Young carer",
    "eal": "EAL (English as an additional language)",
    "fsm": "Free school meals",
    "pupil_premium": "Pupil premium",
    "service_child": "Service child",
}


def _combo(items: list[tuple[str, object]], name: str) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(16)
    for text, data in items:
        box.addItem(text, data)
    box.setAccessibleName(name)
    return box


def _blank_none(value: object) -> object:
    return "" if value is None else value


def _select(box: QComboBox, value: object) -> None:
    i = box.findData(value)
    box.setCurrentIndex(i if i >= 0 else 0)


class PupilFormDialog(FormDialog):
    """New pupil (`pupil=None`) or edit one. After Save, `result_value` holds the saved PupilDetail."""

    kind = "pupils"
    doing = "saving this pupil"

    def __init__(self, ctx, parent: QWidget | None = None, pupil: PupilDetail | None = None) -> None:
        super().__init__(ctx, parent, "Edit pupil" if pupil else "New pupil")
        self.pupil = pupil

        def line(name: str, placeholder: str = "") -> QLineEdit:
            e = QLineEdit()
            e.setAccessibleName(name)
            if placeholder:
                e.setPlaceholderText(placeholder)
            return e

        self.legal_forename = line("Legal forename")
        self.legal_surname = line("Legal surname")
        self.preferred_forename = line("Preferred forename", "if different")
        self.preferred_surname = line("Preferred surname", "if different")
        self.year_group = _combo([("Choose…", None)] + [(year_label(y), y) for y in YEARS], "Year group")
        self.tutor_group = line("Tutor group", "e.g. 9AB")
        self.upn = line("UPN", "13 characters, optional")
        self.upn.setMaxLength(13)
        self.dob = line("Date of birth", "dd/mm/yyyy")
        self.dob.setMaxLength(10)
        self.sex = _combo([("Not recorded", ""), ("Female", "F"), ("Male", "M")], "Sex")
        self.sen_provision = _combo([(f"{name} ({code})", code) for code, name in
                                     (("N", SEN_PROVISION["N"]), ("K", SEN_PROVISION["K"]), ("E", SEN_PROVISION["E"]))],
                                    "SEN provision")
        self.primary_need = _combo([("None", "")] + [(f"{code} — {text}", code) for code, text in PRIMARY_NEED_CODES.items()],
                                   "Primary need")
        self.ethnicity = _combo([("Not recorded", "")] + [
            (f"{code} — {group + ': ' if group and group != desc else ''}{desc}", code)
            for code, (group, desc) in ETHNICITY_MAIN_CODES.items()], "Ethnicity")
        self.first_language = line("First language", "e.g. English, Polish")
        self.flags: dict[str, QCheckBox] = {}
        for attr, _short, meaning in FLAGS:
            box = QCheckBox(_FLAG_LABELS.get(attr, meaning))
            box.setAccessibleName(meaning)
            self.flags[attr] = box

        names = QGroupBox("Name and school")
        form = self.form_layout(names)
        e = self.errors
        e.add_row(form, "Legal &forename:", "legal_forename", self.legal_forename)
        e.add_row(form, "Legal s&urname:", "legal_surname", self.legal_surname)
        e.add_row(form, "&Preferred forename:", "preferred_forename", self.preferred_forename)
        e.add_row(form, "Preferred su&rname:", "preferred_surname", self.preferred_surname)
        e.add_row(form, "Year &group:", "year_group", self.year_group)
        e.add_row(form, "&Tutor group:", "tutor_group", self.tutor_group)
        e.add_row(form, "UP&N:", "upn", self.upn)

        about = QGroupBox("About the pupil")
        form2 = self.form_layout(about)
        e.add_row(form2, "&Date of birth:", "dob", self.dob)
        e.add_row(form2, "Se&x:", "sex", self.sex)
        e.add_row(form2, "S&EN provision:", "sen_provision", self.sen_provision)
        e.add_row(form2, "Pr&imary need:", "primary_need", self.primary_need)
        e.add_row(form2, "Et&hnicity:", "ethnicity", self.ethnicity)
        e.add_row(form2, "First &language:", "first_language", self.first_language)
        flag_box = QWidget()
        grid = QGridLayout(flag_box)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, box in enumerate(self.flags.values()):
            grid.addWidget(box, i // 2, i % 2)
            e.add(list(self.flags)[i], box, self.general)
        form2.addRow(flag_box)

        columns = QWidget()
        row = QHBoxLayout(columns)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(names, 1)
        row.addWidget(about, 1)
        scroll = scroll_area(columns)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        if pupil is not None:
            self._load(pupil)
        self.legal_forename.setFocus(Qt.FocusReason.OtherFocusReason)
        wanted = columns.sizeHint() + QSize(40, 90)
        screen = self.screen().availableSize() if self.screen() else QSize(1366, 768)
        self.resize(min(wanted.width(), int(screen.width() * 0.95)), min(wanted.height(), int(screen.height() * 0.9)))
        columns.setMinimumWidth(min(columns.sizeHint().width(), int(screen.width() * 0.95) - 40))

    # -- values --------------------------------------------------------------------------
    def _load(self, p: PupilDetail) -> None:
        for name in ("legal_forename", "legal_surname", "preferred_forename", "preferred_surname",
                     "tutor_group", "upn", "first_language"):
            getattr(self, name).setText(getattr(p, name) or "")
        self.dob.setText(f"{p.dob:%d/%m/%Y}" if p.dob else "")
        _select(self.year_group, p.year_group)
        _select(self.sex, p.sex)
        _select(self.sen_provision, p.sen_provision or "N")
        _select(self.primary_need, p.primary_need)
        _select(self.ethnicity, p.ethnicity)
        for attr, box in self.flags.items():
            box.setChecked(bool(getattr(p, attr)))

    def values(self) -> dict:
        """What the form holds, as keyword arguments for create_pupil/update_pupil."""
        v: dict = {name: getattr(self, name).text() for name in (
            "legal_forename", "legal_surname", "preferred_forename", "preferred_surname",
            "tutor_group", "upn", "dob", "first_language")}
        v["year_group"] = self.year_group.currentData()
        v["sex"] = self.sex.currentData()
        v["sen_provision"] = self.sen_provision.currentData()
        v["primary_need"] = self.primary_need.currentData()
        v["ethnicity"] = self.ethnicity.currentData()
        for attr, box in self.flags.items():
            v[attr] = box.isChecked()
        return v

    # -- saving ---------------------------------------------------------------------------
    def submit(self) -> PupilDetail:
        values = self.values()
        if self.pupil is None:
            return pupils.create_pupil(self.ctx.session, **values)
        current = {k: getattr(self.pupil, k) for k in values}
        current["dob"] = f"{self.pupil.dob:%d/%m/%Y}" if self.pupil.dob else ""
        changed = {k: v for k, v in values.items() if _blank_none(current.get(k)) != _blank_none(v)}
        return pupils.update_pupil(self.ctx.session, self.pupil.uuid, **changed) if changed else self.pupil
