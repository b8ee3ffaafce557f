"""`portmap` (or `portmap ui`): the Textual TUI at the console, over the shared watch loop."""

from __future__ import annotations

from collections.abc import Sequence

from portmap.engine.tables import roles_of
from portmap.engine.watch import OperatorRequests, WatchSettings, watch
from portmap.inventory.model import Device
from portmap.tui.app import PortmapApp


async def run_ui(devices: Sequence[Device], settings: WatchSettings, duration_s: float | None = None) -> int:
    """Run the TUI until the operator quits (or for `duration_s`, for demos and tests)."""
    requests = OperatorRequests()
    app = PortmapApp(lambda show: watch(devices, settings, show, requests=requests), len(devices), settings.interval_s,
                     roles_of(devices), requests.accept)
    if duration_s is not None:
        app.call_later(lambda: app.set_timer(duration_s, app.exit))
    await app.run_async()
    return 0
