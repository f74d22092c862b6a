"""Who vouches for accounts on a team (docs/TEAM.md): lead-signed rosters, tried from outside.

Three laptops: the lead's, a whole-school laptop joined by a pastoral member of staff, and an
MHST practitioner's MHST laptop. Accounts change on one laptop; every laptop's own signed audit
trail must still verify (through the service and the CLI). Then a pastoral colleague who holds
the data key and their laptop's keys (everything in their own vault) tries to plant an
account, forge a roster and replay an old one.
"""
from __future__ import annotations

import uuid

import pytest

from schoolmh.cli import main as cli_main
from schoolmh.db import crypto, signing
from schoolmh.db import vault as vaultlib
from schoolmh.db.connection import database_proxy as db
from schoolmh.db.keyfile import KEYFILE_NAME, USER, KeyFile, user_label
from schoolmh.db.models import AuditEntry, AuditSignature, Staff
from schoolmh.errors import WrongPassword
from schoolmh.services import access, audit, team, users, vault_admin
from schoolmh.services.team import exchange, roster, slots, state
from support import LEAD_PASSWORD, STAFF_PASSWORD
from team_support import add_and_join, start_team, verify_as_lead

PAT_NEW = "pat picked this one herself"
JO_PASSWORD = "jo has a long passphrase"
SAM_PASSWORD = "sam has a long passphrase"


@pytest.fixture
def three(tmp_path):
    lead, folder = start_team(tmp_path)
    office = add_and_join(tmp_path, lead, "Pastoral office", "school", "pastoral1", STAFF_PASSWORD)
    mhst = add_and_join(tmp_path, lead, "MHST laptop", "mhst", "mhst1", STAFF_PASSWORD)
    laptops = (lead, office, mhst)
    exchange_all(laptops)
    yield laptops, folder
    for laptop in laptops:
        laptop.close()


def exchange_all(laptops, rounds: int = 2) -> list:
    reports = []
    for _ in range(rounds):
        for laptop in laptops:
            reports.append(laptop.sync())
    return reports


def verify_everywhere(laptops, monkeypatch, capsys) -> None:
    """The lead signs in on each laptop (their slot is allowed on all three) and verifies: service and CLI."""
    for laptop in laptops:
        laptop.close()
        result = verify_as_lead(laptop.data_dir)
        assert result.ok, f"{laptop.name}: {result.problem}"
        monkeypatch.setenv("SCHOOLMH_PASSWORD", LEAD_PASSWORD)
        code = cli_main(["audit", "verify", "--data-dir", str(laptop.data_dir), "--user", "lead"])
        out, err = capsys.readouterr()
        assert code == 0 and "Audit trail intact" in out, f"{laptop.name}: {err}"


def roster_rows(laptop) -> list[str]:
    with laptop:
        return [r.detail for r in AuditEntry.select().where(AuditEntry.action == audit.ROSTER).order_by(AuditEntry.seq)]


def registry(laptop) -> audit.Registry:
    with laptop as s:
        reg = roster.view(s.vault)
        assert reg is not None
        return reg


def staff_uuid(laptop, username: str) -> str:
    with laptop:
        return Staff.get(Staff.username == username).uuid


