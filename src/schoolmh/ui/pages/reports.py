"""Reports: choose a term, a school year or whole months, preview the governors' report figures, save the PDF.

The preview shows the report's *printable* figures (after small-number suppression),
exactly what the PDF will print. Custom dates must be whole calendar months or whole
terms (services/report_data/periods.py); anything else is explained in the preview and
"Save" is disabled with the same reason as its tooltip.
"""
from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from schoolmh.errors import SchoolMHError
from schoolmh.services import terms
from schoolmh.services.permissions import Action
from schoolmh.services.report_data import governors_report_data, report_period
from schoolmh.services.terms import Period
from schoolmh.ui.models.table_model import format_date
from schoolmh.ui.widgets.common import PAGE_TITLE, documents_folder, heading, info
from schoolmh.ui.widgets.dates import DateEdit

WHOLE_YEAR = "year"


def _row(cells: tuple, header: bool = False) -> str:
    tag = "th" if header else "td"
    out = []
    for i, c in enumerate(cells):
        align = "left" if i == 0 else "right"
        out.append(f'<{tag} align="{align}">{escape("" if c is None else str(c))}</{tag}>')
    return "<tr>" + "".join(out) + "</tr>"


def _table(header: tuple, rows) -> str:
    body = "".join(_row(r) for r in rows)
    return f'<table cellspacing="0" cellpadding="4" border="1">{_row(header, True)}{body}</table>'


