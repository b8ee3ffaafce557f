"""`portmap run`: the headless poller that keeps history. Logs one line per incident that opens
or ends and per device that stops or starts answering; SIGTERM and SIGINT stop it after the
write in progress (the watch is cancelled between polls, the store's transactions are whole);
SIGHUP reads the inventory again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from portmap.core.snapshot import Frame
from portmap.engine.store.place import shown
from portmap.engine.watch import Unanswered, WatchSettings, watch
from portmap.errors import PortmapError
from portmap.inventory.model import Device
from portmap.present.labels import port_label
from portmap.present.incidents import incident_line

log = logging.getLogger("portmap.run")


class RunLog:
    """What changed since the last poll, one log line each."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.silent: set[str] = set()
        self.open: set[tuple[object, float]] = set()

    def frame(self, frame: Frame) -> None:
        snapshot = frame.snapshot
        for device in snapshot.devices:
            if not device.answered and device.name not in self.silent:
                log.warning("device %s stopped answering: %s", device.name, device.error.removeprefix(device.name + ": "))
                self.silent.add(device.name)
            elif device.answered and device.name in self.silent:
                log.warning("device %s answers again", device.name)
                self.silent.discard(device.name)
        for incident in snapshot.incidents:
            key = (incident.port, incident.start)
            if incident.ongoing and key not in self.open:
                log.warning("incident: %s", incident_line(incident, snapshot, frame.neighbourhood, self.interval_s))
                self.open.add(key)
            elif not incident.ongoing and key in self.open:
                log.warning("incident over: %s", port_label(snapshot, incident.port))
                self.open.discard(key)


Reload = Callable[[], tuple[Sequence[Device], WatchSettings]]
"""Reads the inventory again: the devices to poll and the settings (PortmapError when invalid)."""


async def run_headless(devices: Sequence[Device], settings: WatchSettings, reload: Reload | None = None,
                       hangup: asyncio.Event | None = None, serving: Sequence[Callable[[Frame], None]] = ()) -> int:
    """Poll and keep history (settings.history) until cancelled. When `hangup` is set (SIGHUP), the
    inventory is read again with `reload`: a valid one replaces the polled devices (the baselines
    kept), an invalid one is logged and the old one kept. `serving`: the endpoints' and the alert
    hooks', handed every frame."""
    events = RunLog(settings.interval_s)

    def show(frame: Frame) -> None:
        events.frame(frame)
        for serve in serving:
            serve(frame)

    where = shown(settings.history.location) if settings.history else "no store"
    log.info("polling %d devices every %gs, history in %s", len(devices), settings.interval_s, where)
    unanswered = Unanswered()
    hangup = hangup or asyncio.Event()
    polling = asyncio.ensure_future(watch(devices, settings, show, unanswered=unanswered))
    hung_up = asyncio.ensure_future(hangup.wait())
    try:
        while True:
            await asyncio.wait({polling, hung_up}, return_when=asyncio.FIRST_COMPLETED)
            if polling.done():
                polling.result()
                break
            hangup.clear()
            hung_up = asyncio.ensure_future(hangup.wait())
            try:
                if reload is None:
                    raise PortmapError("no inventory to read again")
                devices, settings = reload()
            except PortmapError as error:
                log.error("inventory not reloaded, the old one kept: %s", error)
                continue
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)  # its baselines saved
            log.warning("inventory reloaded: %d devices", len(devices))
            polling = asyncio.ensure_future(watch(devices, settings, show, unanswered=unanswered))
    finally:
        hung_up.cancel()
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
    return unanswered.exit_status