# --- (a) accounts change on one laptop; every trail verifies -----------------------------------------
def test_account_changes_made_anywhere_leave_every_laptops_trail_verifiable(three, monkeypatch, capsys):
    (lead, office, mhst), _ = three
    for laptop in (office, mhst):  # a laptop joined by a non-lead starts with the enrolment roster
        with laptop:
            first = AuditEntry.select().order_by(AuditEntry.seq).limit(2)
            assert [r.action for r in first] == ["team.join", audit.ROSTER]
    with lead as s:
        users.add_user(s, "jo", "Jo Newcomer", "pastoral", JO_PASSWORD)
        users.add_user(s, "sam", "Sam Switch", "pastoral", SAM_PASSWORD)
    exchange_all((lead, office, mhst))
    with lead as s:
        users.set_role(s, "sam", "mhst")  # now allowed on the MHST laptop
        users.disable(s, "jo")
    with office as s:
        users.set_password(s, "pastoral1", PAT_NEW)  # her own change keeps her signing key
    exchange_all((lead, office, mhst))

    sam, jo = staff_uuid(lead, "sam"), staff_uuid(lead, "jo")
    for laptop in (office, mhst):
        reg = registry(laptop)
        assert reg.roles[sam] == "mhst" and jo in reg.disabled
    # Sam's slot works on the pastoral's laptop; Jo's slot is gone everywhere.
    access.sign_in(office.data_dir, "sam", SAM_PASSWORD).close()
    for laptop in (lead, office, mhst):
        with pytest.raises(WrongPassword):
            access.sign_in(laptop.data_dir, "jo", JO_PASSWORD)
    # Pat's own new password works on the lead's laptop.
    access.sign_in(lead.data_dir, "pastoral1", PAT_NEW).close()
    for laptop in (lead, office, mhst):  # the exchanges' resumed views are what a walk from row 1 finds
        with laptop as s:
            resumed = roster.view(s.vault)
            assert resumed == audit.signed_registry(s.vault.keyfile.vault_id, True)[1]
            assert resumed.roster_seq and resumed.roster_view
    verify_everywhere((lead, office, mhst), monkeypatch, capsys)


def test_a_reset_arriving_while_the_person_is_signed_in_elsewhere_still_verifies(three, monkeypatch, capsys):
    """The lead resets Pat's password on the lead's laptop while Pat is signed in on her own; her
    session took in the roster that replaced her key, and keeps writing until she signs in again."""
    (lead, office, mhst), _ = three
    with lead as s:
        users.set_password(s, "pastoral1", "the lead reset it to this")
    lead.sync()
    report = office.sync()
    assert roster.ACCOUNT_CHANGED in report.notes
    with office as s:
        s.audit("pupil.view", "pupil", uuid.uuid4().hex)  # still signed with her old key
    office.sync()
    office.close()
    s = access.sign_in(office.data_dir, "pastoral1", "the lead reset it to this")
    s.audit("pupil.view", "pupil", uuid.uuid4().hex)
    s.close()
    verify_everywhere((lead, office, mhst), monkeypatch, capsys)


def test_leads_on_two_laptops_each_send_rosters_and_all_trails_still_verify(three, monkeypatch, capsys):
    """A second lead, made on the lead's laptop, signs in on the pastoral office and makes an account there."""
    (lead, office, mhst), _ = three
    with lead as s:
        users.add_user(s, "lee", "Lee Second", "lead", "second lead long passphrase")
    exchange_all((lead, office, mhst))
    office.close()
    office.session = access.sign_in(office.data_dir, "lee", "second lead long passphrase")
    with office as s:
        users.add_user(s, "kim", "Kim Office", "pastoral", "kim has a long passphrase")
    exchange_all((office, lead, mhst))
    access.sign_in(lead.data_dir, "kim", "kim has a long passphrase").close()
    assert staff_uuid(lead, "kim") in registry(lead).current
    verify_everywhere((lead, office, mhst), monkeypatch, capsys)


# --- (b) a slot minted for a made-up lead ------------------------------------------------------------
def _mint_backdoor_lead(office) -> tuple[str, dict]:
    """Pat, holding the data key and her laptop's keys, adds a lead account with a slot of her making."""
    office.close()
    vault = vaultlib.unlock_with_password(office.data_dir, "pastoral1", STAFF_PASSWORD)
    backdoor = uuid.uuid4().hex
    seed = signing.new_seed()
    Staff.create(uuid=backdoor, username="backdoor", full_name="Back Door", role="lead",
                 sign_key=signing.public_key(seed))
    keyfile = vault.keyfile
    kdf = crypto.new_password_params()
    minted = keyfile.make_slot(USER, crypto.derive_password_key("pat's own lead password", kdf), kdf, vault.dek, seed,
                               user_label(keyfile.vault_id, "backdoor"), backdoor)
    keyfile.with_slot(minted).save(office.data_dir / KEYFILE_NAME)
    # Her laptop would hold the slot back (no roster lists its key), so she writes the bundle herself.
    change = {"s": minted.label, "h": state.tick(), "l": state.laptop_id(), "d": 0, "dek": slots.dek_check(vault.dek),
              "slot": minted.to_json()}
    with db.atomic():
        me = state.load()
        for stream in ("school", "mhst"):
            exchange.write_stream(me, stream, [change], state.tick())
    vault.close()
    return backdoor, change


