"""A simulated device's MIB view: every OID it serves, in order, with a getter for its value."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pysnmp.proto import rfc1902

from portmap.demo.network import ETHERNET_CSMACD, AgentFault, DeviceSpec, PortSpec
from portmap.core.tables import FDB_STATUS
from portmap.snmp.ipmib import IPV4, IPV6
from portmap.snmp.lldp import CHASSIS_MAC, PORT_NAME
from portmap.demo.tables import VLAN, DeviceTables
from portmap.demo.traffic import TrafficModel
from portmap.snmp import oids
from portmap.snmp.ifmib import ALWAYS_COUNTER32, COUNTER32_FALLBACK, HC_COUNTERS
from portmap.snmp.oids import Oid

Getter = Callable[[], object]

NET_SNMP_LINUX = (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)
ARP_DYNAMIC, ARP_REACHABLE = 3, 1
FDB_STATUS_CODE = {name: code for code, name in FDB_STATUS.items()}
COUNTER32_COLUMNS = {column: name for name, column in {**COUNTER32_FALLBACK, **ALWAYS_COUNTER32}.items()
                     if not name.endswith("nucast")}
"""What the simulated agents count, by column (ifTable's non-unicast columns are sums, served apart)."""
_IFX_COUNTER32 = (oids.ifInMulticastPkts, oids.ifOutMulticastPkts, oids.ifInBroadcastPkts, oids.ifOutBroadcastPkts)
COUNTER64_COLUMNS = {column: name for name, column in HC_COUNTERS.items()}


def _mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", "")) if mac else b""


CARRY_AFTER_CS = 200
CARRIED = {1: "in_octets", 2: "in_ucast"}
"""AgentFault.HC_CARRY: the counter of each port that jumps by 2**32."""


class AgentCounters:
    """A device's counters as its agent shows them: live, or cached like net-snmp's.

    With `counter_cache_s`, the agent reloads every port's counters on a timer (net-snmp
    does so every few seconds) and requests in between see the values of the last reload.
    """

    def __init__(self, device: DeviceSpec, model: TrafficModel) -> None:
        self.device = device
        self.model = model
        self._cache: dict[int, dict[str, int]] = {}
        if device.counter_cache_s:
            self.reload()

    def reload(self) -> None:
        self._cache = {p.if_index: self.model.counters(self.device.name, p.if_index) for p in self.device.ports}

    def port(self, if_index: int) -> dict[str, int]:
        counts = self.model.counters(self.device.name, if_index) if not self.device.counter_cache_s else self._cache[if_index]
        if AgentFault.HC_CARRY in self.device.faults and self.model.uptime_cs(self.device.name) >= CARRY_AFTER_CS:
            carried = CARRIED.get(if_index)
            if carried:
                counts = {**counts, carried: counts[carried] + 2**32}
        return counts


class PortCounters(Protocol):
    def port(self, if_index: int) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class RenumberedCounters:
    """A device's counters served under other ifIndexes: `model_index` maps each to the port's own."""

    counters: PortCounters
    model_index: Mapping[int, int]

    def port(self, if_index: int) -> dict[str, int]:
        return self.counters.port(self.model_index[if_index])


def build_view(
    device: DeviceSpec, counters: PortCounters, uptime_cs: Callable[[], int], tables: DeviceTables | None = None
) -> dict[Oid, Getter]:
    view: dict[Oid, Getter] = {
        oids.sysDescr.instance(0): lambda: rfc1902.OctetString(device.sys_descr),
        oids.sysObjectID.instance(0): lambda: rfc1902.ObjectIdentifier(NET_SNMP_LINUX),
        oids.sysUpTime.instance(0): lambda: rfc1902.TimeTicks(uptime_cs() % 2**32),
        oids.sysName.instance(0): lambda: rfc1902.OctetString(device.name),
        oids.ifNumber.instance(0): lambda: rfc1902.Integer32(len(device.ports)),
    }
    for port in device.ports:
        view.update(_port_view(device, port, counters))
    if tables is not None:
        view.update(_bridge_view(device, tables))
        view.update(_arp_view(tables, AgentFault.ARP_IN_OLDER_TABLE in device.faults))
        view.update(_lldp_view(device, tables))
        view.update(_address_view(tables))
    if AgentFault.HOSTILE_TEXT in device.faults:
        hostile = _constant(rfc1902.OctetString(HOSTILE_TEXT.encode()))
        spoiled = (oids.sysName.instance(0), oids.sysDescr.instance(0), oids.ifName.instance(5), oids.ifAlias.instance(5))
        view.update({oid: hostile for oid in view if oid in spoiled or oid[: len(oids.lldpRemSysName.oid)] == oids.lldpRemSysName.oid})
    return view


HOSTILE_TEXT = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\u202eevil\u200b\r\nFAKE ROW\x7f\x9b \u5168\u89d2 " + "x" * 3000
"""AgentFault.HOSTILE_TEXT's strings."""


def _constant(value: object) -> Getter:
    return lambda: value


def _mac_index(mac: str) -> tuple[int, ...]:
    return tuple(_mac_bytes(mac))


def _bridge_view(device: DeviceSpec, tables: DeviceTables) -> dict[Oid, Getter]:
    if not tables.bridge_ports:
        return {}
    view: dict[Oid, Getter] = {oids.dot1dBaseBridgeAddress.instance(0): _constant(rfc1902.OctetString(_mac_bytes(device.base_mac)))}
    for bridge_port, if_index in tables.bridge_ports.items():
        view[oids.dot1dBasePortIfIndex.instance(bridge_port)] = _constant(rfc1902.Integer32(if_index))
    for entry in tables.fdb:
        mac = _mac_index(entry.mac)
        view[oids.dot1dTpFdbAddress.instance(*mac)] = _constant(rfc1902.OctetString(bytes(mac)))
        view[oids.dot1dTpFdbPort.instance(*mac)] = _constant(rfc1902.Integer32(entry.bridge_port))
        status = FDB_STATUS_CODE[entry.status]
        view[oids.dot1dTpFdbStatus.instance(*mac)] = _constant(rfc1902.Integer32(status))
        view[oids.dot1qTpFdbPort.instance(entry.vlan or VLAN, *mac)] = _constant(rfc1902.Integer32(entry.bridge_port))
        view[oids.dot1qTpFdbStatus.instance(entry.vlan or VLAN, *mac)] = _constant(rfc1902.Integer32(status))
    view[oids.dot1qVlanFdbId.instance(0, VLAN)] = _constant(rfc1902.Unsigned32(VLAN))
    view[oids.dot1qVlanStaticName.instance(VLAN)] = _constant(rfc1902.OctetString("default"))
    return view


def _physical_entry(if_index: int, kind: int, address: tuple[int, ...], mac: object) -> dict[Oid, Getter]:
    physical = (if_index, kind, len(address), *address)
    return {
        oids.ipNetToPhysicalPhysAddress.instance(*physical): _constant(mac),
        oids.ipNetToPhysicalType.instance(*physical): _constant(rfc1902.Integer32(ARP_DYNAMIC)),
        oids.ipNetToPhysicalState.instance(*physical): _constant(rfc1902.Integer32(ARP_REACHABLE)),
    }


def _arp_view(tables: DeviceTables, v4_in_older_table: bool) -> dict[Oid, Getter]:
    """Every ARP entry in both tables; with `v4_in_older_table`, IPv4 in ipNetToMediaTable only and
    one IPv6 neighbour (the first host's link-local address) in ipNetToPhysicalTable."""
    view: dict[Oid, Getter] = {}
    for entry in tables.arp:
        address = tuple(int(part) for part in entry.ip.split("."))
        mac = rfc1902.OctetString(_mac_bytes(entry.mac))
        if not v4_in_older_table:
            view.update(_physical_entry(entry.if_index, IPV4, address, mac))
        view[oids.ipNetToMediaPhysAddress.instance(entry.if_index, *address)] = _constant(mac)
        view[oids.ipNetToMediaNetAddress.instance(entry.if_index, *address)] = _constant(rfc1902.IpAddress(entry.ip))
        view[oids.ipNetToMediaType.instance(entry.if_index, *address)] = _constant(rfc1902.Integer32(ARP_DYNAMIC))
    if v4_in_older_table and tables.arp:
        first = tables.arp[0]
        view.update(_physical_entry(first.if_index, IPV6, tuple(link_local(first.mac).packed),
                                    rfc1902.OctetString(_mac_bytes(first.mac))))
    return view


def link_local(mac: str) -> ipaddress.IPv6Address:
    """The EUI-64 link-local address of a MAC (fe80::5054:ff:fe12:3456 for 52:54:00:12:34:56)."""
    octets = bytearray(_mac_bytes(mac))
    octets[0] ^= 0x02
    return ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + bytes(octets[:3]) + b"\xff\xfe" + bytes(octets[3:]))


