"""The incident's network, built in namespaces: two switches, a router, four hosts, a management LAN.

    web1 ─swp1┐                         ┌swp1─ pc1
    db1  ─swp2┤ sw1 swp3 ──── swp3 sw2 ├swp2─ pc2
      rtr1 ─swp4┘

Switches are Linux bridges with net-snmp `snmpd` (BRIDGE-MIB through tests/lab/bridge_mib.py,
LLDP-MIB from `lldpd` over AgentX); hosts run `lldpd` too; the router's `snmpd` serves its
kernel ARP cache. portmap runs in the management namespace, which reaches every agent over
198.51.100.0/24. The LAN is 192.0.2.0/24.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.netns import Lab

COMMUNITY = "lab-ro"
LAN_PREFIX, MANAGEMENT_PREFIX = "192.0.2", "198.51.100"
BRIDGE_MIB_SCRIPT = Path(__file__).with_name("bridge_mib.py")
REPOSITORY = Path(__file__).resolve().parents[2]
FRAMES_FROM = r"""
import socket, sys
interface, source, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((interface, 0))
frame = b"\xff" * 6 + source + b"\x88\xb5" + b"portmap lab: a switch port's own MAC".ljust(46, b"\0")
for _ in range(count):
    sock.send(frame)
"""
"""Broadcast frames (local experimental EtherType) with a chosen source MAC, out of one interface."""


@dataclass(frozen=True)
class Host:
    name: str
    ip: str
    switch: str
    port: str


@dataclass(frozen=True)
class Agent:
    name: str
    role: str
    management_ip: str


HOSTS = (Host("web1", f"{LAN_PREFIX}.21", "sw1", "swp1"), Host("db1", f"{LAN_PREFIX}.22", "sw1", "swp2"),
         Host("pc1", f"{LAN_PREFIX}.31", "sw2", "swp1"), Host("pc2", f"{LAN_PREFIX}.32", "sw2", "swp2"))
AGENTS = (Agent("sw1", "switch", f"{MANAGEMENT_PREFIX}.11"), Agent("sw2", "switch", f"{MANAGEMENT_PREFIX}.12"),
          Agent("rtr1", "router", f"{MANAGEMENT_PREFIX}.2"))
GATEWAY = f"{LAN_PREFIX}.1"
SWITCH_PORTS = {"sw1": ["swp1", "swp2", "swp3", "swp4"], "sw2": ["swp1", "swp2", "swp3"]}
UPLINKS = {("sw1", "swp3"): ("sw2", "swp3"), ("sw1", "swp4"): ("rtr1", "eth0")}


class IncidentLab:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.ns: dict[str, str] = {}
        self.snmpd: dict[str, subprocess.Popen[str]] = {}

    def build(self) -> None:
        lab = self.lab
        for name in ["mgmt", *(a.name for a in AGENTS), *(h.name for h in HOSTS)]:
            self.ns[name] = lab.namespace(name)
        for host in HOSTS:
            lab.cable(self.ns[host.name], "eth0", f"{host.ip}/24", self.ns[host.switch], host.port, None)
            lab.exec(self.ns[host.name], "ip", "route", "add", "default", "via", GATEWAY)
        for (switch, port), (other, other_port) in UPLINKS.items():
            address = f"{GATEWAY}/24" if other == "rtr1" else None
            lab.cable(self.ns[switch], port, None, self.ns[other], other_port, address)
        for switch, ports in SWITCH_PORTS.items():
            lab.bridge(self.ns[switch], "br0", ports)
        lab.exec(self.ns["mgmt"], "ip", "link", "add", "mgmtbr", "type", "bridge")
        lab.exec(self.ns["mgmt"], "ip", "addr", "add", f"{MANAGEMENT_PREFIX}.1/24", "dev", "mgmtbr")
        lab.exec(self.ns["mgmt"], "ip", "link", "set", "mgmtbr", "up")
        for agent in AGENTS:
            lab.cable(self.ns["mgmt"], f"to-{agent.name}", None, self.ns[agent.name], "mgmt0", f"{agent.management_ip}/24")
            lab.exec(self.ns["mgmt"], "ip", "link", "set", f"to-{agent.name}", "master", "mgmtbr")
        for agent in AGENTS:
            self.start_snmpd(agent.name)
        for name in [*SWITCH_PORTS, *(h.name for h in HOSTS)]:
            self.start_lldpd(name)

    def agentx_socket(self, name: str) -> Path:
        return self.lab.sockets / f"{name}-agentx.sock"

    def start_snmpd(self, name: str) -> None:
        agent = next(a for a in AGENTS if a.name == name)
        extra = ""
        if agent.role == "switch":
            extra = (f"master agentx\nagentXSocket {self.agentx_socket(name)}\n"
                     f"pass_persist .1.3.6.1.2.1.17 {sys.executable} {BRIDGE_MIB_SCRIPT} br0\n")
        self.snmpd[name] = self.lab.snmpd(self.ns[name], COMMUNITY, listen=agent.management_ip,
                                          allow=f"{MANAGEMENT_PREFIX}.0/24", sys_name=name, extra=extra)

    def stop_snmpd(self, name: str) -> None:
        process = self.snmpd.pop(name)
        process.terminate()
        process.wait(timeout=10)

    def lldpd_socket(self, name: str) -> Path:
        return self.lab.sockets / f"{name}-lldpd.sock"

    def start_lldpd(self, name: str) -> None:
        command = ["lldpd", "-d", "-u", str(self.lldpd_socket(name))]
        if name in SWITCH_PORTS:
            command += ["-X", str(self.agentx_socket(name)), "-I", "swp*"]
        else:
            command += ["-I", "eth0"]
        self.lab.start(self.ns[name], *command, hostname=name)

    def wait_for_lldp(self, timeout_s: float = 20.0) -> None:
        """Until every switch's snmpd shows its LLDP neighbours over AgentX. lldpd sends every 30 s:
        each instance is asked to send now, so that none waits for a frame its neighbour sent before it started."""
        wanted = {"sw1": 3, "sw2": 3}  # sw1: web1, db1, sw2; sw2: pc1, pc2, sw1
        deadline = time.monotonic() + timeout_s
        while True:
            for name in [*SWITCH_PORTS, *(h.name for h in HOSTS)]:
                try:  # an lldpd still starting holds the caller until it is ready: never wait for it here
                    subprocess.run(["ip", "netns", "exec", self.ns[name], "lldpcli", "-u", str(self.lldpd_socket(name)), "update"],
                                   capture_output=True, timeout=1)
                except subprocess.TimeoutExpired:
                    pass
            counts = {name: self.lldp_neighbours(name) for name in wanted}
            if all(counts[name] >= wanted[name] for name in wanted):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"LLDP neighbours after {timeout_s:g}s: {counts}, want {wanted}")
            time.sleep(0.3)

    def lldp_neighbours(self, name: str) -> int:
        walk = self.lab.exec(self.ns[name], "snmpwalk", "-v2c", "-c", COMMUNITY, "-On", "127.0.0.1",
                             "1.0.8802.1.1.2.1.4.1.1.5", check=False)
        return sum(1 for line in walk.stdout.splitlines() if line.startswith(".1.0.8802.1.1.2.1.4.1.1.5."))

    def ping_all(self, count: int = 3) -> None:
        """Bounded quiet traffic: each host pings the gateway and one other host."""
        pings = [subprocess.Popen(["ip", "netns", "exec", self.ns[h.name], "ping", "-q", "-c", str(count), "-i", "0.2",
                                   "-W", "1", target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for h in HOSTS for target in (GATEWAY, HOSTS[(HOSTS.index(h) + 2) % len(HOSTS)].ip)]
        for ping in pings:
            ping.wait(timeout=count + 10)

    def inventory(self, path: Path) -> Path:
        path.write_text(f"defaults: {{snmp: {{version: 2c, community: {COMMUNITY}}}, timeout_s: 1, retries: 1}}\ndevices:\n" + "".join(
            f"  - {{name: {a.name}, host: {a.management_ip}, role: {a.role}}}\n" for a in AGENTS))
        path.chmod(0o600)
        return path

    def portmap_command(self, inventory: Path, *args: str) -> list[str]:
        """portmap in the management namespace, as an operator would run it there (from the repository)."""
        return ["ip", "netns", "exec", self.ns["mgmt"], sys.executable, "-m", "portmap", "--inventory", str(inventory), *args]

    def portmap(self, inventory: Path, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.portmap_command(inventory, *args), capture_output=True, text=True, timeout=timeout_s,
                              cwd=REPOSITORY)

    def send_as(self, name: str, interface: str, mac: str, count: int = 3) -> None:
        """`count` frames out of `name`'s `interface` with source `mac`: what a switch's CPU or
        management interface sends with one of its port MACs, so that the next switch learns it."""
        self.lab.exec(self.ns[name], sys.executable, "-c", FRAMES_FROM, interface, mac, str(count))

    def mac(self, name: str, interface: str = "eth0") -> str:
        return self.lab.exec(self.ns[name], "cat", f"/sys/class/net/{interface}/address").stdout.strip()

    def if_index(self, name: str, interface: str) -> int:
        return int(self.lab.exec(self.ns[name], "cat", f"/sys/class/net/{interface}/ifindex").stdout)
