"""Outcome-measure instruments: scoring, banding, reliable change and validation.

Every expected number below was worked out by hand from the cited source, not
by running the code, so a wrong table or a wrong direction makes a test fail.
"""
from __future__ import annotations

import dataclasses
import math
import re

import pytest

from schoolmh.domain.instruments import (
    INSTRUMENTS,
    NO_RELIABLE_CHANGE,
    RCADS25_ANXIETY_ITEMS,
    RCADS25_DEPRESSION_ITEMS,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    SWEMWBS_METRIC,
    EntryForm,
    Field,
    Instrument,
    Total,
    classify_change,
    field_codes,
    get_instrument,
    score,
)
from schoolmh.errors import ValidationError


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def sdq_values(total: int, prosocial: int = 7) -> dict[str, int]:
    """Four difficulty subscales (each 0-10) that add up to ``total``."""
    assert 0 <= total <= 40
    parts = [min(10, max(0, total - 10 * k)) for k in range(4)]
    assert sum(parts) == total
    return dict(zip(("emotional", "conduct", "hyperactivity", "peer"), parts), prosocial=prosocial)


def rcads_items(values: dict[int, int] | None = None, default: int = 0) -> dict[str, int]:
    out = {f"i{k}": default for k in range(1, 26)}
    for k, v in (values or {}).items():
        out[f"i{k}"] = v
    return out


def swemwbs_items_with_raw(raw: int) -> dict[str, int]:
    """Seven items 1-5 adding up to ``raw`` (7-35)."""
    extra = raw - 7
    items = []
    for _ in range(7):
        step = min(4, extra)
        items.append(1 + step)
        extra -= step
    assert sum(items) == raw
    return {f"i{k}": v for k, v in enumerate(items, start=1)}


def ors(total_parts: tuple[float, float, float, float]) -> dict[str, float]:
    return dict(zip(("individually", "interpersonally", "socially", "overall"), total_parts))


# --------------------------------------------------------------------------- #
# registry
# --------------------------------------------------------------------------- #
def test_registry_has_the_seven_instruments() -> None:
    assert set(INSTRUMENTS) == {"SDQ", "RCADS25", "GBO", "ORS", "CORS", "WEMWBS", "SWEMWBS"}
    for code, inst in INSTRUMENTS.items():
        assert inst.code == code
        assert get_instrument(code) is inst


def test_get_instrument_forgives_case_spaces_and_hyphens() -> None:
    assert get_instrument("rcads-25").code == "RCADS25"
    assert get_instrument(" sdq ").code == "SDQ"


def test_unknown_instrument_is_a_clear_validation_error() -> None:
    with pytest.raises(ValidationError) as err:
        get_instrument("PHQ9")
    assert err.value.field == "instrument"
    assert "PHQ9" in err.value.message and "SDQ" in err.value.message


def test_every_instrument_cites_a_source_and_a_reliable_change_for_every_rater() -> None:
    for inst in INSTRUMENTS.values():
        assert "http" in inst.source, inst.code
        assert re.search(r"(19|20)\d\d", inst.source), inst.code  # a year
        assert inst.reliable_change_source, inst.code
        for rater in inst.raters:
            assert inst.reliable_change_for(rater) > 0


def test_no_item_wording_only_generic_labels() -> None:
    # DOMAIN.md: store scores only; licences forbid item text. Labels must be
    # "Item N", "Goal N" or a subscale/domain name from this short allow-list.
    allowed = {
        "Emotional symptoms", "Conduct problems", "Hyperactivity", "Peer problems", "Prosocial behaviour",
        "Anxiety (total of 15 items)", "Depression (total of 10 items)",
        "Individually", "Interpersonally", "Socially", "Overall",
        "Me", "Family", "School", "Everything",
    }
    for inst in INSTRUMENTS.values():
        for f in inst.fields:
            assert re.fullmatch(r"(Item|Goal) \d+", f.label) or f.label in allowed, (inst.code, f.label)


