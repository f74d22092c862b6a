"""Several laptops of one school sharing records through a team folder, with no server (docs/TEAM.md).

Pure Python (no Qt). The parts: hlc (clock), records (rows as they travel), changes (what
to send), bundle (the file format), folder (the shared folder), merge (the rules),
slots (accounts' key slots), control (who is in the team), keys (the cryptography),
enrol (set-up and joining), remove (removing a laptop), sync (one exchange), review
(status and conflicts).
"""
from schoolmh.services.team.enrol import add_laptop, init_team, join, read_enrolment  # noqa: F401
from schoolmh.services.team.remove import remove_laptop  # noqa: F401
from schoolmh.services.team.review import ConflictInfo, TeamStatus, conflicts, conflicts_text, resolve, status  # noqa: F401
from schoolmh.services.team.exchange import SyncReport, TeamError, sync  # noqa: F401
