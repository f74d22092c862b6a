"""Several laptops in one test process: each has its own data folder and vault; one team folder.

peewee's models talk to one database at a time (db.connection.database_proxy), so a
laptop is made current before anything is done on it (`with laptop:`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schoolmh.db.connection import database_proxy
from schoolmh.services import access, audit, team, vault_admin
from support import LEAD_PASSWORD, add_staff


class Laptop:
    def __init__(self, name: str, data_dir: Path, session) -> None:
        self.name, self.data_dir, self.session = name, data_dir, session

    def __enter__(self):
        database_proxy.initialize(self.session.vault.db)
        return self.session

    def __exit__(self, *exc) -> None:
        pass

    def sync(self):
        with self as s:
            return team.sync(s)

    def close(self) -> None:
        if self.session.is_open:
            self.session.close()


def start_team(tmp_path: Path, school: str = "Oakfield Academy") -> tuple[Laptop, Path]:
    folder = tmp_path / "team-folder"
    folder.mkdir(parents=True)
    setup = access.init_school(tmp_path / "lead-laptop", school, "lead", "Alex Lead", LEAD_PASSWORD)
    lead = Laptop("Lead's laptop", tmp_path / "lead-laptop", setup.session)
    with lead as s:
        add_staff(s, "mhst1", "mhst", "Morgan Practitioner")
        add_staff(s, "pastoral1", "pastoral", "Pat Pastoral")
        team.init_team(s, folder, "Lead's laptop")
    return lead, folder


def add_and_join(tmp_path: Path, inviter: Laptop, name: str, scope: str = "school",
                 username: str = "lead", password: str = LEAD_PASSWORD) -> Laptop:
    enrol = tmp_path / f"{name}.smhjoin"
    with inviter as s:
        code = team.add_laptop(s, name, scope, enrol)
    data_dir = tmp_path / name.replace(" ", "-")
    session = team.join(data_dir, enrol, code, username, password)
    return Laptop(name, data_dir, session)


def add_sessions(session, count: int, pupils_count: int = 5, tag: str = "Bulk") -> int:
    """A busy stretch on one laptop: `count` sessions for a few new pupils, inserted in one transaction
    (captured by the triggers like any other change). Returns how many records were added."""
    import datetime as dt

    from schoolmh.db.models.core import Staff
    from schoolmh.db.models.records import Session as SessionRow
    from schoolmh.services import pupils

    made = [pupils.create_pupil(session, legal_forename=f"{tag}{i}", legal_surname="Pupil", year_group=8).uuid
            for i in range(pupils_count)]
    from schoolmh.db.models.records import Pupil

    ids = [p.id for p in Pupil.select(Pupil.id).where(Pupil.uuid.in_(made))]
    staff = Staff.select(Staff.id).first().id
    rows = [dict(pupil=ids[i % len(ids)], staff=staff, date=dt.date(2026, 1, 5) + dt.timedelta(days=i % 60),
                 note=f"{tag} session {i}") for i in range(count)]
    with session.transaction():
        for i in range(0, len(rows), 500):
            SessionRow.insert_many(rows[i:i + 500]).execute()
    return count + pupils_count


@contextmanager
def lead_and_laptop(tmp_path: Path, name: str) -> Iterator[tuple[Laptop, Laptop, Path]]:
    """A team started on the lead's laptop and one more laptop joined by the lead: (lead, other, team folder),
    both closed afterwards."""
    lead, folder = start_team(tmp_path)
    other = add_and_join(tmp_path, lead, name)
    try:
        yield lead, other, folder
    finally:
        other.close()
        lead.close()


def verify_as_lead(data_dir: Path) -> audit.VerifyResult:
    """`audit verify` on a laptop's vault as the lead runs it (the lead's slot is on every laptop)."""
    session = access.sign_in(data_dir, "lead", LEAD_PASSWORD)
    try:
        return vault_admin.verify_audit(session)
    finally:
        session.close()
