"""The small-number rule for governors' reports (schoolmh.domain.suppression)."""

from __future__ import annotations

import itertools

import pytest

from schoolmh.domain.suppression import (
    PRIMARY,
    SECONDARY,
    SUPPRESSION_RULE_TEXT,
    may_break_down,
    share,
    in_words,
    suppress_count,
    suppress_table,
)

P, S = PRIMARY, SECONDARY


# --- suppress_count ---------------------------------------------------------

def test_zero_is_shown_as_zero():
    assert suppress_count(0) == "0"


@pytest.mark.parametrize("n", range(1, 8))
def test_one_to_seven_are_fewer_than_8(n):
    assert suppress_count(n) == "fewer than 8"


@pytest.mark.parametrize(
    "n, shown",
    [(8, "10"), (9, "10"), (10, "10"), (11, "10"), (12, "10"), (13, "15"),
     (14, "15"), (15, "15"), (17, "15"), (18, "20"), (52, "50"), (53, "55"),
     (1234, "1235")],
)
def test_eight_and_over_round_to_nearest_5(n, shown):
    assert suppress_count(n) == shown


def test_rounding_never_reveals_a_count_below_8():
    # Every count of 8 or more prints as a multiple of 5 that is at least 10,
    # so it can never be confused with the exact small counts that are hidden.
    for n in range(8, 500):
        shown = int(suppress_count(n))
        assert shown % 5 == 0 and shown >= 10 and abs(shown - n) <= 2


@pytest.mark.parametrize("bad", [-1, 2.0, "3", True])
def test_rejects_non_counts(bad):
    with pytest.raises((TypeError, ValueError)):
        suppress_count(bad)


# --- percentage / may_break_down -------------------------------------------

def test_share_is_of_the_printed_figures_not_the_exact_ones():
    # 9 of 23 exactly is 39%; printed they are "10" of "25", and the share says 40%: nothing more than the counts
    assert share(suppress_count(9), suppress_count(23)) == "40%"
    assert share("10", "25") == "40%"


def test_share_needs_both_printed_and_at_least_10():
    assert share("0", "10") is None  # a numerator of 0 is printed but under 10
    assert share(PRIMARY, "25") is None
    assert share(SECONDARY, "25") is None
    assert share("10", PRIMARY) is None
    assert share("10", "10") == "100%"
    assert share(None, "20") is None


def test_no_share_from_a_line_with_a_hidden_cell():
    assert share("15", "40", line_hidden=True) is None
    assert share("15", "40") == "38%"  # 37.5 -> 38 (half up)


def test_share_rounds_half_up_with_integers():
    assert share("10", "80") == "13%"  # 12.5%
    assert share("10", "2000") == "1%"  # 0.5%
    assert share("25", "25") == "100%"
    assert share("30", "25") is None  # cannot be more than the whole


def test_sentences_say_about_for_rounded_counts():
    assert in_words("10") == "about 10"
    assert in_words(PRIMARY) == "fewer than 8"
    assert in_words("0") == "0"


def test_may_break_down_from_10():
    assert not may_break_down(0)
    assert not may_break_down(9)
    assert may_break_down(10)
    assert may_break_down(300)


def test_rule_text_states_each_part():
    t = SUPPRESSION_RULE_TEXT
    for part in ("1–7", "fewer than 8", "nearest 5", "a *", "totals", "under 10", "at least 10", "printed (rounded)",
                 "row or column", "whole terms or whole calendar months"):
        assert part in t


# --- suppress_table ---------------------------------------------------------

def test_table_without_small_cells_only_rounds_and_adds_totals():
    out = suppress_table([[10, 20], [30, 42]])
    assert out == [
        ["10", "20", "30"],
        ["30", "40", "70"],
        ["40", "60", "100"],
    ]


def test_primary_alone_is_recoverable_from_the_row_total_so_a_second_cell_hides():
    # Row 0: 3 + 20 + 40 = 63. Printing "20", "40" and the exact total 63 would
    # give the hidden 3 as 63 - 20 - 40. The smallest other non-zero cell of the
    # row (20) must be hidden as well.
    cells = [
        [3, 20, 40],
        [30, 25, 45],
        [35, 30, 50],
    ]
    out = suppress_table(cells, row_totals=True, col_totals=False)
    assert out[0][0] == P
    assert out[0][1] == S
    assert out[0][2] == "40"
    assert out[0][3] == "65"  # the row total is printed, rounded
    # the other rows are untouched
    assert out[1] == ["30", "25", "45", "100"]
    assert out[2] == ["35", "30", "50", "115"]
    # exactly two hidden cells in the row: no subtraction recovers either
    assert sum(v in (P, S) for v in out[0][:3]) == 2


