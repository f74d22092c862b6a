"""Pupils: create, edit, archive (left the school), share with the MHST, list and search.

Only what support needs is kept, and everything is optional except a name (a
forename and a surname, legal or preferred) and a year group (DOMAIN.md). Codes
are checked against the same tables the MIS importer uses (schoolmh.domain.mis),
so a pupil typed in by hand and one imported from SIMS are held to one standard.

MHST practitioners see only pupils the school has shared with the MHST: every
query goes through ``mhst_scope`` (here and in the other services) so the row-level
scope cannot be forgotten.
Reading one pupil's full record is audited ("pupil.view") once per signed-in session
(sign-in to lock or sign-out): refreshing an open record after a change is not a new view.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields as dc_fields

from schoolmh.db.models.records import Pupil, SupportPlan
from schoolmh.domain.mis import ETHNICITY_EXTENDED_CODES, ETHNICITY_MAIN_CODES, PRIMARY_NEED_CODES
from schoolmh.domain.upn import validate_upn
from schoolmh.errors import FieldProblem, NotFound, ValidationError, ValidationErrors
from schoolmh.services.fieldcheck import to_date
from schoolmh.services.gap import gap_map
from schoolmh.services.permissions import Action
from schoolmh.services.session import Session
from schoolmh.services.text import fold, search_key, search_words

__all__ = [
    "PupilSummary",
    "PupilDetail",
    "PUPIL_FIELDS",
    "YEAR_GROUP_MIN",
    "YEAR_GROUP_MAX",
    "display_name",
    "pupil_name",
    "mhst_scope",
    "create_pupil",
    "update_pupil",
    "archive_pupil",
    "unarchive_pupil",
    "share_with_mhst",
    "get_pupil",
    "find_by_upn",
    "list_pupils",
    "search_pupils",
    "pupil_record",
    "clean_pupil_fields",
    "pupil_search_text",
]

YEAR_GROUP_MIN, YEAR_GROUP_MAX = -2, 14  # N1 = -2, N2 = -1, Reception = 0, then NC years 1-14
MAX_TEXT = 100

TEXT_FIELDS = (
    "legal_forename", "legal_surname", "preferred_forename", "preferred_surname",
    "tutor_group", "first_language",
)
FLAG_FIELDS = ("eal", "fsm", "pupil_premium", "looked_after", "young_carer", "service_child")
PUPIL_FIELDS = (
    "upn", *TEXT_FIELDS[:4], "dob", "sex", "year_group", "tutor_group", "ethnicity",
    "sen_provision", "primary_need", "first_language", *FLAG_FIELDS,
)
"""Fields create_pupil/update_pupil accept (sharing and leaving have their own calls)."""


# --- values crossing the layer ---------------------------------------------------------
@dataclass(frozen=True)
class PupilSummary:
    """One row of the pupil list: enough to find and recognise a pupil, no case detail."""

    uuid: str
    upn: str
    display_name: str
    legal_forename: str
    legal_surname: str
    preferred_forename: str
    preferred_surname: str
    dob: dt.date | None
    year_group: int | None
    tutor_group: str
    sen_provision: str
    eal: bool
    fsm: bool
    pupil_premium: bool
    looked_after: bool
    young_carer: bool
    service_child: bool
    shared_with_mhst: bool
    left_on: dt.date | None
    has_open_plan: bool
    open_plan_tier: str | None
    in_gap: bool
    gap_days: int | None  # days waiting since the first not-accepted referral (services/gap.py)


@dataclass(frozen=True)
class PupilDetail:
    """Every field of a pupil's record, plus who created and last changed it."""

    uuid: str
    upn: str
    display_name: str
    legal_forename: str
    legal_surname: str
    preferred_forename: str
    preferred_surname: str
    dob: dt.date | None
    sex: str
    year_group: int | None
    tutor_group: str
    ethnicity: str
    sen_provision: str
    primary_need: str
    first_language: str
    eal: bool
    fsm: bool
    pupil_premium: bool
    looked_after: bool
    young_carer: bool
    service_child: bool
    shared_with_mhst: bool
    left_on: dt.date | None
    has_open_plan: bool
    open_plan_tier: str | None
    in_gap: bool
    gap_days: int | None
    created_at: dt.datetime
    created_by: str | None
    updated_at: dt.datetime
    updated_by: str | None


