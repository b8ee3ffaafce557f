"""Classes of real-device behaviour, each shown by a demo agent made to behave that way:
IPv4 ARP kept in the older IP-MIB table, answers that never come when they would be large
(v2c and v3), a device that is what it answered, and a run that polls some of the inventory."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from portmap.core.neighbourhood import map_neighbourhood
from portmap.core.search import find
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.mib import link_local
from portmap.demo.network import AgentFault, default_network
from portmap.engine.poller import Engine
from portmap.engine.tables import probe_system, read_once
from portmap.present.check import check_lines
from portmap.present.find import find_lines
from portmap.snmp.session import SnmpClient
from tests.conftest import V3_AUTH, V3_PRIV, V3_USER, RunningScenario, demo_with, inventory_file, on_free_ports
from tests.helpers import REPO

WEB1 = "52:54:00:12:34:56"


def variant_network():
    """The demo network with rtr1 keeping IPv4 ARP in ipNetToMediaTable, and both access switches
    sending nothing in place of an answer over 800 bytes (acc1 over SNMPv3, acc2 over v2c)."""
    return demo_with({"rtr1": {"faults": (AgentFault.ARP_IN_OLDER_TABLE,)},
                      "acc1": {"faults": (AgentFault.SILENT_WHEN_BIG,), "v3_user": V3_USER, "v3_auth_password": V3_AUTH,
                               "v3_priv_password": V3_PRIV},
                      "acc2": {"faults": (AgentFault.SILENT_WHEN_BIG,)}})


@pytest.fixture
async def variants():
    network = variant_network()
    simulator = SimulatedNetwork(network)
    simulator.start()
    yield network, {d.name: d for d in demo_inventory(network).devices}
    simulator.stop()


async def test_ipv4_arp_in_the_older_table_is_read_beside_the_ipv6_neighbours(variants):
    network, devices = variants
    read, failed = await read_once([devices["rtr1"]])
    (rtr1,) = read
    first = network.hosts[0]
    assert failed == [] and {(e.ip, e.mac, e.if_index, e.source) for e in rtr1.arp} == (
        {(h.ip, h.mac, 1, "ipNetToMedia") for h in network.hosts} | {(str(link_local(first.mac)), first.mac, 1, "ipNetToPhysical")})


async def test_both_arp_tables_holding_an_entry_give_it_once_from_the_newer(demo_running):
    read, _ = await read_once([demo_running.devices["rtr1"]])
    (rtr1,) = read
    assert len(rtr1.arp) == len(demo_running.network.hosts) and {e.source for e in rtr1.arp} == {"ipNetToPhysical"}


async def test_answers_that_never_come_when_large_are_asked_smaller_and_the_devices_read_whole(variants):
    network, devices = variants
    read, failed = await read_once(list(devices.values()))
    tables = {t.device: t for t in read}
    assert failed == [] and set(tables) == {"core1", "acc1", "acc2", "rtr1"}
    for name in ("acc1", "acc2"):
        assert len(tables[name].interfaces) == len(network.device(name).ports) and tables[name].fdb, name
        assert tables[name].unread == ()
        assert any(problem.startswith("walks ask ") and "never came" in problem for problem in tables[name].problems), name
    assert tables["acc1"].neighbors and tables["acc1"].neighbors[0].remote_sysname == "core1"
    web1 = map_neighbourhood(read).hosts[WEB1]
    assert web1.port == ("acc1", 5) and "10.0.0.21" in web1.ips, "placed on its edge port, named by the older ARP table"


async def test_inventory_check_says_how_walks_are_asked(variants):
    _, devices = variants
    names = ["core1", "acc2"]
    lines = check_lines([devices[n] for n in names], await probe_system([devices[n] for n in names]))
    core1, acc2 = lines[1:3]
    assert core1.startswith("core1 ") and "ok: " in core1 and "walks ask" not in core1
    assert acc2.startswith("acc2 ") and "ok: " in acc2 and acc2.endswith("GETBULK repetitions: larger answers never came"), acc2
    assert lines[-1] == "2/2 devices answered"


async def test_the_counter_poll_asks_smaller_gets_of_an_agent_that_drops_large_answers(variants):
    _, devices = variants
    client = SnmpClient()
    try:
        engine = Engine([devices["acc1"], devices["acc2"]], client)
        first = await engine.poll()
        second = await engine.poll()
    finally:
        client.close()
    assert [d.answered for d in first.devices] == [True, True] and not second.failed
    assert {p.rates.device for p in second.ports if p.rates.inbound is not None} == {"acc1", "acc2"}


async def test_a_table_not_answered_is_listed_and_the_rest_of_the_device_kept():
    """acc1 never answers for its forwarding tables: that table alone is missing."""
    network = demo_with({"acc1": {"faults": (AgentFault.SILENT_FOR_FDB,)}})
    simulator = SimulatedNetwork(network)
    simulator.start()
    try:
        read, failed = await read_once(list(demo_inventory(network).devices))
    finally:
        simulator.stop()
    tables = {t.device: t for t in read}
    assert failed == [] and tables["acc1"].unread == ("forwarding table",) and tables["acc1"].fdb == []
    assert len(tables["acc1"].interfaces) == len(network.device("acc1").ports) and tables["acc1"].neighbors and tables["rtr1"].arp
    assert any(p.startswith("forwarding table not read: no answer") for p in tables["acc1"].problems)
    neighbourhood = map_neighbourhood(read)
    lines = find_lines(find(WEB1, neighbourhood, read), neighbourhood, read, [])
    assert "no access port found" in lines[0] and lines[-1] == "? acc1: forwarding table not read", lines


@pytest.fixture
async def flooding():
    """The demo network with web1 flooding from half a second after start."""
    running = RunningScenario(on_free_ports(default_network(flood_after_s=0.5)))
    running.simulator.start()
    yield running
    running.simulator.stop()


async def test_a_subset_of_devices_keeps_what_the_inventory_knows(flooding, tmp_path):
    """Polled alone, core1 and rtr1 see the flood arrive over uplinks to devices of the inventory
    that this run does not poll: flagged there, never taken for its entry, no host placed on it."""
    inventory = inventory_file(tmp_path / "demo.yaml", flooding.devices.values())

    async def top(device: str) -> dict:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "portmap", "--no-state", "--inventory", str(inventory), "top", "--device", device,
            "--interval", "2", "--json", "--no-dns", cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return json.loads(out)

    await asyncio.sleep(1.0)
    for device, port, behind in (("core1", "Te1/1/1", "acc1"), ("rtr1", "ge-0/0/0", "core1")):
        entry = (await top(device))["ports"][0]
        assert (entry["device"], entry["if_name"], entry["flagged"]) == (device, port, True), entry
        assert entry["uplink"].startswith(f"LLDP neighbour {behind} ") and entry["hosts"] == [], entry
        assert entry["evidence"][0]["kind"] == "small-packet flood" and entry["same_incident_as"] is None
        assert "10.0.0.21" not in entry["reasons"][0] and f"it enters behind this uplink (LLDP neighbour {behind} " in entry["reasons"][0]
