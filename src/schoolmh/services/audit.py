"""The hash-chained audit trail: who did what, when, to which record (by UUID only).

Each row's hash is SHA-256 over the previous row's hash and its own canonical
content. SQL triggers refuse UPDATE and DELETE; the latest (seq, hash) is also
kept, MAC'd, beside the vault and in each backup manifest, so a truncated chain
is caught too.

Anyone holding the data key can rebuild an unkeyed chain, so each transaction's
rows are also signed (issue 11): the chain's end after the transaction is signed
with the Ed25519 key of the account that wrote it (`sign_head`, called by
Session.transaction). A signature covers its own rows and, through the chain,
every row before. Keys are introduced by signed `key.register` rows (see
`verify_signatures` for who may introduce whose), so an account cannot change or
remove what another account wrote, nor write as it, without `verify_signatures`
naming it.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from peewee import fn

from schoolmh.db import signing
from schoolmh.db.models import AuditEntry, AuditSignature
from schoolmh.db.models.base import utcnow

GENESIS = "0" * 64


def _canonical(seq: int, at: dt.datetime, actor: str | None, action: str, object_type: str, object_uuid: str, detail: str) -> bytes:
    return json.dumps(
        [seq, at.isoformat(timespec="seconds"), actor or "", action, object_type, object_uuid, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def head() -> tuple[int, str]:
    row = AuditEntry.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def append(actor: str | None, action: str, object_type: str = "", object_uuid: str = "", detail: str = "") -> tuple[int, str]:
    """Call inside the transaction of the change it records, so both land or neither does."""
    prev_seq, prev_hash = head()
    seq = prev_seq + 1
    at = utcnow()
    digest = chain_hash(prev_hash, _canonical(seq, at, actor, action, object_type, object_uuid, detail))
    AuditEntry.insert(
        seq=seq, at=at, actor=actor, action=action, object_type=object_type,
        object_uuid=object_uuid, detail=detail, prev_hash=prev_hash, hash=digest,
    ).execute()
    return seq, digest


def append_many(actor: str | None, entries: list[tuple[str, str, str, str]]) -> tuple[int, str]:
    """Append (action, object_type, object_uuid, detail) rows in order: the same chain as
    calling ``append`` for each, but one head read and chunked inserts, so a 2,000-pupil
    import can audit every pupil without taking seconds. Same transaction rule as ``append``.
    """
    prev_seq, prev_hash = head()
    at = utcnow()
    rows = []
    for action, object_type, object_uuid, detail in entries:
        prev_seq += 1
        digest = chain_hash(prev_hash, _canonical(prev_seq, at, actor, action, object_type, object_uuid, detail))
        rows.append(dict(seq=prev_seq, at=at, actor=actor, action=action, object_type=object_type,
                         object_uuid=object_uuid, detail=detail, prev_hash=prev_hash, hash=digest))
        prev_hash = digest
    for start in range(0, len(rows), 500):
        AuditEntry.insert_many(rows[start:start + 500]).execute()
    return prev_seq, prev_hash


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problem: str = ""
    first_bad_seq: int | None = None


def verify(recorded_head: tuple[int, str] | None) -> VerifyResult:
    """Walk the chain; name the first row that was edited, inserted or deleted, or a cut-off end."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    before_prev: str | None = None  # hash of the row before the previous one: spots a row slipped in
    head_seq, head_hash = recorded_head if recorded_head is not None else (0, GENESIS)
    hash_at_head = GENESIS if head_seq == 0 else None
    query = AuditEntry.select().order_by(AuditEntry.seq).tuples().iterator()
    for seq, at, actor, action, object_type, object_uuid, detail, prev_hash, digest in query:
        count += 1
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        recomputed = chain_hash(prev_hash, _canonical(seq, at, actor, action, object_type, object_uuid, detail))
        if seq > expected_seq:
            missing = f"row {expected_seq}" if seq == expected_seq + 1 else f"rows {expected_seq}–{seq - 1}"
            return VerifyResult(False, count, f"Audit {missing} deleted (the chain jumps to row {seq}).", expected_seq)
        if seq < expected_seq:
            return VerifyResult(False, count, f"Audit row {seq} is out of order: a row was inserted.", seq)
        if prev_hash != expected_prev:
            if before_prev is not None and prev_hash == before_prev:
                return VerifyResult(
                    False, count,
                    f"Audit row {seq - 1} was inserted: row {seq} was written straight after row {seq - 2}.", seq - 1,
                )
            return VerifyResult(
                False, count,
                f"Audit row {seq} does not follow row {seq - 1}: a row was deleted before it, "
                f"or row {seq - 1} was edited.", seq,
            )
        if recomputed != digest:
            return VerifyResult(False, count, f"Audit row {seq} was edited after it was written.", seq)
        before_prev, expected_prev, expected_seq = expected_prev, digest, seq + 1
        if seq == head_seq:
            hash_at_head = digest
    last_seq = expected_seq - 1
    if recorded_head is not None:
        if last_seq < head_seq:
            return VerifyResult(False, count, f"The audit trail was cut short: rows after {last_seq} (to {head_seq}) are missing.", last_seq + 1)
        if hash_at_head != head_hash:
            return VerifyResult(
                False, count,
                f"Audit row {head_seq} does not match the recorded end of the chain: the trail was rewritten.", head_seq,
            )
        if last_seq > head_seq:
            return VerifyResult(False, count, f"Audit rows after {head_seq} were added outside SchoolMH.", head_seq + 1)
    return VerifyResult(True, count)


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: dt.datetime
    actor: str | None
    action: str
    object_type: str
    object_uuid: str
    detail: str