def display_name(legal_forename: str, legal_surname: str, preferred_forename: str = "",
                 preferred_surname: str = "") -> str:
    """The name staff use: preferred names where the school has them, else legal ones."""
    return f"{preferred_forename or legal_forename} {preferred_surname or legal_surname}".strip()


def pupil_name(p: Pupil) -> str:
    """``display_name`` of a Pupil row (services only)."""
    return display_name(p.legal_forename, p.legal_surname, p.preferred_forename, p.preferred_surname)


def pupil_search_text(values) -> str:
    """What ``search_pupils`` matches against: names, UPN and tutor group, folded (services/text.py)."""
    get = values.get if isinstance(values, dict) else lambda k: getattr(values, k)
    return search_key(
        get("legal_forename"), get("legal_surname"), get("preferred_forename"),
        get("preferred_surname"), get("upn") or "", get("tutor_group"),
    )


# --- validation -----------------------------------------------------------------------------
def _as_year_group(value) -> int:
    if isinstance(value, bool):
        raise ValidationError("Year group should be a number from -2 (N1) to 14.", "year_group")
    if isinstance(value, str):
        text = value.strip().casefold()
        text = re.sub(r"^(year|yr|y)\s*", "", text)
        if text in ("r", "reception"):
            return 0
        try:
            value = int(text)
        except ValueError:
            raise ValidationError(f"'{value}' is not a year group (use 1-14, or R for Reception).",
                                  "year_group") from None
    if not isinstance(value, int) or not YEAR_GROUP_MIN <= value <= YEAR_GROUP_MAX:
        raise ValidationError(f"Year group {value} is not possible (use 1-14, 0 for Reception).",
                              "year_group")
    return value


_SEX = {"m": "M", "male": "M", "f": "F", "female": "F"}


def _clean_one(name: str, value, today: dt.date):
    """Validate and normalise one field; raise ValidationError naming it."""
    if name == "upn":
        text = (value or "").strip()
        return validate_upn(text) if text else None
    if name in TEXT_FIELDS:
        text = "" if value is None else str(value).strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(f"{name.replace('_', ' ').capitalize()} is too long "
                                  f"(at most {MAX_TEXT} characters).", name)
        return text
    if name in FLAG_FIELDS:
        if not isinstance(value, bool):
            raise ValidationError(f"{name.replace('_', ' ')} should be yes or no.", name)
        return value
    if name == "dob":
        dob = to_date(value, "dob")
        if dob is not None and dob > today:
            raise ValidationError(f"Date of birth {dob:%d/%m/%Y} is in the future.", "dob")
        if dob is not None and dob.year < 1900:
            raise ValidationError(f"Date of birth {dob:%d/%m/%Y} is too early.", "dob")
        return dob
    if name == "year_group":
        if value is None or value == "":
            return None
        return _as_year_group(value)
    if name == "sex":
        text = (value or "").strip()
        if len(text) > 20:
            raise ValidationError("Sex is too long (use M or F).", "sex")
        return _SEX.get(text.casefold(), text)
    if name == "ethnicity":
        code = (value or "").strip().upper()
        if not code or code in ETHNICITY_MAIN_CODES:
            return code
        if code in ETHNICITY_EXTENDED_CODES:  # extended codes roll up to their main code
            return ETHNICITY_EXTENDED_CODES[code][0]
        raise ValidationError(f"'{code}' is not a DfE ethnicity code (for example WBRI, AIND, BAFR).",
                              "ethnicity")
    if name == "sen_provision":
        code = (value or "N").strip().upper()
        if code not in ("E", "K", "N"):
            raise ValidationError("SEN provision is E (EHC plan), K (SEN support) or N (none).",
                                  "sen_provision")
        return code
    if name == "primary_need":
        code = (value or "").strip().upper()
        if code and code not in PRIMARY_NEED_CODES:
            raise ValidationError(f"'{code}' is not a primary need code ({', '.join(PRIMARY_NEED_CODES)}).",
                                  "primary_need")
        return code
    raise ValidationError(f"'{name}' is not a pupil field.", name)


