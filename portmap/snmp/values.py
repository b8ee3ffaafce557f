"""The plain Python values SNMP answers are read into (ber.py), and how a reader takes them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EndOfColumn:
    """noSuchObject, noSuchInstance or endOfMibView: the agent has no value here."""

    kind: str


SnmpValue = int | bytes | str | tuple[int, ...] | None | EndOfColumn


def index_octets(arcs: tuple[int, ...]) -> bytes | None:
    """Index arcs that stand for octets (a MAC, an IP address), or None where one is not an octet:
    a hostile or broken agent's row, to be skipped."""
    return bytes(arcs) if all(0 <= arc <= 255 for arc in arcs) else None


def text(value: SnmpValue) -> str:
    """An OCTET STRING read as display text: UTF-8 where it can be, trailing NULs and blanks dropped."""
    return value.decode("utf-8", errors="replace").strip("\x00").strip() if isinstance(value, bytes) else ""


def shown_id(value: SnmpValue) -> str:
    """An identifier as an operator reads it: its text where printable, else colon hex (a MAC reads as one)."""
    if not isinstance(value, bytes):
        return ""
    shown = text(value)
    return shown if shown.isprintable() else value.hex(":")
