from schoolmh.services import access, users
from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff


def test_lead_adds_pastoral_who_can_sign_in(lead_session, vault_dir):
    add_staff(lead_session, "pat", "pastoral")
    names = sorted(u.username for u in users.list_users(lead_session))
    assert names == ["lead", "pat"]
    lead_session.close()
    s = access.sign_in(vault_dir, "pat", STAFF_PASSWORD)
    assert s.actor.role == "pastoral"
    s.close()
    s = access.sign_in(vault_dir, None, LEAD_PASSWORD)
    assert s.actor.username == "lead" and s.previous_login is not None
    s.close()
