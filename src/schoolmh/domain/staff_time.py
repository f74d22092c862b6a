"""Default staff time (minutes) for work recorded without a duration: whole-school activities
(function 2) by category, and MHST liaison meetings (function 3) by type.

These are starting values the form fills in, not rules: staff change them to the
time actually spent. They exist so that a school recording its whole-school work
as activities is not shown at 0% of time for function 2 against the national 24%.
A vault made before activities had a staff-time field gets these values for its
existing activities (db/migrations.py), so its history is counted the same way.
"""
from __future__ import annotations

#: activity category (domain.codes.ACTIVITY_CATEGORIES) -> minutes of staff time
ACTIVITY_MINUTES: dict[str, int] = {
    "assembly": 30,
    "workshop": 60,
    "lesson": 60,
    "staff_training": 90,
    "voice": 45,
    "parents": 60,
    "screening": 60,
    "policy": 60,
    "other": 60,
}

#: liaison meeting type (domain.codes.LIAISON_TYPES) -> minutes
LIAISON_MINUTES: dict[str, int] = {"supervision": 60, "case_discussion": 45, "planning": 60}

#: a staff consultation (advice to one member of staff)
CONSULTATION_MINUTES = 20

#: the most one record may claim (a full day's residential or training)
MAX_MINUTES = 600


def activity_minutes(category: str) -> int:
    return ACTIVITY_MINUTES.get(category, ACTIVITY_MINUTES["other"])


def liaison_minutes(meeting_type: str) -> int:
    return LIAISON_MINUTES.get(meeting_type, 60)
