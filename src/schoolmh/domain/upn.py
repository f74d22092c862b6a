"""Unique Pupil Numbers (UPN): check letter, validation, demo generation.

A UPN is 13 characters: a check letter, then 12 characters that are digits, except
that a *temporary* UPN (issued while the permanent one is awaited) ends in a letter.
The check letter is computed from characters 2-13 with weights 2..13, summed, mod 23,
mapped onto ``CHECK_ALPHABET`` (the alphabet without I, O and S, which are easily
confused with 1, 0 and 5). A letter in position 13 counts as its index in that same
alphabet. Source: DfE "Unique pupil numbers (UPNs)" guidance, summarised in
/work/shared/design/DOMAIN.md ("Pupil data: formats").

Validating the check letter catches most transcription slips (one wrong digit,
two digits swapped), which is why an import rejects a wrong letter instead of
guessing: a mistyped UPN would silently split one pupil into two records.
"""
from __future__ import annotations

from schoolmh.errors import ValidationError

__all__ = [
    "CHECK_ALPHABET",
    "UPN_LENGTH",
    "upn_check_letter",
    "validate_upn",
    "is_temporary_upn",
    "make_upn",
]

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""The 23 letters a check letter (and a temporary UPN's last character) can be."""

UPN_LENGTH = 13

_DIGITS = frozenset("0123456789")  # not str.isdigit(): that accepts "²" and Arabic-Indic digits
_LETTER_VALUE = {letter: index for index, letter in enumerate(CHECK_ALPHABET)}


def upn_check_letter(digits12: str) -> str:
    """Return the check letter for characters 2-13 of a UPN.

    ``digits12`` is 12 characters: 11 digits followed by a digit or (temporary UPN)
    a letter from ``CHECK_ALPHABET``. Raises ValidationError if it is not that shape,
    so callers never get a letter computed from nonsense.
    """
    body = digits12.strip().upper()
    if len(body) != 12:
        raise ValidationError(
            f"A UPN needs 12 characters after the check letter (found {len(body)}).", "upn"
        )
    total = 0
    for weight, char in enumerate(body, start=2):
        if char in _DIGITS:
            value = ord(char) - 48
        elif weight == 13 and char in _LETTER_VALUE:
            value = _LETTER_VALUE[char]
        else:
            raise ValidationError(
                f"UPN character {weight} ({char!r}) should be a digit"
                + (" or, in a temporary UPN, a letter" if weight == 13 else "")
                + ".",
                "upn",
            )
        total += weight * value
    return CHECK_ALPHABET[total % 23]


def validate_upn(s: str) -> str:
    """Normalise (strip, uppercase) and check a UPN; return it or raise ValidationError.

    The message says which rule failed (length, characters, check letter) so that a
    member of staff can find the typo in the MIS rather than guess.
    """
    upn = s.strip().upper()
    if len(upn) != UPN_LENGTH:
        raise ValidationError(
            f"UPN should be {UPN_LENGTH} characters long (found {len(upn)}).", "upn"
        )
    first, body = upn[0], upn[1:]
    if first not in _LETTER_VALUE:
        raise ValidationError(
            f"UPN should start with a check letter (one of {CHECK_ALPHABET}), not {first!r}.",
            "upn",
        )
    bad = [c for c in body[:11] if c not in _DIGITS]
    if bad or not (body[11] in _DIGITS or body[11] in _LETTER_VALUE):
        raise ValidationError(
            "UPN has bad characters: after the first letter it should be 12 digits "
            "(the last may be a letter in a temporary UPN).",
            "upn",
        )
    expected = upn_check_letter(body)
    if first != expected:
        raise ValidationError(f"UPN check letter should be {expected}.", "upn")
    return upn


def is_temporary_upn(upn: str) -> bool:
    """True if ``upn`` is a valid *temporary* UPN (its last character is a letter).

    Invalid UPNs give False rather than raising: callers ask this about UPNs that
    were already validated, and a flag should not become a second validator.
    """
    try:
        normalised = validate_upn(upn)
    except ValidationError:
        return False
    return normalised[-1] in _LETTER_VALUE


def make_upn(n: int, la: int = 999) -> str:
    """A valid, deterministic UPN for demo and test data: pupil ``n`` of LA ``la``.

    Characters 2-4 of a real UPN are the issuing local authority's code; the default
    999 is not a real LA code, so demo UPNs cannot collide with a real pupil's.
    The same ``n`` always gives the same UPN, which keeps demo data reproducible.
    """
    if not 0 <= la <= 999:
        raise ValueError("la must be 0..999")
    if not 0 <= n < 10**9:
        raise ValueError("n must be 0..999,999,999")
    body = f"{la:03d}{n:09d}"
    return upn_check_letter(body) + body
