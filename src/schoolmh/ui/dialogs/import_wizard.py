"""Import the pupil list from the school's MIS: choose a file, match its columns, check, import.

Three steps in one dialog:

1. **Choose file** (CSV or XLSX from SIMS, Arbor, Bromcom).
2. **Match columns**: each of the file's headers with an example value and a
   SchoolMH field, prefilled from the headers the importer recognises.
3. **Check and import**: every row of the file, bad cells marked (a ⚠ in the
   text, a tinted background and the reason in the tooltip, so colour is never
   the only sign), and what the import would do (added / updated / unchanged /
   left the school). Import stays disabled while there is any problem: imports
   are all or nothing.

Threading follows ui/ops.py: the file is parsed (pure domain.mis) in a worker;
what it means for the vault (services.pupil_import.preview_import) and the
import itself run on the GUI thread, the import in one transaction with a
progress dialog.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from schoolmh.domain.mis import CANONICAL_FIELDS, IGNORE, ParsedFile, RowError, format_errors, read_mis_file
from schoolmh.errors import ValidationError
from schoolmh.services import pupil_import
from schoolmh.ui.widgets.common import FormErrorLabel, error_colour, fitted_size, heading, info, is_dark

__all__ = ["ImportWizard", "PreviewModel"]

_REQUIRED_NOTE = "A name (forename and surname) and a year group are needed; every other column is optional."


class PreviewModel(QAbstractTableModel):
    """Every row of the file as text, with the importer's errors attached to their cells.

    Column 0 is the spreadsheet row number; a row-level error (no column) marks it.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.numbers: list[int] = []
        self.cell_errors: dict[tuple[int, int], str] = {}  # (row index, column index incl. row-number col)
        self.bad_rows: set[int] = set()
        self._tint = QColor("#ffcdd2")

    def load(self, parsed: ParsedFile | None, errors: list[RowError], dark: bool) -> None:
        self.beginResetModel()
        self._tint = QColor("#7f1d1d") if dark else QColor("#ffcdd2")
        self.headers = list(parsed.headers) if parsed else []
        self.rows = list(parsed.raw_rows) if parsed else []
        self.numbers = list(parsed.raw_row_numbers) if parsed else []
        index_of_number = {n: i for i, n in enumerate(self.numbers)}
        column_of = {h: i for i, h in reversed(list(enumerate(self.headers)))}
        self.cell_errors = {}
        self.bad_rows = set()
        for e in errors:
            r = index_of_number.get(e.row)
            if r is None:
                continue
            c = column_of.get(e.column, -1) + 1  # unknown/blank column → the row-number cell
            key = (r, c)
            self.cell_errors[key] = f"{self.cell_errors[key]}\n{e.message}" if key in self.cell_errors else e.message
            self.bad_rows.add(r)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers) + 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        error = self.cell_errors.get((r, c))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            text = str(self.numbers[r]) if c == 0 else self.rows[r][c - 1]
            if error:
                return f"⚠ {text}" if role == Qt.ItemDataRole.DisplayRole else f"{text}. Problem: {error}"
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return error
        if role == Qt.ItemDataRole.BackgroundRole and error:
            return self._tint
        if role == Qt.ItemDataRole.TextAlignmentRole and c == 0:
            return int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return "Row" if section == 0 else self.headers[section - 1]
        return None


class _ProblemRowsProxy(QSortFilterProxyModel):
    only_problems = False

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:  # noqa: N802
        return not self.only_problems or source_row in self.sourceModel().bad_rows


