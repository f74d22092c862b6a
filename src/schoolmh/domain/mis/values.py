"""Parsing one cell of an MIS export into the value SchoolMH stores, or a message saying why not.

Coded columns (sex, year group, ethnicity, SEN provision, primary need and the
yes/no flags) also accept the code and its description in one cell, as SIMS
prints them: "K - SEN Support", "WBRI - White - British", "ASD: Autistic Spectrum
Disorder", "APKN (Pakistani)". A valid code wins; otherwise the whole cell, then
the description, is read as the column's usual text. A code from an older code
set (S statement, A/P school action) is refused with what it means today, never
guessed into a current one.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Collection

from schoolmh.domain.upn import validate_upn
from schoolmh.errors import ValidationError

from .dfe_codes import (
    ETHNICITY_MAIN_CODES,
    PRIMARY_NEED_CODES,
    LegacyCode,
    ethnicity_main_code,
    primary_need_code,
    sen_provision_code,
)
from .fields import CANONICAL_FIELDS, MAX_TEXT_LENGTH, _key
from .results import _FieldError

__all__ = ["PARSERS", "parse_coded", "code_in_cell"]

_BOOLEANS = {
    "": False, "y": True, "yes": True, "true": True, "t": True, "1": True,
    "n": False, "no": False, "false": False, "f": False, "0": False,
}

_SEX = {"m": "M", "male": "M", "f": "F", "female": "F"}

_YEAR_WORDS = {
    "r": 0, "reception": 0, "rec": 0, "n1": -2, "n2": -1, "nursery1": -2, "nursery2": -1,
}
_YEAR_PREFIXES = ("nationalcurriculumyear", "ncyear", "yeargroup", "year", "yr", "y")
_YEAR_NUMBER = re.compile(r"(\d{1,2})(?:\.0+)?", re.ASCII)

_DMY = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII
)
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII
)


# --- value parsers ----------------------------------------------------------------------
def _shown(text: str) -> str:
    """The offending value, quoted and shortened, for an error message."""
    return f"“{text[:30]}…”" if len(text) > 30 else f"“{text}”"


def _parse_text(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise _FieldError(
            f"too long ({len(text)} characters, at most {MAX_TEXT_LENGTH}): is this the right column?"
        )
    return text


def _parse_upn(text: str) -> str:
    if not text:
        return ""
    try:
        return validate_upn(text)
    except ValidationError as exc:
        raise _FieldError(exc.message.rstrip(".")) from None


def _parse_date(text: str) -> dt.date | None:
    """dd/mm/yyyy (UK order, as all three MIS export) or ISO yyyy-mm-dd.

    US order is never tried: 03/04/2012 is 3 April. Two-digit years are refused
    rather than guessed.
    """
    if not text:
        return None
    m = _DMY.fullmatch(text)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _ISO.fullmatch(text)
        if not m:
            raise _FieldError(f"{_shown(text)} is not a date: use dd/mm/yyyy")
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise _FieldError(f"{_shown(text)} is not a real date") from None
    if value > dt.date.today():
        raise _FieldError(f"date of birth {value:%d/%m/%Y} is in the future")
    if value.year < 1900:
        raise _FieldError(f"date of birth {value:%d/%m/%Y} is too early")
    return value


def _parse_bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.casefold()]
    except KeyError:
        raise _FieldError(f"should be Y or N, not {_shown(text)}") from None


def _parse_year_group(text: str) -> int | None:
    """National Curriculum year: "7", "07", "Year 7", "Y7", "R"/"Reception" (0), "N1"/"N2".

    A bare number must be a plain number ("-1" is refused, not read as 1).
    """
    if not text:
        return None
    m = _YEAR_NUMBER.fullmatch(text)
    if m:
        number: int | None = int(m[1])
    else:
        compact = _key(text)
        prefixed = False
        for prefix in _YEAR_PREFIXES:
            if compact.startswith(prefix) and len(compact) > len(prefix):
                compact, prefixed = compact[len(prefix):], True
                break
        if compact in _YEAR_WORDS:
            return _YEAR_WORDS[compact]
        number = (
            int(compact)
            if prefixed and compact.isascii() and compact.isdigit() and len(compact) <= 2
            else None
        )
    if number is not None and 0 <= number <= 14:
        return number
    raise _FieldError(f"{_shown(text)} is not a year group (use 1-14, R, N1 or N2)")


def _parse_sex(text: str) -> str:
    mapped = _SEX.get(text.casefold())
    if mapped:
        return mapped
    if len(text) > 20:
        raise _FieldError(f"{_shown(text)} is too long for sex (use M or F)")
    return text

def _parse_ethnicity(text: str) -> str:
    if not text:
        return ""
    main = ethnicity_main_code(text)
    if main:
        return main
    code = text.upper()
    if len(code) > 4 and code[:4] in ETHNICITY_MAIN_CODES and code.isalnum():
        # A longer local extension of a main code, e.g. "WBRIX".
        return code[:4]
    raise _FieldError(f"{_shown(text)} is not a DfE ethnicity code (e.g. WBRI, AIND, BAFR)")


def _looked_up(lookup: Callable[[str], str | None], text: str, refused: str) -> str:
    """``lookup(text)``, or a _FieldError ending in ``refused``; a legacy code's own message."""
    try:
        code = lookup(text)
    except LegacyCode as exc:
        raise _LegacyFieldError(str(exc)) from None
    if code is None:
        raise _FieldError(f"{_shown(text)} {refused}")
    return code


