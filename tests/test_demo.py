"""Demo data: built through the services, deterministic for a seed, realistic enough for every screen."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from schoolmh.domain.mis import read_mis_bytes
from schoolmh.services import access, dashboard, demo, export, pupils, retention, settings, terms, vault_admin

PASSWORD = "demo password that is long"


def fingerprint(session) -> dict[str, list[str]]:
    """Every record's content without identities or timestamps (UUIDs and times are not seeded)."""
    data = export.export_all(session)

    def clean(row):
        return {k: v for k, v in row.items()
                if not (k == "uuid" or k.endswith("_uuid") or k.endswith("_uuids") or k.endswith("_at")
                        or k in ("created_by", "updated_by"))}

    return {t: sorted(json.dumps(clean(r), sort_keys=True, ensure_ascii=False) for r in data[t])
            for t in export.TABLES}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    session, key = demo.create_demo_vault(tmp_path_factory.mktemp("demo") / "vault", 80, 5, PASSWORD)
    print_ = fingerprint(session)
    folder = session.vault.data_dir
    yield session, key, print_, folder
    if session.is_open:
        session.close()


def test_demo_vault_contents(built):
    session, key, fp, _ = built
    assert key
    s = settings.load()
    assert s.is_demo and s.school_name == "Demo Academy (fictional)"
    assert len(fp["staff"]) == 8
    assert len(fp["pupils"]) == 80
    assert fp["sessions"] and fp["measures"] and fp["goal_ratings"] and fp["plan_reviews"]
    assert fp["activities"] and fp["objectives"] and fp["liaison_meetings"] and fp["consultations"]
    end = min(demo.DEMO_REFERENCE_END, dt.date.today())
    term = terms.current_term(end)
    figures = dashboard.dashboard_figures(session, term.start, term.end)
    assert figures.principles_without_activity == (demo.EMPTY_PRINCIPLE_THIS_TERM,)
    assert figures.gap and figures.referrals_pending and figures.open_action_count > 0
    year = dashboard.dashboard_figures(session, demo.DEMO_START, end)
    assert year.supported_total >= 8
    assert all(share is not None for share in year.share_by_function.values())
    data = export.export_all(session)
    assert any(c["classification"] == "reliable improvement" for c in data["measure_changes"])
    assert {m["instrument"] for m in data["measures"]} >= {"SDQ", "RCADS25"}
    assert retention.due_for_erasure(session)  # a former pupil is due for review
    assert vault_admin.verify_audit(session).ok


def test_same_seed_same_data_and_demo_accounts(built, tmp_path):
    first_session, _, first, folder = built
    first_session.close()
    again, _ = demo.create_demo_vault(tmp_path / "again", 80, 5, PASSWORD)
    try:
        assert fingerprint(again) == first
    finally:
        again.close()
    other, _ = demo.create_demo_vault(tmp_path / "other", 80, 6, PASSWORD)
    try:
        assert fingerprint(other)["pupils"] != first["pupils"]
    finally:
        other.close()
    mhst = access.sign_in(folder, "mhst1", PASSWORD)  # demo accounts share the lead's password
    try:
        visible = pupils.list_pupils(mhst)
        assert visible and all(p.shared_with_mhst for p in visible)
        assert not access.login_required_change(mhst)
    finally:
        mhst.close()


def test_mis_csv_is_a_valid_sims_style_export(tmp_path):
    path = tmp_path / "mis.csv"
    demo.write_demo_mis_csv(path, 2000, 3)
    parsed = read_mis_bytes(path.read_bytes(), "mis.csv")
    assert parsed.ok and len(parsed.rows) == 2000
    assert set(parsed.mapping.values()) >= {"upn", "legal_surname", "legal_forename", "dob", "year_group", "fsm"}
    names = " ".join(r.legal_forename + " " + r.legal_surname for r in parsed.rows)
    assert "'" in names and any(ord(ch) > 127 for ch in names)
    assert len({r.upn for r in parsed.rows}) == 2000
    assert {r.year_group for r in parsed.rows} == {7, 8, 9, 10, 11}
    assert path.read_bytes() == demo.mis_csv_bytes(demo.demo_pupils(2000, 3))  # deterministic


def test_cli_demo_export_dashboard_import(tmp_path, monkeypatch, capsys):
    from schoolmh.cli import main

    monkeypatch.setenv("SCHOOLMH_PASSWORD", PASSWORD)
    vault = tmp_path / "vault"
    assert main(["demo", "--pupils", "30", "--seed", "2", "--data-dir", str(vault), "--quiet"]) == 0
    assert (vault.parent / f"{vault.name}-recovery-key.txt").exists()  # beside, never inside, the data folder
    assert main(["demo", "--pupils", "30", "--data-dir", str(vault), "--quiet"]) == 2  # a vault is already there
    assert main(["demo", "--mis-csv", str(tmp_path / "mis.csv"), "--pupils", "12"]) == 0
    assert main(["export", "all", "--data-dir", str(vault), "--out", str(tmp_path / "all.json")]) == 0
    data = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert data["format"] == "schoolmh-export" and len(data["pupils"]) == 30
    upn = next(p["upn"] for p in data["pupils"] if p["left_on"] is None)
    assert main(["export", "pupil", upn, "--data-dir", str(vault), "--out", str(tmp_path / "one.json")]) == 0
    assert json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))["pupils"][0]["upn"] == upn
    assert main(["dashboard", "--data-dir", str(vault), "--term", "autumn", "--year", "2025"]) == 0
    assert "Autumn 2025" in capsys.readouterr().out
    (tmp_path / "a.csv").write_text("title,start_on,principles\nQuiz,01/10/2025,curriculum\nBad,,\n", encoding="utf-8")
    assert main(["import", "activities", str(tmp_path / "a.csv"), "--data-dir", str(vault)]) == 2
    assert "row 3, column start_on" in capsys.readouterr().err
    assert main(["retention", "list", "--data-dir", str(vault)]) == 0
    assert main(["retention", "erase", upn, "--data-dir", str(vault)]) == 2  # no --confirm
