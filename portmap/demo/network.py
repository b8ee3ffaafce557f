"""What the demo network is made of: devices, ports, hosts, links and the flood.

Pure data; `traffic.py` turns it into moving counters and `agent.py` serves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

ETHERNET_CSMACD = 6
GIGABIT = 1_000_000_000
TEN_GIGABIT = 10_000_000_000


class AgentFault(StrEnum):
    """Ways real agents break, for tests of what the poller does with them."""

    OIDS_REPEAT = "oids-repeat"
    """GETNEXT/GETBULK in ifTable answer the OID that was asked, so a walk never advances."""
    ENDLESS_TABLE = "endless-table"
    """ifDescr never ends: past the last interface come ever more made-up rows."""
    TEXT_COUNTERS = "text-counters"
    """ifHCInOctets is answered as a string."""
    TOO_BIG = "too-big"
    """A GETBULK asking for more than 4 repetitions is answered tooBig."""
    SILENT_WHEN_BIG = "silent-when-big"
    """An answer over 800 bytes is never sent: no tooBig, just nothing (seen with multi-column
    GETBULK walks of Q-BRIDGE tables on real switches)."""
    SILENT_FOR_FDB = "silent-for-fdb"
    """Never answers a request for the forwarding tables (BRIDGE-MIB, Q-BRIDGE-MIB): one table's
    walk times out while the rest of the device answers."""
    HC_CARRY = "hc-carry"
    """Two seconds after start, port 1's ifHCInOctets and port 2's ifHCInUcastPkts jump by
    exactly 2**32 and stay there (a 64-bit counter's carry bug seen on real agents)."""
    HOSTILE_TEXT = "hostile-text"
    """sysName, sysDescr, port 5's ifName and ifAlias and every LLDP neighbour's name are text
    made to drive a terminal: ESC and OSC sequences, CR/LF, a bidirectional override, a
    zero-width space, DEL and C1 bytes, wide characters and 3,000 characters of padding."""
    ARP_IN_OLDER_TABLE = "arp-in-older-table"
    """IPv4 ARP only in ipNetToMediaTable; ipNetToPhysicalTable holds an IPv6 neighbour alone
    (Cisco IOS 12.2-era, Ruijie, some Huawei)."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    if_index: int
    name: str
    descr: str
    speed_bps: int
    alias: str = ""
    up: bool = True
    mac: str = ""


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    name: str
    agent_port: int
    ports: tuple[PortSpec, ...]
    roles: tuple[str, ...] = ("switch",)
    sys_descr: str = "portmap demo switch"
    counter32_only: bool = False
    """No ifXTable: 32-bit counters only, like old or cheap switches."""
    counter32_start: int = 0
    """Where 32-bit counters start, so that a test sees them wrap soon."""
    v3_user: str | None = None
    v3_auth_password: str | None = None
    v3_priv_password: str | None = None
    community: str = "public"
    counter_cache_s: float = 0.0
    """Like net-snmp or Junos: the agent reloads its counters this often, on a timer."""
    faults: tuple[AgentFault, ...] = ()
    base_mac: str = ""
    """The bridge's own address (dot1dBaseBridgeAddress, LLDP chassis id)."""

    def port(self, if_index: int) -> PortSpec:
        return next(p for p in self.ports if p.if_index == if_index)


@dataclass(frozen=True, slots=True)
class HostSpec:
    """A server or PC on an access port. Its background traffic goes to and from the router."""

    name: str
    mac: str
    ip: str
    switch: str
    if_index: int
    send_pps: float
    recv_pps: float
    send_bytes: float = 400.0
    recv_bytes: float = 900.0
    bcast_pps: float = 0.5


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """A cable between two devices; `a` is the side nearer the core."""

    a_device: str
    a_if_index: int
    b_device: str
    b_if_index: int


@dataclass(frozen=True, slots=True)
class FloodSpec:
    host: str
    pps: float
    packet_bytes: float
    start_s: float
    """Seconds after the network starts."""
    duration_s: float = float("inf")
    every_s: float = 0.0
    """Bursts: the flood starts again this often (0: once)."""

    def seconds_in(self, start: float, end: float) -> float:
        """How long the flood runs between `start` and `end` (model seconds)."""
        if end <= self.start_s:
            return 0.0
        if not self.every_s:
            return max(0.0, min(end, self.start_s + self.duration_s) - max(start, self.start_s))
        first = max(0, math.floor((start - self.start_s) / self.every_s))
        total = 0.0
        for burst in range(first, math.floor((end - self.start_s) / self.every_s) + 1):
            begins = self.start_s + burst * self.every_s
            total += max(0.0, min(end, begins + self.duration_s) - max(start, begins))
        return total


@dataclass(frozen=True, slots=True)
class DemoNetwork:
    devices: tuple[DeviceSpec, ...]
    hosts: tuple[HostSpec, ...]
    links: tuple[LinkSpec, ...]
    gateway: tuple[str, int]
    """The router's LAN interface, where every host's traffic goes."""
    upstream: tuple[str, int]
    """The router's interface towards the rest of the world, where that traffic leaves."""
    floods: tuple[FloodSpec, ...] = field(default=())

    def device(self, name: str) -> DeviceSpec:
        return next(d for d in self.devices if d.name == name)

    def with_agent_ports(self, ports: dict[str, int]) -> DemoNetwork:
        return replace(self, devices=tuple(replace(d, agent_port=ports.get(d.name, d.agent_port)) for d in self.devices))


def _mac(device_number: int, port_number: int) -> str:
    return f"02:00:5e:{device_number:02x}:00:{port_number:02x}"


def _switch(name: str, number: int, agent_port: int, access_ports: int, uplinks: int) -> DeviceSpec:
    ports = [
        PortSpec(i, f"Gi1/0/{i}", f"GigabitEthernet1/0/{i}", GIGABIT, mac=_mac(number, i))
        for i in range(1, access_ports + 1)
    ]
    ports += [
        PortSpec(100 + i, f"Te1/1/{i}", f"TenGigabitEthernet1/1/{i}", TEN_GIGABIT, mac=_mac(number, 100 + i))
        for i in range(1, uplinks + 1)
    ]
    return DeviceSpec(name, agent_port, tuple(ports), sys_descr=f"portmap demo switch {name}", base_mac=_mac(number, 0))


def _label(device: DeviceSpec, labels: dict[int, str]) -> DeviceSpec:
    ports = tuple(replace(p, alias=labels.get(p.if_index, p.alias)) for p in device.ports)
    # Ports with nothing attached are down, as on a real access switch.
    ports = tuple(replace(p, up=bool(p.alias)) for p in ports)
    return replace(device, ports=ports)


BURSTS = FloodSpec("printer1", pps=10_000, packet_bytes=54, start_s=0.0, duration_s=2.0, every_s=20.0)
"""`portmap demo --bursts`: the compromised printer sends 2 s SYN bursts of 10k pps, 20 s apart."""


def default_network(base_port: int = 16161, flood_after_s: float = 20.0, bursts: bool = False) -> DemoNetwork:
    """A core switch, two access switches and a router; web1 floods after `flood_after_s`, or
    with `bursts` printer1 sends BURSTS from then on."""
    core = _switch("core1", 1, base_port, 0, 4)
    acc1 = _switch("acc1", 2, base_port + 1, 12, 2)
    acc2 = _switch("acc2", 3, base_port + 2, 12, 2)
    router = DeviceSpec(
        "rtr1", base_port + 3,
        (
            PortSpec(1, "ge-0/0/0", "ge-0/0/0", GIGABIT, "LAN 10.0.0.1/24", mac=_mac(9, 1)),
            PortSpec(2, "ge-0/0/1", "ge-0/0/1", GIGABIT, "uplink to ISP", mac=_mac(9, 2)),
        ),
        roles=("router",), sys_descr="portmap demo router rtr1", base_mac=_mac(9, 0),
    )
    hosts = (
        HostSpec("web1", "52:54:00:12:34:56", "10.0.0.21", "acc1", 5, 180, 220),
        HostSpec("web2", "52:54:00:12:34:57", "10.0.0.22", "acc1", 6, 150, 190),
        HostSpec("db1", "52:54:00:ab:cd:01", "10.0.0.31", "acc1", 7, 300, 260, 700, 500),
        HostSpec("mail1", "52:54:00:ab:cd:02", "10.0.0.25", "acc1", 8, 60, 80),
        HostSpec("pc1", "3c:52:82:00:00:01", "10.0.0.101", "acc2", 1, 40, 90, 300, 1100),
        HostSpec("pc2", "3c:52:82:00:00:02", "10.0.0.102", "acc2", 2, 35, 70, 300, 1100),
        HostSpec("pc3", "3c:52:82:00:00:03", "10.0.0.103", "acc2", 3, 55, 120, 300, 1100),
        HostSpec("printer1", "00:1b:a9:00:00:01", "10.0.0.200", "acc2", 9, 3, 5, 200, 800),
    )
    links = (
        LinkSpec("core1", 101, "acc1", 101),
        LinkSpec("core1", 102, "acc2", 101),
        LinkSpec("core1", 104, "rtr1", 1),
    )
    labels: dict[str, dict[int, str]] = {"core1": {101: "to acc1", 102: "to acc2", 104: "to rtr1"}}
    for host in hosts:
        labels.setdefault(host.switch, {})[host.if_index] = host.name
    for link in links:
        labels.setdefault(link.b_device, {}).setdefault(link.b_if_index, f"uplink to {link.a_device}")
    devices = tuple(_label(d, labels.get(d.name, {})) if d.name != "rtr1" else d for d in (core, acc1, acc2, router))
    flood = replace(BURSTS, start_s=flood_after_s) if bursts else FloodSpec("web1", pps=40_000, packet_bytes=60, start_s=flood_after_s)
    return DemoNetwork(devices, hosts, links, gateway=("rtr1", 1), upstream=("rtr1", 2), floods=(flood,))
