"""The engine: polls every device concurrently and turns two polls into a ranked snapshot.

One task per device; a device that fails is reported in the snapshot and never holds
up the others. Its last good sample is kept, so the next answer still yields a rate
over the longer interval rather than a lost or invented one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from portmap.core.baseline import Baseline, PortIdentity, SeriesKey
from portmap.core.cache_clock import TOLERANCE_S, CacheClock
from portmap.core.detector import Detector
from portmap.core.identity import port_identities
from portmap.core.incidents import IncidentLog
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.ranking import rank_rates
from portmap.core.rates import BPS, STATUSES, DeviceRates, RateStatus, agent_restarted, compute_device_rates
from portmap.core.samples import DeviceSample, InterfaceInfo, InterfacesByPort, OperStatus, PortKey
from portmap.core.snapshot import DeviceStatus, Snapshot
from portmap.core.thresholds import FlagThresholds, device_thresholds
from portmap.core.topology import NO_PATH
from portmap.core.zoom import ZoomPlan
from portmap.errors import SnmpError
from portmap.inventory.model import Device
from portmap.snmp.counter_cache import CacheKind, find_refresh
from portmap.snmp.ifmib import CounterPlan, InterfacesChanged, read_counters, read_interfaces, read_plan
from portmap.snmp.session import DeviceSession, RequestBudget, SnmpClient

log = logging.getLogger(__name__)
GLITCH = STATUSES.index(RateStatus.GLITCH)

RETRIES_AT_ONCE = 16
"""Requests in flight to devices that failed their last read, on places of their own."""
RETRY_GRACE_S = 0.5
"""How long a poll waits for a failing device's retry before reporting its last failure."""
MAX_SKIPPED_POLLS = 8
"""A device that keeps failing is retried every 2nd, 4th, ... poll, at least every 8th."""
QUIET_AFTER_S = 16.0
"""A device none of whose counters moved for this long is quiet, not caching: agents reload
their counters every 3 to 15 s, so two reads within one reload show no move on any port."""
CHECK_CLOCK_EVERY = 12
"""Reads between checks that a device's learned reload grid still holds (drift, a reload run
late): the read probes from CHECK_BEFORE_S before the reload it waits for until the reload."""
CHECK_BEFORE_S = 0.25
READ_GUARD_S = 0.25
"""A read this close before a learned reload waits for it, so that no read spans a reload."""
RELOAD_SETTLE_S = 0.1
"""A read comes this long after the reload it is stamped with: the grid is learned from probes
that see a reload a few tens of ms late, and a slow timer drifts between checks."""
ZOOM_EVERY_S = 1.0
"""Zoomed ports (core/zoom.py) are read this often between polls."""
DEVICES_AT_ONCE = 64
"""Devices read at the same moment. Read all at once, each device's GETs were spread over the
whole cycle (its counters read seconds apart), and a thousand devices' reads in progress held
their buffers and state all at the same time. One that takes longer than the budget's hold
(0.5 s) stops holding its place."""


@dataclass
class _DeviceState:
    session: DeviceSession
    interfaces: dict[int, InterfaceInfo] = field(default_factory=dict)
    plan: CounterPlan | None = None
    last_sample: DeviceSample | None = None
    counters_live: bool = False
    """Shown not to cache its counters: no need to look for refreshes."""
    failures: int = 0
    """Reads failed in a row: a device with any is retried apart (Engine._retried)."""
    failed_status: DeviceStatus | None = None
    """The last failure, reported while the device is retried."""
    retry: asyncio.Task[tuple[DeviceStatus, DeviceRates | None]] | None = None
    skip: int = 0
    """Polls to let pass before the next retry."""
    retry_started: float = 0.0
    probe_next: bool = True
    """Look for a cache refresh on the next read: not while the device is quiet, since
    nothing would change to show the refresh."""
    moved_s: float = field(default_factory=time.monotonic)
    """When a read last showed any counter move (or the device was first planned)."""
    clock: CacheClock = field(default_factory=CacheClock)
    """When the agent reloads its cached counters, once learned from the refreshes found."""
    clock_reads: int = 0
    """Reads stamped from the clock since it was last checked."""
    clock_doubted: bool = False
    """A zoomed read found that the reload the clock expected had not come: zoomed reads wait
    for the device's next read, which follows the agent (_read_late_reload)."""


