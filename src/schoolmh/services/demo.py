"""A demo vault full of realistic, entirely fictional data, and a synthetic MIS export.

Used for training, screenshots, trying SchoolMH out and benchmarks. Everything is
written THROUGH THE SERVICES (the same validation and audit trail as real use),
inside one outer transaction so the audit head is written once.

Deterministic: all choices come from ``random.Random(seed)``, and the data runs over
fixed dates: school days from DEMO_START (1 September 2025) to DEMO_REFERENCE_END
(20 November 2026, in the autumn 2026 term), never past today (a machine whose
clock is earlier stops there, and only then does the output depend on the date).
After the autumn 2026 term the dashboard's default "this term" is empty for a demo
vault; pick a term inside the data (e.g. ``schoolmh dashboard --term autumn --year 2026``).
Record UUIDs and created/updated timestamps are not seeded: they are identities
and audit facts, not data.

Demo only: every staff account (a second lead, three pastoral staff, the head and
two MHST practitioners) gets the lead's password and no "must change password"
flag, so a trainer can sign in as any role. Never do that with real accounts. The
vault is marked demo (settings.is_demo), which the window shows in its title bar.

What ``pupils`` means: the number of pupil records. A few of them (one per 400,
at least one from 20 pupils) are former pupils who left years ago and are due for
retention review; the rest are on roll in Years 7-11 (2026/27).
"""
from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from schoolmh.db.models.records import Pupil
from schoolmh.domain.mis import read_mis_bytes
from schoolmh.domain.upn import make_upn
from schoolmh.fsutil import atomic_write_bytes
from schoolmh.services import (
    access,
    activities,
    liaison,
    plans,
    pupil_import,
    pupils as pupils_service,
    referrals,
    sessions,
    users,
)
from schoolmh.services.export import csv_bytes
from schoolmh.services.measures import age_on
from schoolmh.services.session import Session
from schoolmh.services.terms import current_term

Progress = Callable[[int, int], None]

DEMO_SCHOOL = "Demo Academy (fictional)"
LEAD_USERNAME = "lead"
LEAD_NAME = "Morgan Ellis"
DEMO_START = dt.date(2025, 9, 1)
DEMO_REFERENCE_END = dt.date(2026, 11, 20)
SUPPORTED_SHARE = 0.15
TARGET_FUNCTION_SHARE = {1: 55, 2: 25, 3: 20}  # the demo school's own split (national: 52/24/23)
EMPTY_PRINCIPLE_THIS_TERM = "voice"  # a gap the governors' report should show
DEMO_LA = 999  # not a real local authority: demo UPNs cannot be a real pupil's

# Fictional holidays (typical English dates) so sessions fall on school days.
HOLIDAYS = (
    (dt.date(2025, 10, 27), dt.date(2025, 10, 31)),
    (dt.date(2025, 12, 22), dt.date(2026, 1, 2)),
    (dt.date(2026, 2, 16), dt.date(2026, 2, 20)),
    (dt.date(2026, 3, 30), dt.date(2026, 4, 10)),
    (dt.date(2026, 5, 25), dt.date(2026, 5, 29)),
    (dt.date(2026, 7, 22), dt.date(2026, 9, 1)),
    (dt.date(2026, 10, 26), dt.date(2026, 10, 30)),
    (dt.date(2026, 12, 21), dt.date(2027, 1, 1)),
)

STAFF = (  # username, full name, role (lead "lead" is created by init_school)
    ("lead2", "Priya Raman", "lead"),
    ("pastoral1", "Sam O'Donnell", "pastoral"),
    ("pastoral2", "Chloé Martin", "pastoral"),
    ("pastoral3", "Tunde Bakare", "pastoral"),
    ("head", "Helen Marsh", "head"),
    ("mhst1", "Joanna Wiśniewska", "mhst"),
    ("mhst2", "Kwame Asante", "mhst"),
)

MIS_HEADERS = (
    "UPN", "Legal Surname", "Legal Forename", "Preferred Forename", "DOB", "Gender", "Year", "Reg", "Ethnicity",
    "SEN Status", "Primary Need", "FSM", "EAL", "Pupil Premium", "In Care", "Young Carer",
)


# --- names ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Culture:
    weight: int
    ethnicity: tuple[str, ...]
    eal: float  # chance the pupil has English as an additional language
    girls: tuple[str, ...]
    boys: tuple[str, ...]
    surnames: tuple[str, ...]  # "Kowalski|Kowalska": masculine|feminine forms


