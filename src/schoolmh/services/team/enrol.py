"""Starting a team, adding a laptop (enrolment file + one-time code) and joining with it.

The enrolment file holds what a new laptop needs and nothing about pupils: the team's
id, the vault data key every team laptop opens its own vault with (so accounts' password
slots work on every laptop, see slots.py), the new laptop's own identity keys, the scope
keys it may hold (never the whole-school key for an MHST-scope laptop), the list of
laptops with their public keys, the school's recovery slot and the password slots of the
accounts allowed on it. It is AES-256-GCM under a key derived with Argon2id from the
one-time code (80 random bits), so the file alone opens nothing and a typo is caught by
the code's checksum. The records themselves then come from the team folder's bundles.

Creating the lead's identity keys for the new laptop here (rather than on the new laptop)
lets the lead publish its public keys and seal keys for it at once, with no round trip
through the folder; the inviting laptop forgets the private halves once the file is written.
"""
from __future__ import annotations

import json
import secrets
import uuid as uuidlib
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schoolmh.db import anchor, crypto, signing
from schoolmh.db.backup import AUDIT_HEAD
from schoolmh.db.connection import DB_NAME, database_proxy, open_database
from schoolmh.db.keyfile import KEYFILE_NAME, RECOVERY, USER, KeyFile, Slot, user_label
from schoolmh.db.migrations import migrate
from schoolmh.db.models import Staff
from schoolmh.db.vault import OpenVault, check_location, vault_exists
from schoolmh.errors import VaultExists, WrongPassword
from schoolmh.fsutil import atomic_write_bytes
from schoolmh.services import audit, settings
from schoolmh.services.permissions import Action
from schoolmh.services.session import Actor, Session
from schoolmh.services.team import changes, control, folder, keys, roster, slots, state, exchange
from schoolmh.services.team.exchange import TeamError
from schoolmh.services.users import normalise_username

JOIN_MAGIC = b"SMHJOIN1\n"
SCOPE_NAMES = {"school": "whole school", "mhst": "pupils shared with the MHST"}


def _check_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name or len(name) > 60:
        raise TeamError("Give the laptop a name of 1 to 60 characters (for example 'Pastoral office').")
    return name


def _check_folder(session: Session, path: Path) -> Path:
    path = Path(path).expanduser()
    if not path.is_dir():
        raise TeamError(f"The team folder {path} does not exist or cannot be reached.")
    vault_dir = session.vault.data_dir.resolve()
    resolved = path.resolve()
    if resolved == vault_dir or vault_dir in resolved.parents or resolved in vault_dir.parents:
        raise TeamError("The team folder must be a separate folder, not the vault's folder or one holding it.")
    return resolved


# -- set-up ------------------------------------------------------------------------------------
def init_team(session: Session, team_folder: Path, laptop_name: str = "") -> exchange.SyncReport:
    """This laptop starts the team; its first bundle holds the whole school."""
    session.require(Action.SETTINGS_MANAGE)
    if state.load() is not None:
        raise TeamError("This laptop is already in a team.")
    path = _check_folder(session, team_folder)
    marker = folder.read_marker(path)
    if marker is not None:
        raise TeamError(f"{path} is already another team's folder: choose an empty folder for this school.")
    team_id, laptop_id = uuidlib.uuid4().hex, uuidlib.uuid4().hex
    sign_key, box_key = keys.new_sign_key(), keys.new_box_key()
    name = _check_name(laptop_name or "Lead's laptop")
    with session.transaction():
        state.create(team_id, laptop_id, name, "school", str(path), sign_key, box_key)
        stamp = state.tick()
        state.add_laptop(laptop_id, name, "school", keys.sign_public(sign_key), keys.box_public(box_key), stamp)
        for scope in keys.SCOPES:
            key_id, key = keys.new_scope_key()
            state.add_key(scope, key_id, key, stamp, laptop_id)
        count = changes.mark_everything_changed(laptop_id, stamp)
        audit.append(session.actor.uuid, "team.init", "laptop", laptop_id, f"records={count}")
    folder.write_marker(path, team_id)
    return exchange.write(session)


