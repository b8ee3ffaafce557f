"""`portmap` (or `portmap ui`): the Textual TUI at the console, over the shared watch loop."""

from __future__ import annotations

from collections.abc import Sequence

from portmap.engine.tables import roles_of
from portmap.engine.watch import OperatorRequests, Unanswered, WatchSettings, watch
from portmap.inventory.model import Device
from portmap.tui.app import FrameSource, PortmapApp


async def run_ui(devices: Sequence[Device], settings: WatchSettings, duration_s: float | None = None,
                 store: str | None = None, shared: bool = False) -> int:
    """Run the TUI until the operator quits (or for `duration_s`, for demos and tests). Exit 1
    when a device did not answer at some poll. `store`: the history store its port screen reads;
    `shared`: pollers share it, and the TUI shows their polls instead of polling (no `a`: the
    pollers' detectors are theirs)."""
    requests, unanswered = OperatorRequests(), Unanswered()
    if shared and store is not None:
        from portmap.engine.follow import follow_store  # SQLAlchemy loads only for a face that reads a store

        source: FrameSource = lambda show: follow_store(store, devices, settings, show, unanswered=unanswered)
        accept = None
    else:
        source, accept = lambda show: watch(devices, settings, show, requests=requests, unanswered=unanswered), requests.accept
    app = PortmapApp(source, len(devices), settings.interval_s, roles_of(devices), accept, store)
    if duration_s is not None:
        app.call_later(lambda: app.set_timer(duration_s, app.exit))
    await app.run_async()
    return unanswered.exit_status
