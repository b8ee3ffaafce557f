"""The faces' frames where pollers share the store (`top`, `live`, `ui` with --store
postgresql://...): every interval, the pollers' last published polls merged into one frame
(core/published.py). No SNMP is sent; a poller that fell silent shows as its devices not
answering, and why."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from portmap.core.published import merged_frame
from portmap.core.snapshot import Frame
from portmap.engine.store.published import any_pollers, read_network
from portmap.engine.store.store import Store
from portmap.engine.tables import roles_of
from portmap.engine.watch import Unanswered, WatchSettings, hand_to
from portmap.inventory.model import Device


def pollers_share(location: str) -> bool:
    """Whether `location` is a database that pollers share (a SQLite file never is)."""
    if "://" not in location:
        return False
    with Store(location) as store:
        return store.read(any_pollers)


async def follow_store(location: str, inventoried: Sequence[Device], settings: WatchSettings,
                       show: Callable[[Frame], object], rounds: int | None = None, unanswered: Unanswered | None = None) -> None:
    """Hand `show` the merged frame every settings.interval_s until cancelled (or `rounds` frames),
    as watch() hands its polls: `unanswered` gathers the devices that did not answer."""
    roles, names = roles_of(inventoried), [device.name for device in inventoried]
    unreadable: set[str] = set()
    store = await asyncio.to_thread(Store, location)
    try:
        done = 0
        while rounds is None or done < rounds:
            started = time.monotonic()
            frames, view = await asyncio.to_thread(store.read, read_network, roles, unreadable)
            done += 1
            frame = merged_frame(frames, view, names, settings.sort, settings.thresholds, done)
            if unanswered is not None:
                unanswered.names.update(device.name for device in frame.snapshot.failed)
            await hand_to(show, frame)
            if rounds is None or done < rounds:
                await asyncio.sleep(max(0.0, settings.interval_s - (time.monotonic() - started)))
    finally:
        store.close()