def clean_pupil_fields(changes: dict, current: dict | None, today: dt.date) -> dict:
    """Validate ``changes`` (merged over ``current``, the stored values, when editing).

    Returns the cleaned changes. Raises ValidationErrors listing every problem,
    so a form can mark all bad fields at once. Does not check UPN uniqueness
    (that needs the database; see ``_check_upn_free``).
    """
    problems: list[FieldProblem] = []
    cleaned: dict = {}
    for name, value in changes.items():
        if name not in PUPIL_FIELDS:
            problems.append(FieldProblem(name, f"'{name}' is not a pupil field."))
            continue
        try:
            cleaned[name] = _clean_one(name, value, today)
        except ValidationError as exc:
            problems.append(FieldProblem(exc.field or name, exc.message))
    merged = {**(current or {}), **cleaned}
    if not (merged.get("legal_forename") or merged.get("preferred_forename")):
        problems.append(FieldProblem("legal_forename", "A forename is required (legal or preferred)."))
    if not (merged.get("legal_surname") or merged.get("preferred_surname")):
        problems.append(FieldProblem("legal_surname", "A surname is required (legal or preferred)."))
    if merged.get("year_group") is None and not any(p.field == "year_group" for p in problems):
        problems.append(FieldProblem("year_group", "A year group is required."))
    if problems:
        raise ValidationErrors(problems)
    return cleaned


def _check_upn_free(upn: str | None, except_id: int | None = None) -> None:
    if not upn:
        return
    query = Pupil.select(Pupil.id).where(Pupil.upn == upn)
    if except_id is not None:
        query = query.where(Pupil.id != except_id)
    if query.exists():
        raise ValidationError(f"Another pupil already has the UPN {upn}.", "upn")


# --- loading ----------------------------------------------------------------------------------
def mhst_scope(session: Session, query, link=None):
    """Apply the MHST row-level scope to a query that selects from or joins Pupil.

    For MHST practitioners only pupils shared with the MHST remain. With ``link``
    (a nullable foreign key to Pupil, e.g. ``SessionRow.pupil``, joined LEFT OUTER)
    rows linked to no pupil remain too. Every service applies the scope through
    this one function.
    """
    if not session.pupil_scoped:
        return query
    shared = Pupil.shared_with_mhst == True  # noqa: E712 - peewee expression
    return query.where(shared if link is None else (link.is_null() | shared))


def pupil_record(session: Session, pupil_uuid: str) -> Pupil:
    """The pupil row for another service to read or link to, respecting the MHST scope.

    For services only (it returns a model instance). Raises NotFound for an
    unknown pupil and, for MHST practitioners, for a pupil not shared with them:
    the message does not reveal that the pupil exists.
    """
    row = mhst_scope(session, Pupil.select().where(Pupil.uuid == pupil_uuid)).first()
    if row is None:
        raise NotFound("That pupil was not found (they may have been removed, or not shared with you).")
    return row


def _stored(p: Pupil) -> dict:
    return {name: getattr(p, name) for name in PUPIL_FIELDS}


def _plan_tiers(pupil_ids: Iterable[int] | None) -> dict[int, str]:
    query = (SupportPlan.select(SupportPlan.pupil, SupportPlan.tier)
             .where(SupportPlan.status == "open")
             .order_by(SupportPlan.start_date, SupportPlan.id))
    if pupil_ids is not None:
        query = query.where(SupportPlan.pupil.in_(list(pupil_ids)))
    return {pid: tier for pid, tier in query.tuples()}  # the latest open plan wins


def _detail(session: Session, p: Pupil) -> PupilDetail:
    tier = _plan_tiers([p.id]).get(p.id)
    since = gap_map([p.id]).get(p.id)
    values = {f.name: getattr(p, f.name) for f in dc_fields(PupilDetail)
              if f.name not in ("display_name", "has_open_plan", "open_plan_tier", "in_gap", "gap_days")}
    values["upn"] = p.upn or ""
    return PupilDetail(
        **values,
        display_name=pupil_name(p),
        has_open_plan=tier is not None,
        open_plan_tier=tier,
        in_gap=since is not None,
        gap_days=(session.today() - since).days if since else None,
    )


# --- writing ---------------------------------------------------------------------------------
def create_pupil(session: Session, **fields) -> PupilDetail:
    """Add a pupil by hand (the MIS import adds them in bulk: services/pupil_import.py)."""
    session.require(Action.PUPIL_WRITE)
    cleaned = clean_pupil_fields(fields, None, session.today())
    with session.transaction():
        _check_upn_free(cleaned.get("upn"))
        p = Pupil(**cleaned)
        p.search_text = pupil_search_text(_stored(p))
        session.stamp(p, created=True)
        p.save(force_insert=True)
        session.audit("pupil.create", "pupil", p.uuid, "fields=" + ",".join(sorted(cleaned)))
    return _detail(session, p)