class Engine:
    def __init__(
        self,
        devices: Sequence[Device],
        client: SnmpClient,
        thresholds: FlagThresholds = FlagThresholds(),
        sort: str = "pps",
        baselines: dict[SeriesKey, Baseline] | None = None,
        flagged_since: dict[PortIdentity, float] | None = None,
    ) -> None:
        """`thresholds`: the inventory's global spike thresholds; each device's and port's own
        `spikes:` apply on top. `baselines`: what earlier runs learned (the state file);
        `flagged_since`: the ports they had flagged, with when that began."""
        self.devices = tuple(devices)
        self.thresholds = thresholds
        self.sort = sort
        self.detector = Detector(thresholds, baselines, flagged_since)
        self.incidents = IncidentLog()
        self._states = {d.name: _DeviceState(client.session(d)) for d in self.devices}
        self.glitches_dropped = 0
        self._client = client
        self._places = RequestBudget(DEVICES_AT_ONCE)
        """Devices being read at once (those that failed are retried apart)."""
        self._retries = RequestBudget(RETRIES_AT_ONCE)
        """Requests in flight to devices that failed: places of their own, not the answering devices'."""
        self._interfaces: InterfacesByPort | None = None
        """Every device's interfaces, shared by snapshots until an interface list is read again."""
        self._uplinks: frozenset[PortKey] = frozenset()
        """Ports known to link two devices (from the neighbourhood tables): never a flood's entry."""
        self._path = NO_PATH
        """How the devices are linked: the ports a flood crosses are listed along its way."""
        self.zoom = ZoomPlan()
        self.zoom_every_s = ZOOM_EVERY_S
        self._zooming: asyncio.Task[None] | None = None

    def set_devices(self, devices: Sequence[Device]) -> None:
        """Poll these devices from the next poll on (a shared store's leases changed): a device
        kept keeps its state; one given up is forgotten (its baselines stay with the detector
        until they are saved); one taken starts as at a first poll, without a rate until its
        second read."""
        names = {device.name for device in devices}
        for name in [name for name in self._states if name not in names]:
            _cancel_retry(self._states.pop(name))
            self.detector.forget(name)
        for device in devices:
            if device.name not in self._states:
                self._states[device.name] = _DeviceState(self._client.session(device))
        self.devices = tuple(devices)
        self._interfaces = None

    def set_neighbourhood(self, neighbourhood: Neighbourhood) -> None:
        """What the neighbourhood tables show, from the next poll on: the ports linking two
        devices, and the links along which a flood's ports are ordered."""
        self._uplinks = frozenset(neighbourhood.uplinks)
        self._path = neighbourhood.flood_path()

    def baselines(self) -> Iterator[tuple[SeriesKey, Baseline]]:
        """Every series learned so far, to be kept between runs."""
        return self.detector.baselines.items()

    def varbinds_received(self) -> int:
        """Varbinds answered by every device so far (for benchmarks and debug logs)."""
        return sum(state.session.varbinds_received for state in self._states.values())

    async def poll(self) -> Snapshot:
        started = time.monotonic()
        if self._zooming is None:
            self._zooming = asyncio.create_task(self._zoom(), name="zoom")
        results = await asyncio.gather(*(self._poll_device(d) for d in self.devices))
        device_rates = [rates for _, rates in results if rates is not None]
        statuses = [status for status, _ in results]
        self.glitches_dropped += sum(int(np.count_nonzero(rates.status == GLITCH)) for rates in device_rates)
        if self._interfaces is None:
            self._interfaces = InterfacesByPort({name: state.interfaces for name, state in self._states.items()})
        interfaces = self._interfaces
        samples = [state.last_sample for state in self._states.values() if state.last_sample is not None]
        taken_at = time.time()
        detections = self.detector.observe(device_rates, taken_at, samples, self.zoom.take_peaks())
        self.zoom.suspect(self.detector.take_suspicions())
        ranked = rank_rates(device_rates, {k: d.flags for k, d in detections.items()}, self.sort, self.thresholds, self._uplinks,
                            {k: d.since for k, d in detections.items() if d.since is not None}, self._path)
        incidents = self.incidents.observe(ranked.flagged, {key for key, found in detections.items() if found.active}, taken_at,
                                           self._uplinks)
        return Snapshot(
            taken_at=taken_at,
            poll_s=time.monotonic() - started,
            ports=ranked,
            interfaces=interfaces,
            oper_status=OperStatus(samples),
            devices=tuple(statuses),
            glitches_dropped=self.glitches_dropped,
            incidents=incidents,
            samples=tuple(sample for status in statuses
                          if status.answered and (sample := self._states[status.name].last_sample) is not None),
            zoomed=self.zoom.watched(taken_at),
        )

    async def _poll_device(self, device: Device) -> tuple[DeviceStatus, DeviceRates | None]:
        state = self._states[device.name]
        if state.failures:
            return await self._retried(device, state)
        async with self._places.request():
            return self._after(state, await self._attempt(device, state))

    async def _attempt(self, device: Device, state: _DeviceState) -> tuple[DeviceStatus, DeviceRates | None]:
        """One read of the device: its status, and its rates where it answered."""
        started = time.monotonic()  # how long the device takes, not the wait for a place
        try:
            rates = await self._read(state)
        except SnmpError as error:
            log.debug("%s failed after %.2fs: %s", device.name, time.monotonic() - started, error)
            return DeviceStatus(device.name, False, time.monotonic() - started, str(error), type(error).__name__), None
        except Exception as bug:  # an answer no reader foresaw fails this device's poll, never the loop
            log.warning("%s: unreadable answer (%s: %s)", device.name, type(bug).__name__, bug)
            return DeviceStatus(device.name, False, time.monotonic() - started,
                                f"{device.name}: unreadable answer ({type(bug).__name__}: {bug})", "UnreadableAnswer"), None
        log.debug("%s answered in %.2fs (%d ports, %d requests so far)", device.name,
                  time.monotonic() - started, len(rates), state.session.requests_sent)
        return DeviceStatus(device.name, True, time.monotonic() - started), rates

    def _after(self, state: _DeviceState, result: tuple[DeviceStatus, DeviceRates | None]) -> tuple[DeviceStatus, DeviceRates | None]:
        """Keep a device's answer, or count its failure: a failing device is retried apart (_retried)."""
        status, rates = result
        if rates is not None:
            state.failures, state.skip = 0, 0
            state.session.in_flight = self._client.in_flight
            return result
        state.failures += 1
        state.failed_status = status
        state.skip = min(2 ** min(state.failures - 1, MAX_SKIPPED_POLLS.bit_length()), MAX_SKIPPED_POLLS) - 1
        state.session.in_flight = self._retries
        return result

    async def _retried(self, device: Device, state: _DeviceState) -> tuple[DeviceStatus, DeviceRates | None]:
        """A device that failed is read again apart from the others: a poll waits for the retry
        at most RETRY_GRACE_S (a device that came back answers within it), and otherwise reports
        the last failure while the retry goes on, its answer taken by a later poll. Retries back
        off (every poll, then every 2nd, 4th, ... up to every MAX_SKIPPED_POLLS) and hold places
        of their own, so a mass outage costs the answering devices nothing. A retry the device
        answers within the grace is waited for to its end, as any device's read is."""
        if state.retry is None:
            if state.skip > 0:
                state.skip -= 1
            else:
                state.retry_started = time.monotonic()
                state.retry = asyncio.create_task(self._attempt(device, state), name=f"retry {device.name}")
        if state.retry is not None:
            done, _ = await asyncio.wait({state.retry}, timeout=RETRY_GRACE_S)
            if not done and state.session.last_answer_s >= state.retry_started:  # it answers: wait as for any device
                done, _ = await asyncio.wait({state.retry})
            if done:
                retry, state.retry = state.retry, None
                return self._after(state, retry.result())
        assert state.failed_status is not None
        return state.failed_status, None

    def close(self) -> None:
        """Stop the retries still waiting for silent devices."""
        for state in self._states.values():
            _cancel_retry(state)
        if self._zooming is not None:
            self._zooming.cancel()

    async def _zoom(self) -> None:
        """Between polls, every zoom_every_s: the counters of the ports worth zooming in on."""
        previous: dict[str, DeviceSample] = {}
        while True:
            started = time.monotonic()
            watched = self.zoom.watched(time.time())
            for name in set(previous) - set(watched):
                del previous[name]
            await asyncio.gather(*(self._zoom_device(self._states[name], set(ports), previous)
                                   for name, ports in watched.items() if name in self._states))
            await asyncio.sleep(max(0.0, self.zoom_every_s - (time.monotonic() - started)))

    async def _zoom_device(self, state: _DeviceState, if_indexes: set[int], previous: dict[str, DeviceSample]) -> None:
        """A GET of a few ports' counters. Only where the agent's counters are known live, or
        their reload known (a new reload's values, stamped with it): read every second, a
        caching agent's counters would show nothing, then several seconds' worth at once."""
        name = state.session.device.name
        if state.plan is None or state.failures or not (state.counters_live or state.clock.known):
            return
        before = previous.get(name)
        sampled_at = None
        if state.clock.known:
            if state.clock_doubted:
                previous.pop(name, None)
                return
            sampled_at = state.clock.last_reload(time.monotonic() - RELOAD_SETTLE_S)
            if before is not None and before.time_s >= sampled_at - TOLERANCE_S:
                return  # no new values since the last read
        plan = replace(state.plan, ports=tuple(port for port in state.plan.ports if port[0] in if_indexes))
        try:
            sample = await read_counters(state.session, plan, sampled_at, before)
        except Exception as error:  # SnmpError, InterfacesChanged: the next poll reads the device as usual
            log.debug("%s: zoomed read failed: %s", name, error)
            previous.pop(name, None)
            return
        if sampled_at is not None and _same_counters(sample, before):
            # stamped with a reload that has not come: measured, it would be a second of no traffic,
            # and the next read one of twice the traffic
            log.debug("%s: a zoomed read found the counters of the read before it: the reload is late", name)
            state.clock_doubted = True
            previous.pop(name, None)
            return
        previous[name] = sample
        if before is not None and np.array_equal(before.if_indexes, sample.if_indexes):
            self.zoom.measured(compute_device_rates(before, sample, state.interfaces))

    async def _read(self, state: _DeviceState) -> DeviceRates:
        if state.plan is None:
            await self._plan(state)
        try:
            sample = await self._read_aligned(state)
        except InterfacesChanged:
            await self._plan(state)
            sample = await self._read_aligned(state)
        state.clock_doubted = False
        previous = state.last_sample
        if previous is not None and agent_restarted(previous, sample):
            state.clock.forget()
            await self._plan(state)
        state.last_sample = sample
        rates = compute_device_rates(previous, sample, state.interfaces)
        if len(rates) == 0 or not rates.ok.all() or np.nan_to_num(rates.per_second[:, :, BPS]).any():
            state.moved_s = time.monotonic()
        quiet = time.monotonic() - state.moved_s > QUIET_AFTER_S
        if quiet and state.probe_next and not state.counters_live and not state.clock.known:
            log.info("%s: no traffic on any port for %.0f s: when it refreshes its counters is not looked for until there is",
                     state.session.device.name, QUIET_AFTER_S)
        state.probe_next = not state.counters_live and not quiet
        return rates

    async def _plan(self, state: _DeviceState) -> None:
        """(Re)read the interface list and plan the counter poll on it."""
        state.plan = await read_plan(state.session)  # first: it starts with a small GET (see DeviceSession.answers_small_get)
        state.interfaces = await read_interfaces(state.session)
        self._interfaces = None
        device = state.session.device
        self.detector.set_ports(device.name, port_identities(state.interfaces),
                                device_thresholds(self.thresholds, device.spikes, device.port_spikes, state.interfaces))

    def interfaces_seen(self, interfaces: Mapping[PortKey, InterfaceInfo]) -> None:
        """Interfaces read with the neighbourhood tables: a device whose ports changed names since
        its counter plan (swapped without a restart or a change of ifNumber, which the counter
        read would have noticed) is planned again on its next poll, so its baselines follow."""
        by_device: dict[str, dict[int, InterfaceInfo]] = {}
        for (device, if_index), info in interfaces.items():
            by_device.setdefault(device, {})[if_index] = info
        for device, seen in by_device.items():
            state = self._states.get(device)
            if state is not None and state.plan is not None and port_identities(seen) != port_identities(state.interfaces):
                log.info("%s: interfaces were renamed or renumbered since they were read: reading them again", device)
                state.plan = None

    async def _read_aligned(self, state: _DeviceState) -> DeviceSample:
        """A counter read stamped with the time its values are from, for agents that cache:
        from the reload grid once learned (no waiting), else by probing for the next reload."""
        assert state.plan is not None
        if state.clock.known:
            return await self._read_on_clock(state)
        sample = await read_counters(state.session, state.plan, previous=state.last_sample)
        if not state.probe_next:
            return sample
        edge = await find_refresh(state.session, state.plan, sample, state.last_sample)
        if edge.kind is CacheKind.LIVE:
            state.counters_live = True
        elif edge.kind is CacheKind.REFRESHED:
            assert edge.time_s is not None
            state.clock.add(edge.time_s)
            sample = await read_counters(state.session, state.plan, sampled_at=edge.time_s, previous=sample)
        return sample

    async def _read_on_clock(self, state: _DeviceState) -> DeviceSample:
        """A read stamped with the agent's reload it reads the values of. A reload about to come
        (READ_GUARD_S) is waited for, and so is the next one where the agent has not reloaded
        since the last read (polled more often than it reloads: the poll shifts, and reads new
        values); a read comes RELOAD_SETTLE_S after the reload at the earliest. Every
        CHECK_CLOCK_EVERY reads, the read watches for the reload it waits for, and the grid
        follows the reload found (_follow)."""
        assert state.plan is not None
        clock, now = state.clock, time.monotonic()
        reload, upcoming = clock.last_reload(now), clock.next_reload(now)
        read_before = state.last_sample.time_s if state.last_sample is not None else float("-inf")
        if upcoming - now < READ_GUARD_S or reload <= read_before + TOLERANCE_S:
            reload = upcoming
        state.clock_reads += 1
        if state.clock_reads >= CHECK_CLOCK_EVERY and state.probe_next and reload - CHECK_BEFORE_S > now:
            state.clock_reads = 0
            await asyncio.sleep(reload - CHECK_BEFORE_S - now)
            reload = await self._watched_reload(state, reload)
        await asyncio.sleep(max(0.0, reload + RELOAD_SETTLE_S - time.monotonic()))
        sample = await read_counters(state.session, state.plan, sampled_at=reload, previous=state.last_sample)
        if state.probe_next and _same_counters(sample, state.last_sample):
            sample = await self._read_late_reload(state, sample)
        return sample

    async def _watched_reload(self, state: _DeviceState, expected: float) -> float:
        """The reload found by probing from just before the one `expected`, followed; `expected`
        where none was found (the device fell quiet)."""
        assert state.last_sample is not None
        found = await self._reload_found(state, state.last_sample, None, from_now=True)
        return expected if found is None else found

    async def _read_late_reload(self, state: _DeviceState, sample: DeviceSample) -> DeviceSample:
        """`sample` showed the values of the read before it, on a device with traffic: the reload it
        was stamped with had not come (the grid is late). Stamped so, it would invent a poll of
        no traffic: the reload is probed for, followed, and read after instead."""
        assert state.plan is not None
        found = await self._reload_found(state, sample, state.last_sample)
        if found is None:
            return sample  # nothing moved within a period: the device fell quiet, and its values are current
        return await read_counters(state.session, state.plan, sampled_at=found, previous=sample)

    async def _reload_found(self, state: _DeviceState, sample: DeviceSample, previous: DeviceSample | None,
                            from_now: bool = False) -> float | None:
        """The next reload, probed for one period at most (find_refresh) and followed (_follow);
        None where nothing moved."""
        assert state.plan is not None and state.clock.period_s is not None
        edge = await find_refresh(state.session, state.plan, sample, previous, max_wait_s=state.clock.period_s + READ_GUARD_S,
                                  from_now=from_now)
        if edge.kind is not CacheKind.REFRESHED or edge.time_s is None:
            return None
        _follow(state, edge.time_s)
        return edge.time_s


def _follow(state: _DeviceState, edge_s: float) -> None:
    """The grid follows a reload found after it was learned (CacheClock.follow); the next read
    checks a grid that moved."""
    clock, name = state.clock, state.session.device.name
    clock.follow(edge_s)
    if not clock.known:
        log.info("%s: its counters are no longer reloaded when they were: learning when again", name)
    elif clock.moved:
        log.debug("%s: its counters' reloads moved: following them", name)
        state.clock_reads = CHECK_CLOCK_EVERY


def _same_counters(sample: DeviceSample, previous: DeviceSample | None) -> bool:
    """Whether no counter of any port moved between two reads (the same reload read twice)."""
    return (previous is not None and np.array_equal(previous.if_indexes, sample.if_indexes)
            and np.array_equal(previous.values, sample.values))


def _cancel_retry(state: _DeviceState) -> None:
    if state.retry is not None:
        state.retry.cancel()
