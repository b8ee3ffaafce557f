"""The inventory as the rest of portmap sees it: validated, typed, secrets wrapped."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from portmap.core.rollups import Retention


class Secret:
    """A credential that never shows itself in repr, str, logs or errors."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The clear text, for handing to the SNMP engine and nothing else."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


AUTH_PROTOCOLS = ("md5", "sha", "sha224", "sha256", "sha384", "sha512")
PRIV_PROTOCOLS = ("des", "aes128", "aes192", "aes256")
SECURITY_LEVELS = ("noAuthNoPriv", "authNoPriv", "authPriv")
SNMP_VERSIONS = ("1", "2c", "3")
ROLES = ("switch", "router")


@dataclass(frozen=True, slots=True)
class SnmpSettings:
    """How to talk to one agent. v1/v2c use `community`; v3 uses the USM fields."""

    version: str
    community: Secret | None = None
    user: str | None = None
    security_level: str = "noAuthNoPriv"
    auth_protocol: str | None = None
    auth_password: Secret | None = None
    priv_protocol: str | None = None
    priv_password: Secret | None = None
    max_repetitions: int = 25


SpikeSettings = tuple[tuple[str, float], ...]
"""Spike threshold overrides: (FlagThresholds field, value), as written in the inventory."""


@dataclass(frozen=True, slots=True)
class Device:
    name: str
    host: str
    port: int
    roles: frozenset[str]
    snmp: SnmpSettings
    timeout_s: float
    retries: int
    tags: tuple[str, ...] = ()
    source: str = ""
    """Where the device was defined (file:line), for messages about it."""
    spikes: SpikeSettings = ()
    port_spikes: tuple[tuple[str, SpikeSettings], ...] = ()
    """Overrides for single ports, by ifName (or ifDescr)."""

    @property
    def address(self) -> str:
        """The agent's address as operators write it: host:port, an IPv6 host in brackets."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class StateDefault(enum.Enum):
    DEFAULT = "the default state file"


DEFAULT_STATE = StateDefault.DEFAULT
"""An inventory that says nothing of its state: the default baselines file."""


@dataclass(frozen=True, slots=True)
class Webhook:
    url: Secret
    """It may hold a token: never shown (logs name the hook by `shown`)."""
    shown: str
    """scheme://host/ of the URL, for logs and errors."""
    headers: tuple[tuple[str, Secret], ...] = ()


@dataclass(frozen=True, slots=True)
class Alerts:
    """The top-level `alerts:` block: where incidents are told when they open, grow and close."""

    webhooks: tuple[Webhook, ...] = ()
    syslog: tuple[str, ...] = ()
    """'HOST:PORT' (RFC 5424 over UDP) or the path of a Unix datagram socket (/dev/log)."""
    commands: tuple[tuple[str, ...], ...] = ()
    """Each run with the message as JSON on its standard input."""
    updates_every_s: float = 300.0
    """An open incident that grows is told again at most this often."""
    silenced: tuple[str, ...] = ()
    """'DEVICE PORT' entry ports whose incidents are not told (a known one)."""


@dataclass(frozen=True, slots=True)
class Inventory:
    devices: tuple[Device, ...]
    files: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    """One line each, for the user (secrets in a file others can read, say)."""
    spikes: SpikeSettings = ()
    """The top-level `spikes:` block: overrides for every port."""
    retention: Retention | None = None
    """The top-level `store:` block: how long the history keeps per-minute and per-hour rates
    (None: no block; `ui`, `top` and `live` keep history only where it is given)."""
    alerts: Alerts | None = None
    """The top-level `alerts:` block (None: no alerts are sent)."""
    state: Path | None | StateDefault = DEFAULT_STATE
    """The top-level `state:`: this inventory's baselines file, None for none (the demo's devices
    must not mix with a real network's that bear the same names), or DEFAULT_STATE."""

    def select(self, names: Sequence[str] | None = None, tags: Sequence[str] | None = None) -> tuple[Device, ...]:
        """The devices named or bearing one of the tags; every device when neither is given."""
        if not names and not tags:
            return self.devices
        return tuple(d for d in self.devices if d.name in (names or ()) or set(d.tags) & set(tags or ()))
