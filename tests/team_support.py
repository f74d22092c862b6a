"""Several laptops in one test process: each has its own data folder and vault; one team folder.

peewee's models talk to one database at a time (db.connection.database_proxy), so a
laptop is made current before anything is done on it (`with laptop:`).
"""
from __future__ import annotations

from pathlib import Path

from schoolmh.db.connection import database_proxy
from schoolmh.services import access, team
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