# -- adding a laptop -----------------------------------------------------------------------------
def add_laptop(session: Session, name: str, scope: str, out: Path) -> str:
    """Write the enrolment file to `out`; returns the one-time code (shown once, never stored)."""
    session.require(Action.SETTINGS_MANAGE)
    me = exchange.require_team(session)
    if scope not in keys.SCOPES:
        raise TeamError("The scope must be 'school' (the whole school) or 'mhst' (pupils shared with the MHST).")
    if me.scope != "school":
        raise TeamError("Only a whole-school laptop can add laptops.")
    name = _check_name(name)
    laptops = state.laptops()
    if any(l.name.casefold() == name.casefold() and not l.removed for l in laptops.values()):
        raise TeamError(f"There is already a laptop called {name!r} in the team.")
    out = Path(out)
    if not out.parent.is_dir():
        raise TeamError(f"The folder {out.parent} does not exist.")
    exchange.write(session)  # everything typed so far is in the folder before the new laptop reads it
    vouching = roster.for_enrolment(session)  # the roster just sent or accepted: who the new trail starts with
    vouched = roster.from_enrolment({"roster": vouching}, session.vault.keyfile.vault_id) if vouching else None
    if vouched is None:
        raise TeamError("This laptop's audit trail does not verify, so it cannot vouch for the team's accounts: "
                        "run Audit → Verify (schoolmh audit verify) and settle what it names first.")
    laptop_id = uuidlib.uuid4().hex
    sign_key, box_key = keys.new_sign_key(), keys.new_box_key()
    allowed_scopes = keys.SCOPES if scope == "school" else ("mhst",)
    roles = None if scope == "school" else slots.MHST_ROLES
    accounts = [{"uuid": s.uuid, "username": s.username, "role": s.role} for s in Staff.select()
                if s.active and (roles is None or s.role in roles)]
    vault = session.vault
    keyfile = KeyFile.load(vault.keyfile_path)
    user_slots = [keyfile.user_slot(a["username"]) for a in accounts]
    # only slots the roster vouches for (a slot minted here without a lead would fail the new trail's check)
    user_slots = [s for s in user_slots if s is not None and (s.legacy or vouched.lists(s.owner, s.sign_pub))]
    recovery = keyfile.recovery_slot()
    payload = {
        "team": me.team_id, "vault_id": keyfile.vault_id, "dek": crypto.b64e(vault.dek),
        "laptop": {"id": laptop_id, "name": name, "scope": scope, "sign_key": sign_key, "box_key": box_key},
        "keys": state.all_keys(allowed_scopes),
        "laptops": [
            {"id": l.laptop_id, "name": l.name, "scope": l.scope, "sign_pub": l.sign_pub, "box_pub": l.box_pub,
             "removed": l.removed, "cutoff": l.cutoff} for l in laptops.values()
        ] + [{"id": laptop_id, "name": name, "scope": scope, "sign_pub": keys.sign_public(sign_key),
              "box_pub": keys.box_public(box_key), "removed": False, "cutoff": {}}],
        "folder": me.folder,
        "accounts": accounts,
        "slots": [s.to_json() for s in user_slots],
        "recovery": recovery.to_json() if recovery else None,
        "roster": vouching,
        "school_name": settings.load().school_name,
    }
    code = keys.new_code()
    kdf = crypto.new_password_params()
    header = json.dumps({"format": "schoolmh-team-join", "v": 1, "team": me.team_id, "kdf": kdf.to_json()}).encode()
    nonce = secrets.token_bytes(12)
    kek = crypto.derive_password_key(keys.parse_code(code), kdf)
    sealed = AESGCM(kek).encrypt(nonce, json.dumps(payload).encode(), header)
    atomic_write_bytes(out, JOIN_MAGIC + header + b"\n" + nonce + sealed)
    with session.transaction():
        stamp = state.tick()
        state.add_laptop(laptop_id, name, scope, keys.sign_public(sign_key), keys.box_public(box_key), stamp)
        entry = control.add_entry(laptop_id, name, scope, keys.sign_public(sign_key), keys.box_public(box_key), stamp)
        exchange.write_stream(me, "control", [entry], stamp)
        audit.append(session.actor.uuid, "team.add_laptop", "laptop", laptop_id, f"scope={scope}")
    exchange.deliver(session)
    return code


# -- joining ----------------------------------------------------------------------------------------
def read_enrolment(path: Path, code: str) -> dict:
    canonical = keys.parse_code(code or "")
    if canonical is None:
        raise TeamError("That code is mistyped: check each group of characters against the one shown.")
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise TeamError(f"The enrolment file {path} cannot be read.") from None
    try:
        if not raw.startswith(JOIN_MAGIC):
            raise ValueError
        header, rest = raw[len(JOIN_MAGIC):].split(b"\n", 1)
        kdf = crypto.KdfParams.from_json(json.loads(header)["kdf"])
        nonce, sealed = rest[:12], rest[12:]
    except (ValueError, KeyError, TypeError):
        raise TeamError(f"{path} is not a SchoolMH enrolment file, or it is damaged.") from None
    try:
        plain = AESGCM(crypto.derive_password_key(canonical, kdf)).decrypt(nonce, sealed, header)
    except InvalidTag:
        raise TeamError("That code does not open this enrolment file (or the file was changed).") from None
    return json.loads(plain)


def _team_folder(payload: dict, enrol_path: Path, override: Path | None) -> Path:
    options = [Path(override)] if override else [Path(payload["folder"]), Path(enrol_path).resolve().parent]
    for option in options:
        if option.is_dir() and folder.read_marker(option) == payload["team"]:
            return option.resolve()
    raise TeamError("The team folder cannot be found: give it with --folder (the folder holding schoolmh-team.json).")