class ImportWizard(QDialog):
    """The MIS import dialog. After a successful import `summary` holds the ImportSummary."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import pupils from MIS")
        self.setModal(True)
        self.path: Path | None = None
        self.parsed: ParsedFile | None = None
        self.preview: pupil_import.ImportPreview | None = None
        self.summary: pupil_import.ImportSummary | None = None
        self._parsed_mapping: dict[str, str] | None = None

        self.stack = QStackedWidget()
        self.stack.addWidget(self._file_page())
        self.stack.addWidget(self._mapping_page())
        self.stack.addWidget(self._check_page())

        self.back_button = QPushButton("< &Back")
        self.next_button = QPushButton("&Next >")
        self.import_button = QPushButton("&Import")
        cancel = QPushButton("&Cancel")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.import_button.clicked.connect(self.run_import)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        self.step_label = QLabel()
        buttons.addWidget(self.step_label)
        buttons.addStretch(1)
        for b in (self.back_button, self.next_button, self.import_button, cancel):
            b.setAccessibleName(b.text().replace("&", "").strip("<> "))
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self.resize(fitted_size(960, 620))
        self._show_step(0)

    # -- pages ---------------------------------------------------------------------------------
    def _file_page(self) -> QWidget:
        page = QWidget()
        self.file_edit = QLineEdit()
        self.file_edit.setAccessibleName("File to import")
        self.file_edit.setPlaceholderText("Choose a CSV or Excel (.xlsx) export")
        self.file_edit.textChanged.connect(lambda: self._show_step(self.stack.currentIndex()))
        self.file_edit.returnPressed.connect(self.next)
        label = QLabel("&File:")
        label.setBuddy(self.file_edit)
        browse = QPushButton("&Browse…")
        browse.setAccessibleName("Browse for a file")
        browse.clicked.connect(self.browse)
        self.file_error = FormErrorLabel()
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.file_edit, 1)
        row.addWidget(browse)
        text = QLabel(
            "Export the pupils on roll from your MIS (SIMS, Arbor, Bromcom…) as CSV or Excel (.xlsx), "
            "one row per pupil with a header row. SchoolMH recognises the usual column names; you can "
            "match any others in the next step.\n\n" + _REQUIRED_NOTE + "\n\n"
            "Pupils are matched by UPN, so importing an updated export changes existing pupils rather than "
            "adding them twice. Pupils with a UPN who are not in the file are marked as having left. "
            "Nothing is changed until you press Import, and then the whole file is imported or nothing is."
        )
        text.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("1. Choose the export file", 1.25))
        layout.addWidget(text)
        layout.addSpacing(8)
        layout.addLayout(row)
        layout.addWidget(self.file_error)
        layout.addStretch(1)
        return page

    def _mapping_page(self) -> QWidget:
        page = QWidget()
        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setHorizontalHeaderLabels(["Column in the file", "Example", "SchoolMH field"])
        self.mapping_table.setAccessibleName("Column matching")
        self.mapping_table.verticalHeader().hide()
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping_table.setTabKeyNavigation(False)  # Tab walks the field choosers, not the cells
        h = self.mapping_table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.mapping_error = FormErrorLabel()
        text = QLabel("Check which SchoolMH field each column holds. Columns set to “Don't import” are ignored. "
                      + _REQUIRED_NOTE)
        text.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("2. Match the columns", 1.25))
        layout.addWidget(text)
        layout.addWidget(self.mapping_table, 1)
        layout.addWidget(self.mapping_error)
        return page

    def _check_page(self) -> QWidget:
        page = QWidget()
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("Import summary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.errors_text = QPlainTextEdit()
        self.errors_text.setReadOnly(True)
        self.errors_text.setAccessibleName("Problems found")
        self.errors_text.setMaximumHeight(self.fontMetrics().height() * 6)
        self.preview_model = PreviewModel(self)
        self.preview_proxy = _ProblemRowsProxy(self)
        self.preview_proxy.setSourceModel(self.preview_model)
        self.preview_view = QTableView()
        self.preview_view.setModel(self.preview_proxy)
        self.preview_view.setAccessibleName("Rows in the file")
        self.preview_view.verticalHeader().hide()
        self.preview_view.setWordWrap(False)
        self.preview_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.only_problems = QCheckBox("Show only rows with &problems")
        self.only_problems.setAccessibleName("Show only rows with problems")
        self.only_problems.toggled.connect(self._filter_problems)
        self.mark_left = QCheckBox("Pupils with a UPN who are not in this file have &left the school")
        self.mark_left.setChecked(True)
        self.mark_left.setAccessibleName("Mark pupils missing from the file as left")
        self.mark_left.setToolTip("Untick for a partial export (for example one year group), "
                                  "so pupils missing from it stay on roll.")
        self.mark_left.toggled.connect(self._mark_left_changed)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("3. Check and import", 1.25))
        layout.addWidget(self.summary_label)
        layout.addWidget(self.mark_left)
        layout.addWidget(self.errors_text)
        layout.addWidget(self.only_problems)
        layout.addWidget(self.preview_view, 1)
        return page

    def has_unsaved_input(self) -> bool:
        """Nothing typed here is worth a warning before the lock: choosing the file again is quick."""
        return False

    # -- navigation ----------------------------------------------------------------------------
    def _show_step(self, step: int) -> None:
        self.stack.setCurrentIndex(step)
        self.step_label.setText(f"Step {step + 1} of 3")
        self.back_button.setEnabled(step > 0)
        self.next_button.setVisible(step < 2)
        self.next_button.setEnabled(step != 0 or bool(self.file_edit.text().strip()))
        self.import_button.setVisible(step == 2)
        ok = self.preview is not None and self.preview.ok and self.preview.rows > 0
        self.import_button.setEnabled(step == 2 and ok)
        if step == 2:
            (self.import_button if ok else self.back_button).setDefault(True)
        else:
            self.next_button.setDefault(True)

    def back(self) -> None:
        if self.stack.currentIndex() > 0:
            self._show_step(self.stack.currentIndex() - 1)

    def next(self) -> None:
        step = self.stack.currentIndex()
        if step == 0:
            text = self.file_edit.text().strip()
            if not text:
                return
            self.file_error.clear_error()
            self._parse(Path(text), None, then=1)
        elif step == 1:
            try:
                mapping = self.chosen_mapping()
            except ValidationError as exc:
                self.mapping_error.show_error(exc.message)
                return
            self.mapping_error.clear_error()
            if mapping != self._parsed_mapping:
                self._parse(self.path, mapping, then=2)
            else:
                self._show_step(2)

    def browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose the MIS export", self.file_edit.text() or str(Path.home()),
            "Pupil lists (*.csv *.xlsx *.xlsm *.txt);;All files (*)")
        if name:
            self.file_edit.setText(name)

    # -- parsing (worker) and preview (GUI thread) ------------------------------------------------
    def _parse(self, path: Path, mapping: dict[str, str] | None, then: int) -> None:
        def work(progress):
            progress.update(0, 0, "Reading the file…")
            return read_mis_file(path, mapping)  # pure: no database on the worker thread

        def done(parsed: ParsedFile) -> None:
            self.load_parsed(path, parsed, mapping)
            self._show_step(then)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                (self.file_error if then == 1 else self.mapping_error).show_error(exc.message)
            else:
                self.ctx.report_error(self, exc, "reading the file")

        self.ctx.run("Reading the pupil list", work, done, failed, parent=self)

    def load_parsed(self, path: Path, parsed: ParsedFile, mapping: dict[str, str] | None = None) -> None:
        """Show a parsed file: the mapping table, the preview with errors and the summary (GUI thread)."""
        self.path = path
        self.parsed = parsed
        self.preview = pupil_import.preview_import(self.ctx.session, parsed, mark_left=self.mark_left.isChecked())
        self._parsed_mapping = mapping
        if mapping is None or not self.mapping_table.rowCount():
            self._fill_mapping(parsed)
            try:  # the table now shows what the parser used: going on unchanged needs no re-read
                self._parsed_mapping = self.chosen_mapping()
            except ValidationError:
                self._parsed_mapping = None
        self._fill_check()

    def _fill_mapping(self, parsed: ParsedFile) -> None:
        table = self.mapping_table
        table.setRowCount(0)
        headers = [h for h in parsed.headers if h]
        table.setRowCount(len(headers))
        column_of = {h: i for i, h in reversed(list(enumerate(parsed.headers)))}
        for r, header in enumerate(headers):
            item = QTableWidgetItem(header)
            table.setItem(r, 0, item)
            example = next((row[column_of[header]] for row in parsed.raw_rows[:50]
                            if column_of[header] < len(row) and row[column_of[header]].strip()), "")
            table.setItem(r, 1, QTableWidgetItem(example))
            combo = QComboBox()
            combo.addItem("Don't import", IGNORE)
            for name, spec in CANONICAL_FIELDS.items():
                combo.addItem(spec.label, name)
                combo.setItemData(combo.count() - 1, f"{spec.description} Accepted: {spec.accepted}",
                                  Qt.ItemDataRole.ToolTipRole)
            i = combo.findData(parsed.mapping.get(header, IGNORE))
            combo.setCurrentIndex(max(0, i))
            combo.setAccessibleName(f"Field for column {header}")
            table.setCellWidget(r, 2, combo)
        table.resizeColumnsToContents()

    def chosen_mapping(self) -> dict[str, str]:
        """{their header: field or 'ignore'} as set in the table; raises if two columns share a field."""
        mapping: dict[str, str] = {}
        seen: dict[str, str] = {}
        for r in range(self.mapping_table.rowCount()):
            header = self.mapping_table.item(r, 0).text()
            target = self.mapping_table.cellWidget(r, 2).currentData()
            if target != IGNORE and target in seen:
                label = CANONICAL_FIELDS[target].label
                raise ValidationError(f"“{seen[target]}” and “{header}” are both set to {label}: choose one.",
                                      "mapping")
            if target != IGNORE:
                seen[target] = header
            mapping[header] = target
        return mapping

    def set_field(self, header: str, field: str) -> None:
        """Choose the field for one column (used by tests and keyboard users alike)."""
        for r in range(self.mapping_table.rowCount()):
            if self.mapping_table.item(r, 0).text() == header:
                combo: QComboBox = self.mapping_table.cellWidget(r, 2)
                combo.setCurrentIndex(max(0, combo.findData(field)))
                return
        raise KeyError(header)

    def _fill_check(self) -> None:
        preview = self.preview
        assert preview is not None
        errors = list(preview.errors)
        self.preview_model.load(self.parsed, errors, is_dark(self))
        self.preview_view.resizeColumnsToContents()
        for c in range(self.preview_model.columnCount()):
            self.preview_view.setColumnWidth(c, min(self.preview_view.columnWidth(c), 260))
        name = self.path.name if self.path else "The file"
        if errors:
            n = len(errors)
            self.summary_label.setText(
                f"⚠ {name}: {n} problem{'' if n == 1 else 's'} found, so nothing can be imported yet. "
                "Fix the export (or the column matching) and try again: imports are all or nothing. "
                "Problem cells are marked ⚠; hover over one to see why.")
            palette = self.summary_label.palette()
            palette.setColor(QPalette.ColorRole.WindowText, error_colour(self))
            self.summary_label.setPalette(palette)
            self.errors_text.setPlainText(format_errors(errors, limit=200))
            self.errors_text.show()
            self.only_problems.show()
        else:
            self.summary_label.setPalette(self.palette())
            self.summary_label.setText(self._summary_text(name, preview))
            self.errors_text.clear()
            self.errors_text.hide()
            self.only_problems.setChecked(False)
            self.only_problems.hide()

    @staticmethod
    def _summary_text(name: str, preview) -> str:
        if not preview.rows:
            return f"{name} has no pupil rows."
        lines = [
            f"{name}: {preview.rows:,} pupils, no problems found. Importing will:",
            f"  • add {preview.added:,} new pupil{'' if preview.added == 1 else 's'}",
            f"  • update {preview.updated:,}",
            f"  • leave {preview.unchanged:,} unchanged",
            f"  • mark {preview.left_the_school:,} as having left the school (on roll now, not in this file)",
        ]
        if preview.left_the_school > max(10, preview.rows // 2):
            lines.append("⚠ That is a lot of leavers: if this is a partial export (say one year group), "
                         "untick the box below.")
        return "\n".join(lines)

    def _mark_left_changed(self, on: bool) -> None:
        if self.parsed is not None:
            self.preview = pupil_import.preview_import(self.ctx.session, self.parsed, mark_left=on)
            self._fill_check()
            self._show_step(self.stack.currentIndex())

    def _filter_problems(self, on: bool) -> None:
        self.preview_proxy.only_problems = on
        self.preview_proxy.invalidate()

    # -- import (GUI thread, one transaction) ---------------------------------------------------
    def run_import(self) -> None:
        if self.parsed is None or self.preview is None or not self.preview.ok:
            return
        parsed = self.parsed
        mark_left = self.mark_left.isChecked()

        def work(progress):
            return pupil_import.apply_import(
                self.ctx.session, parsed, mark_left=mark_left,
                progress=lambda done, total: progress.update(done, total, f"Importing pupils… {done:,} of {total:,}"))

        def done(summary) -> None:
            self.summary = summary
            self.ctx.data_changed.emit("pupils")
            info(self, "Import finished", f"{summary.rows:,} rows imported. {summary.line()}")
            self.accept()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, pupil_import.FileRejected):
                self.preview_model.load(self.parsed, exc.errors, is_dark(self))
            self.ctx.report_error(self, exc, "importing the pupil list")

        self.ctx.run("Importing pupils", work, done, failed, parent=self, gui_thread=True)
