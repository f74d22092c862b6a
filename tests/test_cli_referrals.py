"""`schoolmh referrals …`: the Referrals tab scripted: history kept, withdraw, lead-only delete, one-line errors."""
from __future__ import annotations

import io
import sys

import pytest

from support import LEAD_PASSWORD, STAFF_PASSWORD, add_staff
from schoolmh.cli import common
from schoolmh.cli import main as cli_main
from schoolmh.domain.upn import make_upn
from schoolmh.services import access, pupils, referrals

UPN = make_upn(7)


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    """run(*args, user="lead") -> (exit code, stdout, stderr), against a vault with one pupil."""
    data = tmp_path / "vault"
    setup = access.init_school(data, "Oakfield Academy", "lead", "Alex Lead", LEAD_PASSWORD)
    pupils.create_pupil(setup.session, upn=UPN, legal_forename="Tomasz", legal_surname="Wiśniewski", year_group=10)
    add_staff(setup.session, "pat", "pastoral")
    setup.session.close()
    for name in ("SCHOOLMH_PASSWORD", "SCHOOLMH_USER"):
        monkeypatch.delenv(name, raising=False)

    def _run(*args: str, user: str = "lead"):
        password = LEAD_PASSWORD if user == "lead" else STAFF_PASSWORD
        with monkeypatch.context() as m:
            m.setattr(sys, "stdin", io.StringIO(password + "\n"))
            m.setattr(common, "_stdin_lines", None)
            code = cli_main([*args, "--data-dir", str(data), "--user", user, "--password-stdin"])
        out, err = capsys.readouterr()
        return code, out, err

    _run.data = data
    return _run


def _only_referral(run) -> str:
    code, out, _ = run("referrals", "list", UPN)
    assert code == 0
    return out.split()[0]


def test_add_decide_list_keeps_the_history(run):
    assert run("referrals", "add", UPN, "--to", "CAMHS", "--sent", "2026-09-01", "--reason", "Low mood")[0] == 0
    rid = _only_referral(run)
    assert run("referrals", "decide", rid, "--decision", "accepted", "--on", "2026-09-10")[0] == 0
    code, out, _ = run("referrals", "decide", rid, "--decision", "not accepted", "--on", "2026-10-01",
                       "--reason", "below threshold", "--next-step", "Liaison meeting")
    assert code == 0 and "2 in the history" in out
    code, out, _ = run("referrals", "list", UPN)
    assert "sent for: Low mood" in out
    assert out.index("10/09/2026 Accepted") < out.index("01/10/2026 Not accepted: below threshold; next step: Liaison")


def test_withdraw_and_lead_only_delete(run):
    run("referrals", "add", UPN, "--to", "mhst", "--sent", "2026-09-01")
    rid = _only_referral(run)
    code, out, _ = run("referrals", "withdraw", rid, "--reason", "Made by mistake", user="pat")
    assert code == 0 and "stays on the record" in out
    code, _, err = run("referrals", "delete", rid, user="pat")
    assert code == 2 and "cannot delete referrals" in err and err.count("\n") == 1
    code, out, _ = run("referrals", "delete", rid)
    assert code == 0 and "still shared" in out  # not unshared without --unshare
    assert run("referrals", "list", UPN)[1].strip() == "No referrals."


def test_delete_with_unshare(run):
    run("referrals", "add", UPN, "--to", "mhst")
    code, out, _ = run("referrals", "delete", _only_referral(run), "--unshare")
    assert code == 0 and "no longer shared with the MHST" in out
    s = access.sign_in(run.data, "lead", LEAD_PASSWORD)
    try:
        assert not pupils.find_by_upn(s, UPN).shared_with_mhst
        assert referrals.list_referrals(s) == []
    finally:
        s.close()


@pytest.mark.parametrize("args, expected", [
    (("referrals", "add", UPN, "--to", "hogwarts"), "The service referred to must be one of"),
    (("referrals", "add", UPN, "--to", "gp", "--sent", "31/02/2026"), "is not a date"),
    (("referrals", "decide", "nope", "--decision", "accepted"), "That referral does not exist"),
    (("referrals", "list", "A123"), "UPN"),
])
def test_bad_input_is_one_line(run, args, expected):
    code, _, err = run(*args)
    assert code == 2 and expected in err and err.count("\n") == 1 and "Traceback" not in err
