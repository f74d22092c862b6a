"""Admin → Team: the laptops sharing this school's records, changes waiting, conflicts to review.

Every exchange runs on a worker thread with its own database connection
(services/team/background.py): *Exchange now* through ctx.run behind a progress dialog, the
automatic ones through TeamSyncer (at the end), which also stops them all at lock. Settling a conflict is one click: "Keep this one" writes the other version
as a new change that reaches every laptop; "Keep current" closes the conflict everywhere.
"""
from __future__ import annotations

import queue
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from schoolmh.ui.context import AppContext
from schoolmh.ui.models.table_model import Column, RowTableModel, SortProxy
from schoolmh.ui.widgets.common import FormErrorLabel, confirm, fit_columns, list_view

SCOPES = (("school", "Whole school"), ("mhst", "Only pupils shared with the MHST"))
LAPTOP_COLUMNS = [
    Column("Laptop", lambda l: l.name + (" (this laptop)" if l.this_laptop else "")),
    Column("Scope", lambda l: dict(SCOPES)[l.scope]),
    Column("Last exchange", lambda l: "removed" if l.removed else l.last_exchange),
]
CONFLICT_COLUMNS = [
    Column("Record", lambda c: c.kind),
    Column("Whose", lambda c: c.subject or "—"),
    Column("Other version made", lambda c: c.other_version),
    Column("Differences (kept → other)", lambda c: "; ".join(f"{n}: {k or '—'} → {o or '—'}" for n, k, o in c.differences)),
]


