"""`portmap run` in the namespace lab keeps a host's move: pc2's cable goes from sw2 swp2 to a new
port of sw1 (swp5, a veth made for it and added to sw1's bridge), as an operator re-patching a
desk would; `portmap history` shows both places with their times and the move between them."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.helpers import LAB, report, require_root, require_tools
from tests.lab.incident import GATEWAY, HOSTS, REPOSITORY, IncidentLab
from tests.netns import Lab

pytestmark = LAB

PC2 = next(h for h in HOSTS if h.name == "pc2")


def places(lab: IncidentLab, inventory: Path, store: Path, mac: str) -> dict:
    done = lab.portmap(inventory, "history", mac, "--store", str(store), "--json")
    return json.loads(done.stdout) if done.returncode == 0 else {"placements": [], "moves": []}


def wait_for_place(lab: IncidentLab, inventory: Path, store: Path, mac: str, where: tuple[str, str], timeout_s: float) -> dict:
    """Until the store has the host on `where` (pc2 pings its gateway meanwhile: bounded, 2 pings a round)."""
    deadline = time.monotonic() + timeout_s
    while True:
        lab.lab.exec(lab.ns["pc2"], "ping", "-q", "-c", "2", "-i", "0.2", "-W", "1", GATEWAY, check=False)
        found = places(lab, inventory, store, mac)
        if where in [(p["device"], p["port"]) for p in found["placements"]]:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{mac} not placed on {where} within {timeout_s:g}s: {found}")
        time.sleep(1)


def test_a_host_whose_cable_moves_to_another_switch_is_kept_as_a_move_with_both_times(tmp_path):
    require_root()
    require_tools("ip", "bridge", "unshare", "snmpd", "snmpget", "snmpwalk", "lldpd", "lldpcli", "ping")
    lab = Lab(tmp_path)
    started = time.monotonic()
    run = None
    try:
        incident = IncidentLab(lab)
        incident.build()
        incident.ping_all()
        incident.wait_for_lldp()
        inventory, store = incident.inventory(tmp_path / "lab.yaml"), tmp_path / "history.sqlite"
        mac = incident.mac("pc2")
        run = subprocess.Popen(incident.portmap_command(inventory, "--no-state", "run", "--store", str(store), "--interval", "2",
                                                        "--tables-every", "2", "--no-dns"),
                               cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for_place(incident, inventory, store, mac, ("sw2", PC2.port), 30)

        lab.exec(incident.ns["pc2"], "ip", "link", "del", "eth0")  # the cable is pulled: sw2 swp2 goes with it
        unplugged_at = time.time()
        lab.cable(incident.ns["pc2"], "eth0", f"{PC2.ip}/24", incident.ns["sw1"], "swp5", None)
        lab.exec(incident.ns["pc2"], "ip", "link", "set", "eth0", "address", mac)  # the same NIC, another cable
        lab.exec(incident.ns["pc2"], "ip", "route", "add", "default", "via", GATEWAY)
        lab.exec(incident.ns["sw1"], "ip", "link", "set", "swp5", "master", "br0")
        found = wait_for_place(incident, inventory, store, mac, ("sw1", "swp5"), 40)
        run.send_signal(signal.SIGTERM)
        log, _ = run.communicate(timeout=30)
        assert run.returncode == 128 + signal.SIGTERM, log

        assert [(p["device"], p["port"]) for p in found["placements"]] == [("sw2", PC2.port), ("sw1", "swp5")], found
        (move,) = found["moves"]
        assert (move["from_device"], move["from_port"], move["to_device"], move["to_port"]) == ("sw2", PC2.port, "sw1", "swp5")
        before, after = found["placements"]
        # the last sighting on the old port is stamped when its table was asked for; the lab's
        # BRIDGE-MIB answers from the kernel's table read at most once a second
        assert before["last_seen"] < unplugged_at + 1.0 and unplugged_at < move["at"] <= after["first_seen"], found
        assert [(b["ip"], b["mac"]) for b in found["ips"]] == [(PC2.ip, mac)], found
        text = incident.portmap(inventory, "history", mac, "--store", str(store))
        assert text.returncode == 0 and "sw2 swp2" in text.stdout and "sw1 swp5" in text.stdout and "moved at " in text.stdout, text.stdout
        report(f"namespace lab: pc2's cable moved from sw2 swp2 to sw1 swp5; portmap run kept the move "
               f"{move['at'] - unplugged_at:.1f}s after the cable was pulled (tables read every 2s), "
               f"lab built, run and torn down in {time.monotonic() - started:.0f}s")
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.communicate()
        lab.close()
