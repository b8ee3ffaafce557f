"""A poller's part of a shared store (portmap run on PostgreSQL): which of the inventory's devices
it polls now, by its leases, renewed by a heartbeat apart from the poll loop.

The heartbeat runs LEASE_ROUNDS times a polling interval; a lease lives three rounds, so a
poller that dies (SIGKILL, a cut from the database) has its devices taken within one interval
and polled at the taker's next poll: within two intervals. A poller that cannot renew its
leases stops polling their devices before they can expire, so that no device is ever polled
by two pollers at once. Devices change hands between polls: the giver saves the device's
baselines and flagged episodes to the store before it lets the lease go, the taker loads them
before its first read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from portmap.engine.poller import Engine
from portmap.engine.store import baselines
from portmap.engine.store.correlator import Correlator
from portmap.engine.store.leases import LeaseRound, leave, lease_round, release
from portmap.engine.store.place import Poller
from portmap.engine.store.store import Store, database_words
from portmap.inventory.model import Device

log = logging.getLogger("portmap.shared")
T = TypeVar("T")

LEASE_ROUNDS = 4
"""Heartbeats per polling interval."""
LEASE_LIFE_ROUNDS = 3
"""A lease expires this many rounds after its last renewal."""
SAVE_BASELINES_EVERY_S = 600.0
"""Every polled device's baselines are saved to the store this often (and when a device is
handed over, and when the poller stops): a poller that dies costs its takers at most this much
learning, and 1,000 switches' series written every 2 minutes were three quarters of the rows
the database wrote (bench/shared_pollers.py)."""


class SharedDevices:
    def __init__(self, store: Store, poller: Poller, inventory: Sequence[Device], interval_s: float) -> None:
        self.store, self.poller = store, poller
        self.round_s = interval_s / LEASE_ROUNDS
        self.ttl_s = LEASE_LIFE_ROUNDS * self.round_s
        self.inventory = {device.name: device for device in inventory}
        self.last: LeaseRound | None = None
        self._started_at: float | None = None
        self._renewed_s = float("-inf")
        """When the last round that renewed the leases began (monotonic)."""
        self._handing_over: set[str] = set()
        self._saved_s = time.monotonic()
        self._heartbeat: asyncio.Task[None] | None = None
        self._lost = False
        self._failing = False
        self.correlator = Correlator(store, poller.name)

    async def start(self) -> None:
        """The first round (an error if another live poller has this name), then the heartbeat."""
        await asyncio.to_thread(self._round)
        self._heartbeat = asyncio.create_task(self._beat(), name="lease heartbeat")

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.round_s)
            try:
                await asyncio.to_thread(self._round)
            except Exception as error:  # the database went away: the leases lapse, polling stops (devices_now)
                if not self._failing:
                    log.warning("poller %s: lease heartbeat failed (%s): its devices are polled until their leases could "
                                "expire", self.poller.name, database_words(error))
                self._failing = True
            else:
                if self._failing:
                    log.warning("poller %s: lease heartbeat works again", self.poller.name)
                self._failing = False

    def _round(self) -> None:
        began = time.monotonic()
        tags = {name: device.tags for name, device in self.inventory.items()}
        with self.store.transaction() as connection:
            found = lease_round(connection, self.poller, tags, self.ttl_s, self.round_s, self._started_at, self._handing_over)
        self._started_at = self._started_at or found.now
        self._renewed_s, self.last = began, found
        handing_now = set(found.released) - self._handing_over  # a handover is decided again each round until done
        self._handing_over.update(found.released)
        try:
            if self.correlator.elected():
                self.correlator.correlate()
        except Exception as error:  # its lock's connection is gone with it: another poller may take over
            log.warning("poller %s: incidents not correlated (%s)", self.poller.name, database_words(error))
            self.correlator.close()
        if found.taken or handing_now:
            log.info("poller %s: took %s, hands over %s; holds %d devices (fair share %d, %d pollers alive)", self.poller.name,
                     ", ".join(found.taken) or "none", ", ".join(sorted(handing_now)) or "none", len(found.held),
                     found.plan.fair_share, len(found.pollers))

    def devices_now(self) -> list[Device]:
        """The devices to poll now: those leased, unless the leases could have expired unrenewed."""
        if self.last is None:
            return []
        if time.monotonic() - self._renewed_s > self.ttl_s - self.round_s / 2:
            if not self._lost:
                log.warning("poller %s: leases not renewed for %.1fs: polling nothing until the store answers",
                            self.poller.name, time.monotonic() - self._renewed_s)
            self._lost = True
            return []
        self._lost = False
        return [self.inventory[name] for name in self.last.held if name not in self._handing_over]

    async def follow(self, engine: Engine) -> bool:
        """Between polls: the engine given the devices leased now. Those handed over are saved and
        released once no poll reads them; those taken continue from the store's baselines.
        True where the devices changed."""
        handing = set(self._handing_over)
        wanted = [device for device in self.devices_now() if device.name not in handing]
        polled = {device.name for device in engine.devices}
        names = {device.name for device in wanted}
        if names == polled and not handing:
            return False
        gone, new = polled - names, names - polled
        if gone:
            await self._save(engine, gone, "saving the baselines of the devices it gives up")
        if new:
            found = await self._in_store(baselines.load, new, time.time(),
                                         doing="loading the baselines of the devices it takes: they learn anew")
            if found is not None:
                engine.detector.take_over(*found)
        engine.set_devices(wanted)
        if handing:
            released = await self._in_store(release, self.poller.name, handing,
                                            doing="handing devices over: retried after the next poll")
            if released is not None:
                self._handing_over -= handing
        return bool(gone or new)

    async def _in_store(self, action: Callable[..., T], *args: object, doing: str) -> T | None:
        """`action(connection, *args)` in a transaction of its own, in a thread; where the store
        fails, one warning and None: the poll goes on."""
        def transact() -> T:
            with self.store.transaction() as connection:
                return action(connection, *args)

        try:
            return await asyncio.to_thread(transact)
        except Exception as error:
            log.warning("poller %s: the store failed %s (%s)", self.poller.name, doing, database_words(error))
            return None

    async def _save(self, engine: Engine, devices: set[str], doing: str) -> None:
        await self._in_store(baselines.save, engine.baselines(), devices, engine.detector.flagged_since(), time.time(),
                             doing=doing)

    def save_due(self) -> bool:
        return time.monotonic() - self._saved_s >= SAVE_BASELINES_EVERY_S

    async def save(self, engine: Engine) -> None:
        """Every polled device's baselines and episodes into the store (every SAVE_BASELINES_EVERY_S, and at the end)."""
        self._saved_s = time.monotonic()
        await self._save(engine, {device.name for device in engine.devices}, "saving the baselines")

    async def stop(self, engine: Engine) -> None:
        """A clean stop: baselines saved, every lease given up at once for the others to take."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        await self.save(engine)
        await self._in_store(leave, self.poller.name, doing="giving its leases up: they expire")
        self.correlator.close()
