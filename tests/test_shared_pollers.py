"""Three `portmap run` pollers sharing one PostgreSQL store (issue 18), the demo network's devices
pinned to them by --poller-group: the flood that enters on pa's acc1 and crosses pb's core1
and pc's rtr1 is one incident in the merged view, entry port first, web1 named with the IP
rtr1's ARP gives, and `portmap incidents --follow` prints it as it opens and merges (woken by
the writers' NOTIFY); pa SIGKILLed, pc takes acc1 within two polling intervals and the incident
continues (same start, still open, no flag on another port of acc1); every device asked by
one poller at a time (seen from the agents' side: a relay in front of each agent records
which poller's socket asked it)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time

from sqlalchemy import text

from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import default_network
from portmap.core.history import StoredIncident
from portmap.engine.store.queries import incidents
from portmap.engine.store.store import Store
from portmap.inventory.model import Device
from tests.conftest import on_free_ports
from tests.faults import Relay, close_relay, slow_relay
from tests.helpers import REPO, TIMING, report, until
from tests.postgres import postgres_cluster
from tests.test_history import WEB1, portmap

INTERVAL_S = 1.0
POLLERS = ("pa", "pb", "pc")


async def _start_relays(devices: list[Device]) -> dict[str, tuple[asyncio.DatagramTransport, Relay]]:
    """A relay without delay in front of each device's agent, on a free port."""
    return {device.name: await slow_relay(0, device.port, delay_s=0.0) for device in devices}


GROUPS = {"pa": ("edge",), "pb": ("core",), "pc": ("other", "edge")}
"""acc1 (web1's edge port) is pa's, core1 pb's, acc2 and rtr1 pc's; pc may poll acc1 too."""
TAGS = {"acc1": "edge", "core1": "core", "acc2": "other", "rtr1": "other"}


def _inventory(path, devices: list[Device], relays: dict[str, tuple[asyncio.DatagramTransport, Relay]]):  # type: ignore[no-untyped-def]
    """The demo inventory, each device reached through its relay and tagged with its site."""
    path.write_text("defaults: {snmp: {version: 2c, community: public}, timeout_s: 1}\ndevices:\n" + "".join(
        f"  - {{name: {d.name}, host: 127.0.0.1, port: {relays[d.name][0].get_extra_info('sockname')[1]}, "
        f"role: [{', '.join(sorted(d.roles))}], tags: [{TAGS[d.name]}]}}\n" for d in devices))
    return path


async def _poller(name: str, inventory: str, url: str) -> asyncio.subprocess.Process:
    groups = [option for group in GROUPS[name] for option in ("--poller-group", group)]
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portmap", "--inventory", inventory, "run", "--store", url, "--interval", str(INTERVAL_S),
        "--tables-every", "2", "--no-dns", "--poller", name, *groups, "--log-level", "info", cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def _lines(process: asyncio.subprocess.Process, into: list[tuple[float, str]]) -> None:
    """Each line the process writes, with when it came (epoch seconds), until it ends."""
    assert process.stdout is not None
    async for line in process.stdout:
        into.append((time.time(), line.decode()))
    await process.wait()


def _holders(url: str) -> dict[str, str]:
    with Store(url) as store, store.transaction() as connection:
        return dict(connection.execute(text("SELECT device, poller FROM device_leases WHERE expires_at > "
                                            "extract(epoch from clock_timestamp())")).all())


def _open_incidents(url: str) -> list[StoredIncident]:
    with Store(url) as store, store.transaction() as connection:
        return incidents(connection, time.time() - 600, time.time(), open_only=True)


async def _top_from_store(inventory: str, url: str, relays: dict[str, tuple[asyncio.DatagramTransport, Relay]]) -> dict:  # type: ignore[type-arg]
    """`portmap top --store URL --json`: the network as the pollers published it, without a request
    to any agent (no socket that had not asked before asks while it runs)."""
    askers = {device: {source for _, source in relay.asked} for device, (_, relay) in relays.items()}
    started = time.monotonic()
    code, out, err = await portmap("--inventory", inventory, "top", "--store", url, "--json")
    strangers = {device: {source for at, source in relay.asked if at >= started} - askers[device] for device, (_, relay) in relays.items()}
    assert code == 0 and not any(strangers.values()), (code, strangers, err)
    return json.loads(out)