def _append_signed_roster_row(vault, writer: str, signer: str, detail: str) -> int:
    """What Pat can do outside the app with her own vault open: append a roster row, sign it with her key,
    move the audit head file on; then closes the vault. Returns the row's number."""
    seq, digest = audit.append(writer, audit.ROSTER, "roster", signer, detail)
    AuditSignature.insert(seq=seq, public_key=vault.signer.public,
                          signature=vault.signer.sign(audit.signed_message(vault.keyfile.vault_id, seq, digest))).execute()
    vault.write_audit_head(*audit.head())
    vault.close()
    return seq


def test_a_slot_minted_for_a_made_up_lead_is_installed_nowhere_and_named_at_home(three):
    (lead, office, mhst), _ = three
    backdoor, change = _mint_backdoor_lead(office)
    office.session = access.sign_in(office.data_dir, "pastoral1", STAFF_PASSWORD)
    office.sync()
    for laptop in (lead, mhst):
        laptop.sync()
        with laptop as s:
            assert KeyFile.load(s.vault.keyfile_path).slot_by_label(USER, change["s"]) is None
            assert backdoor not in roster.view(s.vault).current
        with pytest.raises(WrongPassword):
            access.sign_in(laptop.data_dir, "backdoor", "pat's own lead password")
    # A lead exchanging on Pat's laptop later does not vouch for it either (rosters come from the trail).
    office.close()
    office.session = access.sign_in(office.data_dir, "lead", LEAD_PASSWORD)
    office.sync()
    lead.sync()
    with lead as s:
        assert KeyFile.load(s.vault.keyfile_path).slot_by_label(USER, change["s"]) is None
        assert all(backdoor not in detail for detail in roster_rows(lead))
        assert vault_admin.verify_audit(s).ok
    with office as s:  # at home the slot is there, and verify names it
        result = vault_admin.verify_audit(s)
    assert not result.ok and "Back Door (backdoor)'s key slot" in result.problem


# --- (c) forged rosters in bundles --------------------------------------------------------------------
def _send_control(laptop, entry: dict) -> None:
    """Write a control bundle from `laptop` with its own keys (what its holder can do outside the app)."""
    with laptop as s:
        with s.db.atomic():
            me = state.load()
            exchange.write_stream(me, "control", [entry], state.tick())
        exchange.publish_own(s)  # from the outbox into the team folder


def _forged(laptop, signer_uuid: str, signer: signing.Signer, role: str = "lead") -> dict:
    with laptop as s:
        reg = roster.view(s.vault)
        me = state.load()
        accounts = [{"uuid": e.uuid, "role": role if e.uuid == signer_uuid else e.role, "active": e.active, "key": e.key,
                     "since": [state.tick() + (1 << 40), me.laptop_id]} for e in roster._entries(reg)]
        data = {"v": 1, "team": me.team_id, "vault_id": s.vault.keyfile.vault_id, "hlc": state.tick() + (1 << 40),
                "laptop": me.laptop_id, "signer": signer_uuid, "signer_pub": signer.public, "accounts": accounts,
                "recovery_key": ""}
    canonical = roster._canonical(data)
    return {"k": roster.ENTRY, "roster": canonical, "sig": signer.sign(audit.ROSTER_PREFIX + canonical.encode()),
            "h": data["hlc"]}


def _unchanged(laptop):
    with laptop as s:
        return roster_rows(laptop), roster.view(s.vault)


