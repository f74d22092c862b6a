"""Conflicts to review say whose record each is, in the lead's words (services/team/review.py)."""
from __future__ import annotations

from schoolmh.services import pupils
from schoolmh.services.team import review


def test_a_record_about_a_pupil_is_named_after_the_pupil(lead_session):
    ada = pupils.create_pupil(lead_session, legal_forename="Adaline", legal_surname="Subject", preferred_forename="Ada",
                              year_group=8)
    assert review._subject("session", {"pupil_uuid": ada.uuid}) == "Ada Subject"
    assert review._subject("session", {"pupil_uuid": "0" * 32}) == ""  # erased since: no name to give
    assert review._subject("pupil", {"legal_forename": "Bea", "legal_surname": "Row"}) == "Bea Row"
    assert review._subject("staff", {"full_name": "Pat Pastoral", "username": "pat"}) == "Pat Pastoral"
    assert review._subject("activity", {"title": "Wellbeing week"}) == "Wellbeing week"


def test_fields_are_named_in_words():
    assert review.field_label("tutor_group") == "Tutor group"
    assert review.field_label("pupil_uuid") == "Pupil"
