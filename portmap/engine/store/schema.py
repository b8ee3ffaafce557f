"""The history's tables, for SQLite (the embedded default) and PostgreSQL alike.

Times are Unix seconds (REAL). Ports are kept by name, as operators say them and as they stay
across renumbering; the ifIndex seen at the time is kept beside. A VLAN that is not known is 0.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from portmap.core.rollups import FIGURES

metadata = MetaData()

mac_sightings = Table(
    "mac_sightings", metadata,
    Column("mac", String(17), primary_key=True),
    Column("vlan", Integer, primary_key=True),
    Column("device", String(255), primary_key=True),
    Column("port", String(255), primary_key=True),
    Column("if_index", Integer),
    Column("uplink", Text, nullable=False),  # why the port links two devices; '' on an access port
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)
"""Every (MAC, VLAN, device, port) a forwarding table showed, uplinks included."""

placements = Table(
    "placements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mac", String(17), nullable=False),
    Column("device", String(255), nullable=False),
    Column("port", String(255), nullable=False),
    Column("vlan", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Index("placements_by_mac", "mac", "last_seen"),
    Index("placements_by_port", "device", "port", "last_seen"),
)
"""Each stretch of time a host was placed on one edge port; a new stretch on another port is a move."""

moves = Table(
    "moves", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mac", String(17), nullable=False),
    Column("at", Float, nullable=False),
    Column("from_device", String(255), nullable=False),
    Column("from_port", String(255), nullable=False),
    Column("to_device", String(255), nullable=False),
    Column("to_port", String(255), nullable=False),
    Index("moves_by_mac", "mac", "at"),
)

ip_bindings = Table(
    "ip_bindings", metadata,
    Column("ip", String(45), primary_key=True),
    Column("mac", String(17), primary_key=True),
    Column("name", String(255)),  # its reverse DNS name when last seen, where one was found (the vendor follows from the MAC)
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Index("ip_bindings_by_mac", "mac"),
)

links = Table(
    "links", metadata,
    Column("device_a", String(255), primary_key=True),
    Column("port_a", String(255), primary_key=True),
    Column("device_b", String(255), primary_key=True),
    Column("port_b", String(255), primary_key=True),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)
"""LLDP/CDP links between inventoried devices, the ends in name order."""

incidents = Table(
    "incidents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device", String(255), nullable=False),
    Column("port", String(255), nullable=False),
    Column("if_index", Integer, nullable=False),
    Column("start", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("ongoing", Integer, nullable=False),
    Column("kinds", Text, nullable=False),
    Column("hosts", Text, nullable=False),  # JSON: [{"mac", "ips", "name"}] behind the entry port
    Column("path", Text, nullable=False),  # JSON: the ports the flood crossed, in order along its way
    Column("occurrences", Text, nullable=False),  # JSON: each flagged stretch, as top --json has them
    Column("peak", Float, nullable=False),
    Column("metric", String(32), nullable=False),
    Column("merged_into", Integer),  # where pollers share the store: the incident this one's flood is part of
    UniqueConstraint("device", "port", "start", name="incidents_once"),
    Index("incidents_by_time", "last_seen"),
)
"""Incidents, updated while open: an open one that a restart finds continues (its start kept)."""



def _rates_table(name: str) -> Table:
    """Per-port rates rolled up per period (core/rollups.py): polls, and each figure's average and highest."""
    return Table(
        name, metadata,
        Column("device", String(255), primary_key=True),
        Column("port", String(255), primary_key=True),
        Column("period_start", Float, primary_key=True),
        Column("if_index", Integer, nullable=False),
        Column("polls", Integer, nullable=False),
        *(Column(f"{figure}_{kind}", Float) for figure in FIGURES for kind in ("avg", "max")),
        Index(f"{name}_by_time", "period_start"),
    )


port_minutes = _rates_table("port_minutes")
port_hours = _rates_table("port_hours")


pollers = Table(
    "pollers", metadata,
    Column("name", String(255), primary_key=True),
    Column("groups", Text, nullable=False),  # its --poller-group tags, comma-separated; '' polls any device
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),  # the database's clock, as every lease time
    Column("devices", Integer, nullable=False),
    Column("lease_s", Float, nullable=False, server_default="0"),  # how long its leases live: a heartbeat older is a dead poller's
)
"""The pollers sharing this store (portmap run on PostgreSQL), alive while their heartbeat is recent."""

device_leases = Table(
    "device_leases", metadata,
    Column("device", String(255), primary_key=True),
    Column("poller", String(255), nullable=False),
    Column("taken_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
"""Which poller polls each device: renewed by its heartbeat, free to take once expired."""

port_baselines = Table(
    "port_baselines", metadata,
    Column("device", String(255), primary_key=True),
    Column("port", String(255), primary_key=True),  # the port's identity (core/identity.py)
    Column("direction", String(3), primary_key=True),
    Column("metric", String(32), primary_key=True),
    Column("level", Float, nullable=False),
    Column("spread", Float, nullable=False),
    Column("samples", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)
"""Each port's learned normal, kept where a poller taking its device over finds it."""

flagged_since = Table(
    "flagged_since", metadata,
    Column("device", String(255), primary_key=True),
    Column("port", String(255), primary_key=True),
    Column("since", Float, nullable=False),
    Column("saved_at", Float, nullable=False),
)
"""Ports in a flagged episode when their poller last saved, with when it began."""

published_frames = Table(
    "published_frames", metadata,
    Column("poller", String(255), primary_key=True),
    Column("taken_at", Float, nullable=False),
    Column("document", Text, nullable=False),  # JSON: its last poll as core/published.PublishedFrame
)
"""Each shared poller's last poll as the faces show it: any machine reads the whole network here."""
