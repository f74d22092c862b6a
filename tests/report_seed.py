"""A small fictional school for the report tests, seeded through the services.

Autumn 2025 (1 Aug - 31 Dec 2025, the DfE census default: no term dates are set)
is the reported term; summer 2025 (Easter Monday 21 Apr - 31 Jul 2025) the one before. The numbers are chosen so each small-number rule shows:

* 12 pupils supported (prints "10"); by tier 9 targeted, 3 MHST (3 prints
  "fewer than 8", and the targeted cell is hidden "*" so it cannot be worked
  out from the total);
* 31 referrals: MHST 8 accepted / 2 not accepted, CAMHS 3 accepted / 9 not
  accepted, early help 9 signposted (secondary suppression in the table);
* 10 pupils in the gap at the end of the term (refused by the MHST and by CAMHS:
  seven of the MHST refusals were sent in March 2025, before both periods, so the
  tables above are the autumn's own);
* EAL: 5 pupils on roll (a group under 10: not broken down);
* summer 2025: 5 pupils supported, 6 sessions planned (attendance rate not
  shown: denominator under 10);
* SDQ (self) paired for 12 pupils: 8 improved (67%), 2 no change, 2 deteriorated;
  RCADS-25 paired for 3 (too few to report).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff
from schoolmh.domain.upn import make_upn
from schoolmh.services import activities, liaison, measures, plans, pupils, referrals, sessions

TERM_START = dt.date(2025, 8, 1)
TERM_END = dt.date(2025, 12, 31)
PREV_START = dt.date(2025, 4, 21)
PREV_END = dt.date(2025, 7, 31)
PRODUCED = dt.date(2026, 1, 12)
N_PUPILS = 40

SPECIAL_NAMES = {
    0: ("Zoë", "Ní Bhriain", "", ""),
    1: ("Łukasz", "Wójcik", "", ""),
    2: ("Zephyrine", "Quillfeather", "", ""),
    3: ("Ming", "Li", "明", "李"),
    4: ("Ayesha", "Rahman", "عائشة", "رحمن"),
}


@dataclass
class Seeded:
    pupil_uuids: list[str]
    names: list[str]  # every name part used (to prove none reaches the governors' report)
    upns: list[str]


def _sdq(total: int) -> dict:
    # four difficulty subscales add up to the total; prosocial does not count
    parts = [total // 4 + (1 if i < total % 4 else 0) for i in range(4)]
    return {"emotional": parts[0], "conduct": parts[1], "hyperactivity": parts[2], "peer": parts[3],
            "prosocial": 7}


def seed_school(s) -> Seeded:
    """Seed the fictional school as the signed-in lead ``s``."""
    uuids, names, upns = [], [], []
    for i in range(N_PUPILS):
        fore, sur, pfore, psur = SPECIAL_NAMES.get(i, (f"Ysolde{i:02d}", f"Marchbanks{i:02d}", "", ""))
        upn = make_upn(4000 + i)
        eth = "WBRI" if i < 20 else "ABAN" if i < 30 else "BAFR" if i < 36 else ""
        p = pupils.create_pupil(
            s, upn=upn, legal_forename=fore, legal_surname=sur, preferred_forename=pfore,
            preferred_surname=psur, dob=dt.date(2011, 3, 1 + i % 28), sex="F" if i % 2 else "M",
            year_group=9, tutor_group="9Q", ethnicity=eth,
            sen_provision="E" if i < 3 else "K" if i < 15 else "N",
            fsm=i < 15, eal=i < 5, looked_after=i < 2, young_carer=i < 3,
        )
        uuids.append(p.uuid)
        names += [n for n in (fore, sur, pfore, psur) if n]
        upns.append(upn)

    # support plans and sessions in autumn 2025: pupils 0-11 supported
    plan_ids = {}
    for i in range(12):
        plan = plans.create_plan(
            s, uuids[i], "targeted" if i < 9 else "mhst", presenting_needs=f"Worries about school ({i})",
            goals=["Sleep better", "Come to school every day"], strategies="Weekly check-in",
            people_involved=["pupil", "parent"], start_date=dt.date(2025, 9, 8), review_date=dt.date(2025, 12, 1),
        )
        plan_ids[i] = plan
        goal_uuid = plan.goals[0].uuid
        sessions.record_session(s, uuids[i], date=dt.date(2025, 9, 15), duration_minutes=45,
                                note=f"Talked about sleep ({i})", goal_ratings={goal_uuid: 3})
        sessions.record_session(s, uuids[i], date=dt.date(2025, 10, 15), duration_minutes=45, mode="video",
                                note="Follow-up", goal_ratings={goal_uuid: 6})
        if i < 4:
            sessions.record_session(s, uuids[i], date=dt.date(2025, 11, 12), attendance="dna")
    sessions.record_session(s, uuids[12], date=dt.date(2025, 11, 12), attendance="dna")
    for i in (0, 1):
        plans.add_review(s, plan_ids[i].uuid, review_date=dt.date(2025, 11, 20), notes="Good progress",
                         next_review_date=dt.date(2025, 12, 1))
        plans.close_plan(s, plan_ids[i].uuid, closed_on=dt.date(2025, 12, 1), outcome="Goals met")
    # whole-school and liaison time
    sessions.record_session(s, None, date=dt.date(2025, 10, 1), duration_minutes=120, function=2, type="group",
                            mode="group")

    # summer 2025: pupils 20-24, one attended and one cancelled by the family (6 planned)
    for i in range(20, 25):
        sessions.record_session(s, uuids[i], date=dt.date(2025, 5, 10), duration_minutes=30)
    sessions.record_session(s, uuids[20], date=dt.date(2025, 6, 10), attendance="cancelled_family")

    # outcomes: SDQ self for 0-11 (8 improve, 2 same, 2 worse); RCADS for 0-2
    for i in range(12):
        first, latest = (20, 10) if i < 8 else (15, 14) if i < 10 else (10, 18)
        measures.record_measure(s, uuids[i], "SDQ", "self", _sdq(first), date=dt.date(2025, 9, 15))
        measures.record_measure(s, uuids[i], "SDQ", "self", _sdq(latest), date=dt.date(2025, 12, 1))
    for i in range(3):
        for day, (a, d) in ((dt.date(2025, 9, 16), (30, 20)), (dt.date(2025, 12, 2), (12, 8))):
            measures.record_measure(s, uuids[i], "RCADS25", "child", {"anxiety": a, "depression": d}, date=day)

    # referrals in autumn 2025
    def refer(i: int, dest: str, sent: dt.date, decision: str | None, after: int):
        r = referrals.create_referral(s, uuids[i], dest, sent, reason="Low mood")
        if decision:
            referrals.record_decision(s, r.uuid, decision, sent + dt.timedelta(days=after),
                                      reason="Above remit" if decision == "not_accepted" else "")

    for n, i in enumerate(range(0, 8)):
        refer(i, "mhst", dt.date(2025, 9, 10) + dt.timedelta(days=n), "accepted", 14)
    for n, i in enumerate((20, 21)):
        refer(i, "mhst", dt.date(2025, 9, 20) + dt.timedelta(days=n), "not_accepted", 21)
    for n, i in enumerate((12, 13, 14)):
        refer(i, "camhs", dt.date(2025, 10, 1) + dt.timedelta(days=n), "accepted", 40)
    for n, i in enumerate(range(15, 24)):
        refer(i, "camhs", dt.date(2025, 10, 10) + dt.timedelta(days=n), "not_accepted", 30)
    for n, i in enumerate(range(24, 33)):
        refer(i, "early_help", dt.date(2025, 11, 1) + dt.timedelta(days=n), "signposted", 7)
    # MHST refusals from March 2025 (outside both reported periods) for the pupils CAMHS refused
    for n, i in enumerate((15, 16, 17, 18, 19, 22, 23, 33)):
        refer(i, "mhst", dt.date(2025, 3, 3) + dt.timedelta(days=n), "not_accepted", 14)
    # one from the summer, never accepted: in the gap since March
    refer(33, "camhs", dt.date(2025, 6, 2), "not_accepted", 20)

    # the action plan and whole-school activities
    for principle, rag in (("leadership", "green"), ("ethos", "amber"), ("curriculum", "red"),
                           ("staff_dev", "green"), ("curriculum", "green")):
        activities.create_objective(s, principle=principle, text=f"Objective for {principle}", rag=rag)
    for title, principles_, category, day, pupils_, staff_ in (
        ("Wellbeing policy review", ["leadership"], "policy", dt.date(2025, 9, 20), 0, 12),
        ("Year 7 resilience lessons", ["curriculum"], "lesson", dt.date(2025, 10, 2), 180, 0),
        ("Year 8 resilience lessons", ["curriculum", "targeted"], "lesson", dt.date(2025, 10, 9), 60, 0),
        ("Staff training: anxiety", ["staff_dev"], "staff_training", dt.date(2025, 11, 5), 0, 45),
        ("Wellbeing screening pilot", ["identify"], "screening", dt.date(2025, 11, 19), 3, 2),
    ):
        activities.create_activity(s, title=title, start_on=day, principles=principles_, category=category,
                                   reach_pupils=pupils_, reach_staff=staff_)

    # liaison: three meetings with an action each (one done); two consultations
    for n in range(3):
        m = liaison.create_meeting(s, date=dt.date(2025, 10, 6) + dt.timedelta(days=21 * n),
                                   type="case_discussion" if n == 0 else "planning",
                                   discussion="Case discussion notes", pupil_uuids=[uuids[9]] if n == 0 else [],
                                   actions=[(f"Follow up {n}", "Lead", dt.date(2025, 12, 1))])
        if n == 0:
            liaison.mark_action_done(s, m.actions[0].uuid, dt.date(2025, 11, 1))
    liaison.create_consultation(s, date=dt.date(2025, 10, 20), staff_advised="Form tutor",
                                topic="Advice on a pupil's anxiety", pupil_uuid=uuids[9])
    liaison.create_consultation(s, date=dt.date(2025, 11, 20), staff_advised="Head of year", topic="Exam stress")
    return Seeded(uuids, names, upns)


# --------------------------------------------------------------------------- #
# One seeded vault per test module, with a way to act as another role
# --------------------------------------------------------------------------- #
class School:
    """A seeded vault kept open as the lead; ``as_role`` signs in as another account for a moment."""

    def __init__(self, folder):
        from schoolmh.services import access

        self.folder = folder
        setup = access.init_school(folder, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
        self.session = setup.session
        self.seeded = seed_school(self.session)
        for role in ("head", "pastoral", "mhst"):
            add_staff(self.session, f"{role}1", role, f"{role.title()} One")

    def as_role(self, role: str):
        """Context manager: close the lead's session, yield a session for ``role``, then sign the lead back in."""
        from contextlib import contextmanager

        from schoolmh.services import access

        @contextmanager
        def _cm():
            self.session.close()
            other = access.sign_in(self.folder, f"{role}1", STAFF_PASSWORD) if role != "lead" else None
            try:
                yield other
            finally:
                if other is not None and other.is_open:
                    other.close()
                self.session = access.sign_in(self.folder, "lead", LEAD_PASSWORD)

        return _cm()

    def close(self) -> None:
        if self.session.is_open:
            self.session.close()