def _parse_sen_provision(text: str) -> str:
    return _looked_up(sen_provision_code, text,
                      "is not a SEN provision: use E (EHC plan), K (SEN support) or N (none)")


def _parse_primary_need(text: str) -> str:
    if not text:
        return ""
    return _looked_up(primary_need_code, text, f"is not a primary need code ({', '.join(PRIMARY_NEED_CODES)})")


class _LegacyFieldError(_FieldError):
    """An old code: the message says what it means now; never retried as a description."""


_CODE_AND_DESCRIPTION = re.compile(r"([A-Za-z0-9_]{1,16})\s*(?:[-\u2013\u2014:]\s*(.*)|\((.*)\))", re.DOTALL)


def parse_coded(parse: Callable[[str], object], text: str) -> object:
    """``parse`` applied to a cell that may hold "CODE - description" (see the module docstring).

    Tries the code, then the whole cell, then the description; the error is the
    whole cell's. Raises the parser's error (a legacy code's at once).
    """
    match = _CODE_AND_DESCRIPTION.fullmatch(text)
    if match is None:
        return parse(text)
    code, description = match[1], (match[2] if match[2] is not None else match[3] or "").strip()
    try:
        return parse(code)
    except _LegacyFieldError:
        raise
    except _FieldError:
        pass
    try:
        return parse(text)
    except _LegacyFieldError:
        raise
    except _FieldError as whole:
        if description:
            try:
                return parse(description)
            except _LegacyFieldError:
                raise
            except _FieldError:
                pass
        raise whole from None


def code_in_cell(text: str, codes: Collection[str]) -> str:
    """The code of a "CODE - description" cell when CODE (any case) is one of ``codes``, else ``text``.

    For files whose columns take a fixed set of codes (the sessions import's type,
    mode, attendance): the caller checks the result as it checks any cell.
    """
    match = _CODE_AND_DESCRIPTION.fullmatch(text.strip())
    if match is not None:
        by_key = {code.casefold(): code for code in codes}
        if match[1].casefold() in by_key:
            return by_key[match[1].casefold()]
    return text


def _coded(parse: Callable[[str], object]) -> Callable[[str], object]:
    return lambda text: parse_coded(parse, text)


PARSERS: dict[str, Callable[[str], object]] = {
    "upn": _parse_upn,
    "legal_surname": _parse_text,
    "legal_forename": _parse_text,
    "preferred_forename": _parse_text,
    "preferred_surname": _parse_text,
    "dob": _parse_date,
    "sex": _coded(_parse_sex),
    "year_group": _coded(_parse_year_group),
    "tutor_group": _parse_text,
    "ethnicity": _coded(_parse_ethnicity),
    "sen_provision": _coded(_parse_sen_provision),
    "primary_need": _coded(_parse_primary_need),
    "first_language": _parse_text,
    "eal": _coded(_parse_bool),
    "fsm": _coded(_parse_bool),
    "pupil_premium": _coded(_parse_bool),
    "looked_after": _coded(_parse_bool),
    "young_carer": _coded(_parse_bool),
    "service_child": _coded(_parse_bool),
}
if set(PARSERS) != set(CANONICAL_FIELDS):
    raise ValueError("every canonical field needs a parser")