def join(data_dir: Path, enrol_path: Path, code: str, username: str, password: str,
         team_folder: Path | None = None) -> Session:
    """Make this laptop's vault from the enrolment file, then receive the school (or its scope) from the folder."""
    data_dir = Path(data_dir)
    check_location(data_dir)
    if vault_exists(data_dir):
        raise VaultExists(f"There is already a SchoolMH vault in {data_dir}: a laptop joins with an empty data folder.")
    payload = read_enrolment(enrol_path, code)
    path = _team_folder(payload, enrol_path, team_folder)
    username = normalise_username(username)
    vault_id, dek = payload["vault_id"], crypto.b64d(payload["dek"])
    account = next((a for a in payload["accounts"] if a["username"] == username), None)
    slot_list = [Slot.from_json(s) for s in payload["slots"]]
    if payload.get("recovery"):
        slot_list.append(Slot.from_json(payload["recovery"]))
    keyfile = KeyFile(vault_id=vault_id, slots=tuple(slot_list), default_label=user_label(vault_id, username))
    slot = keyfile.user_slot(username)
    opened = keyfile.open_slot(slot, crypto.derive_password_key(password, slot.kdf)) if slot and account else None
    if opened is None or opened.dek != dek:
        raise WrongPassword("That user name and password do not match an account allowed on this laptop.")
    signer = signing.Signer(opened.seed) if opened.seed else None
    vouching = roster.from_enrolment(payload, vault_id)
    if vouching is None or (signer is not None and not vouching.lists(account["uuid"], signer.public)):
        raise TeamError("The enrolment file's roster of accounts is missing, damaged or does not list your "
                        "account's key: ask the lead for a new enrolment file.")
    me = payload["laptop"]
    try:
        claimed = folder.claim(path, me["id"], exchange.now_text())
    except folder.AlreadyClaimed as exc:
        when = f" on {exc.when}" if exc.when else ""
        raise TeamError(f"This enrolment file was already used: a laptop joined with it{when}. Each file is for one "
                        "laptop; ask your lead for a new one (Admin → Team → Add a laptop…).") from None
    except OSError:
        raise TeamError(f"The team folder {path} cannot be written to: check this laptop can save files there.") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        db = open_database(data_dir / DB_NAME, dek, must_exist=False)
    except BaseException:
        claimed.unlink(missing_ok=True)
        raise
    database_proxy.initialize(db)
    try:
        migrate(db)
        keyfile.save(data_dir / KEYFILE_NAME)
        vault = OpenVault(data_dir=data_dir, db=db, dek=dek, keyfile=keyfile, how="password", user_label=slot.label,
                          slot=slot, signer=signer)
        with db.atomic():
            state.create(payload["team"], me["id"], me["name"], me["scope"], str(path), me["sign_key"], me["box_key"])
            for l in payload["laptops"]:
                state.add_laptop(l["id"], l["name"], l["scope"], l["sign_pub"], l["box_pub"], 0)
                if l["removed"]:
                    state.remove_laptop(l["id"], l["cutoff"])
            for k in payload["keys"]:
                state.add_key(k["scope"], k["key_id"], k["key"], k["hlc"], k["laptop"])
            for s in keyfile.slots:  # installed from the file; a newer one in a bundle replaces it
                if s.kind in (USER, RECOVERY):
                    db.execute_sql("INSERT INTO team_slot (label, slot_id, hlc, laptop) VALUES (?, ?, 0, '')",
                                   (slots.RECOVERY_LABEL if s.kind == RECOVERY else s.label, s.id))
            settings.write_raw(school_name=payload.get("school_name", ""))
            # This laptop's own audit trail begins with the join and the roster that vouches for the
            # accounts (their keys, roles and the recovery key: see roster.py), whoever joins.
            roster.begin_trail(account["uuid"], me["id"], account["role"], me["scope"], vouching)
            if signer is not None:
                audit.sign_head(vault_id, signer)
        vault.write_audit_head(*audit.head())
        anchor.reset(vault.anchor_key, *audit.head())  # a new vault at this path: what an earlier attempt left is void
        session = Session(vault, Actor(account["uuid"], username, username, account["role"]))
        exchange.read(session)
        staff = Staff.get_or_none(Staff.uuid == account["uuid"])
        if staff is not None:
            session.actor = Actor(staff.uuid, staff.username, staff.full_name, staff.role)
    except BaseException:
        db.close()
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEYFILE_NAME, KEYFILE_NAME + ".bak", AUDIT_HEAD):
            (data_dir / name).unlink(missing_ok=True)  # ours (the folder held no vault): a half-made one would block a retry
        claimed.unlink(missing_ok=True)
        raise
    _discard(Path(enrol_path))
    return session


def _discard(enrol_path: Path) -> None:
    """The file is spent; it still holds the team's data key under the one-time code, so it goes."""
    try:
        enrol_path.unlink()
    except OSError:
        pass  # read-only media: the claim in the team folder already makes it useless
