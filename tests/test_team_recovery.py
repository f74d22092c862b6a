"""A recovery key replaced on one laptop stops opening every laptop of the team.

The recovery key can set any account's password, so a sheet that was lost or seen must stop
working everywhere, not only on the laptop where the lead made the new one. The recovery slot
travels like the accounts' slots, and only when a lead's roster vouches for its key: a colleague
who holds the data key cannot plant a recovery slot of their own on the other laptops.
"""
from __future__ import annotations

import pytest

from schoolmh.db import crypto
from schoolmh.db import vault as vaultlib
from schoolmh.db.keyfile import KeyFile
from schoolmh.errors import ValidationError, WrongRecoveryKey
from schoolmh.services import access, vault_admin
from schoolmh.services.team import roster, slots, state
from support import LEAD_PASSWORD, STAFF_PASSWORD
from team_support import verify_as_lead
from test_team_audit import exchange_all, three, verify_everywhere  # noqa: F401 - the three laptops' fixture


def _outgoing(laptop):
    with laptop as s:
        with s.transaction():
            slots.capture(s.vault, state.load().laptop_id)
            return slots.outgoing(s.vault)


def opens(data_dir, key: str) -> bool:
    try:
        vaultlib.unlock_with_recovery(data_dir, key).close()
    except WrongRecoveryKey:
        return False
    return True


def test_a_new_recovery_key_reaches_every_laptop_and_the_old_one_opens_none(three, monkeypatch, capsys):
    (lead, office, mhst), _ = three
    with lead as s:
        old = s.vault.keyfile.recovery_public_key()
        new_key = vault_admin.replace_recovery_key(s)
    exchange_all(three[0])
    for laptop in three[0]:
        laptop.close()
        assert KeyFile.load(laptop.data_dir / "vault.keys").recovery_public_key() != old, laptop.name
        assert opens(laptop.data_dir, new_key), laptop.name
    verify_everywhere(three[0], monkeypatch, capsys)


def test_the_old_key_is_refused_where_it_used_to_work(three, tmp_path):
    """The sheet a lead printed at set-up opened the pastoral's laptop; after the replacement it does not."""
    (lead, office, mhst), _ = three
    first_key = None
    with lead as s:
        first_key = vault_admin.replace_recovery_key(s)  # a key the test knows, as a printed sheet
    exchange_all(three[0])
    office.close()
    assert opens(office.data_dir, first_key)
    with lead as s:
        vault_admin.replace_recovery_key(s)
    exchange_all((lead, mhst))
    office.session = access.sign_in(office.data_dir, "pastoral1", STAFF_PASSWORD)
    exchange_all((office,))
    office.close()
    assert not opens(office.data_dir, first_key)


def test_a_recovery_slot_planted_by_a_colleague_goes_nowhere(three, monkeypatch, capsys):
    """Pat holds the data key on her laptop: she writes a recovery slot for a key of her own and exchanges."""
    (lead, office, mhst), _ = three
    with office as s:
        planted = crypto.new_recovery_key()
        keyfile = KeyFile.load(s.vault.keyfile_path)
        forged = keyfile.with_slot(vaultlib.recovery_slot(keyfile, planted, s.vault.dek))
        forged.save(s.vault.keyfile_path)
        s.vault.keyfile = forged
    with monkeypatch.context() as m:  # her copy of SchoolMH sends it anyway (the sender's own check is hers to skip)
        m.setattr(roster, "may_send", lambda vault, slot: True)
        assert any(e.change["s"] == slots.RECOVERY_LABEL for e in _outgoing(office))
        exchange_all(three[0])
    assert opens(office.data_dir, planted)  # her own laptop: the files are hers to change ...
    for laptop in (lead, mhst):
        laptop.close()
        assert not opens(laptop.data_dir, planted), laptop.name  # ... the others never take it
    office.close()
    result = verify_as_lead(office.data_dir)
    assert not result.ok and "recovery key" in result.problem  # and her laptop's audit check names it


def test_an_mhst_laptop_sends_the_lead_to_a_whole_school_laptop(three):
    (lead, office, mhst), _ = three
    mhst.close()
    mhst.session = access.sign_in(mhst.data_dir, "lead", LEAD_PASSWORD)
    with mhst as s, pytest.raises(ValidationError, match="whole-school laptops"):
        vault_admin.replace_recovery_key(s)
