"""The embedded demo network: simulated switches and a router, as real SNMP agents on loopback."""