def _t(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


CULTURES = (
    _Culture(46, ("WBRI",), 0.0,
             _t("Olivia, Amelia, Isla, Ava, Freya, Zoë, Chloe, Poppy, Ruby, Evie, Grace, Lily, Ellie, Megan, Jessica, Sophie, Holly"),
             _t("Oliver, George, Harry, Jack, Charlie, Thomas, Alfie, Oscar, James, William, Leo, Archie, Joshua, Ethan, Noah, Finley"),
             _t("Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Robinson, Wright, Thompson, Walker, White, Green, Hall, "
                "Wood, Jackson, Clarke, Hughes, Turner, Lloyd-Hughes, Fairweather, Ashworth, Pennington")),
    _Culture(5, ("WBRI",), 0.1, _t("Siân, Cerys, Ffion, Angharad, Eleri, Catrin, Gwenllian"),
             _t("Rhys, Dafydd, Gethin, Iwan, Emrys, Owain, Llŷr"), _t("Llewellyn, Pryce, Morgan, Vaughan, Bowen, ap Rhys")),
    _Culture(4, ("WIRI",), 0.0, _t("Aoife, Niamh, Saoirse, Siobhán, Róisín, Caoimhe"),
             _t("Seán, Oisín, Cian, Darragh, Pádraig, Eoin"),
             _t("O'Connor, O'Brien, Murphy, Kelly, O'Sullivan, McCarthy, Byrne, Ó Briain, Fitzgerald")),
    _Culture(6, ("WOTH",), 0.7, _t("Zofia, Zuzanna, Małgorzata, Agnieszka, Wiktoria, Julia"),
             _t("Łukasz, Mateusz, Jakub, Paweł, Wojciech, Michał"),
             _t("Nowak, Wójcik, Kowalczyk, Kowalski|Kowalska, Wiśniewski|Wiśniewska, Zieliński|Zielińska")),
    _Culture(3, ("WOTH",), 0.7, _t("Ioana, Andreea, Bianca, Beatriz, Inês, Lucía"), _t("Andrei, Ștefan, Mihai, João, Tomás, Álvaro"),
             _t("Popescu, Ionescu, Dumitru, Silva, Gonçalves, García, Muñoz")),
    _Culture(3, ("WOTH",), 0.7, _t("Anastasia, Yelena, Sofiya, Daria"), _t("Dmitri, Alexei, Mykola, Ivan"),
             _t("Ivanov|Ivanova, Petrenko, Kovalenko, Smirnov|Smirnova, Shevchenko")),
    _Culture(1, ("WROM", "WIRT"), 0.3, _t("Esmeralda, Mirela, Roxana"), _t("Florin, Marius, Tiberiu"), _t("Lakatos, Stoica, Lee, Smith")),
    _Culture(3, ("AOTH",), 0.6, _t("Linh, Thảo, Ngọc, Mai, Anh"), _t("Minh, Huy, Đức, Khoa, Bảo"), _t("Nguyễn, Trần, Lê, Phạm, Hoàng")),
    _Culture(5, ("BAFR",), 0.3, _t("Ngozi, Chiamaka, Adaeze, Folake, Temitope, Oluwaseun, Hodan, Ama"),
             _t("Oluwaseun, Chinedu, Emeka, Tunde, Ayodele, Obinna, Kwame, Abdirahman"),
             _t("Okafor, Adeyemi, Nwosu, Balogun, Eze, Okonkwo, Adebayo, Mensah, Osei, Warsame")),
    _Culture(3, ("BCRB", "BOTH"), 0.0, _t("Shanice, Tiana, Keisha, Aaliyah, Nia"), _t("Jaden, Tyrone, Kai, Malachi, Jermaine"),
             _t("Campbell, Francis, Bailey, Grant, Ellis, Clarke, Thomas")),
    _Culture(6, ("APKN",), 0.5, _t("Aisha, Fatima, Maryam, Zainab, Hafsa, Iqra"), _t("Muhammad, Ibrahim, Hamza, Bilal, Zain, Yusuf"),
             _t("Khan, Hussain, Ahmed, Ali, Iqbal, Rashid, Mahmood")),
    _Culture(4, ("AIND",), 0.4, _t("Priya, Ananya, Diya, Simran, Kavya, Harpreet"), _t("Arjun, Rohan, Vikram, Aarav, Gurpreet, Dev"),
             _t("Patel, Sharma, Singh, Gupta, Mistry, Chauhan")),
    _Culture(2, ("ABAN",), 0.5, _t("Nusrat, Tasnim, Sumaiya, Farhana"), _t("Rahim, Tanvir, Arif, Sabbir"),
             _t("Rahman, Uddin, Miah, Chowdhury, Islam")),
    _Culture(2, ("CHNE",), 0.5, _t("Mei, Xinyi, Yuting, Jiayi"), _t("Wei, Hao, Jun, Zihan"), _t("Chen, Wang, Li, Zhang, Liu, Wong")),
    _Culture(2, ("OOTH",), 0.6, _t("Layla, Noor, Yasmin, Mariam"), _t("Omar, Khalid, Yousef, Tariq"),
             _t("Al-Sayed, Haddad, Nasser, El-Amin, Mansour")),
    _Culture(5, ("MWBC", "MWBA", "MWAS", "MOTH"), 0.05, _t("Maya, Jasmine, Leah, Imani, Zoë, Amara"),
             _t("Elijah, Isaac, Reuben, Jayden, Zachary, Tobias"),
             _t("Campbell-Jones, Okafor-Smith, Patel-Wright, Francis, Ahmed, Hughes, Murphy")),
)
PREFERRED = {
    "Oluwaseun": "Seun", "Temitope": "Temi", "Muhammad": "Mo", "Małgorzata": "Gosia", "Zuzanna": "Zuza",
    "Anastasia": "Nastya", "Thomas": "Tom", "William": "Will", "Joshua": "Josh", "Jessica": "Jess",
    "Abdirahman": "Abdi", "Angharad": "Hari", "Gwenllian": "Gwen", "Chiamaka": "Chi",
}
NEEDS = ("SEMH", "SEMH", "SEMH", "ASD", "ASD", "SLCN", "SPLD", "MLD", "OTH", "NSA")


@dataclass(frozen=True)
class DemoPupil:
    upn: str
    legal_surname: str
    legal_forename: str
    preferred_forename: str
    dob: dt.date
    sex: str
    year_group: int
    tutor_group: str
    ethnicity: str
    sen: str
    primary_need: str
    fsm: bool
    eal: bool
    pupil_premium: bool
    looked_after: bool
    young_carer: bool


def demo_pupils(count: int, seed: int) -> list[DemoPupil]:
    """``count`` fictional pupils on roll in Years 7-11 (2026/27), deterministic for ``seed``."""
    rng = random.Random(f"pupils/{seed}")
    weights = [c.weight for c in CULTURES]
    per_year = {y: 0 for y in range(7, 12)}
    out = []
    for i in range(count):
        year = 7 + (i % 5)
        per_year[year] += 1
        culture = rng.choices(CULTURES, weights)[0]
        sex = rng.choice("FM")
        forename = rng.choice(culture.girls if sex == "F" else culture.boys)
        surname = rng.choice(culture.surnames)
        if "|" in surname:
            surname = surname.split("|")[1 if sex == "F" else 0]
        preferred = PREFERRED.get(forename, "") if rng.random() < 0.5 else ""
        ethnicity = rng.choice(culture.ethnicity) if rng.random() > 0.02 else rng.choice(("REFU", "NOBT"))
        # Year Y in 2026/27 was born 1 Sep (2026 - Y - 5) .. 31 Aug the year after.
        dob = dt.date(2026 - year - 5, 9, 1) + dt.timedelta(days=rng.randrange(365))
        roll = rng.random()
        sen = "E" if roll < 0.03 else "K" if roll < 0.16 else "N"
        fsm = rng.random() < 0.24
        out.append(DemoPupil(
            upn=make_upn(i + 1, DEMO_LA), legal_surname=surname, legal_forename=forename, preferred_forename=preferred,
            dob=dob, sex=sex, year_group=year, tutor_group=f"{year}{'ABCDEFGHJKLMNP'[(per_year[year] - 1) % 14]}",
            ethnicity=ethnicity, sen=sen, primary_need=rng.choice(NEEDS) if sen != "N" else "",
            fsm=fsm, eal=rng.random() < culture.eal, pupil_premium=fsm or rng.random() < 0.04,
            looked_after=rng.random() < 0.01, young_carer=rng.random() < 0.02,
        ))
    return out


def mis_csv_bytes(rows: list[DemoPupil]) -> bytes:
    """A SIMS-style export: its headers, dd/mm/yyyy dates, Y/N flags (through the formula-safe CSV writer)."""
    yn = lambda flag: "Y" if flag else "N"  # noqa: E731
    return csv_bytes(MIS_HEADERS, (
        (p.upn, p.legal_surname, p.legal_forename, p.preferred_forename, p.dob.strftime("%d/%m/%Y"), p.sex,
         p.year_group, p.tutor_group, p.ethnicity, p.sen, p.primary_need, yn(p.fsm), yn(p.eal),
         yn(p.pupil_premium), yn(p.looked_after), yn(p.young_carer))
        for p in rows
    ))


def write_demo_mis_csv(path: Path, pupils: int, seed: int = 1) -> int:
    """Write a synthetic MIS export of ``pupils`` fictional pupils; returns the number written."""
    if not 1 <= pupils <= 100_000:
        raise ValueError("pupils must be 1..100000")
    atomic_write_bytes(Path(path), mis_csv_bytes(demo_pupils(pupils, seed)))
    return pupils


# --- the school calendar ------------------------------------------------------------------------------
def school_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5 and not any(a <= day <= b for a, b in HOLIDAYS):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _next_school_day(day: dt.date, days: list[dt.date]) -> dt.date | None:
    i = bisect.bisect_left(days, day)
    return days[i] if i < len(days) else None


# --- scores with plausible change -----------------------------------------------------------------
def _spread(rng: random.Random, total: int, parts: int, high: int, low: int = 0) -> list[int]:
    """``parts`` whole numbers in [low, high] adding up to ``total`` (clamped to what is possible)."""
    total = max(parts * low, min(parts * high, total))
    values = [low] * parts
    for _ in range(total - parts * low):
        room = [i for i in range(parts) if values[i] < high]
        values[rng.choice(room)] += 1
    return values


def _sdq(rng: random.Random, difficulties: int) -> dict:
    emotional, conduct, hyper, peer = _spread(rng, difficulties, 4, 10)
    return {"emotional": emotional, "conduct": conduct, "hyperactivity": hyper, "peer": peer,
            "prosocial": rng.randint(4, 10)}


def _swemwbs(rng: random.Random, raw: int) -> dict:
    return {f"i{k}": v for k, v in enumerate(_spread(rng, raw, 7, 5, 1), start=1)}


def _measures_pair(rng: random.Random, tier: str, age: int, improve: float) -> tuple[list, list]:
    """Baseline and follow-up measures; ``improve`` in roughly [-0.3, 1.5] scales how much better."""
    first, last = [], []
    sdq0 = rng.randint(15, 27)
    sdq1 = max(0, min(40, round(sdq0 - improve * rng.gauss(6, 2.5))))
    first.append(("SDQ", "self", _sdq(rng, sdq0)))
    last.append(("SDQ", "self", _sdq(rng, sdq1)))
    if rng.random() < 0.3:
        p0 = rng.randint(13, 25)
        first.append(("SDQ", "parent", _sdq(rng, p0)))
        last.append(("SDQ", "parent", _sdq(rng, max(0, round(p0 - improve * rng.gauss(4, 2))))))
    if tier == "mhst":
        anx0, dep0 = rng.randint(12, 32), rng.randint(6, 20)
        first.append(("RCADS25", "child", {"anxiety": anx0, "depression": dep0}))
        last.append(("RCADS25", "child", {
            "anxiety": max(0, min(45, round(anx0 - improve * rng.gauss(7, 3)))),
            "depression": max(0, min(30, round(dep0 - improve * rng.gauss(4, 2)))),
        }))
    if age >= 13:
        w0 = rng.randint(14, 24)
        first.append(("SWEMWBS", "self", _swemwbs(rng, w0)))
        last.append(("SWEMWBS", "self", _swemwbs(rng, max(7, min(35, round(w0 + improve * rng.gauss(4, 1.5)))))))
    return first, last


# --- texts ---------------------------------------------------------------------------------------
NEEDS_TEXT = (
    "Worry about school and tests; difficulty getting to sleep.", "Low mood since moving house; withdrawn in lessons.",
    "Anger outbursts at break times; friendship difficulties.", "Panic feelings before lessons; avoiding the canteen.",
    "Low self-esteem; says they have no friends.", "Bereavement of a grandparent; tearful in school.",
    "Worried about a parent's health; tired and distracted.", "Friendship breakdown online; not wanting to come in.",
)
GOALS = (
    "Get to sleep before 10pm most nights", "Eat lunch in the canteen with a friend", "Put my hand up once a lesson",
    "Use my calm plan when I feel angry", "Come to school on time every day", "Talk to someone when I feel low",
    "Join one club", "Go into the exam hall for a mock", "Spend less time on my phone at night",
    "Walk to school with a friend", "Tell my tutor when I am worried",
)
STRATEGIES = (
    "Weekly 1:1 check-in; worry time; breathing practice.", "Guided self-help CBT (6-8 sessions); thought diary.",
    "Behavioural activation plan; agreed lunchtime space.", "Calm plan shared with staff; exit card.",
    "Graded exposure steps agreed with pupil and parent.", "Mentoring and a buddy at break times.",
)
NOTES = (
    "Reviewed the week; practised breathing.", "Talked about sleep routine; agreed one small step.",
    "Thought diary reviewed; good progress.", "Low today; agreed to check in tomorrow.",
    "Practised the calm plan; role-played a hard moment.", "Worked on a worry ladder; next step agreed.",
    "Parent joined for ten minutes; plan shared.", "Good week; goal ratings up.", "",
)
OUTCOMES = (
    "Goals met; pupil feels able to manage with universal support.", "Much improved; stepped down to check-ins.",
    "Some progress; moved to a group.", "Referred on for specialist assessment.",
)
F2_NOTES = ("Assembly on managing stress", "Workshop with Year 8", "Staff briefing on anxiety", "Tutor-time resources",
            "Parent information evening", "Wellbeing drop-in for Year 11")
F3_NOTES = ("Advice to Head of Year", "Call with school nurse", "Early help meeting", "Advice to SENCo",
            "Consultation with a tutor")
ACTIVITY_TEMPLATES = {
    "leadership": (("Governors' wellbeing briefing", "policy", "governors"), ("Mental health policy review", "policy", "SLT"),
                   ("Wellbeing learning walk", "policy", "SLT")),
    "ethos": (("Kindness week", "assembly", "all pupils"), ("Anti-bullying week assemblies", "assembly", "Years 7-11"),
              ("Calm corridor project", "other", "all pupils")),
    "curriculum": (("PSHE: managing worry", "lesson", "Year 8"), ("Resilience lessons", "lesson", "Year 7"),
                   ("Exam stress lesson", "lesson", "Year 11")),
    "voice": (("Pupil wellbeing survey", "voice", "Years 7-11"), ("School council wellbeing forum", "voice", "school council"),
              ("Wellbeing ambassadors training", "voice", "ambassadors")),
    "staff_dev": (("INSET: trauma-informed practice", "staff_training", "all staff"),
                  ("Emotion coaching training", "staff_training", "tutors"), ("Staff wellbeing afternoon", "staff_training", "all staff")),
    "identify": (("Year 7 wellbeing screening", "screening", "Year 7"), ("Attendance and wellbeing review", "screening", "Year 9"),
                 ("SDQ screening", "screening", "Year 9")),
    "parents": (("Parent workshop: supporting anxious teens", "parents", "parents"),
                ("Coffee morning with the MHST", "parents", "parents"), ("Parents' evening wellbeing stall", "parents", "parents")),
    "targeted": (("Anxiety group", "workshop", "Year 9"), ("Transition support group", "workshop", "Year 7"),
                 ("Lunchtime drop-in", "workshop", "Years 7-11")),
}
OBJECTIVES = {
    "leadership": "Governors receive a termly wellbeing report", "ethos": "Reduce reported bullying incidents",
    "curriculum": "Map resilience lessons across Years 7-9", "voice": "Pupil voice shapes the wellbeing offer",
    "staff_dev": "All tutors trained in emotion coaching", "identify": "Screen every Year 7 pupil each autumn",
    "parents": "Two parent sessions each term", "targeted": "Clear referral pathway published to staff",
}
OWNERS = ("Senior mental health lead", "Deputy head (pastoral)", "SENCo", "MHST senior practitioner", "Head of PSHE")
ACTION_TEXTS = ("Share the plan with the pupil's tutor", "Send parent the sleep leaflet", "Book a room for the group",
                "Ask CAMHS for an update", "Update the referral form", "Arrange a joint meeting with parents",
                "Check attendance figures", "Circulate the workshop slides")
CONSULT_TOPICS = ("Pupil anxious in lessons", "Supporting a bereaved pupil", "Managing a panic attack",
                  "Reasonable adjustments for exams", "Friendship difficulties in the form", "Self-harm disclosure: next steps",
                  "Low attendance and low mood")
ADVISED = ("Form tutor 8C", "Head of Year 9", "SENCo", "PE teacher", "Teaching assistant", "Head of Year 11", "Form tutor 7A")


# --- building the vault ---------------------------------------------------------------------------
@dataclass
class _Supported:
    uuid: str
    dob: dt.date
    tier: str
    start: dt.date
    staff_uuid: str


def create_demo_vault(
    data_dir: Path, pupils: int, seed: int, password: str, progress: Progress | None = None
) -> tuple[Session, str]:
    """Create a demo vault in ``data_dir``; returns the lead's open session and the recovery key."""
    if not 1 <= int(pupils) <= 50_000:
        raise ValueError("pupils must be 1..50000")
    setup = access.init_school(Path(data_dir), DEMO_SCHOOL, LEAD_USERNAME, LEAD_NAME, password, demo=True)
    session = setup.session
    try:
        _fill(session, int(pupils), int(seed), password, progress)
    except BaseException:
        session.close()
        raise
    return session, setup.recovery_key


def _fill(session: Session, count: int, seed: int, password: str, progress: Progress | None) -> None:
    rng = random.Random(f"demo/{seed}")
    end = min(DEMO_REFERENCE_END, session.today())
    days = school_days(DEMO_START, end)
    leavers = max(1, count // 400) if count >= 20 else 0
    roll = demo_pupils(count - leavers, seed)
    steps = 6
    step = 0

    def tick() -> None:
        nonlocal step
        step += 1
        if progress:
            progress(step, steps)

    staff = {}
    for username, name, role in STAFF:  # each writes a key slot (Argon2): outside the big transaction
        staff[username] = users.add_user(session, username, name, role, password).info.uuid
    staff[LEAD_USERNAME] = session.actor.uuid
    tick()
    with session.transaction():
        pupil_import.apply_import(session, read_mis_bytes(mis_csv_bytes(roll), "demo.csv"), mark_left=False)
        _old_leavers(session, rng, leavers, count)
        tick()
        ids = dict(Pupil.select(Pupil.upn, Pupil.uuid).tuples())
        supported = _choose_supported(rng, roll)
        f1_minutes, shared = _support(session, rng, [(ids[p.upn], p) for p in supported], days, end, staff)
        tick()
        _referrals_only(session, rng, [ids[p.upn] for p in roll], supported, ids, end)
        tick()
        objectives = _action_plan(session, rng, end)
        _activities(session, rng, end, objectives)
        tick()
        f3_minutes = _liaison(session, rng, days, end, shared)
        _other_functions(session, rng, days, staff, f1_minutes, f3_minutes)
        tick()


def _old_leavers(session: Session, rng: random.Random, n: int, count: int) -> None:
    """Former pupils who left years ago: the retention review list is not empty."""
    for k in range(n):
        culture = rng.choice(CULTURES[:3])
        sex = rng.choice("FM")
        p = pupils_service.create_pupil(
            session, upn=make_upn(count + 1000 + k, DEMO_LA), legal_forename=rng.choice(culture.girls if sex == "F" else culture.boys),
            legal_surname=rng.choice(culture.surnames).split("|")[0], sex=sex, year_group=11,
            dob=dt.date(2000 + k % 3, 9, 1) + dt.timedelta(days=rng.randrange(365)), ethnicity=culture.ethnicity[0],
        )
        pupils_service.archive_pupil(session, p.uuid, dt.date(2017 + k % 3, 7, 21))


def _choose_supported(rng: random.Random, roll: list[DemoPupil]) -> list[DemoPupil]:
    n = max(1, round(len(roll) * SUPPORTED_SHARE)) if roll else 0

    def weight(p: DemoPupil) -> float:
        return (1.0 * (2.2 if p.sen == "E" else 1.8 if p.sen == "K" else 1.0) * (1.4 if p.fsm else 1.0)
                * (3.0 if p.looked_after else 1.0) * (1.5 if p.young_carer else 1.0))

    pool = list(roll)
    keys = sorted(((rng.random() ** (1.0 / weight(p)), i) for i, p in enumerate(pool)), reverse=True)
    return [pool[i] for _, i in keys[:n]]  # weighted sampling without replacement (Efraimidis-Spirakis)


def _support(session, rng, chosen, days, end, staff) -> tuple[int, list[tuple[str, dt.date]]]:
    """Plans, sessions with goal ratings and measures, reviews, closures; referrals that explain the tier."""
    pastoral = [staff["pastoral1"], staff["pastoral2"], staff["pastoral3"], staff[LEAD_USERNAME]]
    mhst = [staff["mhst1"], staff["mhst2"]]
    minutes = 0
    shared: list[tuple[str, dt.date]] = []
    last_start = max(0, len(days) - 12)
    for pupil_uuid, p in chosen:
        tier = rng.choices(("universal", "targeted", "mhst", "specialist"), (10, 45, 35, 10))[0]
        start = days[rng.randrange(0, last_start + 1)] if days else end
        who = rng.choice(mhst if tier == "mhst" else pastoral)
        if tier in ("mhst", "specialist"):
            dest = "mhst" if tier == "mhst" else "camhs"
            sent = start - dt.timedelta(days=rng.randint(10, 40 if tier == "mhst" else 90))
            r = referrals.create_referral(session, pupil_uuid, dest, max(sent, DEMO_START - dt.timedelta(days=60)),
                                          reason="Referred by the senior mental health lead")
            referrals.record_decision(session, r.uuid, "accepted", start - dt.timedelta(days=rng.randint(1, 7)),
                                      next_step="Assessment booked")
            if dest == "mhst":
                shared.append((pupil_uuid, start))
        goals = rng.sample(GOALS, rng.choice((1, 2, 2, 3, 3)))
        plan = plans.create_plan(
            session, pupil_uuid, tier, presenting_needs=rng.choice(NEEDS_TEXT), goals=goals,
            strategies=rng.choice(STRATEGIES), people_involved=rng.sample(("pupil", "parent", "staff", "mhst"), 2),
            start_date=start, review_date=start + dt.timedelta(days=42),
        )
        goal_uuids = [g.uuid for g in plan.goals]
        base = {g: rng.randint(1, 4) for g in goal_uuids}
        improve = rng.choices((1.3, 1.0, 0.6, 0.0, -0.3), (25, 35, 20, 12, 8))[0]
        target = {g: max(0, min(10, base[g] + round(improve * rng.randint(3, 6)))) for g in goal_uuids}
        weeks = rng.randint(5, 12)
        dates = []
        for w in range(weeks):
            day = _next_school_day(start + dt.timedelta(days=7 * w), days)
            if day is None or day > end or (dates and day <= dates[-1]):
                break
            dates.append(day)
        attended = [d for d in dates if rng.random() < 0.86] or dates[:1]
        first_m, last_m = _measures_pair(rng, tier, age_on(p.dob, start), improve)
        for k, day in enumerate(dates):
            if day in attended:
                attendance = "attended"
            else:
                attendance = rng.choices(("dna", "cancelled_school", "cancelled_family"), (50, 25, 25))[0]
            progress = attended.index(day) / max(1, len(attended) - 1) if day in attended else 0.0
            ratings = ({g: max(0, min(10, round(base[g] + (target[g] - base[g]) * progress + rng.choice((-1, 0, 0, 1)))))
                        for g in goal_uuids} if attendance == "attended" else {})
            measures = None
            if attendance == "attended" and day == attended[0]:
                measures = first_m
            elif attendance == "attended" and day == attended[-1] and len(attended) >= 3:
                measures = last_m
            kind = rng.choices(("one_to_one", "group", "parent"), (80, 12, 8))[0]
            mode = "group" if kind == "group" else rng.choices(("in_person", "video", "phone"), (84, 8, 8))[0]
            duration = rng.choice((30, 30, 40, 45, 45, 50, 60))
            sessions.record_session(
                session, pupil_uuid, date=day, duration_minutes=duration, staff_uuid=who, type=kind, mode=mode,
                attendance=attendance, note=rng.choice(NOTES) if attendance == "attended" else "",
                goal_ratings=ratings, measures=measures,
            )
            if attendance == "attended":
                minutes += duration
        review_on = start + dt.timedelta(days=42)
        if dates and review_on <= end and rng.random() < 0.85:
            plans.add_review(session, plan.uuid, review_on, "Reviewed with the pupil; goals kept.",
                             review_on + dt.timedelta(days=42))
        if dates and dates[-1] + dt.timedelta(days=14) <= end and rng.random() < 0.75:
            plans.close_plan(session, plan.uuid, dates[-1] + dt.timedelta(days=rng.randint(3, 14)), rng.choice(OUTCOMES))
    return minutes, shared


def _referrals_only(session, rng, all_uuids, supported, ids, end) -> None:
    """Referrals beyond those behind a plan: the gap, pending ones, and the everyday mix."""
    supported_ids = {ids[p.upn] for p in supported}
    others = [u for u in all_uuids if u not in supported_ids]
    rng.shuffle(others)
    n = len(supported_ids)
    gap_n = max(2, n // 40) if len(others) >= 10 else 0
    pending_n = max(2, n // 30) if len(others) >= 10 else 0
    mixed_n = max(3, n // 8) if len(others) >= 20 else 0
    cursor = 0
    for _ in range(gap_n):  # MHST: above remit; CAMHS: below threshold; nobody has taken them on
        pupil = others[cursor]
        cursor += 1
        first = end - dt.timedelta(days=rng.randint(40, 160))
        r = referrals.create_referral(session, pupil, "mhst", first, reason="Persistent low mood and self-harm")
        referrals.record_decision(session, r.uuid, "not_accepted", first + dt.timedelta(days=rng.randint(5, 15)),
                                  reason="Above remit: needs specialist assessment", next_step="Refer to CAMHS")
        second = first + dt.timedelta(days=rng.randint(16, 30))
        r = referrals.create_referral(session, pupil, "camhs", second, reason="Advised by the MHST")
        referrals.record_decision(session, r.uuid, "not_accepted", min(end, second + dt.timedelta(days=rng.randint(10, 40))),
                                  reason="Below threshold for CAMHS", next_step="Discuss at the next liaison meeting")
    for _ in range(pending_n):
        pupil = others[cursor]
        cursor += 1
        referrals.create_referral(session, pupil, rng.choice(("camhs", "early_help", "ed_psych")),
                                  end - dt.timedelta(days=rng.randint(3, 70)), reason="Awaiting assessment")
    outcomes = (("school_nurse", "accepted", ""), ("early_help", "signposted", "Signposted to a parenting course"),
                ("ed_psych", "accepted", ""), ("voluntary", "accepted", ""), ("gp", "signposted", "Signposted to GP"),
                ("early_help", "withdrawn", "Family declined"), ("camhs", "not_accepted", "Below threshold"))
    for _ in range(mixed_n):
        pupil = others[cursor % len(others)]
        cursor += 1
        dest, decision, reason = rng.choice(outcomes)
        sent = DEMO_START + dt.timedelta(days=rng.randint(5, max(6, (end - DEMO_START).days - 30)))
        r = referrals.create_referral(session, pupil, dest, sent)
        referrals.record_decision(session, r.uuid, decision, min(end, sent + dt.timedelta(days=rng.randint(5, 45))),
                                  reason=reason)
        if decision == "not_accepted":  # then accepted elsewhere: not in the gap
            r = referrals.create_referral(session, pupil, "voluntary", min(end, sent + dt.timedelta(days=50)))
            referrals.record_decision(session, r.uuid, "accepted", min(end, sent + dt.timedelta(days=60)))


def _action_plan(session, rng, end) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code, text in OBJECTIVES.items():
        rag = rng.choices(("green", "amber", "red"), (45, 40, 15))[0]
        if code == EMPTY_PRINCIPLE_THIS_TERM:
            rag = "red"
        o = activities.create_objective(session, principle=code, text=text, owner=rng.choice(OWNERS),
                                        due_on=dt.date(2026, 7, 17) if rng.random() < 0.5 else dt.date(2027, 7, 16), rag=rag)
        out[code] = [o.uuid]
    return out


def _activities(session, rng, end, objectives) -> None:
    last_term = current_term(end)
    term_starts = [dt.date(2025, 9, 1), dt.date(2026, 1, 5), dt.date(2026, 4, 13), dt.date(2026, 9, 2)]
    for term_start in term_starts:
        if term_start > end:
            break
        term = current_term(term_start)
        span = max(1, (min(term.end, end) - term_start).days - 7)
        for code, templates in ACTIVITY_TEMPLATES.items():
            if term == last_term and code == EMPTY_PRINCIPLE_THIS_TERM:
                continue
            for _ in range(rng.choice((1, 1, 2, 3))):
                title, category, audience = rng.choice(templates)
                start = term_start + dt.timedelta(days=rng.randrange(span))
                if start.weekday() >= 5:
                    start -= dt.timedelta(days=start.weekday() - 4)
                extra = [c for c in ACTIVITY_TEMPLATES if c != code and c != EMPTY_PRINCIPLE_THIS_TERM]
                principles = [code] + (rng.sample(extra, 1) if rng.random() < 0.3 and term != last_term else [])
                pupils_reached = {"policy": 0, "staff_training": 0, "parents": rng.randint(0, 5)}.get(category, rng.randint(20, 300))
                activities.create_activity(
                    session, title=title, start_on=start, principles=principles, category=category, audience=audience,
                    reach_pupils=pupils_reached,
                    reach_staff=rng.randint(30, 80) if category == "staff_training" else rng.randint(0, 8),
                    reach_parents=rng.randint(8, 60) if category == "parents" else 0,
                    led_by=rng.choices(("school", "mhst", "external"), (55, 35, 10))[0],
                    rag=rng.choices(("green", "amber", "red"), (70, 25, 5))[0],
                    notes="Evidence: register and feedback forms kept by the lead.",
                    objective_uuid=objectives[code][0] if rng.random() < 0.5 else None,
                )


def _liaison(session, rng, days, end, shared) -> int:
    """Fortnightly MHST liaison meetings with actions (the recent ones still open); consultations."""
    minutes = 0
    types = ("planning", "case_discussion", "supervision")
    meeting_days = [d for i, d in enumerate(d for d in days if d.weekday() == 1) if i % 2 == 0]
    for n, day in enumerate(meeting_days):
        linkable = [u for u, since in shared if since <= day]
        linked = rng.sample(linkable, min(len(linkable), rng.randint(0, 3)))
        actions = [(rng.choice(ACTION_TEXTS), rng.choice(OWNERS), day + dt.timedelta(days=rng.randint(7, 21)))
                   for _ in range(rng.randint(1, 2))]
        duration = rng.choice((45, 60, 60, 90))
        m = liaison.create_meeting(
            session, date=day, type=types[n % 3], attendees="EMHP, senior mental health lead, SENCo",
            discussion="Reviewed shared cases and the referral list; agreed next steps.", duration_minutes=duration,
            pupil_uuids=linked, actions=actions,
        )
        minutes += duration
        for action in m.actions:
            done = action.due_on + dt.timedelta(days=rng.randint(-5, 4))
            if done <= end - dt.timedelta(days=7) and rng.random() < 0.9:
                liaison.mark_action_done(session, action.uuid, max(done, day))
    shared_uuids = [u for u, _ in shared]
    for day in days[::3]:
        minutes_here = rng.choice((15, 20, 20, 30, 40))
        pupil = rng.choice(shared_uuids) if shared_uuids and rng.random() < 0.35 else None
        liaison.create_consultation(session, date=day, staff_advised=rng.choice(ADVISED), topic=rng.choice(CONSULT_TOPICS),
                                    pupil_uuid=pupil, duration_minutes=minutes_here)
        minutes += minutes_here
    return minutes


def _other_functions(session, rng, days, staff, f1_minutes, f3_minutes) -> None:
    """Pupil-less function 2 and 3 contacts until the time split is about 55/25/20."""
    if not days:
        return
    who = [staff["mhst1"], staff["mhst2"], staff["pastoral1"], staff[LEAD_USERNAME]]
    share = TARGET_FUNCTION_SHARE
    targets = {2: f1_minutes * share[2] / share[1], 3: f1_minutes * share[3] / share[1] - f3_minutes}
    for function, target in targets.items():
        spent = 0
        while spent < target:
            duration = rng.choice((45, 60, 60, 90)) if function == 2 else rng.choice((30, 45, 60))
            sessions.record_session(
                session, None, date=rng.choice(days), duration_minutes=duration, staff_uuid=rng.choice(who),
                function=function, type="group" if function == 2 else "consultation",
                mode="group" if function == 2 else "in_person",
                note=rng.choice(F2_NOTES if function == 2 else F3_NOTES),
            )
            spent += duration