def rows_for(object_uuids: list[str], limit: int = 500) -> list[AuditRow]:
    query = (
        AuditEntry.select()
        .where(AuditEntry.object_uuid.in_(object_uuids))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return [AuditRow(r.seq, r.at, r.actor, r.action, r.object_type, r.object_uuid, r.detail) for r in query]


# --- signatures ---------------------------------------------------------------
KEY_REGISTER = "key.register"
SIGNING_START = "audit.signing_start"  # first signed row of a vault made before signing (issue 11)
RECOVERY = "recovery"  # object_type of the recovery key's registration; also its "account" below
_LEADS_ONLY = ("staff.create", "staff.role", "staff.disable", "staff.enable")  # count only when a lead signed them


def signed_message(vault_id: str, seq: int, digest: str) -> bytes:
    return f"schoolmh audit\0{vault_id}\0{seq}\0{digest}".encode("ascii")


def sign_head(vault_id: str, signer: signing.Signer) -> None:
    """Sign the chain's end; call inside the transaction that wrote the rows, just before its commit."""
    seq, digest = head()
    if seq and not AuditSignature.select().where(AuditSignature.seq == seq).exists():
        AuditSignature.insert(seq=seq, public_key=signer.public,
                              signature=signer.sign(signed_message(vault_id, seq, digest))).execute()


def register_key(actor: str | None, object_type: str, object_uuid: str, public: str) -> tuple[int, str]:
    """Introduce a signing key (an account's, object_type "staff", or the recovery key's) to the trail."""
    return append(actor, KEY_REGISTER, object_type, object_uuid, public)


def signing_started() -> bool:
    return AuditSignature.select().exists()


ROSTER = "team.roster"  # a lead-signed list of the team's accounts and keys, received or sent (services/team/roster.py)
ROSTER_PREFIX = b"schoolmh roster\0"
TEAM_JOIN = "team.join"  # the first row of a trail begun by joining a team
# Why a roster is not taken: a code, so the trail check and the Team page can each say it in their own words.
ROSTER_BAD_SIGNATURE, ROSTER_OTHER_VAULT, ROSTER_OLDER, ROSTER_NOT_LEAD = "signature", "vault", "older", "not_lead"


@dataclass(frozen=True)
class RosterEntry:
    """One account as a roster vouches for it (uuids, roles and public keys only: no names).

    `since`: the (clock, laptop) of the roster that first said this of the account; an entry is
    taken over what a trail holds only when it is newer, so rosters from two leads converge."""

    uuid: str
    role: str
    active: bool
    key: str
    since: tuple[int, str] = (0, "")

    @property
    def content(self) -> tuple[str, bool, str]:
        return (self.role, self.active, self.key)


@dataclass(frozen=True)
class Roster:
    canonical: str  # the exact signed text
    signature: str
    hlc: int
    vault_id: str
    signer: str
    signer_pub: str
    accounts: tuple[RosterEntry, ...]
    recovery_key: str

    @property
    def detail(self) -> str:
        """The audit row's detail: the roster and its signature, so the trail carries its own proof."""
        return f"{self.canonical}\n{self.signature}"

    def signature_ok(self) -> bool:
        return signing.verify(self.signer_pub, ROSTER_PREFIX + self.canonical.encode("utf-8"), self.signature)

    def lists(self, uuid: str, key: str, role: str | None = None) -> bool:
        return any(a.uuid == uuid and a.key == key and a.active and (role is None or a.role == role)
                   for a in self.accounts)


def parse_roster(canonical: str, signature: str) -> Roster | None:
    """None when it is not a roster at all (damaged or made up); the signature is checked separately."""
    try:
        data = json.loads(canonical)
        accounts = tuple(RosterEntry(str(a["uuid"]), str(a["role"]), bool(a["active"]), str(a["key"]),
                                     _since(a.get("since")))
                         for a in data["accounts"])
        return Roster(canonical, str(signature), int(data["hlc"]), str(data["vault_id"]), str(data["signer"]),
                      str(data["signer_pub"]), accounts, str(data.get("recovery_key") or ""))
    except (ValueError, KeyError, TypeError):
        return None


def _since(value) -> tuple[int, str]:
    return (int(value[0]), str(value[1])) if value else (0, "")


def roster_from_detail(detail: str) -> Roster | None:
    canonical, _, signature = (detail or "").partition("\n")
    return parse_roster(canonical, signature)


@dataclass
class Registry:
    """What the signed trail says so far: whose key is whose, who is a lead, who is disabled,
    and the latest team roster taken into it (services/team/roster.py)."""

    keys: dict[str, str] = field(default_factory=dict)  # public key -> account uuid (or RECOVERY)
    current: dict[str, str] = field(default_factory=dict)  # account uuid (or RECOVERY) -> its latest public key
    roles: dict[str, str] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    roster_hlc: int = 0  # the latest roster's clock (0: none yet)
    roster_seq: int = 0  # and its row
    roster_view: dict[str, RosterEntry] = field(default_factory=dict)  # each account's newest roster entry taken
    roster_latest: dict[str, tuple] = field(default_factory=dict)  # the latest roster's accounts (uuid -> content)
    # An account whose own session took in a roster that replaced its key or disabled it: that session
    # (signed in before the news came) keeps signing with the old key until the next sign-in row.
    grace: dict[str, str] = field(default_factory=dict)
    started: bool = False  # signed rows were met

    def in_grace(self, account: str, public: str) -> bool:
        return self.grace.get(account) == public and (self.current.get(account) != public or account in self.disabled)

    def authority(self, account: str, public: str) -> bool:
        """May introduce keys and change roles: the recovery key or a lead (not one signing on in grace)."""
        return account == RECOVERY or (self.roles.get(account) == "lead" and not self.in_grace(account, public))

    def role_row(self, seq: int, action: str, actor: str | None, object_uuid: str, detail: str) -> None:
        """Apply a row that changes a role or account state (a vault is created only at row 1)."""
        if action == "vault.create" and actor and seq == 1:
            self.roles[actor] = "lead"
        elif action == "staff.create" and detail.startswith("role="):
            self.roles[object_uuid] = detail[5:]
        elif action == "staff.role" and "->" in detail:
            self.roles[object_uuid] = detail.split("->", 1)[1]
        elif action == "staff.disable":
            self.disabled.add(object_uuid)
        elif action in ("staff.enable", "password.recover"):
            self.disabled.discard(object_uuid)
        elif action == "signin":
            self.grace.clear()

    def register(self, owner: str, public: str) -> None:
        self.keys[public] = owner
        self.current[owner] = public

    def is_lead(self, account: str, public: str) -> bool:
        return (self.roles.get(account) == "lead" and account not in self.disabled
                and self.current.get(account) == public)

    def roster_problem(self, roster: Roster, vault_id: str, enrolment: bool = False) -> str | None:
        """Why this roster may not be taken (a ROSTER_* code), or None.

        `enrolment`: the first roster of a trail begun by joining, accepted when it is consistent
        in itself (its signer listed as an active lead with that key); what stops a forged one is
        the final check that every key bound in the slots is the account's latest registered key,
        as for a vault's own first rows."""
        if not roster.signature_ok():
            return ROSTER_BAD_SIGNATURE
        if roster.vault_id != vault_id:
            return ROSTER_OTHER_VAULT
        if roster.hlc <= self.roster_hlc:
            return ROSTER_OLDER
        if self.is_lead(roster.signer, roster.signer_pub):
            return None
        if enrolment and not self.roster_view and roster.lists(roster.signer, roster.signer_pub, "lead"):
            return None
        return ROSTER_NOT_LEAD

    def take_roster(self, seq: int, roster: Roster, enrolment: bool) -> None:
        """Take each entry newer (by `since`) than the one this trail holds (the first roster: all).

        An entry no newer than what this trail took keeps what the trail says since: a change made
        here that the signer had not yet seen is not undone (this laptop's next roster carries it),
        nor one a newer roster from another lead already made. An account absent from the roster
        keeps what it had (the signer may not know it yet). The recovery key is an entry like an
        account's (its slot travels, team/slots.py); a roster made before that carries it only in
        `recovery_key`, taken from the enrolment roster, whose slot came with it."""
        for entry in roster.accounts:
            held = self.roster_view.get(entry.uuid)
            if held is not None and entry.since <= held.since:
                continue
            self.roles[entry.uuid] = entry.role
            if entry.active:
                self.disabled.discard(entry.uuid)
            else:
                self.disabled.add(entry.uuid)
            if entry.key and self.current.get(entry.uuid) != entry.key:
                self.register(entry.uuid, entry.key)
            self.roster_view[entry.uuid] = entry
        if enrolment and roster.recovery_key and RECOVERY not in self.current:
            self.register(RECOVERY, roster.recovery_key)
        self.roster_hlc, self.roster_seq = roster.hlc, seq
        self.roster_latest = {e.uuid: e.content for e in roster.accounts}


# Rows that change what the registry holds (signin ends a grace): their transactions' signatures are always checked.
_ACCOUNT_ACTIONS = frozenset({KEY_REGISTER, ROSTER, SIGNING_START, TEAM_JOIN, "vault.create", "signin", "password.recover",
                              *_LEADS_ONLY})

_ROSTER_ROW_PROBLEMS = {
    ROSTER_BAD_SIGNATURE: "holds a team roster whose signature does not match: it was forged or changed",
    ROSTER_OTHER_VAULT: "holds a team roster of another vault",
    ROSTER_NOT_LEAD: "holds a team roster not signed by a current lead with that lead's key: it was forged",
}


@dataclass(frozen=True)
class WalkPoint:
    """Where a walk that verified stopped (the end of a signed transaction), to carry on from there.

    Kept only in the memory of the process that walked (roster.view), never in a file: rows
    edited after it was taken cannot change what it says, and `audit verify` still names them."""

    seq: int
    digest: str
    marker: int | None
    joined: bool
    first_run: bool
    reg: Registry


def signed_registry(vault_id: str, required: bool, names: dict[str, str] | None = None) -> tuple[VerifyResult, Registry]:
    """Every signature checked against the account that wrote the rows it covers (see walk_registry)."""
    result, reg, _ = walk_registry(vault_id, required, names)
    return result, reg


def walk_registry(vault_id: str, required: bool, names: dict[str, str] | None = None, pending: str | None = None,
                  fast: bool = False, resume: WalkPoint | None = None) -> tuple[VerifyResult, Registry, WalkPoint | None]:
    """Walk the trail checking every signature against the account that wrote the rows it covers;
    returns the first problem (or ok) and what the signed rows say about accounts up to there.

    Rules (issue 11, and team rosters):
    - Rows before the first signature are a vault's history from before signing; they may hold no
      key registrations. The first signed transaction starts with `vault.create`, `team.join` or SIGNING_START.
    - Every later row is covered by the next signature, whose key must be registered to the row's
      writer (the recovery key may sign for anyone: it can set any password anyway). Rows after the
      last signature are unsigned and named.
    - A key is registered by a signed `key.register` row: by a lead (new accounts, resets, rotation,
      the recovery key), by the recovery key, or by the account itself only for its first key
      (a new vault's lead, or an account upgrading from the unsigned format); or by a `team.roster`
      row (a roster signed by a lead the trail knows; a joiner's first key may come from the
      enrolment roster in its first transaction).
    - Role changes count only when signed by a lead or the recovery key (or listed in a lead's
      roster); rows signed by a disabled account are named.
    - A `team.roster` row must be validly signed, newer than the roster before it in this trail, and
      signed by a current lead (except the enrolment roster, see Registry.roster_problem).
    `required`: the key file has format-2 slots, so the trail must be signed. `pending`: the public key
    of the session whose transaction is open, which will sign the rows after the last signature.
    `fast` (the team roster's view, on every exchange): the chain is recomputed here, and only the
    signatures of transactions that touch accounts are checked (a change elsewhere breaks the chain,
    and those transactions change nothing this walk returns); `audit verify` checks them all.
    `resume`: a point an earlier fast walk in this process returned; the walk carries on after it
    when the trail still holds that row with that hash (else it starts again). Returns the point
    reached (before `pending`'s rows) when the walk verified.
    """
    names = names or {}

    def who(account: str | None) -> str:
        if account == RECOVERY:
            return "the recovery key"
        return names.get(account or "", account or "nobody")

    def bad(problem: str, seq: int | None) -> tuple[VerifyResult, Registry, None]:
        return VerifyResult(False, count, problem, seq), reg, None

    marker = AuditEntry.select(fn.MIN(AuditEntry.seq)).where(AuditEntry.action == SIGNING_START).scalar()
    if resume is not None and (not fast or resume.marker != marker or resume.digest != AuditEntry.select(
            AuditEntry.hash).where(AuditEntry.seq == resume.seq).scalar()):
        resume = None
    after = resume.seq if resume is not None else 0
    sigs = {seq: (pub, sig) for seq, pub, sig in
            AuditSignature.select(AuditSignature.seq, AuditSignature.public_key, AuditSignature.signature)
            .where(AuditSignature.seq > after).tuples()}
    count = after
    reg = copy.deepcopy(resume.reg) if resume is not None else Registry()
    if resume is None and not sigs and marker is None and not required:
        return VerifyResult(True, AuditEntry.select().count()), reg, None  # made before signing, not yet upgraded
    start = marker or 1  # rows before it: a vault's history from before signing
    # the trail began with team.join: its first transaction may hold the enrolment roster
    joined = resume.joined if resume is not None else False
    first_run = resume.first_run if resume is not None else True
    run: list[tuple] = []
    query = AuditEntry.select(AuditEntry.seq, AuditEntry.actor, AuditEntry.action, AuditEntry.object_type,
                              AuditEntry.object_uuid, AuditEntry.detail, AuditEntry.hash, AuditEntry.at,
                              AuditEntry.prev_hash).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
    expected_prev = resume.digest if resume is not None else GENESIS
    boundary = (resume.seq, resume.digest) if resume is not None else None

    def take_run(run: list[tuple], public: str, seq: int) -> tuple[VerifyResult, Registry] | None:
        """Check one transaction's rows against the key that signs them, and take them into the registry."""
        signer = reg.keys.get(public)
        if signer is None:  # a first key, registered by its own holder in this transaction
            signer = next((r[1] for r in run if r[2] == KEY_REGISTER and r[5] == public and r[1] == r[4]
                           and r[1] not in reg.current), None)
            if signer is None:  # or listed for its holder by a roster this transaction takes in
                signer = next((r[1] for r in run if r[2] == ROSTER and r[1] and r[1] not in reg.current
                               and (ros := roster_from_detail(r[5])) is not None and ros.lists(r[1], public)), None)
            if signer is None and any(r[2] == KEY_REGISTER and r[3] == RECOVERY and r[5] == public for r in run) \
                    and RECOVERY not in reg.current:
                signer = RECOVERY
            if signer is None:
                later = (AuditEntry.select(AuditEntry.object_uuid)
                         .where((AuditEntry.action == KEY_REGISTER) & (AuditEntry.detail == public)).first())
                if later is not None:
                    return bad(f"Audit row {seq} is signed with {who(later.object_uuid)}'s key before that key was "
                               "given to them: it was forged.", seq)
                return bad(f"Audit row {seq} is signed with a key that belongs to no account: it was forged.", seq)
        elif reg.current.get(signer) != public and reg.grace.get(signer) != public:
            return bad(f"Audit row {seq} is signed with {who(signer)}'s old key, replaced before it: it was forged.", seq)
        signer_is_authority = reg.authority(signer, public)
        if signer in reg.disabled and reg.grace.get(signer) != public:
            return bad(f"Audit row {seq} was signed by {who(signer)} after that account was disabled.", seq)
        for r_seq, r_actor, r_action, r_type, r_object, r_detail, _ in run:
            if r_actor is not None and r_actor != signer and signer != RECOVERY:
                return bad(f"Audit row {r_seq} (written as {who(r_actor)}) carries no signature of theirs: the next is "
                           f"{who(signer)}'s. It was forged, or their signature removed.", r_seq)
            if r_action == KEY_REGISTER:
                owner = RECOVERY if r_type == RECOVERY else r_object
                first_own = owner == signer and owner not in reg.current and r_detail == public
                first_recovery = owner == RECOVERY and RECOVERY not in reg.current and signer in (RECOVERY, r_actor)
                if not (signer_is_authority or first_own or first_recovery):
                    return bad(f"Audit row {r_seq} gives {who(owner)} a new signing key without a lead's signature "
                               f"(signed by {who(signer)}).", r_seq)
                reg.register(owner, r_detail)
                if owner == signer and signer_is_authority is False:
                    signer_is_authority = reg.roles.get(signer) == "lead"
            elif r_action == ROSTER:
                roster = roster_from_detail(r_detail)
                enrolment = joined and first_run and reg.roster_hlc == 0
                problem = ROSTER_BAD_SIGNATURE if roster is None else reg.roster_problem(roster, vault_id, enrolment)
                if problem == ROSTER_OLDER:
                    return bad(f"Audit row {r_seq} holds a replayed roster: it is not newer than the roster in "
                               f"row {reg.roster_seq}.", r_seq)
                if problem:
                    return bad(f"Audit row {r_seq} {_ROSTER_ROW_PROBLEMS[problem]}.", r_seq)
                had = reg.current.get(signer)
                reg.take_roster(r_seq, roster, enrolment)
                if had == public and (reg.current.get(signer) != public or signer in reg.disabled):
                    reg.grace[signer] = public  # this session learnt here that its key was replaced
                signer_is_authority = reg.authority(signer, public)
            elif r_action in _LEADS_ONLY and not signer_is_authority:
                return bad(f"Audit row {r_seq} changes a role or an account but was signed by {who(signer)}, "
                           "who is not a lead.", r_seq)
            else:
                reg.role_row(r_seq, r_action, r_actor, r_object, r_detail)
                if r_action == "vault.create":
                    signer_is_authority = signer_is_authority or reg.roles.get(signer) == "lead"
        return None

    for full_row in query.tuples().iterator():
        count += 1
        row = full_row[:7]
        seq, actor, action, object_type, object_uuid, detail, digest = row
        if fast:
            at, prev_hash = full_row[7:]
            at = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
            if seq != count or prev_hash != expected_prev or digest != chain_hash(
                    prev_hash, _canonical(seq, at, actor, action, object_type, object_uuid, detail)):
                return bad(f"Audit row {seq} was changed, inserted or moved after it was written.", seq)
            expected_prev = digest
        if seq == 1 and action == TEAM_JOIN:
            joined = True
        if seq < start:
            if seq in sigs:
                return bad(f"Audit row {seq} is signed but comes before signing began: the trail was rebuilt.", seq)
            if action in (KEY_REGISTER, ROSTER):  # the unsigned history of a vault made before signing holds none
                return bad(f"Audit row {seq} registers a signing key but is not signed: the trail was rebuilt.", seq)
            reg.role_row(seq, action, actor, object_uuid, detail)
            continue
        reg.started = True
        run.append(row)
        if seq not in sigs:
            continue
        public, signature = sigs[seq]
        skip = fast and not any(r[2] in _ACCOUNT_ACTIONS for r in run)
        if not skip and not signing.verify(public, signed_message(vault_id, seq, digest), signature):
            return bad(f"Audit row {seq}: its signature does not match (rows up to {seq} were changed after they were signed).", seq)
        problem = take_run(run, public, seq)
        if problem:
            return problem
        run = []
        first_run = False
        boundary = (seq, digest)
    point = None
    if boundary is not None and boundary[0] >= start:
        point = WalkPoint(boundary[0], boundary[1], marker, joined, first_run, copy.deepcopy(reg))
    if run and pending is not None:  # the open transaction's rows, as its writer will sign them
        problem = take_run(run, pending, run[-1][0])
        if problem:
            return problem
        run = []
    if run:
        first = run[0][0]
        span = f"row {first}" if first == run[-1][0] else f"rows {first}–{run[-1][0]}"
        return bad(f"Audit {span} {'is' if first == run[-1][0] else 'are'} not signed: added or re-written outside SchoolMH.", first)
    if required and not reg.started and count:
        return bad("The audit trail carries no signatures although this vault's accounts sign it: "
                   "the signatures were removed.", None)
    return VerifyResult(True, count), reg, point


def verify_signatures(vault_id: str, bound_keys: dict[str, str], recovery_key: str | None, required: bool,
                      names: dict[str, str] | None = None) -> VerifyResult:
    """Check every signature against the account that wrote the rows it covers; name the first problem.

    After the walk (`signed_registry`, which states the rules): each key bound into the key file's
    slots (`bound_keys`: owner uuid → key, `recovery_key`) must be that account's latest registered
    key: a trail rebuilt with keys of the forger's making does not match the slots they cannot re-wrap.
    """
    names = names or {}
    result, reg = signed_registry(vault_id, required, names)
    if not result.ok or not reg.started:
        return result
    if recovery_key is None and RECOVERY in reg.current:
        return VerifyResult(False, result.rows, "The audit trail registers a signing key for the recovery key, but the "
                            "recovery key's slot holds none: the registration was forged.")
    for owner, public in list(bound_keys.items()) + ([(RECOVERY, recovery_key)] if recovery_key else []):
        if reg.current.get(owner) != public:
            who = "the recovery key" if owner == RECOVERY else names.get(owner, owner)
            return VerifyResult(False, result.rows, f"The signing key in {who}'s key slot is not the one the audit "
                                "trail registered for that account: the trail was rebuilt.")
    return VerifyResult(True, result.rows)


# --- rollback -------------------------------------------------------------------
def rollback_problem(anchor_key: str) -> str | None:
    """A sentence when the chain is older than (or not the one) this laptop last saw; None when all is well.

    The anchor (db/anchor.py) lives outside the data folder, so files put back from an
    older copy cannot take it back with them.
    """
    from schoolmh.db import anchor as anchorlib

    seen = anchorlib.load(anchor_key)
    if seen is None:
        return None
    when = seen.seen_at[:16].replace("T", " ") + " UTC" if seen.seen_at else "an earlier day"
    row = AuditEntry.select(AuditEntry.hash).where(AuditEntry.seq == seen.seq).first()
    if row is None:
        last = head()[0]
        return (
            f"This vault is older than this laptop last saw it: its audit trail ends at row {last}, but on {when} "
            f"this laptop saw row {seen.seq}. Older copies of the vault's files may have been put back, bringing "
            "back records changed or erased since. If you meant to go back to a backup, restore it with Restore "
            "(or `schoolmh restore`) so it is recorded."
        )
    if row.hash != seen.digest:
        return (
            f"This vault's audit trail is not the one this laptop last saw: row {seen.seq} differs from what it "
            f"was on {when}. Older copies of the vault's files may have been put back (and used since), or the "
            "trail rewritten. If you meant to go back to a backup, restore it with Restore (or `schoolmh restore`)."
        )
    return None


def advance_anchor(anchor_key: str) -> None:
    """Record the chain's end as seen by this laptop (never moves back)."""
    from schoolmh.db import anchor as anchorlib

    seq, digest = head()
    if seq:
        anchorlib.advance(anchor_key, seq, digest)
