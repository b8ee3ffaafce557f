"""Find when an agent that caches its interface counters last refreshed them.

net-snmp reloads its interface table every few seconds, Junos every 5 s by default: a
value read at time t may be seconds old, which makes a 5-second rate wrong by tens of
per cent. After a read, we re-read the busiest ports' octet counters every `step_s` until
any value changes: that moment is when the cache was refreshed, and a read right after it
carries that time. An agent whose values change at once on two probes in a row is not caching.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from portmap.core.samples import COUNTER_COLUMN, DeviceSample
from portmap.snmp.ifmib import CounterPlan
from portmap.snmp.requests import instance_list
from portmap.snmp.session import DeviceSession
from portmap.snmp.values import SnmpValue


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


PROBED_PORTS = 8
"""The octet counters of this many of the busiest ports are probed: the first to move when a
cache is refreshed. One GET of 16 instances a probe, where walking both columns took several."""


def _probe(plan: CounterPlan, sample: DeviceSample, previous: DeviceSample | None) -> tuple[bytes, list[int]]:
    """The GET of the busiest ports' octet counters (by their increase since `previous`, else, as
    when both reads fell within one reload of a caching agent, by their totals), and the values
    `sample` read for them."""
    names = [name for name in ("in_octets", "out_octets") if name in plan.counters]
    columns = [COUNTER_COLUMN[name] for name in names]
    read = sample.widths[:, columns] > 0
    totals = np.where(read, sample.values[:, columns], 0).astype(np.float64)
    if previous is not None and np.array_equal(previous.if_indexes, sample.if_indexes):
        increase = totals - np.where(read, previous.values[:, columns], 0).astype(np.float64)
        if increase.any():
            totals = increase
    busiest = np.argsort(-totals.sum(axis=1), kind="stable")[:PROBED_PORTS].tolist()
    instances, expected = [], []
    for row in busiest:
        for name, column, is_read in zip(names, columns, read[row].tolist()):
            if is_read:
                instances.append(plan.counters[name].instance(int(sample.if_indexes[row])))
                expected.append(int(sample.values[row, column]))
    return instance_list(instances), expected


async def find_refresh(session: DeviceSession, plan: CounterPlan, sample: DeviceSample, previous: DeviceSample | None = None,
                       max_wait_s: float = 5.5, step_s: float = 0.1, from_now: bool = False) -> CacheEdge:
    """Probe the busiest ports' octet counters until they change from what `sample` read (with
    `from_now`, from what a first probe reads: to watch for a reload expected soon, whatever
    `sample` read); bounded by `max_wait_s`."""
    request, expected = _probe(plan, sample, previous)
    if not expected:
        return CacheEdge(CacheKind.QUIET)
    baseline: list[SnmpValue] = await session.get_values(request) if from_now else list(expected)
    last_unchanged = time.monotonic()
    deadline = last_unchanged + max_wait_s
    probes = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(step_s)
        current = await session.get_values(request)
        answered = time.monotonic()
        probes += 1
        if current == baseline:
            last_unchanged = answered
            continue
        if probes == 1:
            await asyncio.sleep(step_s)
            if await session.get_values(request) != current:
                return CacheEdge(CacheKind.LIVE)
        return CacheEdge(CacheKind.REFRESHED, (last_unchanged + answered) / 2)
    return CacheEdge(CacheKind.QUIET)
