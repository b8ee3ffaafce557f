"""The history store as first released: MAC sightings, placements and moves, IP bindings, links, incidents.

A migration is frozen: it creates the tables as they were then, whatever schema.py says later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _seen() -> list[sa.Column]:
    return [sa.Column("first_seen", sa.Float, nullable=False), sa.Column("last_seen", sa.Float, nullable=False)]


def upgrade() -> None:
    name, mac = sa.String(255), sa.String(17)
    op.create_table("mac_sightings", sa.Column("mac", mac, primary_key=True), sa.Column("vlan", sa.Integer, primary_key=True),
                    sa.Column("device", name, primary_key=True), sa.Column("port", name, primary_key=True),
                    sa.Column("if_index", sa.Integer), sa.Column("uplink", sa.Text, nullable=False), *_seen())
    op.create_table("placements", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("mac", mac, nullable=False), sa.Column("device", name, nullable=False),
                    sa.Column("port", name, nullable=False), sa.Column("vlan", sa.Integer, nullable=False),
                    sa.Column("reason", sa.Text, nullable=False), *_seen())
    op.create_index("placements_by_mac", "placements", ["mac", "last_seen"])
    op.create_index("placements_by_port", "placements", ["device", "port", "last_seen"])
    op.create_table("moves", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("mac", mac, nullable=False), sa.Column("at", sa.Float, nullable=False),
                    *(sa.Column(column, name, nullable=False) for column in ("from_device", "from_port", "to_device", "to_port")))
    op.create_index("moves_by_mac", "moves", ["mac", "at"])
    op.create_table("ip_bindings", sa.Column("ip", sa.String(45), primary_key=True), sa.Column("mac", mac, primary_key=True),
                    sa.Column("name", name), *_seen())
    op.create_index("ip_bindings_by_mac", "ip_bindings", ["mac"])
    op.create_table("links", *(sa.Column(column, name, primary_key=True) for column in ("device_a", "port_a", "device_b", "port_b")),
                    *_seen())
    op.create_table("incidents", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("device", name, nullable=False), sa.Column("port", name, nullable=False),
                    sa.Column("if_index", sa.Integer, nullable=False), sa.Column("start", sa.Float, nullable=False),
                    sa.Column("last_seen", sa.Float, nullable=False), sa.Column("ongoing", sa.Integer, nullable=False),
                    *(sa.Column(column, sa.Text, nullable=False) for column in ("kinds", "hosts", "path", "occurrences")),
                    sa.Column("peak", sa.Float, nullable=False), sa.Column("metric", sa.String(32), nullable=False),
                    sa.UniqueConstraint("device", "port", "start", name="incidents_once"))
    op.create_index("incidents_by_time", "incidents", ["last_seen"])


def downgrade() -> None:
    for table in ("incidents", "links", "ip_bindings", "moves", "placements", "mac_sightings"):
        op.drop_table(table)