@pytest.mark.parametrize("forgery", ["non-lead", "tampered", "replayed"])
def test_a_forged_or_replayed_roster_is_refused_with_its_message_and_changes_nothing(three, forgery):
    (lead, office, mhst), _ = three
    pat = staff_uuid(office, "pastoral1")
    if forgery == "non-lead":  # Pat signs a roster making herself a lead, with her own key
        entry = _forged(office, pat, office.session.signer)
        expected = "not signed by a lead this laptop knows"
    elif forgery == "tampered":  # the lead's genuine roster with Pat's role changed in it
        latest = audit.roster_from_detail(roster_rows(office)[-1])
        canonical = latest.canonical.replace('"role":"pastoral"', '"role":"lead"')
        assert canonical != latest.canonical
        entry = {"k": roster.ENTRY, "roster": canonical, "sig": latest.signature, "h": latest.hlc}
        expected = "signature does not match"
    else:  # an older genuine roster sent again after a newer one was accepted
        with lead as s:
            users.add_user(s, "jo", "Jo Newcomer", "pastoral", JO_PASSWORD)
        exchange_all((lead, office, mhst))
        old = audit.roster_from_detail(roster_rows(office)[0])
        entry = {"k": roster.ENTRY, "roster": old.canonical, "sig": old.signature, "h": old.hlc + (1 << 40)}
        expected = "older than a roster already accepted"
    rows_before, reg_before = _unchanged(mhst)
    lead_rows_before = roster_rows(lead)
    _send_control(office, entry)
    lead_report = lead.sync()
    report = mhst.sync()
    for laptop, rep, rows in ((mhst, report, rows_before), (lead, lead_report, lead_rows_before)):
        assert any(n.startswith("Roster from Pastoral office") and expected in n for n in rep.notes), rep.notes
        with laptop as s:
            assert any(expected in p for p in team.status(s).problems)
        assert roster_rows(laptop) == rows
    rows_after, reg_after = _unchanged(mhst)
    assert reg_after.roles == reg_before.roles and reg_after.current == reg_before.current
    assert reg_after.roles[pat] == "pastoral"


# --- (d) an old roster put back into a trail ------------------------------------------------------------
def test_an_old_roster_appended_to_a_trail_is_named_as_replayed(three):
    (lead, office, mhst), _ = three
    with lead as s:
        users.add_user(s, "jo", "Jo Newcomer", "pastoral", JO_PASSWORD)
    exchange_all((lead, office, mhst))
    old = roster_rows(office)[0]  # the enrolment roster: genuine, signed by the lead, but older
    office.close()
    vault = vaultlib.unlock_with_password(office.data_dir, "pastoral1", STAFF_PASSWORD)
    pat = Staff.get(Staff.username == "pastoral1").uuid
    seq = _append_signed_roster_row(vault, pat, audit.roster_from_detail(old).signer, old)
    result = verify_as_lead(office.data_dir)
    assert not result.ok and f"Audit row {seq} holds a replayed roster" in result.problem


def test_a_roster_row_from_a_non_lead_appended_to_a_trail_is_named(three):
    (lead, office, mhst), _ = three
    pat = staff_uuid(office, "pastoral1")
    forged = _forged(office, pat, office.session.signer)
    office.close()
    vault = vaultlib.unlock_with_password(office.data_dir, "pastoral1", STAFF_PASSWORD)
    detail = f"{forged['roster']}\n{forged['sig']}"
    seq = _append_signed_roster_row(vault, pat, pat, detail)
    result = verify_as_lead(office.data_dir)
    assert not result.ok and f"Audit row {seq} holds a team roster not signed by a current lead" in result.problem