def _address_view(tables: DeviceTables) -> dict[Oid, Getter]:
    """The device's own addresses, in ipAddressTable and the older ipAddrTable."""
    view: dict[Oid, Getter] = {}
    for if_index, ip in tables.addresses.items():
        address = tuple(int(part) for part in ip.split("."))
        view[oids.ipAddressIfIndex.instance(IPV4, len(address), *address)] = _constant(rfc1902.Integer32(if_index))
        view[oids.ipAdEntIfIndex.instance(*address)] = _constant(rfc1902.Integer32(if_index))
    return view


def _lldp_view(device: DeviceSpec, tables: DeviceTables) -> dict[Oid, Getter]:
    if not device.base_mac:
        return {}
    view: dict[Oid, Getter] = {
        oids.lldpLocChassisIdSubtype.instance(0): _constant(rfc1902.Integer32(CHASSIS_MAC)),
        oids.lldpLocChassisId.instance(0): _constant(rfc1902.OctetString(_mac_bytes(device.base_mac))),
        oids.lldpLocSysName.instance(0): _constant(rfc1902.OctetString(device.name)),
    }
    for port in device.ports:
        view[oids.lldpLocPortIdSubtype.instance(port.if_index)] = _constant(rfc1902.Integer32(PORT_NAME))
        view[oids.lldpLocPortId.instance(port.if_index)] = _constant(rfc1902.OctetString(port.name))
        view[oids.lldpLocPortDesc.instance(port.if_index)] = _constant(rfc1902.OctetString(port.descr))
    for neighbour in tables.lldp:
        index = (0, neighbour.local_port_num, 1)  # timeMark, local port number, remote index
        view[oids.lldpRemChassisIdSubtype.instance(*index)] = _constant(rfc1902.Integer32(CHASSIS_MAC))
        view[oids.lldpRemChassisId.instance(*index)] = _constant(rfc1902.OctetString(_mac_bytes(neighbour.remote_chassis_id)))
        view[oids.lldpRemPortIdSubtype.instance(*index)] = _constant(rfc1902.Integer32(PORT_NAME))
        view[oids.lldpRemPortId.instance(*index)] = _constant(rfc1902.OctetString(neighbour.remote_port))
        view[oids.lldpRemPortDesc.instance(*index)] = _constant(rfc1902.OctetString(neighbour.remote_port_desc))
        view[oids.lldpRemSysName.instance(*index)] = _constant(rfc1902.OctetString(neighbour.remote_sysname))
    return view


