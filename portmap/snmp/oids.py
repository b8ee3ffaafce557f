"""Every MIB object portmap reads, defined once by its MIB name.

A test compiles the modules in `mibs/` and checks each OID here against them.
"""

from __future__ import annotations

from dataclasses import dataclass

Oid = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MibObject:
    module: str
    name: str
    oid: Oid

    @property
    def dotted(self) -> str:
        return ".".join(map(str, self.oid))

    def instance(self, *index: int) -> Oid:
        return self.oid + tuple(index)


ALL_OBJECTS: dict[str, MibObject] = {}


def _define(module: str, name: str, dotted: str) -> MibObject:
    obj = MibObject(module, name, tuple(int(part) for part in dotted.split(".")))
    ALL_OBJECTS[name] = obj
    return obj


# SNMPv2-MIB system group
sysDescr = _define("SNMPv2-MIB", "sysDescr", "1.3.6.1.2.1.1.1")
sysObjectID = _define("SNMPv2-MIB", "sysObjectID", "1.3.6.1.2.1.1.2")
sysUpTime = _define("SNMPv2-MIB", "sysUpTime", "1.3.6.1.2.1.1.3")
sysName = _define("SNMPv2-MIB", "sysName", "1.3.6.1.2.1.1.5")

# IF-MIB interfaces group and ifTable
ifNumber = _define("IF-MIB", "ifNumber", "1.3.6.1.2.1.2.1")
ifIndex = _define("IF-MIB", "ifIndex", "1.3.6.1.2.1.2.2.1.1")
ifDescr = _define("IF-MIB", "ifDescr", "1.3.6.1.2.1.2.2.1.2")
ifType = _define("IF-MIB", "ifType", "1.3.6.1.2.1.2.2.1.3")
ifSpeed = _define("IF-MIB", "ifSpeed", "1.3.6.1.2.1.2.2.1.5")
ifPhysAddress = _define("IF-MIB", "ifPhysAddress", "1.3.6.1.2.1.2.2.1.6")
ifAdminStatus = _define("IF-MIB", "ifAdminStatus", "1.3.6.1.2.1.2.2.1.7")
ifOperStatus = _define("IF-MIB", "ifOperStatus", "1.3.6.1.2.1.2.2.1.8")
ifInOctets = _define("IF-MIB", "ifInOctets", "1.3.6.1.2.1.2.2.1.10")
ifInUcastPkts = _define("IF-MIB", "ifInUcastPkts", "1.3.6.1.2.1.2.2.1.11")
ifInNUcastPkts = _define("IF-MIB", "ifInNUcastPkts", "1.3.6.1.2.1.2.2.1.12")
ifInDiscards = _define("IF-MIB", "ifInDiscards", "1.3.6.1.2.1.2.2.1.13")
ifInErrors = _define("IF-MIB", "ifInErrors", "1.3.6.1.2.1.2.2.1.14")
ifOutOctets = _define("IF-MIB", "ifOutOctets", "1.3.6.1.2.1.2.2.1.16")
ifOutUcastPkts = _define("IF-MIB", "ifOutUcastPkts", "1.3.6.1.2.1.2.2.1.17")
ifOutNUcastPkts = _define("IF-MIB", "ifOutNUcastPkts", "1.3.6.1.2.1.2.2.1.18")
ifOutDiscards = _define("IF-MIB", "ifOutDiscards", "1.3.6.1.2.1.2.2.1.19")
ifOutErrors = _define("IF-MIB", "ifOutErrors", "1.3.6.1.2.1.2.2.1.20")