def _buddy(text: str, widget: QWidget) -> QLabel:
    """A form label whose &-key focuses `widget` (a row holding a layout gets no buddy by itself)."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


class AddLaptopDialog(QDialog):
    """Name, scope and where to write the enrolment file; the code is shown after, once."""

    def __init__(self, parent: QWidget | None = None, team_folder: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a laptop")
        self.team_folder = team_folder
        self.name = QLineEdit()
        self.name.setAccessibleName("Laptop name")
        self.name.setPlaceholderText("e.g. Pastoral office")
        self.scope = QComboBox()
        self.scope.setAccessibleName("Scope")
        for code, label in SCOPES:
            self.scope.addItem(label, code)
        self.path = QLineEdit()
        self.path.setAccessibleName("Enrolment file")
        browse = QPushButton("&Browse…")
        browse.setAutoDefault(False)  # Enter writes the file; it never opens the file chooser
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Scope:", self.scope)
        form.addRow(_buddy("Enrolment &file:", self.path), row)
        self.error_label = FormErrorLabel()
        buttons = QDialogButtonBox()
        self.write_button = buttons.addButton("&Write enrolment file", QDialogButtonBox.ButtonRole.AcceptRole)
        self.write_button.setDefault(True)
        buttons.addButton("&Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        for button in buttons.buttons():
            button.setAutoDefault(False)
        self.write_button.setDefault(True)
        # The file goes into the team folder unless the lead chooses elsewhere: the new laptop finds the
        # folder beside it, and the join deletes it once used.
        self._suggested = ""
        self.name.textChanged.connect(self._suggest_path)

    def _suggest_path(self) -> None:
        if not self.team_folder or self.path.text() not in ("", self._suggested):
            return  # the lead typed or chose a path: keep it
        words = self.name.text().lower().replace("'", "").replace("\u2019", "")  # "Head's laptop" -> heads-laptop
        slug = "-".join("".join(c if c.isalnum() else " " for c in words).split())
        self._suggested = str(Path(self.team_folder) / f"{slug or 'laptop'}.smhjoin") if self.name.text().strip() else ""
        self.path.setText(self._suggested)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the enrolment file", self.path.text(), "Enrolment files (*.smhjoin)")
        if path:
            self.path.setText(path)

    def values(self) -> tuple[str, str, Path]:
        return self.name.text().strip(), self.scope.currentData(), Path(self.path.text().strip())

    def accept(self) -> None:
        if not self.name.text().strip() or not self.path.text().strip():
            self.error_label.show_error("Give the laptop a name and choose where to write the enrolment file.")
            return
        super().accept()


class CodeDialog(QDialog):
    def __init__(self, code: str, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("One-time code")
        text = QLabel(f"Enrolment file written to {path}.\nOn the new laptop, choose “Join my school's SchoolMH”, "
                      "pick the file and type this code. It is shown only now.")
        text.setWordWrap(True)
        self.code = QLabel(code)
        self.code.setObjectName("teamCode")
        self.code.setAccessibleName("One-time code")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.code.setFont(font)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.code)
        layout.addWidget(buttons)


class TeamTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.summary = QLabel()
        self.summary.setObjectName("teamSummary")
        self.summary.setWordWrap(True)
        self.start_button = QPushButton("&Start a team…")
        self.sync_button = QPushButton("E&xchange now")
        self.add_button = QPushButton("&Add a laptop…")
        self.remove_button = QPushButton("Re&move laptop…")
        self.start_button.clicked.connect(lambda: self.start())  # clicked(bool) must not arrive as the folder
        self.sync_button.clicked.connect(self.sync_now)
        self.add_button.clicked.connect(lambda: self.add_laptop())  # …nor as the dialog
        self.remove_button.clicked.connect(self.remove_laptop)
        self.laptops = RowTableModel(LAPTOP_COLUMNS, key=lambda l: l.name, parent=self)
        self.laptop_view = list_view(SortProxy(self.laptops, self), "Laptops in the team")
        self.laptop_view.setObjectName("teamLaptops")
        self.conflicts = RowTableModel(CONFLICT_COLUMNS, key=lambda c: c.id, parent=self)
        self.conflict_proxy = SortProxy(self.conflicts, self)
        self.conflict_view = list_view(self.conflict_proxy, "Conflicts to review")
        self.conflict_view.setObjectName("teamConflicts")
        self.conflict_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.keep_other = QPushButton("Keep t&his one")  # Alt+T: the Settings tab
        self.keep_other.setToolTip("Replace the kept version with the one listed; the choice reaches every laptop.")
        self.keep_current = QPushButton("Keep cu&rrent")  # Alt+C: Account
        self.keep_other.clicked.connect(lambda: self.resolve(True))
        self.keep_current.clicked.connect(lambda: self.resolve(False))
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setAccessibleName("Problems with bundles")
        self.problems.setMaximumHeight(90)
        self.problems.setPlaceholderText("Bundles refused or waiting are listed here.")

        top = QHBoxLayout()
        for b in (self.start_button, self.sync_button, self.add_button, self.remove_button):
            top.addWidget(b)
        top.addStretch(1)
        decide = QHBoxLayout()
        decide.addWidget(QLabel("Conflicts to review:"))
        decide.addStretch(1)
        decide.addWidget(self.keep_other)
        decide.addWidget(self.keep_current)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        layout.addWidget(self.laptop_view, 1)
        layout.addLayout(decide)
        layout.addWidget(self.conflict_view, 1)
        layout.addWidget(self.problems)
        self.conflict_view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self._in_team = False

    # -- showing ------------------------------------------------------------------------------
    def refresh(self) -> None:
        from schoolmh.services import team

        status = team.status(self.ctx.session)
        self._in_team = status.in_team
        if not status.in_team:
            self.summary.setText("This laptop is not sharing records with others. Start a team to choose a team folder "
                                 "(a network share, a synced folder or a USB stick) that every laptop can reach.")
            self.laptops.set_rows([])
            self.conflicts.set_rows([])
        else:
            self.summary.setText(f"<b>{status.summary}</b> — {status.laptop_name} ({dict(SCOPES)[status.scope].lower()}), "
                                 f"team folder {status.folder}. {team.conflicts_text(status.conflicts).capitalize()}.")
            self.laptops.set_rows(status.laptops)
            fit_columns(self.laptop_view)
            self.conflicts.set_rows(team.conflicts(self.ctx.session))
        self.problems.setPlainText("\n".join(status.problems))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.start_button.setEnabled(not self._in_team)
        for b in (self.sync_button, self.add_button, self.remove_button):
            b.setEnabled(self._in_team)
        chosen = self.conflict_proxy.row_at(self.conflict_view.currentIndex()) is not None
        self.keep_other.setEnabled(chosen)
        self.keep_current.setEnabled(chosen)

    # -- doing --------------------------------------------------------------------------------
    def start(self) -> None:
        from schoolmh.services import team

        folder = QFileDialog.getExistingDirectory(self, "Choose the team folder")
        if not folder:
            return
        try:
            team.init_team(self.ctx.session, Path(folder))
        except Exception as exc:
            self.ctx.report_error(self, exc, "starting the team")
        self.refresh()

    def sync_now(self) -> None:
        """The same exchange as the automatic ones, on a worker thread behind a progress dialog."""
        from schoolmh.services.team import background
        from schoolmh.services.team.exchange import TeamError

        job = background.Exchange(self.ctx.session)

        def done(outcome) -> None:
            self.refresh()
            self.ctx.data_changed.emit("team")
            problem = outcome.error or (TeamError(outcome.unreachable) if outcome.unreachable else None)
            if problem is not None:
                self.ctx.report_error(self, problem, "exchanging with the team folder")

        self.ctx.run("Exchanging with the team folder", lambda progress: job.run(), done, parent=self)

    def add_laptop(self) -> None:
        from schoolmh.services import team

        dialog = AddLaptopDialog(self, team.status(self.ctx.session).folder)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, scope, path = dialog.values()
        try:
            code = team.add_laptop(self.ctx.session, name, scope, path)
        except Exception as exc:
            self.ctx.report_error(self, exc, "adding a laptop")
            return
        self.refresh()
        self.code_dialog = CodeDialog(code, path, self)
        self.code_dialog.open()

    def remove_laptop(self) -> None:
        from schoolmh.services import team

        row = self.laptop_view.model().row_at(self.laptop_view.currentIndex())
        if row is None or row.this_laptop or row.removed:
            return
        if not confirm(self, "Remove laptop", f"Remove “{row.name}” from the team? Its later changes will be refused "
                       "and the team's keys replaced, so it cannot read anything written from now on."):
            return
        try:
            team.remove_laptop(self.ctx.session, row.name)
        except Exception as exc:
            self.ctx.report_error(self, exc, "removing the laptop")
        self.refresh()

    def resolve(self, keep_other: bool) -> None:
        from schoolmh.services import team

        row = self.conflict_proxy.row_at(self.conflict_view.currentIndex())
        if row is None:
            return
        try:
            team.resolve(self.ctx.session, row.id, keep_other)
        except Exception as exc:
            self.ctx.report_error(self, exc, "settling the conflict")
        self.refresh()
        self.ctx.data_changed.emit("team")


# -- first run: "Join my school's SchoolMH" ---------------------------------------------------------
class JoinPage(QWizardPage):
    """The first-run wizard's other way: this laptop joins a school that already uses SchoolMH.

    The person types the enrolment file's one-time code and their own user name and password;
    the school (or its MHST scope) then arrives from the team folder.
    """

    def __init__(self, wizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("Join my school's SchoolMH")
        self.setSubTitle("Your lead added this laptop to the school's team and gave you an enrolment file and a one-time code.")
        self.path = QLineEdit()
        self.path.setObjectName("joinFile")
        self.path.setAccessibleName("Enrolment file")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.code = QLineEdit()
        self.code.setObjectName("joinCode")
        self.code.setAccessibleName("One-time code")
        self.code.setPlaceholderText("e.g. 7KQ2-M9XD-4TRB-HW3N-E8")
        self.username = QLineEdit()
        self.username.setObjectName("joinUser")
        self.username.setAccessibleName("Your user name")
        self.password = QLineEdit()
        self.password.setObjectName("joinPassword")
        self.password.setAccessibleName("Your password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(_buddy("Enrolment &file:", self.path), row)
        form.addRow("One-time &code:", self.code)
        form.addRow("Your &user name:", self.username)
        form.addRow("Your &password:", self.password)
        self.error = FormErrorLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the enrolment file", self.path.text(), "Enrolment files (*.smhjoin)")
        if path:
            self.path.setText(path)

    def nextId(self) -> int:  # noqa: N802 - Qt override: joining ends the wizard
        return -1

    def validatePage(self) -> bool:  # noqa: N802
        from schoolmh.errors import SchoolMHError
        from schoolmh.services import team

        if not all(w.text().strip() for w in (self.path, self.code, self.username)) or not self.password.text():
            self.error.show_error("Choose the enrolment file and fill in the code, your user name and your password.")
            return False
        try:
            session = team.join(self.wizard_.ctx.data_dir, Path(self.path.text().strip()), self.code.text(),
                                self.username.text().strip(), self.password.text())
        except SchoolMHError as exc:
            self.error.show_error(exc.message)
            return False
        except Exception as exc:
            from schoolmh.ui.widgets.common import report_error

            report_error(self, exc, "joining the school's team")
            return False
        finally:
            self.password.clear()
        self.wizard_.session = session
        self.wizard_.joined = True
        return True


def add_join_entry(wizard) -> None:
    """Registers the join page and a button on the wizard's first page that starts there instead."""
    wizard.join_page = JoinPage(wizard)
    join_id = wizard.addPage(wizard.join_page)
    button = QPushButton("&Join my school's SchoolMH…")
    button.setObjectName("joinSchool")
    button.setToolTip("Another laptop of your school already uses SchoolMH and your lead gave you an enrolment file.")

    def go() -> None:
        wizard.setStartId(join_id)
        wizard.restart()

    button.clicked.connect(go)
    wizard.school_page.layout().addWidget(button)