# --- a colleague edits the lead's laptop's trail so that the lead's next roster would carry it -----------
@pytest.mark.parametrize("rechain", [False, True])
def test_an_edited_trail_on_the_leads_laptop_sends_no_roster(three, rechain):
    """Pat has a slot on the lead's laptop too: she opens its database and makes her own staff.create
    row say role=lead (then, the stronger try, recomputes every hash after it). The lead's next
    exchange must not sign that into a roster for every other laptop."""
    (lead, office, mhst), _ = three
    lead.close()
    vault = vaultlib.unlock_with_password(lead.data_dir, "pastoral1", STAFF_PASSWORD)
    pat = Staff.get(Staff.username == "pastoral1").uuid
    db.execute_sql("DROP TRIGGER audit_entry_no_update")
    row = AuditEntry.get((AuditEntry.action == "staff.create") & (AuditEntry.object_uuid == pat))
    AuditEntry.update(detail="role=lead").where(AuditEntry.seq == row.seq).execute()
    if rechain:
        prev = row.prev_hash
        for r in AuditEntry.select().where(AuditEntry.seq >= row.seq).order_by(AuditEntry.seq):
            digest = audit.chain_hash(prev, audit._canonical(r.seq, r.at, r.actor, r.action, r.object_type,
                                                             r.object_uuid, r.detail))
            AuditEntry.update(prev_hash=prev, hash=digest).where(AuditEntry.seq == r.seq).execute()
            prev = digest
        vault.write_audit_head(*audit.head())
    vault.close()
    lead.session = access.sign_in(lead.data_dir, "lead", LEAD_PASSWORD)
    sent_before = roster_rows(lead)
    with lead as s:
        users.add_user(s, "jo", "Jo Newcomer", "pastoral", JO_PASSWORD)  # a change the next roster would carry
    lead.sync()
    office.sync()
    assert roster_rows(lead) == sent_before
    with lead as s:
        assert any("vouches for no one" in p for p in team.status(s).problems)
    assert registry(office).roles[pat] == "pastoral"


def test_a_removal_sent_for_the_leads_slot_removes_nothing(three):
    """Pat's laptop sends 'slot deleted' for the lead's account (a lock-out): only a disable, whose
    roster arrives first, removes an account's slot on other laptops."""
    (lead, office, mhst), _ = three
    with office as s:
        label = KeyFile.load(s.vault.keyfile_path).user_slot("lead").label
        removal = {"s": label, "h": state.tick() + (1 << 40), "l": state.laptop_id(), "d": 1,
                   "dek": slots.dek_check(s.vault.dek), "slot": None}
        with s.db.atomic():
            me = state.load()
            for stream in ("school", "mhst"):
                exchange.write_stream(me, stream, [removal], state.tick())
    lead.sync()
    mhst.sync()
    for laptop in (lead, mhst):
        laptop.close()
        access.sign_in(laptop.data_dir, "lead", LEAD_PASSWORD).close()


def test_concurrent_rosters_from_two_leads_lose_nothing(three, monkeypatch, capsys):
    """The lead disables Jo on the lead's laptop while a second lead, on the pastoral office, adds
    Kim; both send a roster before reading the other's. The older one is ignored where the newer
    arrived first, yet every laptop ends with Jo disabled and Kim vouched for."""
    (lead, office, mhst), _ = three
    with lead as s:
        users.add_user(s, "lee", "Lee Second", "lead", "second lead long passphrase")
        users.add_user(s, "jo", "Jo Newcomer", "pastoral", JO_PASSWORD)
    exchange_all((lead, office, mhst))
    office.close()
    office.session = access.sign_in(office.data_dir, "lee", "second lead long passphrase")
    with lead as s:
        users.disable(s, "jo")
        team.exchange.write(s)  # sends its roster without reading first
    with office as s:
        users.add_user(s, "kim", "Kim Office", "pastoral", "kim has a long passphrase")
        team.exchange.write(s)  # and so does the other lead
    exchange_all((lead, office, mhst), rounds=3)
    jo, kim = staff_uuid(lead, "jo"), staff_uuid(office, "kim")
    for laptop in (lead, office, mhst):
        reg = registry(laptop)
        assert jo in reg.disabled, laptop.name
        assert kim in reg.current and kim not in reg.disabled, laptop.name
    verify_everywhere((lead, office, mhst), monkeypatch, capsys)
