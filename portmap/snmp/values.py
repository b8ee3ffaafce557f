"""Convert pysnmp's value objects into plain Python values, once, at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905


@dataclass(frozen=True, slots=True)
class EndOfColumn:
    """noSuchObject, noSuchInstance or endOfMibView: the agent has no value here."""

    kind: str


SnmpValue = int | bytes | str | tuple[int, ...] | None | EndOfColumn

_END_KINDS = {
    rfc1905.NoSuchObject.tagSet: "noSuchObject",
    rfc1905.NoSuchInstance.tagSet: "noSuchInstance",
    rfc1905.EndOfMibView.tagSet: "endOfMibView",
}


def to_python(value: object) -> SnmpValue:
    """Map one pysnmp value to int, bytes, dotted IP str, OID tuple, None or EndOfColumn."""
    tag_set = getattr(value, "tagSet", None)
    if tag_set in _END_KINDS:
        return EndOfColumn(_END_KINDS[tag_set])
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(octet) for octet in value.asOctets())
    if isinstance(value, univ.Null):  # before OctetString: pyasn1's Null is one
        return None
    if isinstance(value, univ.OctetString):
        return value.asOctets()
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    if isinstance(value, univ.Integer):
        return int(value)
    return EndOfColumn(f"unsupported type {type(value).__name__}")


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
