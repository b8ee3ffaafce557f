"""The hand-maintained YAML inventory: loading, validation and the typed model."""

from portmap.inventory.loader import load_inventory
from portmap.inventory.model import Device, Inventory, Secret, SnmpSettings

__all__ = ["Device", "Inventory", "Secret", "SnmpSettings", "load_inventory"]