def test_field_codes_name_the_csv_columns() -> None:
    assert field_codes("SDQ") == ["emotional", "conduct", "hyperactivity", "peer", "prosocial"]
    assert field_codes("GBO") == ["goal1", "goal2", "goal3"]
    assert field_codes("SWEMWBS") == [f"i{k}" for k in range(1, 8)]
    assert field_codes("WEMWBS") == [f"i{k}" for k in range(1, 15)]
    assert field_codes("ORS") == ["individually", "interpersonally", "socially", "overall"]
    assert field_codes("CORS") == ["me", "family", "school", "everything"]
    # RCADS-25: the 25 items, then the two subscale totals (either group per row).
    assert field_codes("RCADS25") == [f"i{k}" for k in range(1, 26)] + ["anxiety", "depression"]


def test_definitions_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        INSTRUMENTS["SDQ"].headline = "prosocial"  # type: ignore[misc]


def test_inconsistent_definition_is_refused_at_import() -> None:
    # Adding an instrument is adding data; bad data must fail loudly, not in a report.
    with pytest.raises(ValueError, match="headline"):
        Instrument(
            code="X", name="X", raters=("self",),
            forms=(EntryForm("f", "f", (Field("a", "Item 1", 0, 3),), (Total("t", "T", ("a",)),)),),
            headline="nope", higher_is_better=True, reliable_change=(("self", 1),),
            headline_range=(0, 3), source="x", reliable_change_source="x",
        )
    with pytest.raises(ValueError, match="reliable-change"):
        Instrument(
            code="X", name="X", raters=("self", "parent"),
            forms=(EntryForm("f", "f", (Field("a", "Item 1", 0, 3),), (Total("t", "T", ("a",)),)),),
            headline="t", higher_is_better=True, reliable_change=(("self", 1),),
            headline_range=(0, 3), source="x", reliable_change_source="x",
        )


# --------------------------------------------------------------------------- #
# SDQ (Goodman 1997; four-band categories from youthinmind "Scoring the SDQ")
# --------------------------------------------------------------------------- #
def test_sdq_totals_worked_example() -> None:
    # emotional 3 + conduct 4 + hyperactivity 6 + peer 2 = 15 total difficulties;
    # externalising = conduct + hyperactivity = 10; internalising = emotional + peer = 5;
    # prosocial is a strength and is not part of total difficulties (sdqinfo.org).
    s = score("SDQ", "parent", {"emotional": 3, "conduct": 4, "hyperactivity": 6, "peer": 2, "prosocial": 7})
    assert s.totals == {"total_difficulties": 15, "externalising": 10, "internalising": 5}
    assert s.headline == 15.0
    assert s.band == "slightly raised"  # parent 14-16
    assert s.values == {"emotional": 3, "conduct": 4, "hyperactivity": 6, "peer": 2, "prosocial": 7}
    # Same scores from a teacher: teacher 12-15 is "slightly raised"; self 15-17 likewise.
    assert score("SDQ", "teacher", sdq_values(15)).band == "slightly raised"
    assert score("SDQ", "self", sdq_values(15)).band == "slightly raised"


# Every band edge, each rater: youthinmind four-band categorisation of total
# difficulties (sdqinfo.org, "Scoring the SDQ"), as in DOMAIN.md:
# parent 0-13/14-16/17-19/20-40; teacher 0-11/12-15/16-18/19-40; self 0-14/15-17/18-19/20-40.
SDQ_EDGES = [
    ("parent", 0, "close to average"), ("parent", 13, "close to average"),
    ("parent", 14, "slightly raised"), ("parent", 16, "slightly raised"),
    ("parent", 17, "high"), ("parent", 19, "high"),
    ("parent", 20, "very high"), ("parent", 40, "very high"),
    ("teacher", 0, "close to average"), ("teacher", 11, "close to average"),
    ("teacher", 12, "slightly raised"), ("teacher", 15, "slightly raised"),
    ("teacher", 16, "high"), ("teacher", 18, "high"),
    ("teacher", 19, "very high"), ("teacher", 40, "very high"),
    ("self", 0, "close to average"), ("self", 14, "close to average"),
    ("self", 15, "slightly raised"), ("self", 17, "slightly raised"),
    ("self", 18, "high"), ("self", 19, "high"),
    ("self", 20, "very high"), ("self", 40, "very high"),
]