@TIMING  # leases live 0.75 s at this interval: the pollers get the CPU before the test beside them
async def test_three_pollers_one_incident_across_them_and_a_killed_ones_devices_taken_over(tmp_path):
    network = on_free_ports(default_network(flood_after_s=14.0))
    simulator = SimulatedNetwork(network)
    simulator.start()
    inventoried = list(demo_inventory(network).devices)
    relays = await _start_relays(inventoried)
    pollers: dict[str, asyncio.subprocess.Process] = {}
    follower: asyncio.subprocess.Process | None = None
    logs: dict[str, asyncio.Task[bytes]] = {}
    try:
        with postgres_cluster() as url:
            inventory = str(_inventory(tmp_path / "demo.yaml", inventoried, relays))
            follower = await asyncio.create_subprocess_exec(sys.executable, "-m", "portmap", "incidents", "--store", url, "--follow",
                                                            cwd=REPO, stdout=asyncio.subprocess.PIPE)
            followed: list[tuple[float, str]] = []
            following = asyncio.ensure_future(_lines(follower, followed))
            for name in POLLERS:
                pollers[name] = await _poller(name, inventory, url)
                assert pollers[name].stderr is not None
                logs[name] = asyncio.ensure_future(pollers[name].stderr.read())
                if name == "pa":  # acc1 is pa's before pc, which may poll it too, starts
                    assert await until(lambda: _holders(url).get("acc1") == "pa", 15)
            started = time.monotonic()
            holders = await until(lambda: (found := _holders(url)) == {"acc1": "pa", "core1": "pb", "acc2": "pc", "rtr1": "pc"}
                                   and found, 15)
            assert holders, _holders(url)
            balanced_s = time.monotonic() - started

            def merged() -> list[StoredIncident]:
                found = _open_incidents(url)
                return found if [(i.device, i.port) for i in found] == [("acc1", "Gi1/0/5")] and \
                    any(p.startswith("core1 ") for p in found[0].path) and any(p.startswith("rtr1 ") for p in found[0].path) \
                    and found[0].hosts and found[0].hosts[0].get("ips") else []

            found = await until(merged, 25)
            merged_after_s = time.time() - found[0].start if found else float("inf")
            assert found and merged_after_s <= INTERVAL_S + 1.0, (merged_after_s, _open_incidents(url))
            (incident,) = found
            assert incident.hosts[0]["mac"] == WEB1 and incident.hosts[0]["ips"] == ["10.0.0.21"], incident.hosts

            def entry_first(document: dict) -> bool:  # type: ignore[type-arg]
                entry, *_ = document["ports"]
                crossing = {p["device"] for p in document["ports"] if p["same_incident_as"] == {"device": "acc1", "if_index": entry["if_index"]}}
                return (entry["device"], entry["if_name"], entry["same_incident_as"]) == ("acc1", "Gi1/0/5", None) and \
                    [(h["mac"], h["ips"]) for h in entry["hosts"]] == [(WEB1, ["10.0.0.21"])] and crossing >= {"core1", "rtr1"} and \
                    {p["name"]: p["state"] for p in document["pollers"]} == dict.fromkeys(POLLERS, "polling")

            # the faces' view is merged from the pollers' last published polls, which can lag the store's incident by
            # a poll (in one CI run, core1's uplink was still its own incident there, not linked to the entry): asked
            # again once, an interval later
            document = await _top_from_store(inventory, url, relays)
            if not entry_first(document):
                await asyncio.sleep(INTERVAL_S)
                document = await _top_from_store(inventory, url, relays)
            assert entry_first(document), document
            await asyncio.sleep(0.5)
            follower.terminate()
            await following
            # the doorbell (LISTEN/NOTIFY) woke the follower at once: without it, it reads every 30 s
            opened_s = next((at for at, line in followed if f"#{incident.id} acc1 Gi1/0/5" in line), float("inf")) - incident.start
            merged_s = next((at for at, line in followed if f"#{incident.id} acc1 Gi1/0/5 [10.0.0.21" in line and "core1 " in line
                             and "rtr1 " in line), float("inf")) - incident.start
            assert opened_s <= INTERVAL_S + 1.0 and merged_s <= INTERVAL_S + 1.5, (opened_s, merged_s, followed)
            killed_at = time.monotonic()
            pollers["pa"].send_signal(signal.SIGKILL)
            await pollers["pa"].wait()
            taken = await until(lambda: [at for at, _ in relays["acc1"][1].asked if at > killed_at + 0.05], 10)
            assert taken, "acc1 not polled after the kill"
            taken_s = taken[0] - killed_at
            assert taken_s <= 2 * INTERVAL_S + 0.5 and _holders(url)["acc1"] == "pc", (taken_s, _holders(url))
            await asyncio.sleep(3 * INTERVAL_S)  # pc reads acc1 twice: rates again, by acc1's baselines from the store
            after = [i for i in _open_incidents(url) if i.device == "acc1"]
            assert [(i.port, i.start) for i in after] == [("Gi1/0/5", incident.start)], after
            code, out, err = await portmap("pollers", "--store", url, "--json")
            states = {p["name"]: (p["state"], p["devices"] if p["state"] == "polling" else None) for p in json.loads(out)["pollers"]}
            assert code == 1 and states == {"pa": ("silent", None), "pb": ("polling", 1), "pc": ("polling", 3)}, out + err
            document = await _top_from_store(inventory, url, relays)
            assert document["ports"][0]["if_name"] == "Gi1/0/5" and document["ports"][0]["flagged"] and not document["unreachable"] \
                and {p["name"]: (p["state"], p["devices"]) for p in document["pollers"]} == \
                {"pa": ("silent", 0), "pb": ("polling", 1), "pc": ("polling", 3)}, document
            for name in ("pb", "pc"):
                pollers[name].send_signal(signal.SIGTERM)
            for name in POLLERS:
                await asyncio.wait_for(pollers[name].wait(), 30)
            texts = {name: (await logs[name]).decode() for name in POLLERS}
            assert "pg-pass-marker" not in "".join(texts.values())
            elected = "correlates the pollers' incidents"  # pa, started first, until it died; then one of the others
            assert elected in texts["pa"] and sum(elected in texts[name] for name in ("pb", "pc")) == 1, texts
            for device, (_, relay) in relays.items():  # one poller at a time: a stretch of requests needs a taking of the device
                # (two pollers polling it at once, every second, would make a stretch of every poll)
                takings = sum(device in took.split(", ") for log in texts.values() for took in re.findall(r"took (.*?), hands over", log))
                askers = [source for source, _, _ in relay.runs()]
                assert len(askers) <= takings <= 2 and (device != "acc1" or len(askers) == 2), (device, takings, relay.runs(),
                                                [line for log in texts.values() for line in log.splitlines() if "took" in line])
            with Store(url) as store, store.transaction() as connection:
                baselines = connection.execute(text("SELECT count(*) FROM port_baselines WHERE device = 'acc1'")).scalar()
                stopped = connection.execute(text("SELECT count(*) FROM device_leases")).scalar()
            assert baselines and stopped == 0
    finally:
        for process in [*pollers.values(), *([follower] if follower else [])]:
            if process.returncode is None:
                process.kill()
        for transport, relay in relays.values():
            close_relay(transport, relay)
        simulator.stop()
    report(f"3 pollers on one PostgreSQL store, pinned by --poller-group (acc1 pa, core1 pb, acc2 and rtr1 pc) after "
           f"{balanced_s:.1f} s: the flood entering at acc1 and crossing core1 and rtr1 is one incident, entry first, "
           f"web1 named with rtr1's ARP, {merged_after_s:.1f} s after its first poll (incidents --follow printed it "
           f"{opened_s:.1f} s and merged {merged_s:.1f} s after it); pa SIGKILLed: acc1 polled by pc "
           f"{taken_s:.2f} s later (interval {INTERVAL_S:g} s), the incident kept its start; each device asked by one "
           f"poller at a time")
