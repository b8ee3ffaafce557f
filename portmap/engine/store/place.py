"""Where a watch keeps its history: light to import (the store itself loads SQLAlchemy and
Alembic, which a watch without history never needs)."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field

from portmap.core.rollups import Retention


@dataclass(frozen=True, slots=True)
class Poller:
    """A poller sharing a database store with others (engine/shared.py): its name, unique among
    them, and its groups (`--poller-group`: it polls only devices tagged with one of them)."""

    name: str = field(default_factory=socket.gethostname)
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryPlace:
    location: str
    """A SQLite file's path, or a database URL."""
    retention: Retention = Retention()
    required: bool = True
    """True: a store that cannot be written stops the watch (portmap run); False: one warning."""
    poller: Poller | None = None
    """Where the store is shared (portmap run on PostgreSQL): this poller, which polls only the
    devices it leases. None: the only writer, polling every device."""


def shown(location: str) -> str:
    """A store's location for logs and errors: a database URL's password replaced by ***."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^/:@]*:)[^/@]*@", r"\1***@", location)
