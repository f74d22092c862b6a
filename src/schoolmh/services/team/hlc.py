"""Hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014), packed into one integer.

A laptop's wall clock may be wrong by minutes or years; an HLC never goes backwards, is
always at least the largest clock seen from any laptop, and stays close to physical time
when clocks are right. Packed as (l << 16) | c where l is milliseconds since 1970 and c
the logical counter, so comparing two stamps is comparing two integers, and the same
rule runs inside SQLite's change-capture triggers (db/team_schema.NOW_PACKED_SQL).
Ties between laptops are broken by laptop id: a version is (hlc, laptop_id).
"""
from __future__ import annotations

import time

COUNTER_BITS = 16


def pack(millis: int, counter: int = 0) -> int:
    return (millis << COUNTER_BITS) | counter


def unpack(stamp: int) -> tuple[int, int]:
    return stamp >> COUNTER_BITS, stamp & ((1 << COUNTER_BITS) - 1)


def physical_now() -> int:
    return pack(int(time.time() * 1000))


def tick(last: int, now: int | None = None) -> int:
    """A local event (send or write): later than everything before it, and than the wall clock."""
    return max(last + 1, physical_now() if now is None else now)


def receive(last: int, remote: int, now: int | None = None) -> int:
    """A stamp arrived from another laptop: the next local event must come after it."""
    return max(last, remote, physical_now() if now is None else now) + 1


def describe(stamp: int) -> str:
    """For people: the physical part as UTC time, and the counter when it matters."""
    millis, counter = unpack(stamp)
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(millis / 1000))
    return f"{text} UTC" + (f" (+{counter})" if counter else "")
