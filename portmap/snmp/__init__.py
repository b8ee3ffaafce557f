"""SNMP I/O: the only part of portmap that talks to agents (its own BER codec on asyncio datagram sockets)."""
