"""The watch loop both live faces share (the text `live` view and the TUI): poll every interval,
re-read the slow tables now and then, keep the baselines, hand each frame to the face.

A frame is one poll's Snapshot with the neighbourhood last read. The next poll starts when
the last one has finished, so polls never overlap and a slow device slows only its own answer.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from portmap.core.thresholds import FlagThresholds
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.snapshot import DeviceStatus, Frame, PortKey
from portmap.engine.dns import ReverseDns
from portmap.engine.poller import Engine
from portmap.engine.state import load_baselines, load_flagged_since, save_baselines
from portmap.engine.store.place import HistoryPlace
from portmap.engine.tables import read_neighbourhood
from portmap.inventory.model import Device
from portmap.snmp.session import SnmpClient

if TYPE_CHECKING:
    from portmap.engine.store.keeper import HistoryKeeper

TABLES_EVERY_S = 60.0
"""Forwarding tables, ARP, LLDP and CDP change slowly: by default read them this often, not every poll."""
SAVE_BASELINES_EVERY = 12
"""Save the baselines every this many polls (and when the watch stops)."""


@dataclass(frozen=True, slots=True)
class WatchSettings:
    interval_s: float = 5.0
    sort: str = "pps"
    dns: ReverseDns | None = None
    state: Path | None = None
    """The baselines file (None: start blind, keep nothing)."""
    tables_every_s: float = TABLES_EVERY_S
    thresholds: FlagThresholds = FlagThresholds()
    """The inventory's global `spikes:`; devices' and ports' own apply on top."""
    inventoried: tuple[Device, ...] = ()
    """Every device of the inventory, where the watch polls only some (`--device`): an LLDP
    neighbour that is one of them still makes an uplink."""
    history: HistoryPlace | None = None
    """The history store every frame is written to (None: none)."""


@dataclass
class OperatorRequests:
    """What the operator asked of a running watch (from the TUI), taken before the next poll."""

    accepted: list[PortKey] = field(default_factory=list)
    """Ports whose traffic the operator said is normal (Detector.accept)."""

    def accept(self, port: PortKey) -> None:
        self.accepted.append(port)


@dataclass
class Unanswered:
    """The devices that did not answer at some poll of a watch: the run's exit status is 1 if any
    (kept outside the watch, which ends cancelled when the operator quits)."""

    names: set[str] = field(default_factory=set)

    @property
    def exit_status(self) -> int:
        return 1 if self.names else 0


async def watch(devices: Sequence[Device], settings: WatchSettings, show: Callable[[Frame], object],
                rounds: int | None = None, requests: OperatorRequests | None = None,
                unanswered: Unanswered | None = None) -> None:
    """Poll until cancelled (or `rounds` polls), calling `show` with every frame (and awaiting what
    it returns, if awaitable), then writing it to the history store if the settings name one."""
    if settings.history is None:
        await _watch(devices, settings, show, rounds, requests, unanswered, None)
        return
    from portmap.engine.store.keeper import keeping  # SQLAlchemy loads only for a watch that keeps history

    async with keeping(settings.history) as keeper:
        await _watch(devices, settings, show, rounds, requests, unanswered, keeper)


async def _watch(devices: Sequence[Device], settings: WatchSettings, show: Callable[[Frame], object],
                 rounds: int | None, requests: OperatorRequests | None, unanswered: Unanswered | None,
                 keeper: HistoryKeeper | None) -> None:
    requests = requests or OperatorRequests()
    unanswered = unanswered if unanswered is not None else Unanswered()
    poller = settings.history.poller if settings.history and keeper else None
    shared = None
    if keeper is not None and poller is not None:  # the store keeps the baselines, and says which devices are ours
        from portmap.engine.shared import SharedDevices

        shared = SharedDevices(keeper.store, poller, devices, settings.interval_s)
        await shared.start()
    client = SnmpClient()
    state = settings.state if shared is None else None
    engine = Engine(devices if shared is None else (), client, settings.thresholds, settings.sort,
                    load_baselines(state) if state else {}, load_flagged_since(state) if state else {})
    neighbourhood: Neighbourhood | None = None
    previous_failed: tuple[DeviceStatus, ...] = ()
    tables_read_at = float("-inf")
    done = 0
    try:
        while rounds is None or done < rounds:
            started = time.monotonic()
            while requests.accepted:
                engine.detector.accept(requests.accepted.pop())
            if shared is not None and await shared.follow(engine):
                tables_read_at = float("-inf")  # devices taken: their tables too
            if started - tables_read_at >= settings.tables_every_s:
                snapshot, fresh = await asyncio.gather(
                    engine.poll(), read_neighbourhood(client, engine.devices, settings.dns, settings.inventoried or tuple(devices)))
                engine.set_neighbourhood(fresh)
                engine.interfaces_seen(fresh.interfaces)
                neighbourhood, tables_read_at = fresh, started
            else:
                snapshot = await engine.poll()
            done += 1
            unanswered.names.update(device.name for device in snapshot.failed)
            frame = Frame(snapshot, neighbourhood, previous_failed if done == 2 else (), done)
            await hand_to(show, frame)
            if keeper is not None:
                await keeper.keep(frame)
            previous_failed = snapshot.failed
            if state and done % SAVE_BASELINES_EVERY == 0:
                _save(state, engine, devices)
            if shared is not None and shared.save_due():
                await shared.save(engine)
            if rounds is None or done < rounds:
                await asyncio.sleep(max(0.0, settings.interval_s - (time.monotonic() - started)))
    finally:
        engine.close()
        client.close()
        if state or shared is not None:
            engine.detector.conclude(time.time())
        if state:
            _save(state, engine, devices)
        if shared is not None:
            await shared.stop(engine)


async def hand_to(show: Callable[[Frame], object], frame: Frame) -> None:
    """`show(frame)`, awaited if it returns an awaitable (the TUI's does)."""
    shown = show(frame)
    if inspect.isawaitable(shown):
        await shown


def _save(state: Path, engine: Engine, devices: Sequence[Device]) -> None:
    save_baselines(state, engine.baselines(), (device.name for device in devices), engine.detector.flagged_since())