class ReportsPage(QWidget):
    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx
        session = ctx.session
        today = session.today()
        self.can_report = session.can(Action.REPORT_GOVERNORS)

        title = heading("Reports", PAGE_TITLE)

        # -- period ------------------------------------------------------------------------
        box = QGroupBox("Period")
        grid = QGridLayout(box)
        self.by_term = QRadioButton("&Term:")
        self.by_dates = QRadioButton("Whole &months:")
        group = QButtonGroup(self)
        group.addButton(self.by_term)
        group.addButton(self.by_dates)
        self.by_term.setChecked(True)
        current = terms.current_term(today)
        self.term = QComboBox()
        self.term.setAccessibleName("Term")
        for name in terms.TERMS:
            self.term.addItem(terms.TERM_NAMES[name], name)
        self.term.addItem("Whole school year", WHOLE_YEAR)
        self.term.setCurrentIndex(terms.TERMS.index(current.name))
        self.year = QComboBox()
        for first_year in range(current.school_year - 6, current.school_year + 2):
            self.year.addItem(terms.school_year_name(first_year), first_year)
        self.year.setCurrentIndex(self.year.findData(current.school_year))
        self.year.setAccessibleName("School year")
        self.year.setToolTip("The school year, autumn to summer (2026-27 is autumn 2026 to summer 2027). "
                             "Term dates are the school's own (Admin, Settings), or the DfE census default.")
        self.term_dates = QLabel()
        month_end = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        self.start = DateEdit(today.replace(day=1), accessible_name="First day (the first of a month)")
        self.end = DateEdit(month_end, accessible_name="Last day (the last day of a month)")
        from_label = QLabel("&From")
        from_label.setBuddy(self.start)
        to_label = QLabel("t&o")
        to_label.setBuddy(self.end)
        grid.addWidget(self.by_term, 0, 0)
        grid.addWidget(self.term, 0, 1)
        year_label = QLabel("School &year")
        year_label.setBuddy(self.year)
        grid.addWidget(year_label, 0, 2)
        grid.addWidget(self.year, 0, 3)
        grid.addWidget(self.term_dates, 0, 4, 1, 2)
        grid.addWidget(self.by_dates, 1, 0)
        grid.addWidget(from_label, 1, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.start, 1, 2, 1, 2)
        grid.addWidget(to_label, 1, 4)
        grid.addWidget(self.end, 1, 5)
        grid.setColumnStretch(6, 1)

        # -- actions ---------------------------------------------------------------------------
        self.save_button = QPushButton("&Save governors' report PDF…")
        self.save_button.clicked.connect(self.save_pdf)
        self.save_button.setAccessibleName("Save governors' report PDF")
        bar = QHBoxLayout()
        bar.addWidget(self.save_button)
        self.note = QLabel()
        self.note.setWordWrap(True)
        bar.addWidget(self.note, 1)

        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Preview of the governors' report figures")
        self.preview.setOpenLinks(False)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(box)
        layout.addLayout(bar)
        layout.addWidget(self.preview, 1)

        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.refresh)
        for signal in (self.term.currentIndexChanged, self.year.currentIndexChanged, self.start.dateChanged,
                       self.end.dateChanged, self.by_term.toggled):
            signal.connect(lambda *_: self._period_changed())
        self._period_changed(schedule=False)

    def chosen(self) -> Period:
        """The period the controls name (not yet checked)."""
        if self.by_term.isChecked():
            first_year = self.year.currentData()
            if self.term.currentData() == WHOLE_YEAR:
                return terms.school_year(first_year)
            return terms.school_terms(first_year)[terms.TERMS.index(self.term.currentData())]
        start, end = self.start.value(), self.end.value()
        return Period(start, end, f"{format_date(start)} to {format_date(end)}")

    def period(self) -> Period:
        """The period the report will cover, or a ValidationError saying why these dates cannot be one."""
        chosen = self.chosen()
        return report_period(chosen.first, chosen.last)

    def _period_changed(self, schedule: bool = True) -> None:
        by_term = self.by_term.isChecked()
        for w in (self.term, self.year):
            w.setEnabled(by_term)
        for w in (self.start, self.end):
            w.setEnabled(not by_term)
        if by_term:
            t = self.chosen()
            self.term_dates.setText(f"{format_date(t.first)} – {format_date(t.last)}")
        if schedule:
            self._timer.start()

    def _blocked(self, reason: str) -> None:
        self.save_button.setEnabled(False)
        self.save_button.setToolTip(reason)

    # -- preview --------------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        if not self.can_report:
            self._blocked("Your role cannot make the governors' report.")
            self.preview.setHtml("<p>Your role cannot make the governors' report.</p>")
            return
        try:
            period = self.period()
        except SchoolMHError as exc:
            self._blocked(exc.message)
            self.preview.setHtml(f"<p>{escape(exc.message)}</p>")
            self.note.setText("")
            return
        try:
            html = self._governors_html(governors_report_data(session, period))
        except Exception as exc:  # noqa: BLE001 - a validation message or a logged bug
            from schoolmh.ui.widgets.common import plain_error_text

            if not isinstance(exc, SchoolMHError):
                from schoolmh.logs import log_exception

                log_exception(exc, "previewing the governors' report")
            self._blocked("The figures could not be gathered.")
            self.preview.setHtml(f"<p>{escape(plain_error_text(exc, 'previewing the report'))}</p>")
            return
        self.save_button.setEnabled(True)
        self.save_button.setToolTip("Anonymous figures for governors, with small numbers suppressed.")
        self.note.setText("Figures as they will be printed: counts from 1 to 7 show as “fewer than 8”, other "
                          "counts are rounded to the nearest 5, and percentages come from the rounded figures.")
        self.preview.setHtml(html)

    def _governors_html(self, data: Any) -> str:
        p = data.printable()
        period = data.period
        out = [f"<h2>{escape(period.label)}</h2>",
               f"<p>{escape(format_date(period.first))} to {escape(format_date(period.last))}"
               f" · figures as at {escape(format_date(data.as_of))}</p>"]
        if p.summary:
            out.append("<h3>Summary</h3><ul>" + "".join(f"<li>{escape(s)}</li>" for s in p.summary) + "</ul>")
        key = [
            ("Pupils supported directly", p.pupils_supported),
            ("Sessions delivered", p.sessions_delivered),
            ("Sessions planned", p.sessions_planned),
            ("Attendance rate", p.attendance_rate or "not shown"),
            ("New support plans", p.new_plans),
            ("Plans closed", p.closed_plans),
            ("Open plans at the end", p.open_plans_at_end),
            ("Referrals made", p.referrals_made),
            ("Median wait for a decision", p.median_wait or "not shown (too few decided)"),
            ("Referrals waiting at the end", p.referrals_pending),
            ("Longest wait", p.longest_wait or "none waiting"),
            ("Pupils in the gap", p.in_gap),
        ]
        out.append("<h3>Key figures</h3>" + _table(("Figure", "Value"), key))
        if p.comparison_rows:
            out.append(f"<h3>Compared with {escape(p.previous_label)}</h3>"
                       + _table(("Figure", "This period", escape(p.previous_label)), p.comparison_rows))
        if p.tier_rows:
            out.append("<h3>Pupils supported by tier</h3>"
                       + _table(("Tier", "Pupils"), (*p.tier_rows, ("Total", p.tier_total))))
        out.append(f"<h3>Time by MHST function</h3><p>{p.function_hours} hours of staff time recorded.</p>"
                   + _table(("Function", "Hours", "This school", "National"),
                            ((f.label, f.hours, f.share or "not shown", f"{f.national_share}%")
                             for f in p.function_rows)))
        if p.outcome_rows:
            out.append("<h3>Outcomes</h3>" + _table(
                ("Measure", "Pupils with paired scores", "Improved", "No reliable change", "Deteriorated"),
                ((r.name, r.paired, r.cell(0), r.cell(1), r.cell(2)) for r in p.outcome_rows)))
        if p.referral_rows:
            out.append("<h3>Referrals and decisions</h3>" + _table(p.referral_header, p.referral_rows))
        if p.gap_rows:
            out.append("<h3>Pupils in the gap, by time waiting</h3>" + _table(("Waiting", "Pupils"), p.gap_rows))
        out.append("<h3>Whole-school approach by principle</h3>" + _table(
            ("Principle", "Activities", "Pupils reached", "Staff reached", "Parents reached", "Action plan RAG"),
            ((n, a, rp, rs, rpa, {"none": "no objective"}.get(rag, rag.capitalize())) for n, a, rp, rs, rpa, rag
             in p.principle_rows)))
        if p.principles_without_activity:
            out.append("<p>No activity this period: " + escape(", ".join(p.principles_without_activity)) + ".</p>")
        if p.group_rows:
            out.append(f"<h3>Reach into groups (on roll: {escape(p.roll)})</h3>" + _table(
                ("Group", "On roll", "% of roll", "Supported", "% of supported"),
                ((g.label, g.on_roll, g.roll_share or "–", g.supported or "–", g.supported_share or "–")
                 for g in p.group_rows)))
        out.append("<h3>Liaison and advice</h3>" + _table(("", "Count"), p.liaison_rows))
        return "".join(out)

    # -- PDF -----------------------------------------------------------------------------------
    @staticmethod
    def _default_name(period: Period) -> str:
        return f"Governors report {period.label}.pdf"

    def ask_path(self, suggested: str) -> Path | None:
        """Where to save (a method so tests can answer without a file dialog)."""
        folder = documents_folder()
        name, _ = QFileDialog.getSaveFileName(self, "Save governors' report", str(Path(folder) / suggested),
                                              "PDF files (*.pdf)")
        if not name:
            return None
        path = Path(name)
        return path if path.suffix.lower() == ".pdf" else path.with_suffix(path.suffix + ".pdf")

    def save_pdf(self) -> None:
        from schoolmh.reports.governors import governors_pdf

        try:
            period = self.period()
        except SchoolMHError as exc:
            info(self, "Governors' report", exc.message)
            return
        path = self.ask_path(self._default_name(period))
        if path is None:
            return
        session = self.ctx.session

        def work(progress) -> bytes:
            progress.update(0, 1, "Gathering the figures…")
            data = governors_pdf(session, period)
            progress.update(1, 1, "Done")
            return data

        def done(pdf: bytes) -> None:
            from schoolmh import fsutil
            from schoolmh.errors import ValidationError

            try:  # the save dialog asked before replacing a file; never into the vault's folder
                fsutil.write_output(path, pdf, self.ctx.data_dir, overwrite=True)
            except ValidationError as exc:
                info(self, "Governors' report", exc.message)
                return
            except OSError as exc:
                info(self, "Governors' report", f"The report could not be saved in {path.parent} ({exc.strerror}). "
                     "Choose another folder.")
                return
            self.note.setText(f"Saved {path.name} in {path.parent}.")

        # The report reads the database, which belongs to the GUI thread.
        self.ctx.run("Making the governors' report", work, done, parent=self, gui_thread=True)