# IF-MIB ifXTable
ifName = _define("IF-MIB", "ifName", "1.3.6.1.2.1.31.1.1.1.1")
ifInMulticastPkts = _define("IF-MIB", "ifInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.2")
ifInBroadcastPkts = _define("IF-MIB", "ifInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.3")
ifOutMulticastPkts = _define("IF-MIB", "ifOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.4")
ifOutBroadcastPkts = _define("IF-MIB", "ifOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.5")
ifHCInOctets = _define("IF-MIB", "ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6")
ifHCInUcastPkts = _define("IF-MIB", "ifHCInUcastPkts", "1.3.6.1.2.1.31.1.1.1.7")
ifHCInMulticastPkts = _define("IF-MIB", "ifHCInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.8")
ifHCInBroadcastPkts = _define("IF-MIB", "ifHCInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.9")
ifHCOutOctets = _define("IF-MIB", "ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10")
ifHCOutUcastPkts = _define("IF-MIB", "ifHCOutUcastPkts", "1.3.6.1.2.1.31.1.1.1.11")
ifHCOutMulticastPkts = _define("IF-MIB", "ifHCOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.12")
ifHCOutBroadcastPkts = _define("IF-MIB", "ifHCOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.13")
ifHighSpeed = _define("IF-MIB", "ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15")
ifAlias = _define("IF-MIB", "ifAlias", "1.3.6.1.2.1.31.1.1.1.18")
ifCounterDiscontinuityTime = _define("IF-MIB", "ifCounterDiscontinuityTime", "1.3.6.1.2.1.31.1.1.1.19")
ifTableLastChange = _define("IF-MIB", "ifTableLastChange", "1.3.6.1.2.1.31.1.5")

# BRIDGE-MIB: the bridge's own address, bridge port -> ifIndex, and the learned MACs
dot1dBaseBridgeAddress = _define("BRIDGE-MIB", "dot1dBaseBridgeAddress", "1.3.6.1.2.1.17.1.1")
dot1dBasePortIfIndex = _define("BRIDGE-MIB", "dot1dBasePortIfIndex", "1.3.6.1.2.1.17.1.4.1.2")
dot1dTpFdbAddress = _define("BRIDGE-MIB", "dot1dTpFdbAddress", "1.3.6.1.2.1.17.4.3.1.1")
dot1dTpFdbPort = _define("BRIDGE-MIB", "dot1dTpFdbPort", "1.3.6.1.2.1.17.4.3.1.2")
dot1dTpFdbStatus = _define("BRIDGE-MIB", "dot1dTpFdbStatus", "1.3.6.1.2.1.17.4.3.1.3")

# Q-BRIDGE-MIB: the forwarding table per filtering database (VLAN), and VLAN names
dot1qTpFdbPort = _define("Q-BRIDGE-MIB", "dot1qTpFdbPort", "1.3.6.1.2.1.17.7.1.2.2.1.2")
dot1qTpFdbStatus = _define("Q-BRIDGE-MIB", "dot1qTpFdbStatus", "1.3.6.1.2.1.17.7.1.2.2.1.3")
dot1qVlanFdbId = _define("Q-BRIDGE-MIB", "dot1qVlanFdbId", "1.3.6.1.2.1.17.7.1.4.2.1.3")
dot1qVlanStaticName = _define("Q-BRIDGE-MIB", "dot1qVlanStaticName", "1.3.6.1.2.1.17.7.1.4.3.1.1")

# IP-MIB: the ARP/ND cache
ipNetToPhysicalPhysAddress = _define("IP-MIB", "ipNetToPhysicalPhysAddress", "1.3.6.1.2.1.4.35.1.4")
ipNetToPhysicalType = _define("IP-MIB", "ipNetToPhysicalType", "1.3.6.1.2.1.4.35.1.6")
ipNetToPhysicalState = _define("IP-MIB", "ipNetToPhysicalState", "1.3.6.1.2.1.4.35.1.7")
ipNetToMediaPhysAddress = _define("IP-MIB", "ipNetToMediaPhysAddress", "1.3.6.1.2.1.4.22.1.2")
ipNetToMediaNetAddress = _define("IP-MIB", "ipNetToMediaNetAddress", "1.3.6.1.2.1.4.22.1.3")
ipNetToMediaType = _define("IP-MIB", "ipNetToMediaType", "1.3.6.1.2.1.4.22.1.4")
ipAddressIfIndex = _define("IP-MIB", "ipAddressIfIndex", "1.3.6.1.2.1.4.34.1.3")
ipAdEntIfIndex = _define("IP-MIB", "ipAdEntIfIndex", "1.3.6.1.2.1.4.20.1.2")

