"""SNMP I/O: the only part of portmap that talks to agents (pysnmp 7, asyncio)."""