@pytest.mark.parametrize(("rater", "total", "label"), SDQ_EDGES)
def test_sdq_band_edges(rater: str, total: int, label: str) -> None:
    s = score("SDQ", rater, sdq_values(total))
    assert s.headline == total
    assert s.band == label


@pytest.mark.parametrize(
    ("rater", "first", "latest", "expected"),
    [
        # Parent threshold 8 (CORC practice; Wolpert et al. 2015). Lower SDQ = better.
        ("parent", 20, 12, RELIABLE_IMPROVEMENT),  # fell 8: exactly the threshold
        ("parent", 20, 13, NO_RELIABLE_CHANGE),  # fell 7
        ("parent", 12, 20, RELIABLE_DETERIORATION),  # rose 8
        ("parent", 12, 19, NO_RELIABLE_CHANGE),  # rose 7
        # Teacher threshold 6 (Jacobson & Truax from Goodman 2001 norms, rounded up).
        ("teacher", 18, 12, RELIABLE_IMPROVEMENT),
        ("teacher", 18, 13, NO_RELIABLE_CHANGE),
        # Self-report threshold 7 (same method).
        ("self", 18, 11, RELIABLE_IMPROVEMENT),
        ("self", 18, 12, NO_RELIABLE_CHANGE),
        ("self", 11, 18, RELIABLE_DETERIORATION),
    ],
)
def test_sdq_reliable_change_direction(rater: str, first: int, latest: int, expected: str) -> None:
    change = classify_change("SDQ", rater, score("SDQ", rater, sdq_values(first)), score("SDQ", rater, sdq_values(latest)))
    assert change.delta == latest - first
    assert change.classification == expected
    assert change.improvement is (latest < first)


def test_sdq_thresholds_per_rater() -> None:
    sdq = get_instrument("SDQ")
    assert (sdq.reliable_change_for("parent"), sdq.reliable_change_for("teacher"), sdq.reliable_change_for("self")) == (8, 6, 7)
    assert sdq.higher_is_better is False


# --------------------------------------------------------------------------- #
# Validation messages name the field (for school staff)
# --------------------------------------------------------------------------- #
def test_out_of_range_message_matches_the_house_style() -> None:
    with pytest.raises(ValidationError) as err:
        score("SDQ", "parent", {"emotional": 3, "conduct": 12, "hyperactivity": 5, "peer": 2, "prosocial": 8})
    assert err.value.message == "Conduct problems: 12 is out of range (0–10)"
    assert err.value.field == "conduct"


def test_missing_field_is_named() -> None:
    values = sdq_values(10)
    del values["peer"]
    with pytest.raises(ValidationError) as err:
        score("SDQ", "parent", values)
    assert err.value.field == "peer"
    assert err.value.message.startswith("Peer problems: missing")


def test_blank_counts_as_missing_for_a_required_field() -> None:
    values: dict[str, object] = dict(sdq_values(10))
    values["emotional"] = "  "
    with pytest.raises(ValidationError) as err:
        score("SDQ", "parent", values)
    assert err.value.field == "emotional"


def test_non_integer_is_refused_where_whole_numbers_are_required() -> None:
    values: dict[str, object] = dict(sdq_values(10))
    values["conduct"] = 4.5
    with pytest.raises(ValidationError) as err:
        score("SDQ", "parent", values)
    assert err.value.message == "Conduct problems: 4.5 is not a whole number"
    assert err.value.field == "conduct"


