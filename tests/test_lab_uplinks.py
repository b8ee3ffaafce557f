"""A switch port's own MAC learned upstream never makes that port an uplink: in labs built anew
(fresh random MACs each time), sw1 sends frames with the MAC of an edge port (web1's, and one
other at random) towards sw2, as a switch's CPU or management interface does; web1 stays on its
port and its flood is named there, first.

PORTMAP_LAB_RUNS sets how many labs are built (2 by default; 20 for the longer run)."""

from __future__ import annotations

import json
import os
import random
import time

from tests.helpers import report, require_root, require_tools
from tests.lab.incident import GATEWAY, HOSTS, IncidentLab
from tests.netns import Lab

RUNS = int(os.environ.get("PORTMAP_LAB_RUNS", "2"))
WEB1 = HOSTS[0]


def one_run(lab: Lab, number: int) -> tuple[bool, str]:
    """Build the lab, send the own-MAC frames, flood from web1: (named on web1's port first, what was seen)."""
    incident = IncidentLab(lab)
    incident.build()
    incident.ping_all(count=2)
    incident.wait_for_lldp()
    other = random.choice([h for h in HOSTS if h is not WEB1])
    for host in (WEB1, other):
        own = incident.mac(host.switch, host.port)
        incident.send_as(host.switch, "swp3", own)  # swp3: each switch's end of the link between them
        learned = json.loads(lab.exec(incident.ns["sw2" if host.switch == "sw1" else "sw1"], "bridge", "-j", "fdb", "show",
                                      "br", "br0").stdout)
        assert any(e["mac"] == own and e.get("ifname") == "swp3" for e in learned), f"run {number}: {own} not learned upstream"
    inventory = incident.inventory(lab.workdir / "lab.yaml")
    flood = lab.start(incident.ns[WEB1.name], "timeout", "12", "hping3", "-S", "-p", "80", "-i", "u40", "-c", "250000",
                      "--rand-source", "-q", GATEWAY)
    time.sleep(1.0)
    top = incident.portmap(inventory, "--no-state", "top", "--json", "--no-dns", "--interval", "2")
    flood.terminate()
    assert top.returncode == 0, top.stdout + top.stderr
    origin = json.loads(top.stdout)["ports"][0]
    seen = f"{origin['device']} {origin['if_name']} flagged={origin['flagged']} hosts={[h['mac'] for h in origin['hosts']]}"
    right = ((origin["device"], origin["if_name"], origin["flagged"]) == (WEB1.switch, WEB1.port, True)
             and [h["mac"] for h in origin["hosts"]] == [incident.mac(WEB1.name)] and origin["uplink"] is None)
    return right, seen


def test_a_ports_own_mac_seen_upstream_never_moves_the_flood_entry(tmp_path):
    require_root()
    require_tools("ip", "bridge", "snmpd", "lldpd", "lldpcli", "hping3", "ping")
    started, wrong = time.monotonic(), []
    for number in range(RUNS):
        lab = Lab(tmp_path / f"run{number}")
        (tmp_path / f"run{number}").mkdir()
        try:
            right, seen = one_run(lab, number)
        finally:
            lab.close()
        if not right:
            wrong.append(f"run {number}: {seen}")
    report(f"namespace lab, an edge port's own MAC learned upstream: {RUNS} labs built anew, "
           f"{len(wrong)} misattributions, in {time.monotonic() - started:.0f}s")
    assert wrong == []
