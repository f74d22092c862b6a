"""Benchmark: what team rosters cost (services/team/roster.py).

A lead's exchange, each received roster and each received signed slot read the accounts from
the trail (`roster.view`: the chain recomputed, the anchor checked, and the signatures of the
transactions that touch accounts; from row 1 once per sign-in, then carrying on from where the
last view stopped). `audit verify` checks every signature instead (shown for comparison, no target). Measured on the 2,000-pupil demo school's trail, then after a busy year
(20,000 more signed transactions of one row each, as records viewed), and one exchange of a
lead's laptop with nothing to send (its roster unchanged: one view).
"""
from __future__ import annotations

import uuid


def bench(ctx) -> list:
    from schoolmh.db.models import AuditEntry
    from schoolmh.services import access, audit, team
    from schoolmh.services.team import exchange, roster

    demo = ctx.demo_copy()
    s = access.sign_in(demo.data_dir, demo.username, demo.password)
    vault_id = s.vault.keyfile.vault_id

    def every_signature():
        result, _ = audit.signed_registry(vault_id, True)
        assert result.ok, result.problem

    def roster_view():  # the first view since signing in: a walk from row 1
        roster._cache.clear()
        roster._points.clear()
        assert roster.view(s.vault) is not None

    def next_view():  # a later exchange: one more transaction since the last view, which carries on
        roster.view(s.vault)
        with s.transaction():
            audit.append(s.actor.uuid, "pupil.view", "pupil", uuid.uuid4().hex)
        assert roster.view(s.vault) is not None

    rows = []
    for label in ("demo trail", "after a busy year"):
        if label != "demo trail":
            extra = 2_000 if ctx.quick else 20_000
            ctx.log(f"adding {extra:,} signed transactions")
            for _ in range(extra):
                with s.transaction():
                    audit.append(s.actor.uuid, "pupil.view", "pupil", uuid.uuid4().hex)
        count = AuditEntry.select().count()
        t = ctx.timeit(roster_view, repeat=3)
        rows.append(ctx.Row(f"roster view from row 1, {label} ({count:,} rows) (p50)", t.p50, "s", target="< 1 s",
                            ok=t.p50 < 1, note="once per sign-in"))
        t = ctx.timeit(next_view, repeat=5)
        rows.append(ctx.Row(f"next roster view, {label} (p50)", t.p50, "s", target="< 50 ms", ok=t.p50 < 0.05,
                            note="one transaction later, with its commit"))
        t = ctx.timeit(every_signature, repeat=3)
        rows.append(ctx.Row(f"every signature (audit verify's walk), {label} (p50)", t.p50, "s",
                            note="for comparison: not run on an exchange"))
    (ctx.tmp / "team").mkdir()
    team.init_team(s, ctx.tmp / "team", "Lead's laptop")

    def idle_write():
        exchange.write(s)

    t = ctx.timeit(idle_write, repeat=5)
    rows.append(ctx.Row("lead's write with nothing to send, busy year (p50)", t.p50, "s", target="< 0.2 s", ok=t.p50 < 0.2,
                        note="the roster is unchanged"))
    s.close()
    return rows
