"""The Measures tab: enter scores, the chart per questionnaire and rater, every result."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from schoolmh.domain import instruments as inst
from schoolmh.services import measures
from schoolmh.services.measures import MeasureInfo
from schoolmh.services.permissions import Action
from schoolmh.ui.models.table_model import Column, RIGHT, RowTableModel, SortProxy, format_date
from schoolmh.ui.pages.pupil_record.common import RecordTab, classification_text, fmt_num, record_table, rater_name
from schoolmh.ui.pages.pupil_record.measure_entry import MeasureEntry
from schoolmh.ui.widgets.common import confirm, fit_columns, info, wrapped_label
from schoolmh.ui.widgets.measure_chart import ChartPoint, MeasureChart


RESULT_COLUMNS: list[Column[MeasureInfo]] = [
    Column("Date", lambda m: m.date, align=RIGHT),
    Column("Questionnaire", lambda m: m.instrument),
    Column("Completed by", lambda m: rater_name(m.rater)),
    Column("Score", lambda m: fmt_num(m.headline), sort=lambda m: m.headline, align=RIGHT),
    Column("Band", lambda m: m.band),
    Column("Scores entered", lambda m: ", ".join(f"{k} {fmt_num(v)}" for k, v in m.values.items()),
           tooltip=lambda m: "\n".join(f"{k}: {fmt_num(v)}" for k, v in {**m.values, **m.totals}.items()) or None),
]


class MeasuresTab(RecordTab):
    def __init__(self, page) -> None:
        super().__init__(page)
        self.entry = MeasureEntry(self.ctx)
        self.entry.save_action = self._save
        self.series = QComboBox()
        self.series.setAccessibleName("Chart")
        series_label = QLabel("Ch&art:")
        series_label.setBuddy(self.series)
        self.series.currentIndexChanged.connect(self._draw)
        self.chart = MeasureChart()
        self.change = wrapped_label()
        self.change.setAccessibleName("Change since first score")
        self.model = RowTableModel(RESULT_COLUMNS, key=lambda m: m.uuid, parent=self)
        self.proxy = SortProxy(self.model, self)
        self.view = record_table(self.proxy, "Results")
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.delete_button = QPushButton("Delete res&ult…")
        self.delete_button.setAccessibleName("Delete result")
        self.delete_button.clicked.connect(self.delete_result)

        right = QWidget()
        r = QVBoxLayout(right)
        r.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(series_label)
        row.addWidget(self.series, 1)
        r.addLayout(row)
        r.addWidget(self.chart, 3)
        r.addWidget(self.change)
        r.addWidget(self.view, 2)
        drow = QHBoxLayout()
        drow.addStretch(1)
        drow.addWidget(self.delete_button)
        r.addLayout(drow)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.entry)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([400, 600])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

    def _save(self) -> bool:
        before = self.page.loads
        saved = self.entry.save()
        if saved:
            self.page.reload_after_change(before)
        return saved

    def load(self) -> None:
        data = self.page.data
        self.entry.pupil_uuid = self.pupil.uuid if self.pupil else None
        self.entry.setVisible(self.can(Action.MEASURE_WRITE))
        self.delete_button.setVisible(self.can(Action.MEASURE_WRITE))
        results: list[MeasureInfo] = data.get("measures", [])
        self.model.set_rows(results)
        fit_columns(self.view)
        keys: list[tuple[str, str]] = []
        for m in results:
            if (m.instrument, m.rater) not in keys:
                keys.append((m.instrument, m.rater))
        chosen = self.series.currentData()
        self.series.blockSignals(True)
        self.series.clear()
        for code, rater in keys:
            n = sum(1 for m in results if (m.instrument, m.rater) == (code, rater))
            self.series.addItem(f"{code} — {rater_name(rater)} ({n} result{'' if n == 1 else 's'})", (code, rater))
        i = self.series.findData(chosen) if chosen else -1
        self.series.setCurrentIndex(i if i >= 0 else (self.series.count() - 1 if self.series.count() else -1))
        self.series.blockSignals(False)
        self._draw()

    def _draw(self, *_args) -> None:
        key = self.series.currentData()
        results: list[MeasureInfo] = self.page.data.get("measures", [])
        if not key:
            self.chart.clear()
            self.change.setText("No scores yet: enter the first on the left." if self.entry.isVisible()
                                else "No scores yet.")
            return
        code, rater = key
        definition = inst.get_instrument(code)
        points = [ChartPoint(m.date, m.headline, m.band) for m in results if (m.instrument, m.rater) == key]
        age = measures.age_on(self.pupil.dob, points[-1].date) if self.pupil and points else None
        bands = definition.bands_for(rater, age)
        self.chart.set_data(f"{definition.name} — {rater_name(rater)}: {definition.total_label(definition.headline)}",
                            points, definition.headline_range, bands, definition.higher_is_better)
        change = next((c for c in self.page.data.get("changes", []) if (c.instrument, c.rater) == key), None)
        if change is None:
            self.change.setText("One result so far: change is shown from the second.")
        else:
            self.change.setText(
                f"Change from first ({format_date(change.first_date)}, {fmt_num(change.first_headline)}) to latest "
                f"({format_date(change.latest_date)}, {fmt_num(change.latest_headline)}): {classification_text(change)}. "
                f"Reliable change on this questionnaire is {fmt_num(change.threshold)} points; "
                f"{'higher' if change.higher_is_better else 'lower'} is better.")

    def clear(self) -> None:
        self.model.clear()
        self.chart.clear()
        self.series.clear()
        self.change.clear()
        self.entry.clear_values()
        self.entry.pupil_uuid = None

    def delete_result(self) -> None:
        m = self.proxy.row_at(self.view.currentIndex())
        if m is None:
            info(self, "Delete result", "Choose a result in the list first.")
            return
        if not confirm(self, "Delete result", f"Delete the {m.instrument} ({m.rater}) entered for "
                       f"{format_date(m.date)}? Do this only for scores entered in error.", "&Delete", danger=True):
            return
        self.page.one_call(lambda: measures.delete_measure(self.ctx.session, m.uuid), "measures", "deleting the result")