# -- exchanging in the background ----------------------------------------------------------------------
class TeamSyncer(QObject):
    """Exchanges with the team folder at sign-in, every few minutes, and at lock; shows the state in the status bar.

    Each exchange runs wholly on a worker thread (services/team/background.py): reading the
    folder, applying what arrived on the worker's own database connection, one transaction per
    bundle, packing this laptop's changes into its outbox, publishing the outbox. This thread
    only gets the outcome, through a queue it polls, to refresh the label and tell the pages.
    At lock the worker is stopped (waiting for the bundle being applied, if any, never for the
    folder), the last changes are packed into the outbox here (local disk) and the outbox is
    published by a daemon thread that needs neither the key nor the database.
    """

    INTERVAL_MS = 5 * 60 * 1000
    POLL_MS = 50

    def __init__(self, ctx: AppContext, bar) -> None:
        super().__init__(bar)
        import weakref

        self._ctx = weakref.ref(ctx)  # the window owns the context; this must not keep it (and its vault) alive
        self.label = QLabel(bar)
        self.label.setObjectName("teamStatus")
        self.label.setAccessibleName("Team sync")
        bar.addPermanentWidget(self.label)
        self.label.hide()
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.exchange)
        # A child timer, not QTimer.singleShot(0, bound method): it dies with this object, so a
        # window closed before it fires leaves nothing to call into a deleted object.
        self.kick = QTimer(self)
        self.kick.setSingleShot(True)
        self.kick.timeout.connect(self.exchange)
        # The worker hands its outcome over through a queue the GUI thread polls while it waits.
        self.results: queue.Queue = queue.Queue()
        self.poll = QTimer(self)
        self.poll.setInterval(self.POLL_MS)
        self.poll.timeout.connect(self._collect)
        self.current = None  # the background.Exchange under way
        self.publisher = None  # the thread publishing the outbox after a lock
        ctx.data_changed.connect(self._data_changed)  # "1 change to send" as soon as something is saved

    @property
    def busy(self) -> bool:
        return self.current is not None

    def started(self) -> None:
        self.timer.start()
        self.kick.start(0)

    @property
    def ctx(self):
        return self._ctx()

    def _session(self):
        ctx = self.ctx
        session = ctx.session if ctx is not None else None
        return session if session is not None and session.is_open else None

    def exchange(self) -> None:
        """Start an exchange on a worker thread (nothing happens when one is under way)."""
        import threading

        from schoolmh.services.team import background

        session = self._session()
        if session is None or self.current is not None:
            return
        job = self.current = background.Exchange(session)

        def work() -> None:
            self.results.put((job, job.run()))

        threading.Thread(target=work, name="team-exchange", daemon=True).start()
        self.poll.start()

    def _collect(self) -> None:
        try:
            job, outcome = self.results.get_nowait()
        except queue.Empty:
            return
        if job is not self.current:
            return  # an exchange stopped by a lock
        self.current = None
        self.poll.stop()
        session = self._session()
        if session is not job.session:
            return  # locked (or signed in again) meanwhile: the next exchange starts afresh
        if outcome.error is not None:
            from schoolmh.logs import log_exception

            log_exception(outcome.error, "team exchange")
        if outcome.report.applied:
            self.ctx.data_changed.emit("team")
        if outcome.in_team:
            self._show(session)
        else:
            self.label.hide()

    def _data_changed(self, _kind: str = "") -> None:
        session = self._session()
        if session is not None and self.label.isVisible():
            self._show(session)

    def _show(self, session) -> None:
        from schoolmh.services import team

        self.label.setText("Team: " + team.status(session).summary)
        self.label.show()

    def stopping(self) -> None:
        """At lock or quit, before the session closes: stop the worker, pack the last changes, publish them after."""
        from schoolmh.services import team
        from schoolmh.services.team import background, exchange

        self.timer.stop()
        self.kick.stop()
        self.poll.stop()
        self.current = None
        session = self._session()
        if session is not None:
            # Every exchange on this vault (this one's, an Exchange now): the bundle being applied, if any;
            # never the team folder.
            background.stop_all(session)
            try:
                status = team.status(session)
                if status.in_team and not status.removed:
                    exchange.write_outbox(session)  # local disk: fast, whatever the folder is doing
                    self.publisher = background.publish_in_background(exchange.folder_view(session))
            except Exception as exc:  # noqa: BLE001 - the changes stay marked; the next sign-in sends them
                from schoolmh.logs import log_exception

                log_exception(exc, "team exchange at lock")
        self.label.hide()

    def wait_for_publishing(self, seconds: float) -> None:
        """At quit: give the publication started at lock a moment (it is a daemon thread; the next start retries)."""
        if self.publisher is not None:
            self.publisher.join(seconds)


