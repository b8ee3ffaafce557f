"""The TUI, headless with Textual's pilot, on the demo network's real (simulated) agents."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, Tree

from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import default_network
from portmap.engine.tables import roles_of
from portmap.tui.app import PortmapApp
from portmap.tui.screens import DevicesScreen, PortScreen, TopologyScreen
from portmap.tui.table import PortTable
from portmap.engine.watch import OperatorRequests, WatchSettings, watch
from tests.helpers import TIMING, free_udp_ports, report
from tests.tui_frames import scenario_frames

pytestmark = TIMING

INTERVAL_S = 2.0
FLOOD_AFTER_S = 9.0
WEB1_PORT, WEB1_IP = "acc1 Gi1/0/5", "10.0.0.21"


@pytest.fixture
async def flooding_demo() -> AsyncIterator[tuple[PortmapApp, float]]:
    """The demo network, web1 flooding FLOOD_AFTER_S after it starts, and the TUI over it."""
    network = default_network(flood_after_s=FLOOD_AFTER_S)
    network = network.with_agent_ports({d.name: p for d, p in zip(network.devices, free_udp_ports(len(network.devices)))})
    simulator = SimulatedNetwork(network)
    simulator.start()
    started = time.time()
    devices = demo_inventory(network).devices
    settings = WatchSettings(INTERVAL_S, tables_every_s=30)
    app = PortmapApp(lambda show: watch(devices, settings, show), len(devices), INTERVAL_S, roles_of(devices))
    yield app, started + FLOOD_AFTER_S
    simulator.stop()


def table(app: PortmapApp) -> PortTable:
    return app.query_one("#ports", PortTable)


@contextlib.asynccontextmanager
async def run_live(app: PortmapApp, size: tuple[int, int]) -> AsyncIterator[Pilot]:  # type: ignore[type-arg]
    """app.run_test for an app whose poller keeps sending frames: quit at the end as the operator
    does (ctrl+c). run_test's own shutdown closes the screens while the app still handles
    messages, and a frame arriving then finds no screen or widget (ScreenStackError, NoMatches):
    a race of the test harness alone, which a quit ends the message loop before."""
    async with app.run_test(size=size) as pilot:
        try:
            yield pilot
        finally:
            await pilot.press("ctrl+c")
            await pilot.pause()


async def wait_for(pilot, condition, timeout_s: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g}s")
        await pilot.pause(0.1)


async def test_the_flooding_port_is_highlighted_and_pinned_within_one_interval(flooding_demo):
    app, flood_at = flooding_demo
    async with run_live(app, (180, 40)) as pilot:
        await wait_for(pilot, lambda: app.frame is not None and app.frame.number >= 3, 15)
        assert time.time() < flood_at, "the quiet phase was seen"
        assert not any(p.flagged for p in app.frame.snapshot.ports)
        assert not app.query_one("#banner").display
        status = str(app.query_one("#status").render())
        assert "4/4 devices answering" in status

        await wait_for(pilot, lambda: app.query_one("#banner").display, FLOOD_AFTER_S + 3 * INTERVAL_S)
        delay = app.frame.snapshot.taken_at - flood_at
        banner = str(app.query_one("#banner", Static).render())
        assert banner.startswith(f"! {WEB1_PORT} (web1): {WEB1_IP} (52:54:00:12:34:56) is sending"), banner
        assert "small-packet flood" in banner and "the same flood crosses" in banner
        text, style = table(app).lines[0]
        assert text.split()[:5] == ["!", "acc1", "Gi1/0/5", WEB1_IP, "(52:54:00:12:34:56)"] and style.color.name == "red"
        assert delay <= INTERVAL_S + 1.0, delay
        report(f"TUI on the demo network: the banner and the first row named web1's port {delay:.1f}s after the flood began "
               f"(polling every {INTERVAL_S:g}s)")


async def test_keys_sort_filter_open_a_port_and_the_other_views(flooding_demo):
    app, _ = flooding_demo
    async with run_live(app, (180, 40)) as pilot:
        await wait_for(pilot, lambda: app.frame is not None and app.frame.neighbourhood is not None and app.frame.number >= 2, 15)
        await pilot.press("3")
        assert app.sort == "bps"
        await pilot.press("slash")
        await pilot.press(*WEB1_IP)
        await pilot.pause()
        assert table(app).keys == [("acc1", 5)]
        await pilot.press("enter")  # keeps the filter, back to the table
        await pilot.press("enter")  # opens the port
        await pilot.pause()
        assert isinstance(app.screen, PortScreen)
        assert "52:54:00:12:34:56  10.0.0.21" in str(app.screen.query_one("#hosts", Static).render())
        assert "acc1 -> core1 -> rtr1" in str(app.screen.query_one("#paths", Static).render())
        await pilot.press("escape")
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert len(table(app).keys) > 10

        await pilot.press("d")
        assert isinstance(app.screen, DevicesScreen)
        assert app.screen.query_one("#devices", DataTable).row_count == 4
        await pilot.press("escape")
        await pilot.press("t")
        assert isinstance(app.screen, TopologyScreen)
        labels = [str(node.label) for node in app.screen.query_one("#topology", Tree).root.children]
        assert sorted(labels) == ["acc1 (switch)", "acc2 (switch)", "core1 (switch)", "rtr1 (router)"]
        await pilot.press("escape")

        await pilot.press("p")
        frozen = app.frame
        await asyncio.sleep(INTERVAL_S * 1.5)
        await pilot.pause()
        assert app.frame is frozen and app.waiting is not None and "PAUSED" in str(app.query_one("#status").render())
        await pilot.press("p")
        assert app.frame is not frozen


async def test_a_port_the_operator_says_is_normal_is_learned_and_no_longer_flagged():
    """web1's flood, accepted with `a` on its row (a load test the operator runs, say): from the
    next poll it is no longer flagged, and its baseline holds its rate."""
    network = default_network(flood_after_s=0.0)
    network = network.with_agent_ports({d.name: p for d, p in zip(network.devices, free_udp_ports(len(network.devices)))})
    simulator = SimulatedNetwork(network)
    simulator.start()
    devices = demo_inventory(network).devices
    requests = OperatorRequests()
    settings = WatchSettings(1.0, tables_every_s=30)
    app = PortmapApp(lambda show: watch(devices, settings, show, requests=requests), len(devices), 1.0, roles_of(devices),
                     requests.accept)
    try:
        async with run_live(app, (180, 40)) as pilot:
            await wait_for(pilot, lambda: app.frame is not None and app.frame.snapshot.ports.flagged, 10)
            await pilot.press("down")  # a port that is not flagged: refused, said so
            while table(app).selected in {p.key for p in app.frame.snapshot.ports.flagged}:
                await pilot.press("down")
            await pilot.press("a")
            assert requests.accepted == []
            await pilot.press("home")
            assert table(app).selected == ("acc1", 5)
            await pilot.press("a")
            accepted_at = app.frame.number
            await wait_for(pilot, lambda: app.frame.number >= accepted_at + 2, 5)
            assert not any(p.key == ("acc1", 5) for p in app.frame.snapshot.ports.flagged)
            notices = [notification.message for notification in app._notifications]
            assert notices == ["select a flagged port to say its traffic is normal",
                               "acc1 Gi1/0/5 (web1): its traffic is taken as normal from the next poll"], notices
    finally:
        simulator.stop()


async def test_ctrl_c_quits_as_in_htop_and_trippy():
    app = PortmapApp(lambda show: asyncio.sleep(3600), 1, 5.0, {})
    async with app.run_test(size=(120, 30)) as pilot:
        assert app.return_code is None
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0


async def test_the_app_quits_cleanly_while_its_poller_sends_frames():
    frames = scenario_frames(10)

    async def source(show):  # type: ignore[no-untyped-def]
        for number in range(3000):  # bounded: 3 s at most, past the test's end
            show(frames[number % len(frames)])
            await asyncio.sleep(0.001)

    app = PortmapApp(source, 6, 2.0, {})
    async with run_live(app, (120, 30)) as pilot:
        await pilot.pause(0.2)
        assert app.frame is not None
    assert app.return_code == 0, "quit by ctrl+c, frames still coming"
