"""Which column of the file is which field: the usual headers, and the user's ``--map`` choices."""
from __future__ import annotations

from typing import Mapping, Sequence

from schoolmh.errors import ValidationError

from .fields import _ALIASES, _FIELD_BY_KEY, _FORENAME_FIELDS, _SURNAME_FIELDS, CANONICAL_FIELDS, IGNORE, _key
from .results import RowError

__all__ = ["guess_mapping", "validate_mapping", "parse_map_option"]


def guess_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Recognise the usual MIS headers: {their header: canonical field}.

    Matching ignores case, spaces and punctuation. Each field gets at most one column
    (the best alias, then the leftmost); a header text repeated in the file counts once.
    The result is in column order, which is the order a wizard should show it in.
    """
    best: dict[str, tuple[int, int, str]] = {}
    seen: set[str] = set()
    for index, raw in enumerate(headers):
        text = raw.strip()
        if not text or text in seen:
            continue
        seen.add(text)
        hit = _ALIASES.get(_key(text))
        if hit is None:
            continue
        name, priority = hit
        if name not in best or priority < best[name][0]:
            best[name] = (priority, index, text)
    ordered = sorted(best.items(), key=lambda item: item[1][1])
    return {text: name for name, (_, _, text) in ordered}


def validate_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """Check a user mapping {their header: field}; return it with field names normalised.

    Targets are field names or labels, matched loosely ("Year Group" -> "year_group",
    "Date of birth" -> "dob"); ``IGNORE`` or an empty target drops a column. Raises
    ValidationError naming the bad entry, because a typo in ``--map`` should stop the
    import before any file is read.
    """
    result: dict[str, str] = {}
    targets: dict[str, str] = {}
    for their, target in mapping.items():
        header = their.strip()
        if not header:
            raise ValidationError("A mapping needs the file's column header before '='.", "mapping")
        wanted = _key(target)
        if wanted in ("", IGNORE):
            result[header] = IGNORE
            continue
        name = _FIELD_BY_KEY.get(wanted)
        if name is None:
            raise ValidationError(
                f"'{target.strip()}' is not a field SchoolMH can import. "
                f"Fields: {', '.join(CANONICAL_FIELDS)} (or '{IGNORE}').",
                "mapping",
            )
        if name in targets:
            raise ValidationError(
                f"Two columns are mapped to {name}: '{targets[name]}' and '{header}'.", "mapping"
            )
        targets[name] = header
        result[header] = name
    return result


def parse_map_option(spec: str) -> tuple[str, str]:
    """Split a command-line ``--map "Their Header=field"`` into (header, field).

    Splits at the last "=", since a header may contain "=" but a field name cannot.
    The field is checked by ``validate_mapping``.
    """
    header, sep, target = spec.rpartition("=")
    if not sep or not header.strip():
        raise ValidationError(
            f"--map expects \"Their Header=field\", not '{spec}'.", "mapping"
        )
    return header.strip(), target.strip()


def _resolve_mapping(
    headers: list[str], user: dict[str, str]
) -> tuple[dict[str, str], list[RowError]]:
    """Guessed mapping overridden by the user's; errors for mapped headers not in the file."""
    guessed = guess_mapping(headers)
    if not user:
        return guessed, []
    errors: list[RowError] = []
    present = {h for h in headers if h}
    by_key: dict[str, str] = {}
    for h in headers:
        if h:
            by_key.setdefault(_key(h), h)
    chosen: dict[str, str] = {}
    for their, target in user.items():
        actual = their if their in present else by_key.get(_key(their))
        if actual is None:
            errors.append(RowError(1, their, "this column, named in the mapping, is not in the file"))
            continue
        chosen[actual] = target
    taken = {target for target in chosen.values() if target != IGNORE}
    merged = {h: f for h, f in guessed.items() if h not in chosen and f not in taken}
    merged.update({h: f for h, f in chosen.items() if f != IGNORE})
    position = {h: i for i, h in reversed(list(enumerate(headers)))}
    ordered = dict(sorted(merged.items(), key=lambda item: position.get(item[0], 0)))
    return ordered, errors


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _missing_required(mapping: dict[str, str]) -> list[str]:
    fields = set(mapping.values())
    missing = []
    if not fields.intersection(_FORENAME_FIELDS):
        missing.append("a forename")
    if not fields.intersection(_SURNAME_FIELDS):
        missing.append("a surname")
    if "year_group" not in fields:
        missing.append("the year group")
    return missing
