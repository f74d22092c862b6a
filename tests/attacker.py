"""The outside reviewer's tools: read a governors' report PDF back into its printed values, and enumerate
every combination of exact counts consistent with them.

The attacker knows the published rules (docs/REPORTS.md) and the layout, and has
only the PDF. From the printed text each count gets a range of possible exact
values ("0" -> 0; "fewer than 8" -> 1..7; "*" -> 8 or more, since zeros are never
hidden and 1..7 print as "fewer than 8"; "10" -> 8..12; "—" -> anything), and the
report's arithmetic links them: cells add up to their printed totals, those
supported are among those on roll, the ethnic groups add up to the roll and to the
pupils supported, the same figure printed twice is one number. A small integer
constraint solver (bounds propagation and bisection, complete for these sums)
then answers: is there a solution in which this hidden cell takes another value?

Percentages are checked separately: each must equal the share of the printed
counts beside it (``sup.share``), which makes it a function of what is already
printed, so it cannot narrow anything down.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from pypdf import PdfReader

from schoolmh.domain import suppression as sup
from schoolmh.domain.codes import REFERRAL_DECISIONS, REFERRAL_DESTINATIONS, TIERS
from schoolmh.domain.instruments import INSTRUMENTS

BIG = 1_000_000
CELL = r"(fewer than 8|\*|—|\d+)"
CELL_SHARE = r"((?:fewer than 8|\*|—|\d+)(?: \(\d+%\))?)"
SHARE = r"(\d+%|—)"


def pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def domain(text: str, *, rounded: bool = True) -> tuple[int, int]:
    """The exact values a printed count can stand for."""
    text = text.split(" (")[0]
    if text == sup.PRIMARY:
        return 1, 7
    if text == sup.SECONDARY:
        return sup.MIN_SHOWN, BIG
    if text == sup.NOT_SHOWN:
        return 0, BIG
    n = int(text)
    if n == 0 or not rounded:
        return n, n
    return max(sup.MIN_SHOWN, n - 2), n + 2


# --------------------------------------------------------------------------- #
# The solver
# --------------------------------------------------------------------------- #
@dataclass
class System:
    names: list[str] = field(default_factory=list)
    dom: list[tuple[int, int]] = field(default_factory=list)
    sums: list[tuple[list[int], int]] = field(default_factory=list)  # parts add up to total
    les: list[tuple[int, int]] = field(default_factory=list)  # a <= b
    printed: dict[int, str] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)

    def var(self, name: str, text: str | None = None, *, rounded: bool = True) -> int:
        """A variable for one exact count; printing the same figure twice narrows the one variable."""
        lo, hi = domain(text, rounded=rounded) if text is not None else (0, BIG)
        if name in self.by_name:
            i = self.by_name[name]
            a, b = self.dom[i]
            self.dom[i] = (max(a, lo), min(b, hi))
        else:
            i = len(self.names)
            self.names.append(name)
            self.dom.append((lo, hi))
            self.by_name[name] = i
        if text is not None and (sup.is_hidden(text.split(" (")[0])):
            self.printed[i] = text
        return i

    def add_sum(self, parts: list[int], total: int) -> None:
        self.sums.append((parts, total))

    def add_le(self, a: int, b: int) -> None:
        self.les.append((a, b))

    def narrow(self, i: int, lo: int = 0, hi: int = BIG) -> None:
        """What the layout gives away on top of the figures (a table shown only for 10 or more, ...)."""
        a, b = self.dom[i]
        self.dom[i] = (max(a, lo), min(b, hi))

    def _propagate(self, dom: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
        dom = list(dom)
        changed = True
        while changed:
            changed = False
            for parts, total in self.sums:
                los = sum(dom[p][0] for p in parts)
                his = sum(dom[p][1] for p in parts)
                tlo, thi = max(dom[total][0], los), min(dom[total][1], his)
                if tlo > thi:
                    return None
                if (tlo, thi) != dom[total]:
                    dom[total] = (tlo, thi)
                    changed = True
                for p in parts:
                    lo = max(dom[p][0], tlo - (his - dom[p][1]))
                    hi = min(dom[p][1], thi - (los - dom[p][0]))
                    if lo > hi:
                        return None
                    if (lo, hi) != dom[p]:
                        dom[p] = (lo, hi)
                        changed = True
                        los = sum(dom[q][0] for q in parts)
                        his = sum(dom[q][1] for q in parts)
            for a, b in self.les:
                hi = min(dom[a][1], dom[b][1])
                lo = max(dom[b][0], dom[a][0])
                if dom[a][0] > hi or lo > dom[b][1]:
                    return None
                if hi != dom[a][1] or lo != dom[b][0]:
                    dom[a] = (dom[a][0], hi)
                    dom[b] = (lo, dom[b][1])
                    changed = True
        return dom

    def feasible(self, dom: list[tuple[int, int]] | None = None) -> bool:
        dom = self._propagate(self.dom if dom is None else dom)
        if dom is None:
            return False
        open_vars = [i for i, (lo, hi) in enumerate(dom) if lo < hi]
        if not open_vars:
            return True
        i = min(open_vars, key=lambda v: dom[v][1] - dom[v][0])
        lo, hi = dom[i]
        mid = (lo + hi) // 2
        for part in ((lo, mid), (mid + 1, hi)):
            trial = list(dom)
            trial[i] = part
            if self.feasible(trial):
                return True
        return False

    def holds(self, truth: dict[str, int]) -> bool:
        """The true counts satisfy the system (so the attacker's model of the report is right)."""
        dom = list(self.dom)
        for name, value in truth.items():
            i = self.by_name[name]
            if not dom[i][0] <= value <= dom[i][1]:
                return False
            dom[i] = (value, value)
        return self.feasible(dom)

    def other_value_possible(self, name: str, truth: int) -> bool:
        i = self.by_name[name]
        lo, hi = self.dom[i]
        for part in ((lo, truth - 1), (truth + 1, hi)):
            if part[0] <= part[1]:
                trial = list(self.dom)
                trial[i] = part
                if self.feasible(trial):
                    return True
        return False

    def hidden(self) -> list[str]:
        return [self.names[i] for i in self.printed]


# --------------------------------------------------------------------------- #
# Reading the report back
# --------------------------------------------------------------------------- #
def _between(text: str, start: str, end: str) -> str:
    i = text.find(start)
    if i < 0:
        return ""
    j = text.find(end, i + len(start))
    return text[i + len(start): j if j >= 0 else len(text)]


def _one(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(1) if m else None


def _sentence_count(text: str) -> str:
    """"About 10" -> "10", "Fewer than 8" -> "fewer than 8"."""
    text = text.strip().lower()
    return text.removeprefix("about ")


@dataclass
class Printed:
    """The figures an outsider reads off the PDF."""

    scalars: dict[str, str]
    tiers: dict[str, str]  # label -> cell, with "Total"
    outcomes: dict[str, tuple[str, str, str, str]]  # code -> paired, improved, no change, deteriorated
    referral_header: list[str]  # decision labels printed
    referrals: dict[str, list[str]]  # destination label -> cells (decisions..., total); with "Total"
    gap: dict[str, str]
    # label -> on roll, share of roll, supported, share supported, compared ("Under 10": not broken down)
    groups: dict[str, tuple[str, str, str, str, str]]


GROUP_LABELS = ("SEND: EHC plan (E)", "SEND: SEN support (K)", "Free school meals",
                "English as an additional language", "Looked-after children", "Young carers", "Ethnicity: White",
                "Ethnicity: Mixed", "Ethnicity: Asian", "Ethnicity: Black", "Ethnicity: Chinese",
                "Ethnicity: any other group", "Ethnicity: not obtained or refused")


def read_report(text: str) -> Printed:
    s: dict[str, str] = {}
    s["supported"] = _one(r"Pupils supported directly \(at least one session attended\) " + CELL, text)
    for key, label in (("new_plans", "New support plans"), ("closed_plans", "Support plans closed"),
                       ("open_plans", "Support plans open at the end of the period"),
                       ("delivered", "Direct support sessions delivered"),
                       ("planned", r"Direct support sessions planned \(not cancelled by the school\)"),
                       ("meetings", "MHST liaison meetings"),
                       ("consultations", r"Staff consultations \(advice to staff\)"),
                       ("open_actions", "Open liaison actions at the end of the period"),
                       ("training", "Staff training activities")):
        s[key] = _one(label + " " + CELL, text)
    s["attendance"] = _one(r"Attendance rate \(delivered, of planned\) " + SHARE, text)
    s["roll"] = _one(r"Pupils on roll in the period: " + CELL + r"\.", text)
    s["supported_again"] = _one(r"Pupils supported directly: " + CELL + r"\.", text)
    s["pending"] = _one(r"Referrals waiting for a decision at the end of the period \(sent in it or before\): "
                        + CELL, text) or ("0" if "No referral was waiting" in text else None)

    tier_part = _between(text, "Tier of support plan Pupils", "Time by MHST function")
    tiers = {}
    for label in (*TIERS.values(), "No support plan", "Total"):
        cell = _one(re.escape(label) + " " + CELL, tier_part)
        if cell is not None:
            tiers[label] = cell

    outcomes = {}
    for code, inst in INSTRUMENTS.items():
        m = re.search(re.escape(f"{code}: {inst.name}") + " " + " ".join([CELL] + [CELL_SHARE] * 3), text)
        if m:
            outcomes[code] = m.groups()

    part = _between(text, "Referrals by service and decision Service ", "Referrals sent in the period")
    header: list[str] = []
    referrals: dict[str, list[str]] = {}
    if part:
        part = "Service " + part
        head, _, body = part.partition(" Total ")
        header = sorted((label for label in REFERRAL_DECISIONS.values() if label in head), key=head.index)
        cells = " ".join([CELL] * (len(header) + 1))
        last = body.rfind("Total ")
        for label in REFERRAL_DESTINATIONS.values():
            m = re.search(re.escape(label) + " " + cells, body[:last])
            if m:
                referrals[label] = list(m.groups())
        m = re.search("Total " + cells, body[last:])
        if m:
            referrals["Total"] = list(m.groups())
    else:
        made = _one(r"(About \d+|Fewer than 8) referrals were made: too few", text)
        s["referrals_made"] = _sentence_count(made) if made else ("0" if "No referrals were made" in text else None)
    if "Total" in referrals:
        s["referrals_made"] = referrals["Total"][-1]

    gap_part = _between(text, "Time in the gap Pupils", "Page ")
    gap = {}
    for label in ("Under 4 weeks", "4 to 12 weeks", "Over 12 weeks", "Total"):
        cell = _one(re.escape(label) + " " + CELL, gap_part)
        if cell is not None:
            gap[label] = cell
    s["in_gap"] = gap.get("Total") or _one(r"Pupils in the gap at the end of the period: " + CELL, text) or (
        "0" if "No pupil was in the gap" in text else None)

    groups = {}
    fair = _between(text, "Compared with roll", "A group whose share")
    for label in GROUP_LABELS:
        m = re.search(re.escape(label) + f" {CELL} {SHARE} {CELL} {SHARE} (Lower|Higher|Similar|—|Under 10)", fair)
        if m:
            groups[label] = m.groups()
    return Printed(s, tiers, outcomes, header, referrals, gap, groups)


# --------------------------------------------------------------------------- #
# The report's arithmetic as a system
# --------------------------------------------------------------------------- #
def report_system(p: Printed) -> System:
    sys_ = System()
    supported = sys_.var("supported", p.scalars["supported"])
    if p.scalars.get("supported_again"):
        sys_.var("supported", p.scalars["supported_again"])
    if p.tiers:
        parts = [sys_.var(f"tier:{label}", cell) for label, cell in p.tiers.items() if label != "Total"]
        sys_.var("supported", p.tiers["Total"])
        sys_.add_sum(parts, supported)
        sys_.narrow(supported, lo=sup.MIN_GROUP)  # broken down by tier: at least 10
    elif p.scalars["supported"] not in ("0",):
        sys_.narrow(supported, hi=sup.MIN_GROUP - 1)  # "too few to break down"
    for code, (paired, *cells) in p.outcomes.items():
        if paired.startswith("under") or not cells or cells[0] == "too":
            continue
        total = sys_.var(f"outcome:{code}:paired", paired)
        sys_.narrow(total, lo=sup.MIN_GROUP)
        parts = [sys_.var(f"outcome:{code}:{k}", c) for k, c in zip(("improved", "no_change", "deteriorated"), cells)]
        sys_.add_sum(parts, total)
    if p.referrals:
        rows = [label for label in p.referrals if label != "Total"]
        grand = sys_.var("referrals:total", p.referrals["Total"][-1])
        col_totals = [sys_.var(f"referrals:Total:{d}", c) for d, c in zip(p.referral_header, p.referrals["Total"])]
        cells = {}
        for r in rows:
            row_cells = [sys_.var(f"referrals:{r}:{d}", c) for d, c in zip(p.referral_header, p.referrals[r])]
            cells[r] = row_cells
            sys_.add_sum(row_cells, sys_.var(f"referrals:{r}:Total", p.referrals[r][-1]))
        for j, col in enumerate(col_totals):
            sys_.add_sum([cells[r][j] for r in rows], col)
        sys_.add_sum(col_totals, grand)
        sys_.narrow(grand, lo=sup.MIN_GROUP)
        sys_.add_sum([sys_.by_name[f"referrals:{r}:Total"] for r in rows], grand)
    if p.gap and "Total" in p.gap:
        parts = [sys_.var(f"gap:{label}", c) for label, c in p.gap.items() if label != "Total"]
        sys_.add_sum(parts, sys_.var("in_gap", p.gap["Total"]))
        sys_.narrow(sys_.by_name["in_gap"], lo=sup.MIN_GROUP)
    roll = sys_.var("roll", p.scalars["roll"]) if p.scalars.get("roll") else None
    eth_roll, eth_sup = [], []
    for label, (on_roll, _roll_share, sup_text, _sup_share, compared) in p.groups.items():
        g = sys_.var(f"group:{label}:on_roll", on_roll)
        if compared == "Under 10":
            sys_.narrow(g, hi=sup.MIN_GROUP - 1)
        elif on_roll != "0":
            sys_.narrow(g, lo=sup.MIN_GROUP)
        s = sys_.var(f"group:{label}:supported", sup_text)
        sys_.add_le(s, g)
        sys_.add_le(s, supported)
        if roll is not None:
            sys_.add_le(g, roll)
        if label.startswith("Ethnicity:"):
            eth_roll.append(g)
            eth_sup.append(s)
    if roll is not None and len(eth_roll) == 7:
        sys_.add_sum(eth_roll, roll)
        sys_.add_sum(eth_sup, supported)
    return sys_


def share_problems(p: Printed) -> list[str]:
    """Every printed percentage that is not the share of the printed counts beside it (should be none)."""
    bad = []

    def check(where: str, share: str | None, num: str | None, den: str | None) -> None:
        if share is None or share == sup.NOT_SHOWN:
            return
        if share != sup.share(num, den):
            bad.append(f"{where}: {share} beside {num} of {den}")

    check("attendance", p.scalars.get("attendance"), p.scalars.get("delivered"), p.scalars.get("planned"))
    for code, (paired, *cells) in p.outcomes.items():
        for c in cells:
            m = re.match(r"(.+) \((\d+%)\)$", c)
            if m:
                check(f"outcome {code}", m.group(2), m.group(1), paired)
    for label, (on_roll, roll_share, supported, sup_share, _compared) in p.groups.items():
        check(f"{label} share of roll", roll_share, on_roll, p.scalars.get("roll"))
        check(f"{label} share of supported", sup_share, supported, p.scalars.get("supported"))
    return bad
