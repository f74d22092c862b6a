"""Benchmark: what team rosters cost (services/team/roster.py).

A lead's exchange, each received roster and each received signed slot read the accounts from
the signed audit trail (`audit.signed_registry`: every signature checked, as `audit verify`
does). Measured on the 2,000-pupil demo school's trail, then on the same trail after a busy
year (20,000 more signed transactions of one row each, as records viewed), and one exchange
of a lead's laptop that has nothing to send (its roster unchanged: one walk).
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

    def walk():
        result, _ = audit.signed_registry(vault_id, True)
        assert result.ok, result.problem

    rows = []
    count = AuditEntry.select().count()
    t = ctx.timeit(walk, repeat=3 if ctx.quick else 5)
    rows.append(ctx.Row(f"trail walk, demo trail ({count:,} rows) (p50)", t.p50, "s", target="< 0.5 s", ok=t.p50 < 0.5))
    extra = 2_000 if ctx.quick else 20_000
    ctx.log(f"adding {extra:,} signed transactions")
    for _ in range(extra):
        with s.transaction():
            audit.append(s.actor.uuid, "pupil.view", "pupil", uuid.uuid4().hex)
    count = AuditEntry.select().count()
    t = ctx.timeit(walk, repeat=3)
    rows.append(ctx.Row(f"trail walk after a busy year ({count:,} rows) (p50)", t.p50, "s", target="< 2 s", ok=t.p50 < 2))
    (ctx.tmp / "team").mkdir()
    team.init_team(s, ctx.tmp / "team", "Lead's laptop")

    def idle_write():
        roster._cache.clear()
        exchange.write(s)

    t = ctx.timeit(idle_write, repeat=3)
    rows.append(ctx.Row("lead's write with nothing to send (p50)", t.p50, "s", target="< 2 s", ok=t.p50 < 2,
                        note="one trail walk: the roster is unchanged"))
    s.close()
    return rows