@pytest.mark.parametrize("bad", ["abc", True, float("nan"), [3]])
def test_not_a_number_is_refused(bad: object) -> None:
    values: dict[str, object] = dict(sdq_values(10))
    values["hyperactivity"] = bad
    with pytest.raises(ValidationError) as err:
        score("SDQ", "parent", values)
    assert err.value.field == "hyperactivity"
    assert err.value.message.startswith("Hyperactivity: ")


def test_unknown_field_is_named() -> None:
    values: dict[str, object] = dict(sdq_values(10))
    values["impact"] = 3
    with pytest.raises(ValidationError) as err:
        score("SDQ", "parent", values)
    assert err.value.field == "impact"
    assert "impact" in err.value.message


def test_rater_not_allowed() -> None:
    with pytest.raises(ValidationError) as err:
        score("SDQ", "child", sdq_values(10))
    assert err.value.field == "rater"
    assert "parent, teacher or self" in err.value.message
    with pytest.raises(ValidationError) as err:
        score("RCADS25", "teacher", {"anxiety": 1, "depression": 1})
    assert err.value.field == "rater"


def test_numeric_strings_and_key_case_from_a_csv_are_accepted() -> None:
    s = score("SDQ", "Parent", {"Emotional": "3", "CONDUCT": " 4 ", "hyperactivity": "6", "peer": "2.0", "prosocial": 7})
    assert s.values == {"emotional": 3, "conduct": 4, "hyperactivity": 6, "peer": 2, "prosocial": 7}
    assert all(type(v) is int for v in s.values.values())
    assert s.rater == "parent"


# --------------------------------------------------------------------------- #
# RCADS-25 (Ebesutani et al. 2012; mapping: UCLA Child FIRST scoring)
# --------------------------------------------------------------------------- #
def test_rcads_mapping_is_15_anxiety_and_10_depression_items() -> None:
    # Depression items 1,4,8,10,13,15,16,19,21,24; anxiety = the other 15.
    assert RCADS25_DEPRESSION_ITEMS == (1, 4, 8, 10, 13, 15, 16, 19, 21, 24)
    assert len(RCADS25_ANXIETY_ITEMS) == 15
    assert sorted(RCADS25_ANXIETY_ITEMS + RCADS25_DEPRESSION_ITEMS) == list(range(1, 26))


def test_rcads_items_worked_example() -> None:
    # Item k scored k mod 4. By hand:
    # anxiety items 2,3,5,6,7,9,11,12,14,17,18,20,22,23,25 -> 2,3,1,2,3,1,3,0,2,1,2,0,2,3,1 = 26
    # depression items 1,4,8,10,13,15,16,19,21,24 -> 1,0,0,2,1,3,0,3,1,0 = 11
    # total 37 (check: 1..24 is six blocks of 0+1+2+3 = 36, plus 25 mod 4 = 1).
    s = score("RCADS25", "child", {f"i{k}": k % 4 for k in range(1, 26)})
    assert s.totals == {"anxiety": 26, "depression": 11, "total": 37}
    assert s.headline == 37.0
    assert s.form == "items"
    assert s.band is None  # raw scores only: T-score bands need licensed norm tables


def test_rcads_single_items_land_in_the_right_subscale() -> None:
    assert score("RCADS25", "child", rcads_items({1: 3})).totals == {"anxiety": 0, "depression": 3, "total": 3}
    assert score("RCADS25", "child", rcads_items({2: 3})).totals == {"anxiety": 3, "depression": 0, "total": 3}
    assert score("RCADS25", "parent", rcads_items(default=3)).totals == {"anxiety": 45, "depression": 30, "total": 75}


