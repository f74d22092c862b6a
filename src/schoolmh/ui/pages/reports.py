"""Reports: choose a term (or dates), preview the governors' report figures, save the PDF.

The report modules arrive in their own issue, so this page looks for them each
time it is built (the main window rebuilds pages after every unlock):

* ``schoolmh.services.report_data.governors_report_data(session, start, end)``:
  the preview shows its *printable* figures (after small-number suppression),
  exactly what the PDF will print;
* otherwise ``schoolmh.services.dashboard.dashboard_figures(session, start, end)``
  gives the dashboard's figures for the dates;
* ``schoolmh.reports.governors.governors_pdf(session, start, end) -> bytes``
  enables "Save governors' report PDF…"; without it the button is disabled
  with a tooltip saying why.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, QTimer
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
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from schoolmh.services import terms
from schoolmh.services.permissions import Action
from schoolmh.ui.models.table_model import format_date
from schoolmh.ui.widgets.common import PAGE_TITLE, heading, info
from schoolmh.ui.widgets.dates import DateEdit

NOT_READY_TIP = "Available when reports land"


def _optional(module: str, name: str) -> Callable | None:
    """`module.name` if that module can be imported now, else None (checked afresh each time)."""
    importlib.invalidate_caches()
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


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


def _humanise(name: str) -> str:
    return name.replace("_", " ").capitalize()


class ReportsPage(QWidget):
    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx
        session = ctx.session
        today = session.today()
        self.report_data = _optional("schoolmh.services.report_data", "governors_report_data")
        self.dashboard_figures = _optional("schoolmh.services.dashboard", "dashboard_figures")
        self.governors_pdf = _optional("schoolmh.reports.governors", "governors_pdf")
        self.can_report = session.can(Action.REPORT_GOVERNORS)

        title = heading("Reports", PAGE_TITLE)

        # -- period ------------------------------------------------------------------------
        box = QGroupBox("Period")
        grid = QGridLayout(box)
        self.by_term = QRadioButton("&Term:")
        self.by_dates = QRadioButton("C&ustom dates:")
        group = QButtonGroup(self)
        group.addButton(self.by_term)
        group.addButton(self.by_dates)
        self.by_term.setChecked(True)
        current = terms.current_term(today)
        self.term = QComboBox()
        self.term.setAccessibleName("Term")
        for name in terms.TERMS:
            self.term.addItem(terms.TERM_NAMES[name], name)
        self.term.setCurrentIndex(terms.TERMS.index(current.name))
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(current.year)
        self.year.setAccessibleName("Calendar year of the term")
        self.year.setToolTip("The calendar year the term falls in: autumn 2025, spring 2026 and summer 2026 "
                             "make the school year 2025/26.")
        self.term_dates = QLabel()
        self.start = DateEdit(current.start, accessible_name="First day")
        self.end = DateEdit(min(current.end, today), accessible_name="Last day")
        from_label = QLabel("&From")
        from_label.setBuddy(self.start)
        to_label = QLabel("t&o")
        to_label.setBuddy(self.end)
        grid.addWidget(self.by_term, 0, 0)
        grid.addWidget(self.term, 0, 1)
        year_label = QLabel("&Year")
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
        if self.governors_pdf is None or not self.can_report:
            self.save_button.setEnabled(False)
            self.save_button.setToolTip(NOT_READY_TIP if self.governors_pdf is None
                                        else "Your role cannot make the governors' report.")
        else:
            self.save_button.setToolTip("Anonymous figures for governors, with small numbers suppressed.")
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
        for signal in (self.term.currentIndexChanged, self.year.valueChanged, self.start.dateChanged,
                       self.end.dateChanged, self.by_term.toggled):
            signal.connect(lambda *_: self._period_changed())
        self._period_changed(schedule=False)

    # -- period -------------------------------------------------------------------------------
    def period(self) -> tuple[dt.date, dt.date]:
        if self.by_term.isChecked():
            return terms.term_dates(self.term.currentData(), self.year.value())
        return self.start.value(), self.end.value()

    def _period_changed(self, schedule: bool = True) -> None:
        by_term = self.by_term.isChecked()
        for w in (self.term, self.year):
            w.setEnabled(by_term)
        for w in (self.start, self.end):
            w.setEnabled(not by_term)
        t = terms.get_term(self.term.currentData(), self.year.value())
        self.term_dates.setText(f"{format_date(t.start)} – {format_date(t.end)}")
        if schedule:
            self._timer.start()

    # -- preview --------------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.ctx.session
        if session is None:
            return
        start, end = self.period()
        if end < start:
            self.preview.setHtml("<p>The last day is before the first day.</p>")
            return
        try:
            if self.report_data is not None and self.can_report:
                html = self._governors_html(self.report_data(session, start, end))
                self.note.setText("Figures as they will be printed: counts from 1 to 7 show as “fewer than 8”, "
                                  "other counts are rounded to the nearest 5.")
            elif self.dashboard_figures is not None:
                html = self._figures_html(self.dashboard_figures(session, start, end), start, end)
                self.note.setText("The full governors' report preview appears when the reports are installed; "
                                  "these are the dashboard figures for the dates.")
            else:
                html = "<p>Figures for reports are not available in this version yet.</p>"
                self.note.setText("")
        except Exception as exc:  # noqa: BLE001 - a validation message (dates) or a logged bug
            from schoolmh.ui.widgets.common import plain_error_text
            from schoolmh.errors import SchoolMHError

            if not isinstance(exc, SchoolMHError):
                from schoolmh.logs import log_exception

                log_exception(exc, "previewing the governors' report")
            self.preview.setHtml(f"<p>{escape(plain_error_text(exc, 'previewing the report'))}</p>")
            return
        self.preview.setHtml(html)

    def _governors_html(self, data: Any) -> str:
        p = data.printable()
        out = [f"<h2>{escape(data.period_label)}</h2>",
               f"<p>{escape(format_date(data.start))} to {escape(format_date(data.end))}"
               f" · figures as at {escape(format_date(data.as_of))}</p>"]
        if p.summary:
            out.append("<h3>Summary</h3><ul>" + "".join(f"<li>{escape(s)}</li>" for s in p.summary) + "</ul>")
        key = [
            ("Pupils supported directly", p.pupils_supported),
            ("Sessions delivered", p.sessions_delivered),
            ("Attendance rate", p.attendance_rate or "not shown (fewer than 10 sessions)"),
            ("New support plans", p.new_plans),
            ("Plans closed", p.closed_plans),
            ("Open plans at the end", p.open_plans_at_end),
            ("Referrals made", p.referrals_made),
            ("Median wait for a decision", p.median_wait or "not shown (fewer than 10 decided)"),
            ("Pupils in the gap", p.in_gap),
        ]
        out.append("<h3>Key figures</h3>" + _table(("Figure", "Value"), key))
        if p.comparison_rows:
            out.append(f"<h3>Compared with {escape(p.previous_label)}</h3>"
                       + _table(("Figure", "This period", escape(p.previous_label)), p.comparison_rows))
        if p.tier_rows:
            out.append("<h3>Pupils supported by tier</h3>"
                       + _table(("Tier", "Pupils"), (*p.tier_rows, ("Total", p.tier_total))))
        out.append(f"<h3>Time by MHST function</h3><p>{escape(p.function_hours)}</p>"
                   + _table(("Function", "This school", "National"),
                            ((label, share or "not shown", f"{nat}%") for label, share, nat in p.function_shares)))
        if p.outcome_rows:
            out.append("<h3>Outcomes</h3>" + _table(
                ("Measure", "Pupils with paired scores", "Improved", "No reliable change", "Deteriorated"),
                ((n, paired, a or "–", b or "–", c or "–") for n, paired, a, b, c in p.outcome_rows)))
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
                ((g, r, pr or "–", s or "–", ps or "–") for g, r, pr, s, ps in p.group_rows)))
        out.append("<h3>Liaison and advice</h3>" + _table(("", "Count"), p.liaison_rows))
        return "".join(out)

    def _figures_html(self, figures: Any, start: dt.date, end: dt.date) -> str:
        rows = []
        for f in dataclasses.fields(figures):
            value = getattr(figures, f.name)
            if isinstance(value, (int, float, str)) and not isinstance(value, bool):
                rows.append((_humanise(f.name), value))
            elif isinstance(value, dict) and all(isinstance(v, (int, float)) for v in value.values()):
                for k, v in value.items():
                    rows.append((f"{_humanise(f.name)}: {k}", v))
        return (f"<h2>{escape(format_date(start))} to {escape(format_date(end))}</h2>"
                + _table(("Figure", "Value"), rows))

    # -- PDF -----------------------------------------------------------------------------------
    def _default_name(self, start: dt.date, end: dt.date) -> str:
        if self.by_term.isChecked():
            return f"Governors report {terms.TERM_NAMES[self.term.currentData()]} {self.year.value()}.pdf"
        return f"Governors report {start:%Y-%m-%d} to {end:%Y-%m-%d}.pdf"

    def ask_path(self, suggested: str) -> Path | None:
        """Where to save (a method so tests can answer without a file dialog)."""
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        name, _ = QFileDialog.getSaveFileName(self, "Save governors' report", str(Path(folder) / suggested),
                                              "PDF files (*.pdf)")
        if not name:
            return None
        path = Path(name)
        return path if path.suffix.lower() == ".pdf" else path.with_suffix(path.suffix + ".pdf")

    def save_pdf(self) -> None:
        if self.governors_pdf is None:
            return
        start, end = self.period()
        path = self.ask_path(self._default_name(start, end))
        if path is None:
            return
        session = self.ctx.session
        make = self.governors_pdf

        def work(progress) -> bytes:
            progress.update(0, 1, "Gathering the figures…")
            data = make(session, start, end)
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
