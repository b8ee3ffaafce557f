"""SVG snapshots of the TUI at a fixed terminal size, on the fixed scenario of tests/tui_frames.py:
the main screen during web1's flood, the flooding port's detail, and the topology view."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from portmap.demo.network import default_network
from portmap.tui.app import PortmapApp
from tests.tui_frames import scenario_frames

SIZE = (170, 42)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Times on screen are local: the snapshots are drawn in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def scenario_app() -> PortmapApp:
    frames = scenario_frames()

    async def source(show: Callable[[object], object]) -> None:
        for frame in frames:
            show(frame)
        await asyncio.Event().wait()

    roles = {d.name: list(d.roles) for d in default_network().devices}
    return PortmapApp(source, len(roles) + 1, 5.0, roles)


async def all_frames_shown(pilot) -> None:  # type: ignore[no-untyped-def]
    while pilot.app.frame is None or pilot.app.frame.number < 10:
        await pilot.pause(0.05)


def test_main_screen_during_the_flood(snap_compare):
    assert snap_compare(scenario_app(), terminal_size=SIZE, run_before=all_frames_shown)


def test_the_flooding_ports_detail(snap_compare):
    async def open_first_port(pilot) -> None:  # type: ignore[no-untyped-def]
        await all_frames_shown(pilot)
        await pilot.press("home", "enter")

    assert snap_compare(scenario_app(), terminal_size=SIZE, run_before=open_first_port)


def test_topology_view(snap_compare):
    async def open_topology(pilot) -> None:  # type: ignore[no-untyped-def]
        await all_frames_shown(pilot)
        await pilot.press("t")

    assert snap_compare(scenario_app(), terminal_size=SIZE, run_before=open_topology)
