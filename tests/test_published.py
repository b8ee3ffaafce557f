"""A face on any machine shows the pollers' published polls merged (core/published.py) as one
machine ranks a poll (issue 18). Three watches over parts of the demo network during its flood
(pa: acc1, pb: core1, pc: acc2 and rtr1), each published and read back through the store's JSON
codec, merge into the flagged ports one watch over the whole network shows: the entry at web1's
port first, the uplinks carrying it after, web1 named with rtr1's ARP although pa never read it.
A silent poller's devices, and an inventoried device in no poller's poll, do not answer and say why;
a document of another shape is refused whole."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from portmap.core.leases import PollerSeen
from portmap.core.published import NetworkView, merged_frame, publish
from portmap.core.snapshot import Frame
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import default_network
from portmap.engine.store.published import document_of, published_in
from portmap.engine.watch import WatchSettings, watch
from portmap.tui.app import Line, PortmapApp
from portmap.tui.table import PortTable
from tests.conftest import on_free_ports
from tests.helpers import report
from tests.test_history import WEB1
from tests.test_tui import wait_for

PARTS = {"pa": ("acc1",), "pb": ("core1",), "pc": ("acc2", "rtr1")}
ROUNDS = 6


def _flagged(frame: Frame) -> list[tuple[tuple[str, int], tuple[str, int] | None]]:
    return [(port.key, port.same_incident_as) for port in frame.snapshot.ports.flagged]


def _view(now: float, silent: str = "", stopped: str = "") -> NetworkView:
    """Every poller of PARTS polling at `now`, but `silent`, whose heartbeat stopped 10 s before,
    and `stopped`, which gave its devices up."""
    def heartbeat(name: str) -> float:
        return 0.0 if name == stopped else now - (10 if name == silent else 0.2)

    return NetworkView(tuple(PollerSeen(name, (), now - 60, heartbeat(name), 3.0, devices=len(devices)) for name, devices in PARTS.items()), now)


async def _tui_shows(frame: Frame) -> tuple[str, list[str], str]:
    """The TUI's status line, the styles of its pollers' part and its first row, given `frame` as `ui --store` gets it."""
    async def source(show):  # type: ignore[no-untyped-def]
        show(frame)
        await asyncio.sleep(3600)

    app = PortmapApp(source, len(frame.snapshot.devices), 1.0, {})
    async with app.run_test(size=(200, 30)) as pilot:
        await wait_for(pilot, lambda: app.frame is not None, 5)
        assert app.frame is frame
        await pilot.pause()
        status = app.query_one("#status", Line).text
        at = status.plain.index("pollers:")
        styles = [str(span.style) for span in status.spans if span.start <= at < span.end]
        return status.plain, styles, app.query_one("#ports", PortTable).lines[0][0]


async def test_the_pollers_published_polls_merge_into_what_one_machine_sees():
    network = on_free_ports(default_network(flood_after_s=2.0))
    simulator = SimulatedNetwork(network)
    simulator.start()
    try:
        devices = list(demo_inventory(network).devices)
        settings = WatchSettings(1.0, inventoried=tuple(devices))
        frames: dict[str, list[Frame]] = {name: [] for name in (*PARTS, "one")}
        await asyncio.gather(watch(devices, settings, frames["one"].append, rounds=ROUNDS),
                             *(watch([d for d in devices if d.name in names], settings, frames[poller].append, rounds=ROUNDS)
                               for poller, names in PARTS.items()))
    finally:
        simulator.stop()
    one = frames["one"][-1]
    published = {poller: publish(frames[poller][-1]) for poller in PARTS}
    documents = {poller: document_of(frame) for poller, frame in published.items()}
    read = {poller: published_in(document) for poller, document in documents.items()}
    assert read == published  # the JSON gives back the very frames
    assert one.neighbourhood is not None
    ips = {host.mac: host.ips for host in one.neighbourhood.hosts.values()}
    now = time.time()
    view = NetworkView(_view(now).pollers, now, one.neighbourhood.graph, ips)
    merged = merged_frame(read, view, [d.name for d in devices])
    entry = merged.snapshot.ports.flagged[0]
    assert _flagged(one) and _flagged(merged) == _flagged(one), (_flagged(merged), _flagged(one))
    assert merged.snapshot.interfaces[entry.key].if_name == "Gi1/0/5" and entry.key[0] == "acc1"
    assert [i.port for i in merged.snapshot.incidents] == [i.port for i in one.snapshot.incidents] == [entry.key], \
        "pb's and pc's incidents on the uplinks are the entry's"
    assert merged.neighbourhood is not None
    assert [(h.mac, h.ips) for h in merged.neighbourhood.hosts_on(entry.key)] == [(WEB1, ("10.0.0.21",))]
    assert [h.ips for p in published["pa"].ports for h in p.hosts if h.mac == WEB1] == [()], "pa reads no ARP of web1"
    assert [(d.name, d.answered) for d in merged.snapshot.devices] == sorted((d.name, True) for d in devices)
    assert [p.state for p in merged.pollers] == ["polling"] * 3

    quiet_pc = merged_frame(read, _view(now, silent="pc"), [d.name for d in devices] + ["spare1"])
    statuses = {d.name: (d.answered, d.error) for d in quiet_pc.snapshot.devices}
    assert statuses == {"acc1": (True, ""), "core1": (True, ""), "acc2": (False, "acc2: its poller pc is silent"),
                        "rtr1": (False, "rtr1: its poller pc is silent"),
                        "spare1": (False, "spare1: in no poller's last poll (portmap pollers: who polls what)")}
    assert not [p for p in quiet_pc.snapshot.ports if p.key[0] in PARTS["pc"]], "a silent poller's last rates are not shown"

    status, styles, first = await _tui_shows(quiet_pc)
    assert "pollers: pa 1 device, pb 1 device, pc silent (heartbeat 10 s ago)" in status and styles == ["bold white on red"] and \
        "not answering: acc2, rtr1, spare1" in status and first.startswith("! acc1       Gi1/0/5"), (status, styles)
    status, styles, _ = await _tui_shows(merged_frame(read, _view(now, stopped="pc"), [d.name for d in devices]))
    assert "pollers: pa 1 device, pb 1 device, pc stopped" in status and "bold white on red" not in styles, (status, styles)

    with pytest.raises(msgspec.ValidationError):
        published_in(documents["pa"].replace('"taken_at":', '"taken_at":"yesterday","was":', 1))
    sizes = ", ".join(f"{poller} {len(document) / 1024:.0f} KiB ({len(published[poller].ports)} ports)" for poller, document in documents.items())
    report(f"3 pollers' published polls merged as one machine ranks its poll: {len(_flagged(merged))} flagged ports, "
           f"entry acc1 Gi1/0/5 first, web1 named with rtr1's ARP; documents {sizes}")