def _port_view(device: DeviceSpec, port: PortSpec, counters: PortCounters) -> dict[Oid, Getter]:
    i = port.if_index

    def counter(name: str, bits: int) -> Getter:
        if bits == 64:
            return lambda: rfc1902.Counter64(counters.port(i)[name])
        return lambda: rfc1902.Counter32((device.counter32_start + counters.port(i)[name]) % 2**32)

    def nucast(side: str) -> Getter:
        def value() -> rfc1902.Counter32:
            counts = counters.port(i)
            return rfc1902.Counter32((counts[f"{side}_mcast"] + counts[f"{side}_bcast"]) % 2**32)
        return value

    status = 1 if port.up else 2
    view: dict[Oid, Getter] = {
        oids.ifIndex.instance(i): lambda: rfc1902.Integer32(i),
        oids.ifDescr.instance(i): lambda: rfc1902.OctetString(port.descr),
        oids.ifType.instance(i): lambda: rfc1902.Integer32(ETHERNET_CSMACD),
        oids.ifSpeed.instance(i): lambda: rfc1902.Gauge32(min(port.speed_bps, 2**32 - 1)),
        oids.ifPhysAddress.instance(i): lambda: rfc1902.OctetString(_mac_bytes(port.mac)),
        oids.ifAdminStatus.instance(i): lambda: rfc1902.Integer32(1),
        oids.ifOperStatus.instance(i): lambda: rfc1902.Integer32(status),
        oids.ifInNUcastPkts.instance(i): nucast("in"),
        oids.ifOutNUcastPkts.instance(i): nucast("out"),
    }
    for column, name in COUNTER32_COLUMNS.items():
        if column not in _IFX_COUNTER32 or not device.counter32_only:
            view[column.instance(i)] = counter(name, 32)
    if device.counter32_only:
        return view
    for column, name in COUNTER64_COLUMNS.items():
        view[column.instance(i)] = counter(name, 64)
    view.update({
        oids.ifName.instance(i): lambda: rfc1902.OctetString(port.name),
        oids.ifHighSpeed.instance(i): lambda: rfc1902.Gauge32(port.speed_bps // 1_000_000),
        oids.ifAlias.instance(i): lambda: rfc1902.OctetString(port.alias),
        oids.ifCounterDiscontinuityTime.instance(i): lambda: rfc1902.TimeTicks(0),
    })
    return view