def test_rcads_both_entry_forms_agree() -> None:
    by_items = score("RCADS25", "child", {f"i{k}": k % 4 for k in range(1, 26)})
    by_totals = score("RCADS25", "child", {"anxiety": 26, "depression": 11})
    assert by_totals.form == "subscales"
    assert by_totals.totals == by_items.totals
    assert by_totals.headline == by_items.headline == 37.0


def test_rcads_subscale_totals_out_of_range() -> None:
    with pytest.raises(ValidationError) as err:
        score("RCADS25", "child", {"anxiety": 46, "depression": 3})
    assert err.value.field == "anxiety"
    assert "46 is out of range (0–45)" in err.value.message
    with pytest.raises(ValidationError) as err:
        score("RCADS25", "child", {"anxiety": 10, "depression": 31})
    assert "31 is out of range (0–30)" in err.value.message


def test_rcads_item_out_of_range_and_missing_item() -> None:
    with pytest.raises(ValidationError) as err:
        score("RCADS25", "child", rcads_items({4: 4}))
    assert err.value.message == "Item 4: 4 is out of range (0–3)"
    assert err.value.field == "i4"
    values = rcads_items()
    del values["i17"]
    with pytest.raises(ValidationError) as err:
        score("RCADS25", "child", values)
    assert err.value.field == "i17"
    assert err.value.message.startswith("Item 17: missing")


def test_rcads_mixing_items_and_totals_is_refused() -> None:
    values: dict[str, object] = dict(rcads_items())
    values["anxiety"] = 10
    with pytest.raises(ValidationError) as err:
        score("RCADS25", "child", values)
    assert "not a mix" in err.value.message
    assert err.value.field == "anxiety"


def test_rcads_only_one_subscale_total_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        score("RCADS25", "child", {"anxiety": 10})
    assert err.value.field == "depression"


@pytest.mark.parametrize(
    ("first", "latest", "expected"),
    [
        # Provisional threshold 10 raw points on the total; lower = better.
        ((30, 10), (22, 8), RELIABLE_IMPROVEMENT),  # 40 -> 30: fell 10
        ((30, 10), (22, 9), NO_RELIABLE_CHANGE),  # 40 -> 31: fell 9
        ((20, 10), (28, 12), RELIABLE_DETERIORATION),  # 30 -> 40: rose 10
    ],
)
def test_rcads_reliable_change_direction(first: tuple[int, int], latest: tuple[int, int], expected: str) -> None:
    a = score("RCADS25", "child", {"anxiety": first[0], "depression": first[1]})
    b = score("RCADS25", "child", {"anxiety": latest[0], "depression": latest[1]})
    assert classify_change("RCADS25", "child", a, b).classification == expected


# --------------------------------------------------------------------------- #
# GBO (Law & Jacob 2015; reliable change 3, Edbrooke-Childs et al. 2015)
# --------------------------------------------------------------------------- #
def test_gbo_headline_is_mean_of_goals_present() -> None:
    assert score("GBO", "self", {"goal1": 2, "goal2": 3, "goal3": 4}).headline == 3.0  # (2+3+4)/3
    assert score("GBO", "self", {"goal1": 5, "goal2": "", "goal3": None}).headline == 5.0
    assert score("GBO", "parent", {"goal1": 6, "goal3": 3}).headline == 4.5  # (6+3)/2
    assert score("GBO", "self", {"goal1": 1, "goal2": 2, "goal3": 2}).headline == pytest.approx(5 / 3)


def test_gbo_goal1_required_and_range() -> None:
    with pytest.raises(ValidationError) as err:
        score("GBO", "self", {"goal2": 4})
    assert err.value.field == "goal1"
    with pytest.raises(ValidationError) as err:
        score("GBO", "self", {"goal1": 11})
    assert err.value.message == "Goal 1: 11 is out of range (0–10)"


