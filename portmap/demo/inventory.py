"""The demo network's devices as inventory entries (what inventory/demo.yaml says)."""

from __future__ import annotations

from portmap.demo.network import DemoNetwork
from portmap.inventory.model import Device, Inventory, Secret, SnmpSettings


def demo_inventory(network: DemoNetwork, host: str = "127.0.0.1") -> Inventory:
    devices = []
    for spec in network.devices:
        if spec.v3_user:
            snmp = SnmpSettings(
                version="3", user=spec.v3_user, security_level="authPriv",
                auth_protocol="sha256", auth_password=Secret(spec.v3_auth_password or ""),
                priv_protocol="aes128", priv_password=Secret(spec.v3_priv_password or ""),
            )
        else:
            snmp = SnmpSettings(version="2c", community=Secret(spec.community))
        devices.append(Device(spec.name, host, spec.agent_port, frozenset(spec.roles), snmp, timeout_s=1.0, retries=1))
    return Inventory(tuple(devices))
