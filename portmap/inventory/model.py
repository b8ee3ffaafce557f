"""The inventory as the rest of portmap sees it: validated, typed, secrets wrapped."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True, slots=True)
class Inventory:
    devices: tuple[Device, ...]
    files: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    spikes: SpikeSettings = ()
    """The top-level `spikes:` block: overrides for every port."""
    """One line each, for the user (secrets in a file others can read, say)."""

    def select(self, names: list[str] | None) -> tuple[Device, ...]:
        if not names:
            return self.devices
        wanted = set(names)
        return tuple(d for d in self.devices if d.name in wanted)