def update_pupil(session: Session, pupil_uuid: str, **changes) -> PupilDetail:
    """Change some fields; unchanged values are not rewritten and the audit names the fields."""
    session.require(Action.PUPIL_WRITE)
    p = pupil_record(session, pupil_uuid)
    current = _stored(p)
    cleaned = clean_pupil_fields(changes, current, session.today())
    changed = {k: v for k, v in cleaned.items() if current.get(k) != v}
    if not changed:
        return _detail(session, p)
    with session.transaction():
        if "upn" in changed:
            _check_upn_free(changed["upn"], p.id)
        for name, value in changed.items():
            setattr(p, name, value)
        p.search_text = pupil_search_text(_stored(p))
        session.save(p, "pupil.update", "fields=" + ",".join(sorted(changed)))
    return _detail(session, p)


def archive_pupil(session: Session, pupil_uuid: str, left_on: dt.date | None = None) -> PupilDetail:
    """Mark a pupil as having left the school. Their records stay (retention decides erasure)."""
    session.require(Action.PUPIL_WRITE)
    p = pupil_record(session, pupil_uuid)
    left = to_date(left_on, "left_on") or session.today()
    if left > session.today():
        raise ValidationError("The leaving date cannot be in the future.", "left_on")
    with session.transaction():
        p.left_on = left
        session.save(p, "pupil.archive")
    return _detail(session, p)


def unarchive_pupil(session: Session, pupil_uuid: str) -> PupilDetail:
    """Put a pupil back on roll (marked as left by mistake, or re-joined)."""
    session.require(Action.PUPIL_WRITE)
    p = pupil_record(session, pupil_uuid)
    if p.left_on is None:
        return _detail(session, p)
    with session.transaction():
        p.left_on = None
        session.save(p, "pupil.unarchive")
    return _detail(session, p)


def share_with_mhst(session: Session, pupil_uuid: str, shared: bool) -> PupilDetail:
    """Let (or stop) MHST practitioners see this pupil: the school decides, case by case."""
    session.require(Action.PUPIL_SHARE_MHST)
    p = pupil_record(session, pupil_uuid)
    if bool(p.shared_with_mhst) == bool(shared):
        return _detail(session, p)
    with session.transaction():
        p.shared_with_mhst = bool(shared)
        session.save(p, "pupil.share_mhst", f"shared={int(bool(shared))}")
    return _detail(session, p)


# --- reading ------------------------------------------------------------------------------------
def get_pupil(session: Session, pupil_uuid: str) -> PupilDetail:
    """One pupil's full record. Audited as a view: who looked at whom is part of the record.

    One "pupil.view" row per pupil per signed-in session: the record page reloads the
    pupil after every change, and a trail of repeated views would bury the real ones.
    A new sign-in (after a lock or sign-out) is a new Session, so it is audited again.
    """
    session.require(Action.PUPIL_READ)
    p = pupil_record(session, pupil_uuid)
    if p.uuid not in session.viewed_pupils:
        with session.transaction():
            session.audit("pupil.view", "pupil", p.uuid, "")
        session.viewed_pupils.add(p.uuid)  # only after the audit row is written
    return _detail(session, p)


def find_by_upn(session: Session, upn: str) -> PupilSummary | None:
    """The pupil with this UPN (visible to this user), or None. The UPN is validated first."""
    session.require(Action.PUPIL_READ)
    normalised = validate_upn(upn)
    found = _summaries(session, mhst_scope(session, _summary_query().where(Pupil.upn == normalised)))
    return found[0] if found else None


_SUMMARY_COLUMNS = (
    Pupil.id, Pupil.uuid, Pupil.upn, Pupil.legal_forename, Pupil.legal_surname,
    Pupil.preferred_forename, Pupil.preferred_surname, Pupil.dob, Pupil.year_group,
    Pupil.tutor_group, Pupil.sen_provision, Pupil.eal, Pupil.fsm, Pupil.pupil_premium,
    Pupil.looked_after, Pupil.young_carer, Pupil.service_child, Pupil.shared_with_mhst,
    Pupil.left_on,
)