@pytest.mark.parametrize(
    ("first", "latest", "expected"),
    [
        ({"goal1": 2, "goal2": 3, "goal3": 4}, {"goal1": 5, "goal2": 6, "goal3": 7}, RELIABLE_IMPROVEMENT),  # 3 -> 6
        ({"goal1": 4}, {"goal1": 6}, NO_RELIABLE_CHANGE),  # rose 2
        ({"goal1": 6, "goal2": 6}, {"goal1": 2, "goal2": 3}, RELIABLE_DETERIORATION),  # 6 -> 2.5
        # (1+2+2)/3 = 1.667 -> (4+5+5)/3 = 4.667: rose exactly 3 despite thirds.
        ({"goal1": 1, "goal2": 2, "goal3": 2}, {"goal1": 4, "goal2": 5, "goal3": 5}, RELIABLE_IMPROVEMENT),
    ],
)
def test_gbo_reliable_change_on_the_mean(first: dict[str, int], latest: dict[str, int], expected: str) -> None:
    change = classify_change("GBO", "self", score("GBO", "self", first), score("GBO", "self", latest))
    assert change.classification == expected
    assert change.threshold == 3


# --------------------------------------------------------------------------- #
# ORS / CORS (Miller et al. 2003; Duncan et al. 2006)
# --------------------------------------------------------------------------- #
def test_ors_total_of_four_lines_measured_to_the_millimetre() -> None:
    s = score("ORS", "self", ors((7.3, 8.1, 5.5, 4.0)), age=30)
    assert s.totals == {"total": 24.9}  # 7.3 + 8.1 + 5.5 + 4.0, no float noise
    assert s.band == "clinical range"  # adult cut-off 25


@pytest.mark.parametrize(
    ("parts", "age", "band"),
    [
        ((6.2, 6.2, 6.3, 6.3), 18, "non-clinical range"),  # 25.0, adult cut-off 25
        ((6.2, 6.2, 6.2, 6.3), 18, "clinical range"),  # 24.9
        ((6.2, 6.2, 6.3, 6.3), 15, "clinical range"),  # 25.0 but 13-17 cut-off is 28
        ((7.0, 7.0, 7.0, 7.0), 15, "non-clinical range"),  # 28.0
        ((7.0, 7.0, 7.0, 6.9), 17, "clinical range"),  # 27.9
        ((7.0, 7.0, 7.0, 7.0), None, None),  # no age: no guess at which cut-off
    ],
)
def test_ors_cut_off_depends_on_age(parts: tuple[float, float, float, float], age: int | None, band: str | None) -> None:
    assert score("ORS", "self", ors(parts), age=age).band == band


def test_ors_more_than_one_decimal_place_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        score("ORS", "self", ors((7.25, 8, 5, 4)))
    assert err.value.field == "individually"
    assert "decimal" in err.value.message


def test_cors_cut_off_32_for_child_and_parent() -> None:
    parts = {"me": 8.0, "family": 8.0, "school": 8.0, "everything": 8.0}
    assert score("CORS", "self", parts).band == "non-clinical range"  # 32.0
    assert score("CORS", "parent", {**parts, "everything": 7.9}).band == "clinical range"  # 31.9
    with pytest.raises(ValidationError):
        score("CORS", "teacher", parts)


@pytest.mark.parametrize(
    ("first", "latest", "expected"),
    [
        # Reliable change 5 points (Miller et al. 2003); higher = better.
        ((5, 5, 5, 5), (6, 6, 6, 7), RELIABLE_IMPROVEMENT),  # 20 -> 25
        ((5, 5, 5, 5), (6, 6, 6, 6.9), NO_RELIABLE_CHANGE),  # 20 -> 24.9
        ((6, 6, 6, 7), (5, 5, 5, 5), RELIABLE_DETERIORATION),  # 25 -> 20
    ],
)
def test_ors_reliable_change_direction(first: tuple, latest: tuple, expected: str) -> None:
    change = classify_change("ORS", "self", score("ORS", "self", ors(first)), score("ORS", "self", ors(latest)))
    assert change.classification == expected


