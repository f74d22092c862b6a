"""Small-number suppression for reports that leave the school (governors' reports).

The rules, as printed on every such report (``SUPPRESSION_RULE_TEXT``) and
explained in docs/REPORTS.md:

* a count of 0 is shown as "0";
* a count of 1 to 7 is shown as "fewer than 8" (primary suppression);
* any other count is rounded to the nearest 5 (8 and 12 show as "10", 13 shows
  as "15"). Counts are whole numbers, so n/5 never ends in exactly .5 and no tie
  can arise; the arithmetic used is "round half up" all the same;
* in a table printed with totals, a further cell is hidden and shown as "*"
  (secondary suppression) wherever a hidden cell could otherwise be worked out
  by subtracting the other cells of its row or column from the printed total;
* a group of fewer than 10 pupils is not broken down further;
* a percentage is worked out from the *printed* figures (``share``), never from
  the exact counts, and only where numerator and denominator are both printed
  as numbers of at least 10; a share is never printed from a row or column that
  has a hidden cell (callers pass ``line_hidden``). A percentage therefore says
  nothing the printed counts beside it do not already say;
* sentences use the printed figures too: a rounded count reads "about 10"
  (``in_words``), so "fewer than 10" never sits beside a rounded 10.

All functions are pure and work on plain ``int`` values or printed text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = [
    "PRIMARY",
    "SECONDARY",
    "NOT_SHOWN",
    "MIN_SHOWN",
    "MIN_GROUP",
    "SUPPRESSION_RULE_TEXT",
    "suppress_count",
    "suppress_table",
    "share",
    "printed_value",
    "is_hidden",
    "in_words",
    "may_break_down",
]

#: Text for a count of 1 to 7.
PRIMARY = "fewer than 8"
#: Text for a cell hidden only so that a primary-suppressed cell cannot be recovered.
SECONDARY = "*"
#: Text a layout may print where ``percentage`` returns None or a group is too small.
NOT_SHOWN = "—"
#: Smallest count printed (rounded) rather than hidden.
MIN_SHOWN = 8
#: Smallest group that may be broken down or used as a percentage's denominator.
MIN_GROUP = 10

SUPPRESSION_RULE_TEXT = (
    "Counts of 1–7 are shown as 'fewer than 8'; other counts are rounded to the nearest 5; a * hides a "
    "further count that could otherwise be worked out from totals; groups under 10 are not broken down. "
    "Percentages are worked out from the printed (rounded) figures, only where both are at least 10, and "
    "never for a row or column with a hidden figure. Reports cover whole terms or whole calendar months."
)


def _check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"a count must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"a count cannot be negative: {n}")
    return n


def _round5(n: int) -> int:
    """Nearest multiple of 5, halves rounded up (integer arithmetic, no float)."""
    return (n + 2) // 5 * 5


def suppress_count(n: int) -> str:
    """A single count as it may be printed: "0", "fewer than 8", or rounded to 5."""
    _check_count(n)
    if n == 0:
        return "0"
    if n < MIN_SHOWN:
        return PRIMARY
    return str(_round5(n))


def suppress_table(
    cells: Sequence[Sequence[int]],
    row_totals: bool = True,
    col_totals: bool = True,
    not_shown: Collection[tuple[int, int]] = (),
) -> list[list[str]]:
    """Suppress a table of counts for printing, totals included.

    ``cells`` is a rectangular grid of counts (rows x columns). The result is the
    grid as text, with a total column appended to each row when ``row_totals``
    and a final totals row appended when ``col_totals`` (its last cell is the
    grand total when both are set). Totals are themselves counts and follow the
    same rule (a total of 1-7 prints as "fewer than 8").

    Primary suppression hides each count of 1-7 (``PRIMARY``). Secondary
    suppression then looks at every printed sum: each row with its row total,
    each column with its column total, and, when both totals are printed, the
    totals row and totals column with the grand total. Wherever such a line has
    exactly one hidden value, the smallest non-zero shown cell of that line is
    hidden too (``SECONDARY``; ties go to the first in reading order). If the
    line has no such cell, its total is hidden instead. This repeats until no
    line has exactly one hidden value, so no hidden count can be worked out by
    subtraction. Zeros are never hidden: a line whose other cells are all zero
    has a total equal to the hidden cell, and so a hidden total as well.

    Without any printed totals there is nothing to subtract from, so only primary
    suppression applies.

    ``not_shown`` names grid cells (row, column) left out for another reason (a
    group too small to break down): they print as ``NOT_SHOWN`` and count as
    hidden, so the cells beside them are protected in the same way.
    """
    grid = [[_check_count(v) for v in row] for row in cells]
    n_rows = len(grid)
    n_cols = len(grid[0]) if grid else 0
    if any(len(row) != n_cols for row in grid):
        raise ValueError("suppress_table needs a rectangular grid")

    # Full matrix with margins: column index n_cols is the row total, row index
    # n_rows is the totals row. Margins that are not printed are left out of it.
    width = n_cols + (1 if row_totals else 0)
    height = n_rows + (1 if col_totals else 0)
    full: list[list[int]] = [[0] * width for _ in range(height)]
    for r in range(n_rows):
        for c in range(n_cols):
            full[r][c] = grid[r][c]
        if row_totals:
            full[r][n_cols] = sum(grid[r])
    if col_totals:
        for c in range(width):
            full[n_rows][c] = sum(full[r][c] for r in range(n_rows))

    # Lines: (members, total) whose members add up to the total, both printed.
    Pos = tuple[int, int]
    lines: list[tuple[list[Pos], Pos]] = []
    if row_totals:
        for r in range(height):  # the totals row too, when printed
            lines.append(([(r, c) for c in range(n_cols)], (r, n_cols)))
    if col_totals:
        for c in range(width):  # the totals column too, when printed
            lines.append(([(r, c) for r in range(n_rows)], (n_rows, c)))

    primary: set[Pos] = {
        (r, c) for r in range(height) for c in range(width) if 0 < full[r][c] < MIN_SHOWN
    }
    secondary: set[Pos] = set()
    left_out: set[Pos] = {(r, c) for r, c in not_shown if 0 <= r < n_rows and 0 <= c < n_cols}
    primary -= left_out

    def hidden(p: Pos) -> bool:
        return p in primary or p in secondary or p in left_out

    changed = True
    while changed:
        changed = False
        for members, total in lines:
            n_hidden = sum(1 for p in members if hidden(p)) + (1 if hidden(total) else 0)
            if n_hidden != 1:
                continue
            candidates = [p for p in members if not hidden(p) and full[p[0]][p[1]] > 0]
            if candidates:
                # min() keeps the first of equal values, i.e. reading order.
                pick = min(candidates, key=lambda p: full[p[0]][p[1]])
            elif not hidden(total):
                pick = total
            else:  # pragma: no cover - a hidden total with all members shown is impossible
                continue
            secondary.add(pick)
            changed = True

    out: list[list[str]] = []
    for r in range(height):
        row: list[str] = []
        for c in range(width):
            if (r, c) in left_out:
                row.append(NOT_SHOWN)
            elif (r, c) in primary:
                row.append(PRIMARY)
            elif (r, c) in secondary:
                row.append(SECONDARY)
            else:
                row.append(suppress_count(full[r][c]))
        out.append(row)
    return out


def printed_value(text: str | None) -> int | None:
    """The number a printed count shows ("0", "10", "15"); None for a hidden or missing one."""
    if text is None or not text.isdigit():
        return None
    return int(text)


def is_hidden(text: str | None) -> bool:
    """True for a count printed as "fewer than 8" or "*"."""
    return text in (PRIMARY, SECONDARY)


def share(numerator: str | None, denominator: str | None, *, line_hidden: bool = False) -> str | None:
    """A whole-number percentage ("42%") of two PRINTED counts, or None where it may not be printed.

    Both must be printed as numbers of at least 10 (so neither is hidden, and the
    group is large enough), and the row or column the share is taken across must
    have no hidden cell (``line_hidden``). Working from the printed figures means
    the share tells a reader nothing the counts beside it do not. Rounded half up
    (12.5% -> "13%"), with integer arithmetic so no float error.
    Layouts print ``NOT_SHOWN`` ("—") for None.
    """
    num, den = printed_value(numerator), printed_value(denominator)
    if line_hidden or num is None or den is None or num < MIN_GROUP or den < MIN_GROUP or num > den:
        return None
    return f"{(200 * num + den) // (2 * den)}%"


def in_words(text: str) -> str:
    """A printed count for a sentence: "about 10" for a rounded figure, otherwise as printed
    ("0", "fewer than 8"). Never "fewer than 10" beside a rounded 10."""
    return f"about {text}" if text.isdigit() and text != "0" else text


def may_break_down(group_size: int) -> bool:
    """True when a group is large enough (at least 10) to be broken down further."""
    return _check_count(group_size) >= MIN_GROUP
