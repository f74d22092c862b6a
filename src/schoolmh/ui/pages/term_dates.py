"""Admin -> Settings -> Term dates…: the school's own term dates, one school year at a time.

Every "this term" (dashboard, reports, comparisons) uses them; a school year left
unset uses the DfE census default (services/terms.py), which the dialog shows so
the lead starts from it. The same is scripted by ``schoolmh terms set|list|unset``.
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from schoolmh.services import settings, terms
from schoolmh.ui.widgets.common import FormDialog
from schoolmh.ui.widgets.dates import DateEdit


class TermDatesDialog(FormDialog):
    """Pick a school year, set the first and last day of each term; Save stores them for that year."""

    doing = "saving the term dates"
    kind = "settings"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, "Term dates", save_text="&Save term dates")
        this = terms.current_term(ctx.session.today()).school_year
        self.year = QComboBox()
        self.year.setAccessibleName("School year")
        for first_year in range(this - 1, this + 3):
            self.year.addItem(terms.school_year_name(first_year), first_year)
        self.year.setCurrentIndex(1)
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.edits: dict[str, tuple[DateEdit, DateEdit]] = {}
        form = QFormLayout()
        self.errors.add_row(form, "School &year:", "year", self.year)
        labels = {"autumn": "&Autumn:", "spring": "S&pring:", "summer": "S&ummer:"}
        for name in terms.TERMS:
            first = DateEdit(accessible_name=f"First day of the {name} term")
            last = DateEdit(accessible_name=f"Last day of the {name} term")
            row = QWidget()
            rl = QHBoxLayout(row)
            rl.setContentsMargins(0, 0, 0, 0)
            rl.addWidget(first)
            rl.addWidget(QLabel("to"))
            rl.addWidget(last)
            rl.addStretch(1)
            self.errors.add_row(form, labels[name], name, row)
            buddy = form.itemAt(form.rowCount() - 1, QFormLayout.ItemRole.LabelRole).widget()
            buddy.setBuddy(first)  # the accelerator goes to the first day
            self.edits[name] = (first, last)
        self.default_button = QPushButton("Use the census &default for this year")
        self.default_button.setToolTip("Forget this year's dates: autumn 1 August–31 December, spring 1 January–"
                                       "Easter Sunday, summer Easter Monday–31 July.")
        self.default_button.clicked.connect(self.use_default)
        self.default_button.setAutoDefault(False)  # Enter anywhere in the form saves; it never clears the dates
        layout = QVBoxLayout(self)
        note = QLabel("Every “this term” in SchoolMH (the dashboard, the governors' report and its comparison) "
                      "uses these dates. Holidays between terms belong to no term.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.source)
        layout.addWidget(self.default_button)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.year.currentIndexChanged.connect(lambda _i: self.load())
        self.load()

    def load(self) -> None:
        """Show the chosen year's dates: the school's own if set, else the census default."""
        own = terms.school_terms(self.year.currentData())
        for t in own:
            first, last = self.edits[t.name]
            first.set_value(t.first)
            last.set_value(t.last)
        self.source.setText("These are the school's own dates." if own[0].from_settings else
                            "No dates are set for this year: these are the DfE census default.")
        self.default_button.setEnabled(own[0].from_settings)

    def use_default(self) -> None:
        settings.clear_term_dates(self.ctx.session, terms.school_year_name(self.year.currentData()))
        self.ctx.data_changed.emit("settings")
        self.load()

    def submit(self):
        dates = {name: (first.value(), last.value()) for name, (first, last) in self.edits.items()}
        settings.set_term_dates(self.ctx.session, terms.school_year_name(self.year.currentData()), dates)
        return dates