# --------------------------------------------------------------------------- #
# WEMWBS (Tennant et al. 2007; reliable change 8, Maheswaran et al. 2012)
# --------------------------------------------------------------------------- #
def test_wemwbs_total_worked_example() -> None:
    # items (k mod 5) + 1 for k = 1..14: 2,3,4,5,1,2,3,4,5,1,2,3,4,5 = 15 + 15 + 14 = 44
    s = score("WEMWBS", "self", {f"i{k}": k % 5 + 1 for k in range(1, 15)})
    assert s.totals == {"total": 44}
    assert score("WEMWBS", "self", {f"i{k}": 1 for k in range(1, 15)}).headline == 14
    assert score("WEMWBS", "self", {f"i{k}": 5 for k in range(1, 15)}).headline == 70


def test_wemwbs_item_range_is_1_to_5() -> None:
    values = {f"i{k}": 3 for k in range(1, 15)}
    values["i9"] = 0
    with pytest.raises(ValidationError) as err:
        score("WEMWBS", "self", values)
    assert err.value.message == "Item 9: 0 is out of range (1–5)"


@pytest.mark.parametrize(
    ("first_total", "latest_total", "expected"),
    [(44, 52, RELIABLE_IMPROVEMENT), (44, 51, NO_RELIABLE_CHANGE), (44, 36, RELIABLE_DETERIORATION)],
)
def test_wemwbs_reliable_change_direction(first_total: int, latest_total: int, expected: str) -> None:
    def items(total: int) -> dict[str, int]:
        base = [1] * 14
        extra = total - 14
        for i in range(14):
            step = min(4, extra)
            base[i] += step
            extra -= step
        return {f"i{k}": v for k, v in enumerate(base, start=1)}

    a, b = score("WEMWBS", "self", items(first_total)), score("WEMWBS", "self", items(latest_total))
    assert (a.headline, b.headline) == (first_total, latest_total)
    assert classify_change("WEMWBS", "self", a, b).classification == expected


# --------------------------------------------------------------------------- #
# SWEMWBS (Stewart-Brown et al. 2009; conversion table from Warwick Medical School)
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("raw", "metric"),
    [
        (7, 7.00),  # lower endpoint
        (35, 35.00),  # upper endpoint
        (21, 19.25),  # midpoint of the raw range
        (20, 18.59),
        (8, 9.51),
        (34, 32.55),
    ],
)
def test_swemwbs_metric_conversion(raw: int, metric: float) -> None:
    s = score("SWEMWBS", "self", swemwbs_items_with_raw(raw))
    assert s.totals["raw"] == raw
    assert s.totals["metric"] == metric
    assert s.headline == metric


def test_swemwbs_table_is_complete_and_rising() -> None:
    table = dict(SWEMWBS_METRIC)
    assert sorted(table) == list(range(7, 36))
    metrics = [table[k] for k in range(7, 36)]
    assert metrics == sorted(metrics) and len(set(metrics)) == 29


@pytest.mark.parametrize(
    ("first_raw", "latest_raw", "delta", "expected"),
    [
        # Threshold 3 metric points (Shah et al. 2018: 2.87, rounded up). Higher = better.
        (14, 20, 3.27, RELIABLE_IMPROVEMENT),  # 15.32 -> 18.59
        (14, 19, 2.66, NO_RELIABLE_CHANGE),  # 15.32 -> 17.98
        (28, 24, -3.49, RELIABLE_DETERIORATION),  # 25.03 -> 21.54
    ],
)
def test_swemwbs_reliable_change_on_metric(first_raw: int, latest_raw: int, delta: float, expected: str) -> None:
    a = score("SWEMWBS", "self", swemwbs_items_with_raw(first_raw))
    b = score("SWEMWBS", "self", swemwbs_items_with_raw(latest_raw))
    change = classify_change("SWEMWBS", "self", a, b)
    assert change.delta == pytest.approx(delta)
    assert change.classification == expected
    assert change.improvement is (delta > 0)