def test_column_wise_recovery_is_blocked_too():
    # Column 0: 4 + 15 + 30 = 49. With only the row total check, nothing would
    # protect the 4 from "column total minus the rest". Column suppression hides
    # the smallest other non-zero cell of column 0 (15).
    cells = [
        [4, 0, 0],
        [15, 9, 40],
        [30, 35, 50],
    ]
    out = suppress_table(cells, row_totals=False, col_totals=True)
    col0 = [row[0] for row in out[:3]]
    assert col0 == [P, S, "30"]
    assert out[3][0] == "50"  # column total 49 printed, rounded
    # with only column totals, rows are not sums that are printed: row 1 is left
    assert out[1][1] == "10"

    both = suppress_table(cells, row_totals=True, col_totals=True)
    # Row 0 is [4, 0, 0] with total 4: the total is itself hidden (primary).
    assert both[0] == [P, "0", "0", P]
    # Column 0 [4, 15, 30 | 49] had one hidden cell -> the 15 hides. The totals
    # column [4, 64, 115 | 185] had one hidden total (row 0's 4) -> the smallest
    # other row total, 64, hides. Row 1 [15, 9, 40 | 64] then has two hidden
    # values, so nothing more is needed.
    assert both[1] == [S, "10", "40", S]
    assert both[2] == ["30", "35", "50", "115"]
    assert both[3] == ["50", "45", "90", "185"]
    _assert_no_line_has_exactly_one_hidden(both, row_totals=True, col_totals=True)


def test_grand_total_line_protects_a_small_column_total():
    # Column totals 5, 40, 60 with a printed grand total 105: the hidden column
    # total 5 would be 105 - 40 - 60. The totals row is a line too.
    cells = [[2, 20, 30], [3, 20, 30]]
    out = suppress_table(cells)
    assert out[2][0] == P  # column total 5 is primary
    assert sum(v in (P, S) for v in out[2][:3]) >= 2
    _assert_no_line_has_exactly_one_hidden(out, row_totals=True, col_totals=True)


def test_hidden_cell_whose_row_is_otherwise_zero_hides_the_row_total():
    # Column 0 forces 12 to hide; row 1 is [12, 0] so the only other value in
    # that row's sum is its total, which must then hide as well.
    cells = [[5, 20], [12, 0], [30, 30]]
    out = suppress_table(cells)
    assert out[0][0] == P
    assert out[1][0] == S
    assert out[1][2] == S  # row 1 total (12) hidden: it equals the hidden 12
    _assert_no_line_has_exactly_one_hidden(out, row_totals=True, col_totals=True)


def test_no_totals_means_primary_only():
    out = suppress_table([[3, 20], [40, 50]], row_totals=False, col_totals=False)
    assert out == [[P, "20"], ["40", "50"]]


def test_zeros_are_never_hidden_and_shape_is_kept():
    out = suppress_table([[0, 0], [0, 0]])
    assert out == [["0", "0", "0"], ["0", "0", "0"], ["0", "0", "0"]]


def test_rejects_ragged_grid():
    with pytest.raises(ValueError):
        suppress_table([[1, 2], [3]])


def _assert_no_line_has_exactly_one_hidden(out, *, row_totals, col_totals):
    hidden = lambda v: v in (P, S)  # noqa: E731
    h = len(out)
    w = len(out[0])
    n_rows = h - 1 if col_totals else h
    n_cols = w - 1 if row_totals else w
    if row_totals:
        for r in range(h):
            assert sum(map(hidden, out[r])) != 1, f"row {r}: {out[r]}"
    if col_totals:
        for c in range(w):
            col = [out[r][c] for r in range(h)]
            assert sum(map(hidden, col)) != 1, f"column {c}: {col}"
    assert n_rows >= 0 and n_cols >= 0


def test_secondary_suppression_holds_for_many_small_tables():
    # Exhaustive-ish check on 2x3 tables mixing zeros, small and large counts.
    values = [0, 2, 7, 9, 20]
    for flat in itertools.product(values, repeat=6):
        cells = [list(flat[:3]), list(flat[3:])]
        out = suppress_table(cells)
        _assert_no_line_has_exactly_one_hidden(out, row_totals=True, col_totals=True)
        # every primary cell really is 1-7 and every shown cell is a rounded count
        full = [row + [sum(row)] for row in cells]
        full.append([sum(r[c] for r in full) for c in range(4)])
        for r in range(3):
            for c in range(4):
                v, s = full[r][c], out[r][c]
                if s == P:
                    assert 1 <= v <= 7
                elif s == S:
                    assert v >= 8
                else:
                    assert s == suppress_count(v)
