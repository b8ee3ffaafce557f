"""Where a watch keeps its history: light to import (the store itself loads SQLAlchemy and
Alembic, which a watch without history never needs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portmap.core.rollups import Retention


@dataclass(frozen=True, slots=True)
class HistoryPlace:
    location: str
    """A SQLite file's path, or a database URL."""
    retention: Retention = Retention()
    required: bool = True
    """True: a store that cannot be written stops the watch (portmap run); False: one warning."""


def shown(location: str) -> str:
    """A store's location for logs and errors: a database URL's password replaced by ***."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^/:@]*:)[^/@]*@", r"\1***@", location)