def test_swemwbs_minimum_age_note() -> None:
    inst = get_instrument("SWEMWBS")
    assert inst.min_age == 13
    assert "13" in inst.age_note


# --------------------------------------------------------------------------- #
# classify_change guards
# --------------------------------------------------------------------------- #
def test_change_refuses_mixed_raters_or_instruments() -> None:
    parent = score("SDQ", "parent", sdq_values(20))
    teacher = score("SDQ", "teacher", sdq_values(10))
    with pytest.raises(ValidationError) as err:
        classify_change("SDQ", "parent", parent, teacher)
    assert err.value.field == "rater"
    gbo = score("GBO", "self", {"goal1": 3})
    with pytest.raises(ValidationError) as err:
        classify_change("GBO", "self", gbo, score("SWEMWBS", "self", swemwbs_items_with_raw(20)))
    assert err.value.field == "instrument"


def test_no_change_is_neither_improvement_nor_deterioration() -> None:
    a = score("SDQ", "parent", sdq_values(15))
    change = classify_change("SDQ", "parent", a, a)
    assert change.delta == 0
    assert change.improvement is None
    assert change.classification == NO_RELIABLE_CHANGE
    assert change.reliable is False


# --- reliable change: published or indicative (issue 10, section 5) ------------------------------------
# Written out by hand: which thresholds are published values and which are indicative (no published
# threshold found; Jacobson & Truax from published norms). A change here must be a deliberate one.
EXPECTED_RELIABLE_CHANGE = {
    ("SDQ", "parent"): (8, False), ("SDQ", "teacher"): (6, True), ("SDQ", "self"): (7, True),
    ("RCADS25", "child"): (10, True), ("RCADS25", "parent"): (10, True),
    ("GBO", "self"): (3, False), ("GBO", "parent"): (3, False),
    ("ORS", "self"): (5, False), ("CORS", "self"): (5, True), ("CORS", "parent"): (5, True),
    ("WEMWBS", "self"): (8, False), ("SWEMWBS", "self"): (3, False),
}


def test_every_threshold_is_published_or_marked_indicative() -> None:
    got = {(code, rater): (inst.reliable_change_for(rater), inst.reliable_change_is_indicative(rater))
           for code, inst in INSTRUMENTS.items() for rater in inst.raters}
    assert got == EXPECTED_RELIABLE_CHANGE
    for code, inst in INSTRUMENTS.items():
        says_indicative = "ndicative" in inst.reliable_change_source
        assert says_indicative == any(inst.reliable_change_is_indicative(r) for r in inst.raters), code
        assert "PROVISIONAL" not in inst.reliable_change_source and "VERIFY" not in inst.reliable_change_source


@pytest.mark.parametrize("sd, alpha, threshold", [(5.9, 0.87, 6), (5.2, 0.80, 7), (12, 0.91, 10)])
def test_indicative_thresholds_are_the_jacobson_truax_rci_rounded_up(sd, alpha, threshold) -> None:
    from schoolmh.domain.instruments import jacobson_truax_rci

    assert math.ceil(jacobson_truax_rci(sd, alpha) - 0.05) == threshold
    assert jacobson_truax_rci(sd, alpha) <= threshold  # never more generous than the formula


def test_a_change_says_whether_its_threshold_is_indicative() -> None:
    def sdq_total(total: int) -> dict:
        return {"emotional": total // 4, "conduct": total // 4, "hyperactivity": total // 4,
                "peer": total - 3 * (total // 4), "prosocial": 5}

    for rater, indicative in (("parent", False), ("teacher", True), ("self", True)):
        first, latest = score("SDQ", rater, sdq_total(20)), score("SDQ", rater, sdq_total(10))
        change = classify_change("SDQ", rater, first, latest)
        assert change.classification == "reliable improvement" and change.indicative is indicative