# LLDP-MIB: this device's chassis and ports, and the neighbours seen on them
lldpLocChassisIdSubtype = _define("LLDP-MIB", "lldpLocChassisIdSubtype", "1.0.8802.1.1.2.1.3.1")
lldpLocChassisId = _define("LLDP-MIB", "lldpLocChassisId", "1.0.8802.1.1.2.1.3.2")
lldpLocSysName = _define("LLDP-MIB", "lldpLocSysName", "1.0.8802.1.1.2.1.3.3")
lldpLocPortIdSubtype = _define("LLDP-MIB", "lldpLocPortIdSubtype", "1.0.8802.1.1.2.1.3.7.1.2")
lldpLocPortId = _define("LLDP-MIB", "lldpLocPortId", "1.0.8802.1.1.2.1.3.7.1.3")
lldpLocPortDesc = _define("LLDP-MIB", "lldpLocPortDesc", "1.0.8802.1.1.2.1.3.7.1.4")
lldpRemChassisIdSubtype = _define("LLDP-MIB", "lldpRemChassisIdSubtype", "1.0.8802.1.1.2.1.4.1.1.4")
lldpRemChassisId = _define("LLDP-MIB", "lldpRemChassisId", "1.0.8802.1.1.2.1.4.1.1.5")
lldpRemPortIdSubtype = _define("LLDP-MIB", "lldpRemPortIdSubtype", "1.0.8802.1.1.2.1.4.1.1.6")
lldpRemPortId = _define("LLDP-MIB", "lldpRemPortId", "1.0.8802.1.1.2.1.4.1.1.7")
lldpRemPortDesc = _define("LLDP-MIB", "lldpRemPortDesc", "1.0.8802.1.1.2.1.4.1.1.8")
lldpRemSysName = _define("LLDP-MIB", "lldpRemSysName", "1.0.8802.1.1.2.1.4.1.1.9")
lldpRemSysDesc = _define("LLDP-MIB", "lldpRemSysDesc", "1.0.8802.1.1.2.1.4.1.1.10")
lldpRemManAddrIfSubtype = _define("LLDP-MIB", "lldpRemManAddrIfSubtype", "1.0.8802.1.1.2.1.4.2.1.3")

# CISCO-CDP-MIB: the neighbours Cisco (and some other) devices heard by CDP, indexed by ifIndex
cdpCacheAddressType = _define("CISCO-CDP-MIB", "cdpCacheAddressType", "1.3.6.1.4.1.9.9.23.1.2.1.1.3")
cdpCacheAddress = _define("CISCO-CDP-MIB", "cdpCacheAddress", "1.3.6.1.4.1.9.9.23.1.2.1.1.4")
cdpCacheDeviceId = _define("CISCO-CDP-MIB", "cdpCacheDeviceId", "1.3.6.1.4.1.9.9.23.1.2.1.1.6")
cdpCacheDevicePort = _define("CISCO-CDP-MIB", "cdpCacheDevicePort", "1.3.6.1.4.1.9.9.23.1.2.1.1.7")
cdpCachePlatform = _define("CISCO-CDP-MIB", "cdpCachePlatform", "1.3.6.1.4.1.9.9.23.1.2.1.1.8")

# CISCO-VTP-MIB: the VLANs of a Cisco switch, whose bridge tables are read one VLAN at a time
vtpVlanState = _define("CISCO-VTP-MIB", "vtpVlanState", "1.3.6.1.4.1.9.9.46.1.3.1.1.2")

# IEEE8023-LAG-MIB: the aggregate (port-channel, trunk, bond) each member port is attached to
dot3adAggPortAttachedAggID = _define("IEEE8023-LAG-MIB", "dot3adAggPortAttachedAggID", "1.2.840.10006.300.43.1.2.1.1.13")
