"""The incident, re-enacted on agents we did not write, on a network that really switches frames.

Built in network namespaces by tests/lab/incident.py: Linux bridges as switches, net-snmp
snmpd with lldpd over AgentX, a router serving its ARP cache, hosts sending bounded pings and
then a bounded SYN flood from web1 (hping3). portmap runs in the management namespace, as an
operator's command would.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from tests.helpers import LAB, REPO, SHARED, report, require, require_root, require_tools
from tests.lab.incident import AGENTS, COMMUNITY, GATEWAY, HOSTS, SWITCH_PORTS, IncidentLab
from tests.lab.peer import PEER_DUMP, peer_dump
from tests.netns import Lab, run

pytestmark = LAB

INTERVAL_S = 2.0
WEB1 = HOSTS[0]


@pytest.fixture(scope="module")
def incident(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncidentLab]:
    require_root()
    require_tools("ip", "bridge", "unshare", "snmpd", "snmpget", "snmpwalk", "lldpd", "lldpcli", "hping3", "ping")
    lab = Lab(tmp_path_factory.mktemp("lab"))
    started = time.monotonic()
    try:
        built = IncidentLab(lab)
        built.build()
        built.ping_all()
        built.wait_for_lldp()
        report(f"namespace lab: 2 switches, 1 router, 4 hosts, agents answering and LLDP seen in {time.monotonic() - started:.1f}s")
        yield built
    finally:
        lab.close()
        leftovers = [name for name in run("ip", "netns", "list").stdout.split() if name.startswith(lab.prefix)]
        leftovers += [line for line in run("ip", "-o", "link").stdout.splitlines() if lab.prefix in line]
        leftovers += run("pgrep", "-af", str(lab.workdir), check=False).stdout.splitlines()
        assert not leftovers, f"the lab left behind: {leftovers}"
        report(f"namespace lab: built, run and torn down in {time.monotonic() - started:.1f}s, nothing left behind")


def tables(incident: IncidentLab) -> dict[str, dict]:
    done = incident.portmap(incident.inventory(incident.lab.workdir / "lab.yaml"), "tables", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return {d["device"]: d for d in json.loads(done.stdout)["devices"]}


def learned(device: dict) -> set[tuple[str, int]]:
    return {(e["mac"], e["if_index"]) for e in device["fdb"] if e["status"] == "learned"}


def test_the_bridge_mib_script_serves_the_kernels_forwarding_table(incident):
    read = tables(incident)
    for switch in SWITCH_PORTS:
        kernel = json.loads(incident.lab.exec(incident.ns[switch], "bridge", "-j", "fdb", "show", "br", "br0").stdout)
        want = {(e["mac"], incident.if_index(switch, e["ifname"])) for e in kernel
                if "self" not in e.get("flags", []) and e.get("state") != "permanent" and not int(e["mac"][:2], 16) & 1}
        assert learned(read[switch]) == want, switch
        assert len(want) >= 4, f"{switch} has learned too little to compare: {want}"


def test_portmap_reads_what_snmp_info_reads_from_the_same_agents(incident):
    require(SHARED.is_dir(), f"{SHARED} is absent: no peer-dump.pl or MIB folders")
    require(shutil.which("perl") is not None and run("perl", "-MSNMP::Info", "-e", "1", check=False).returncode == 0,
            "needs Netdisco's SNMP::Info (Debian: apt-get install libsnmp-info-perl)")
    assert PEER_DUMP.exists()
    ours = tables(incident)
    lines = []
    for agent in AGENTS:
        peer = peer_dump(incident.ns["mgmt"], agent.management_ip, COMMUNITY, incident.lab.workdir / "peer-mibs")
        mine = ours[agent.name]
        peer_fdb = {(e["mac"], e["if_index"]) for e in peer["fdb"] if e["status"] == "learned"}
        peer_neighbors = {(n["local_if_index"], n["remote_id"]) for n in peer["neighbors"]}
        my_neighbors = {(n["local_if_index"], n["remote_chassis_id"]) for n in mine["neighbors"]}
        assert learned(mine) == peer_fdb, agent.name
        assert my_neighbors == peer_neighbors, agent.name
        if agent.role == "router":
            assert {(e["ip"], e["mac"]) for e in mine["arp"]} == {(e["ip"], e["mac"]) for e in peer["arp"]}
        lines.append(f"{agent.name} fdb {len(peer_fdb)} neighbours {len(peer_neighbors)} arp {len(mine['arp'])}")
    report("namespace lab vs SNMP::Info, all equal: " + "; ".join(lines))


def test_find_names_web1s_access_port_and_map_shows_only_the_switch_link(incident):
    inventory = incident.inventory(incident.lab.workdir / "lab.yaml")
    found = incident.portmap(inventory, "find", WEB1.ip, "--json", "--no-dns")
    assert found.returncode == 0, found.stdout + found.stderr
    (host,) = json.loads(found.stdout)["found"]
    assert (host["switch"], host["port"], host["mac"]) == (WEB1.switch, WEB1.port, incident.mac(WEB1.name))
    drawn = incident.portmap(inventory, "map", "--format", "json")
    graph = json.loads(drawn.stdout)
    assert [sorted((link["source"], link["target"])) for link in graph["links"]] == [["sw1", "sw2"]]
    assert {node["id"] for node in graph["nodes"]} == {"sw1", "sw2", "rtr1"}


class LiveView:
    """`portmap live --json` in the management namespace; each frame kept with the wall time it arrived."""

    def __init__(self, incident: IncidentLab) -> None:
        inventory = incident.inventory(incident.lab.workdir / "lab.yaml")
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", incident.ns["mgmt"], sys.executable, "-m", "portmap", "--log-level", "debug", "--inventory", str(inventory),
             "live", "--json", "--no-dns", "--interval", str(INTERVAL_S)],
            stdout=subprocess.PIPE, stderr=(incident.lab.workdir / "live.log").open("w"), text=True, cwd=REPO)
        incident.lab.processes.append(self.process)  # type: ignore[arg-type]
        self.frames: list[tuple[float, dict]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.frames.append((time.time(), json.loads(line)))

    def wait(self, until: object, timeout_s: float) -> tuple[float, dict]:
        """The first frame from now on for which until(frame) holds."""
        start, deadline = len(self.frames), time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for arrived, frame in self.frames[start:]:
                if until(frame):  # type: ignore[operator]
                    return arrived, frame
            time.sleep(0.05)
        raise AssertionError(f"no such frame within {timeout_s:g}s; last: {self.frames[-1:] if self.frames else 'none'}")


def first_port(frame: dict) -> tuple[str, str, bool]:
    top = frame["ports"][0]
    return top["device"], top["if_name"], top["flagged"]


def test_the_syn_flood_is_named_on_web1s_port_within_one_interval(incident):
    lab, web1_mac = incident.lab, incident.mac(WEB1.name)
    background = [lab.start(incident.ns[h.name], "ping", "-q", "-c", "120", "-i", "0.5", "-W", "1", GATEWAY) for h in HOSTS]
    live = LiveView(incident)
    quiet = [live.wait(lambda f: True, 20)[1] for _ in range(3)][1:]  # the first frame has no rates yet
    assert all(f["devices_answered"] == 3 for f in quiet)
    assert not [p for f in quiet for p in f["ports"] if p["flagged"]], "nothing is flagged in the quiet phase"

    kernel_before, kernel_at = lab.counter(incident.ns[WEB1.switch], WEB1.port, "rx_packets"), time.time()
    flood = lab.start(incident.ns[WEB1.name], "timeout", "40", "hping3", "-S", "-p", "80", "-i", "u20", "-c", "600000",
                      "--rand-source", "-q", GATEWAY)
    arrived, detected = live.wait(lambda f: first_port(f) == (WEB1.switch, WEB1.port, True), 15)
    delay = arrived - kernel_at
    report(f"namespace lab: flood's first packet to the first frame naming web1's port: {delay:.1f}s "
           f"(polling every {INTERVAL_S:g}s; target {INTERVAL_S + 1:g}s)")
    assert delay <= INTERVAL_S + 2.0, [(round(t - kernel_at, 1), f["ports"][0]["device"], f["ports"][0]["if_name"],
                                        f["ports"][0]["in_pps"], f["ports"][0]["uplink"], f["ports"][0]["flagged"])
                                       for t, f in live.frames if t > kernel_at]

    # the whole incident, as `top --json` ranks it while the flood goes on
    top = incident.portmap(incident.inventory(lab.workdir / "lab.yaml"), "top", "--json", "--no-dns", "--interval", str(INTERVAL_S))
    ranked = json.loads(top.stdout)["ports"]
    origin = ranked[0]
    assert (origin["device"], origin["if_name"]) == (WEB1.switch, WEB1.port)
    assert "small-packet flood" in origin["flag_kinds"]
    assert origin["reasons"][0].startswith(f"{WEB1.ip} ({web1_mac}) is sending"), origin["reasons"]
    assert [h["mac"] for h in origin["hosts"]] == [web1_mac]
    carriers = {(p["device"], p["if_name"]) for p in ranked if p["flagged"] and p is not origin}
    assert carriers == {("sw1", "swp4"), ("rtr1", "eth0")}, carriers
    origin_key = {"device": origin["device"], "if_index": origin["if_index"]}
    assert all(p["same_incident_as"] == origin_key for p in ranked if (p["device"], p["if_name"]) in carriers)

    # one switch's agent stops in the middle of the run, then comes back
    incident.stop_snmpd("sw2")
    _, without = live.wait(lambda f: any(u["device"] == "sw2" for u in f["unreachable"]), 15)
    assert [u["kind"] for u in without["unreachable"]] == ["SnmpTimeout"]
    assert {p["device"] for p in without["ports"]} == {"sw1", "rtr1"}
    assert first_port(without) == (WEB1.switch, WEB1.port, True), [(p["device"], p["if_name"], p["in_pps"], p["out_pps"], p["flag_kinds"], p["same_incident_as"], p["uplink"]) for p in without["ports"][:5]]
    incident.start_snmpd("sw2")
    live.wait(lambda f: f["devices_answered"] == 3, 20)
    back = [live.wait(lambda f: True, 10)[1] for _ in range(2)]
    kernel_after, kernel_end = lab.counter(incident.ns[WEB1.switch], WEB1.port, "rx_packets"), time.time()
    assert not [p for f in back for p in f["ports"] if p["device"] == "sw2" and p["flagged"]], "sw2's return is no spike"
    flood.terminate()
    for process in background:
        process.terminate()
    live.process.terminate()

    # rates against the kernel's own counter of web1's switch port, over the flood's steady part
    steady = [p["in_pps"] for arrived_at, f in live.frames if detected is not f and arrived + INTERVAL_S < arrived_at <= kernel_end
              for p in f["ports"] if (p["device"], p["if_name"]) == (WEB1.switch, WEB1.port) and p["in_pps"]]
    kernel_pps = (kernel_after - kernel_before) / (kernel_end - kernel_at)
    portmap_pps = statistics.median(steady)
    report(f"namespace lab, web1's port during the flood: portmap {portmap_pps:.0f} pps (median of {len(steady)} frames) / "
           f"kernel {kernel_pps:.0f} pps")
    assert abs(portmap_pps - kernel_pps) <= 0.10 * kernel_pps
