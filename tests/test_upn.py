"""UPN check letters, validation and demo generation (DOMAIN.md "Pupil data: formats")."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schoolmh.domain.upn import (
    CHECK_ALPHABET,
    is_temporary_upn,
    make_upn,
    upn_check_letter,
    validate_upn,
)
from schoolmh.errors import ValidationError


def test_check_letter_worked_example_permanent() -> None:
    # Characters 2-13 = 8 2 0 4 0 0 1 1 2 0 0 3, weights 2..13:
    #   8*2 + 2*3 + 0*4 + 4*5 + 0*6 + 0*7 + 1*8 + 1*9 + 2*10 + 0*11 + 0*12 + 3*13
    #   = 16 + 6 + 0 + 20 + 0 + 0 + 8 + 9 + 20 + 0 + 0 + 39 = 118
    # 118 mod 23 = 118 - 5*23 = 3 -> CHECK_ALPHABET[3] = "D"
    assert upn_check_letter("820400112003") == "D"
    assert validate_upn("D820400112003") == "D820400112003"


def test_check_letter_worked_example_demo_la() -> None:
    # 9 9 9 0 0 0 0 0 0 0 0 1: 9*2 + 9*3 + 9*4 + 1*13 = 18 + 27 + 36 + 13 = 94
    # 94 mod 23 = 94 - 4*23 = 2 -> "C"
    assert upn_check_letter("999000000001") == "C"
    assert make_upn(1) == "C999000000001"


def test_check_letter_worked_example_temporary() -> None:
    # Temporary UPN: the last character "B" counts as its index in ABCDEFGHJKLMNPQRTUVWXYZ = 1.
    # Same first 11 digits as above (sum 118 - 3*13 = 79), plus 1*13 = 92; 92 mod 23 = 0 -> "A"
    assert upn_check_letter("82040011200B") == "A"
    assert validate_upn("A82040011200B") == "A82040011200B"
    assert is_temporary_upn("A82040011200B")
    assert not is_temporary_upn("D820400112003")


def test_normalises_case_and_surrounding_space() -> None:
    assert validate_upn("  d820400112003\t") == "D820400112003"
    assert validate_upn("a82040011200b") == "A82040011200B"


@pytest.mark.parametrize(
    ("upn", "reason"),
    [
        ("D82040011200", "13 characters"),
        ("D8204001120034", "13 characters"),
        ("", "13 characters"),
        ("1820400112003", "check letter"),  # first character not a letter
        ("I820400112003", "check letter"),  # I is not in the check alphabet
        ("D8204001X2003", "bad characters"),
        ("D82040011200I", "bad characters"),  # I cannot be a temporary UPN letter either
        ("D82040011200²", "bad characters"),  # str.isdigit() would have accepted this
        ("E820400112003", "check letter should be D"),
        ("D820400112030", "check letter should be"),  # two digits swapped
    ],
)
def test_invalid_upns_say_why(upn: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_upn(upn)
    assert reason in caught.value.message
    assert caught.value.field == "upn"


def test_swapped_digits_detected() -> None:
    # The weighting exists to catch transpositions: swapping adjacent digits a, b at
    # weights w, w+1 changes the sum by a*w + b*(w+1) - (b*w + a*(w+1)) = b - a,
    # which is never 0 mod 23 when a != b. Here 0 and 3 at weights 12, 13: change 3.
    assert upn_check_letter("820400112030") != upn_check_letter("820400112003")


def test_is_temporary_upn_is_false_for_invalid() -> None:
    assert not is_temporary_upn("nonsense")
    assert not is_temporary_upn("B82040011200B")  # wrong check letter


def test_check_letter_rejects_wrong_shape() -> None:
    with pytest.raises(ValidationError):
        upn_check_letter("12345")
    with pytest.raises(ValidationError):
        upn_check_letter("B20400112003")  # a letter is only allowed in the last place


def test_make_upn_is_deterministic_and_valid() -> None:
    seen = {make_upn(n) for n in range(500)}
    assert len(seen) == 500
    for upn in seen:
        assert validate_upn(upn) == upn
        assert upn[1:4] == "999"
        assert not is_temporary_upn(upn)
    assert make_upn(42, la=201)[1:4] == "201"
    assert make_upn(42) == make_upn(42)
    with pytest.raises(ValueError):
        make_upn(-1)
    with pytest.raises(ValueError):
        make_upn(1, la=1000)


@given(st.integers(min_value=0, max_value=10**9 - 1), st.integers(min_value=0, max_value=999))
def test_any_generated_upn_validates_and_every_other_letter_fails(n: int, la: int) -> None:
    upn = make_upn(n, la)
    assert validate_upn(upn) == upn
    wrong = next(c for c in CHECK_ALPHABET if c != upn[0])
    with pytest.raises(ValidationError):
        validate_upn(wrong + upn[1:])


@given(st.text(max_size=20))
def test_validate_upn_raises_only_validation_error(text: str) -> None:
    try:
        result = validate_upn(text)
    except ValidationError:
        return
    assert len(result) == 13