def _summary_query():
    return Pupil.select(*_SUMMARY_COLUMNS)


def _summaries(session: Session, query, *, all_pupils: bool = False) -> list[PupilSummary]:
    """Build summaries in three set-based queries (pupils, open plans, referrals): never one per pupil."""
    rows = list(query.tuples())
    ids = None if all_pupils or len(rows) > 900 else [r[0] for r in rows]
    tiers = _plan_tiers(ids)
    gaps = gap_map(ids)
    today = session.today()
    out = []
    for (pid, uuid, upn, lf, ls, pf, ps, dob, year, tutor, sen, eal, fsm, pp, cla, yc, sc,
         shared, left) in rows:
        tier = tiers.get(pid)
        since = gaps.get(pid)
        out.append(PupilSummary(
            uuid, upn or "", display_name(lf, ls, pf, ps), lf, ls, pf, ps, dob, year, tutor, sen,
            bool(eal), bool(fsm), bool(pp), bool(cla), bool(yc), bool(sc), bool(shared), left,
            tier is not None, tier, since is not None, (today - since).days if since else None,
        ))
    return out


def _name_order(s: PupilSummary):
    return (fold(s.preferred_surname or s.legal_surname), fold(s.preferred_forename or s.legal_forename), s.uuid)


def list_pupils(session: Session, include_left: bool = False) -> list[PupilSummary]:
    """Every pupil this user may see, by surname then forename (left pupils only if asked)."""
    session.require(Action.PUPIL_READ)
    query = mhst_scope(session, _summary_query())
    if not include_left:
        query = query.where(Pupil.left_on.is_null())
    found = _summaries(session, query, all_pupils=True)
    found.sort(key=_name_order)
    return found


# --- search ---------------------------------------------------------------------------------------
_YEAR_WORD = re.compile(r"(?:year|yr|y)(\d{1,2})")
_YEAR_PREFIX = ("year", "yr", "y")


def _parse_query(text: str) -> tuple[list[int], list[str]]:
    """Split a search into year groups and text words.

    "7", "Y7", "yr7" and "year 7" ask for year 7; any other word must appear in a
    name, the UPN or the tutor group. Numbers of three or more digits are UPN parts.
    """
    words = search_words(text)
    years: list[int] = []
    texts: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        m = _YEAR_WORD.fullmatch(w)
        if w in _YEAR_PREFIX and nxt.isdigit() and len(nxt) <= 2:
            years.append(int(nxt))
            i += 2
            continue
        if m:
            years.append(int(m[1]))
        elif w in ("year", "yr"):
            pass  # "year" on its own ("year 10a") narrows nothing
        elif w.isdigit() and len(w) <= 2:
            years.append(int(w))
        else:
            texts.append(w)
        i += 1
    return years, texts


def search_pupils(session: Session, text: str, limit: int = 50, include_left: bool = False) -> list[PupilSummary]:
    """Pupils matching every word of ``text``: any part of a legal or preferred name, the UPN,
    the tutor group, or a year ("7", "Y7", "year 7"). Case and accents are ignored
    ("zoe" finds "Zoë"; "oconnor" and "o'connor" find "O'Connor").

    Pupils where each word starts a name come before those where it is inside one,
    then by surname. An empty search returns nothing (use list_pupils).
    """
    session.require(Action.PUPIL_READ)
    years, words = _parse_query(text or "")
    if not years and not words:
        return []
    query = mhst_scope(session, _summary_query())
    if not include_left:
        query = query.where(Pupil.left_on.is_null())
    for year in years:
        query = query.where(Pupil.year_group == year)
    for word in words:
        query = query.where(Pupil.search_text.contains(word))
    found = _summaries(session, query.limit(5000))
    if not found:
        return []
    # Rank: every word at a word start (" smi" in " smith ") first.
    stored = dict(Pupil.select(Pupil.uuid, Pupil.search_text)
                  .where(Pupil.uuid.in_([s.uuid for s in found])).tuples()) if words else {}

    def rank(s: PupilSummary):
        key = stored.get(s.uuid, "")
        inside = sum(1 for w in words if f" {w}" not in key)
        return (inside, *_name_order(s))

    found.sort(key=rank)
    return found[: max(0, limit)]
