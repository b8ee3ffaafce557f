"""Find when an agent that caches its interface counters last refreshed them.

net-snmp reloads its interface table every few seconds, Junos every 5 s by default: a
value read at time t may be seconds old, which makes a 5-second rate wrong by tens of
per cent. After a read, we re-read the octet columns every `step_s` until any value
changes: that moment is when the cache was refreshed, and a read right after it carries
that time. An agent whose values change at once on two probes in a row is not caching.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum

from portmap.core.samples import COUNTER_COLUMN, DeviceSample
from portmap.snmp.ifmib import CounterPlan
from portmap.snmp.session import DeviceSession

OctetValues = dict[tuple[str, tuple[int, ...]], object]


class CacheKind(StrEnum):
    LIVE = "live"
    """Counters change between any two reads: the read time is the sample time."""
    REFRESHED = "refreshed"
    """Counters changed only after a wait: a cache was refreshed at `time_s`."""
    QUIET = "quiet"
    """Nothing changed within the wait: no traffic to tell by."""


@dataclass(frozen=True, slots=True)
class CacheEdge:
    kind: CacheKind
    time_s: float | None = None


async def _octets(session: DeviceSession, plan: CounterPlan) -> OctetValues:
    columns = {name: plan.counters[name] for name in ("in_octets", "out_octets") if name in plan.counters}
    table = await session.walk([column.oid for column in columns.values()])
    return {(name, index): value for name, column in columns.items() for index, value in table[column.oid].items()}


def _sample_octets(sample: DeviceSample) -> OctetValues:
    octets: OctetValues = {}
    for name in ("in_octets", "out_octets"):
        column = COUNTER_COLUMN[name]
        for if_index, value, width in zip(sample.if_indexes.tolist(), sample.values[:, column].tolist(), sample.widths[:, column].tolist()):
            if width:
                octets[(name, (if_index,))] = value
    return octets


async def find_refresh(
    session: DeviceSession, plan: CounterPlan, sample: DeviceSample, max_wait_s: float = 5.5, step_s: float = 0.1
) -> CacheEdge:
    """Probe the octet columns until they change; bounded by `max_wait_s`."""
    baseline = _sample_octets(sample)
    last_unchanged = time.monotonic()
    deadline = last_unchanged + max_wait_s
    probes = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(step_s)
        current = await _octets(session, plan)
        answered = time.monotonic()
        probes += 1
        if current == baseline:
            last_unchanged = answered
            continue
        if probes == 1:
            await asyncio.sleep(step_s)
            if await _octets(session, plan) != current:
                return CacheEdge(CacheKind.LIVE)
        return CacheEdge(CacheKind.REFRESHED, (last_unchanged + answered) / 2)
    return CacheEdge(CacheKind.QUIET)