def screenshots(app, out: Path, save, settle) -> None:
    """For `make screenshots`: the Team tab with two laptops and a conflict, and the wizard's join step.

    Everything lives in a throwaway folder with fictional names."""
    import tempfile

    from schoolmh.services import access, pupils, team
    from schoolmh.ui.context import AppContext
    from schoolmh.ui.first_run import FirstRunWizard
    from schoolmh.ui.pages.admin import AdminPage

    password = "a sentence is easy to remember"
    with tempfile.TemporaryDirectory(prefix="schoolmh-team-") as tmp:
        root = Path(tmp)
        (root / "team").mkdir()
        lead = access.init_school(root / "lead", "Demo Academy (fictional)", "m.ellis", "Morgan Ellis", password).session
        uuid = pupils.create_pupil(lead, legal_forename="Ada", legal_surname="Example", year_group=8).uuid
        team.init_team(lead, root / "team", "Lead's laptop")
        code = team.add_laptop(lead, "Pastoral office", "school", root / "office.smhjoin")
        team.add_laptop(lead, "MHST practitioner", "mhst", root / "mhst.smhjoin")
        office = team.join(root / "office", root / "office.smhjoin", code, "m.ellis", password)
        pupils.update_pupil(office, uuid, tutor_group="8B")
        team.sync(office)
        office.close()
        lead.make_current()
        pupils.update_pupil(lead, uuid, tutor_group="8C")
        team.sync(lead)
        ctx = AppContext(root / "lead")
        ctx.set_session(lead)
        page = AdminPage(ctx)
        page.resize(1000, 640)
        page.tabs.setCurrentWidget(page.team)
        page.show()
        page.refresh()
        page.team.conflict_view.setCurrentIndex(page.team.conflict_proxy.index(0, 0))
        settle(app, 200)
        save(page, out, "team_page")
        page.close()
        lead.close()

        wizard = FirstRunWizard(AppContext(root / "new"))
        wizard.resize(760, 560)
        wizard.show()
        wizard.setStartId(wizard.pageIds()[-1])
        wizard.restart()
        join = wizard.join_page
        join.path.setText(str(Path.home() / "SchoolMH team" / "head.smhjoin"))
        join.code.setText("7KQ2-M9XD-4TRB-HW3N-E8")
        join.username.setText("j.head")
        settle(app, 150)
        save(wizard, out, "first_run_join")
        wizard.close()
