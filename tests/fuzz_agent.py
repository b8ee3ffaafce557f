"""A UDP 'agent' that answers every request with something malformed, for fuzzing the poller.

Each answer follows a plan drawn from a seeded random generator: varbinds with OIDs that go
backwards or repeat, values of the wrong type, negative or oversized integers, lists
longer or shorter than asked, wrong request ids, wrong PDU types, error statuses, BER
bytes truncated, flipped, with huge lengths or deep nesting, or plain random bytes.
"""

from __future__ import annotations

import asyncio
import random

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c

KINDS = (
    "fuzzed-varbinds", "mutated-bytes", "random-bytes", "wrong-request-id", "wrong-pdu-type",
    "error-status", "huge-length", "deep-nesting", "truncated", "valid-end",
)


def _value(rng: random.Random) -> object:
    choice = rng.randrange(12)
    if choice == 0:
        return rfc1902.Integer32(rng.randint(-(2**31), 2**31 - 1))
    if choice == 1:
        return rfc1902.OctetString(bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40))))
    if choice == 2:
        return rfc1902.Counter64(rng.randint(0, 2**64 - 1))
    if choice == 3:
        return rfc1902.Counter32(rng.randint(0, 2**32 - 1))
    if choice == 4:
        return rfc1902.Gauge32(rng.randint(0, 2**32 - 1))
    if choice == 5:
        return rfc1902.TimeTicks(rng.randint(0, 2**32 - 1))
    if choice == 6:
        return rfc1902.IpAddress(bytes(rng.getrandbits(8) for _ in range(4)))
    if choice == 7:
        return rfc1902.ObjectIdentifier((1, 3, rng.randrange(100)))
    if choice == 8:
        return rfc1905.noSuchObject
    if choice == 9:
        return rfc1905.noSuchInstance
    if choice == 10:
        return rfc1905.endOfMibView
    return v2c.null


def _oid(rng: random.Random, asked: tuple[int, ...]) -> tuple[int, ...]:
    choice = rng.randrange(5)
    if choice == 0:
        return asked  # not increasing
    if choice == 1:
        return asked[:-1] if len(asked) > 2 else asked  # backwards
    if choice == 2:
        return asked + (rng.randrange(2**31),)
    if choice == 3:
        return (1, 3, 6, 1, 2, 1) + tuple(rng.randrange(2**16) for _ in range(rng.randrange(1, 12)))
    return asked[:-1] + (asked[-1] + rng.randrange(1, 5),)


class FuzzAgent(asyncio.DatagramProtocol):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.transport: asyncio.DatagramTransport | None = None
        self.answers: dict[str, int] = {kind: 0 for kind in KINDS}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            request, _ = decoder.decode(data, asn1Spec=v2c.Message())
        except Exception:  # the poller only ever sends well-formed requests
            return
        kind = self.rng.choice(KINDS)
        self.answers[kind] += 1
        answer = self._answer(kind, request)
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)

    def _answer(self, kind: str, request: object) -> bytes | None:
        rng = self.rng
        response = v2c.apiMessage.get_response(request)
        pdu = v2c.apiMessage.get_pdu(response)
        asked = [tuple(name) for name, _ in v2c.apiPDU.get_varbinds(v2c.apiMessage.get_pdu(request))]
        if kind == "valid-end":
            v2c.apiPDU.set_varbinds(pdu, [(name, rfc1905.endOfMibView) for name in asked])
            return encoder.encode(response)
        count = rng.choice([0, 1, len(asked), len(asked) * rng.randrange(1, 30), len(asked) + 1])
        varbinds = [(_oid(rng, asked[i % len(asked)] if asked else (1, 3)), _value(rng)) for i in range(count)]
        v2c.apiPDU.set_varbinds(pdu, varbinds)
        if kind == "wrong-request-id":
            v2c.apiPDU.set_request_id(pdu, rng.randint(-(2**31), 2**31 - 1))
        elif kind == "error-status":
            v2c.apiPDU.set_error_status(pdu, rng.randrange(0, 19))
            v2c.apiPDU.set_error_index(pdu, rng.randrange(0, count + 3))
        elif kind == "wrong-pdu-type":
            wrong = v2c.GetRequestPDU()
            v2c.apiPDU.set_defaults(wrong)
            v2c.apiPDU.set_request_id(wrong, v2c.apiPDU.get_request_id(pdu))
            v2c.apiPDU.set_varbinds(wrong, varbinds)
            v2c.apiMessage.set_pdu(response, wrong)
        encoded = encoder.encode(response)
        if kind == "mutated-bytes":
            mutable = bytearray(encoded)
            for _ in range(rng.randrange(1, 8)):
                mutable[rng.randrange(len(mutable))] = rng.getrandbits(8)
            return bytes(mutable)
        if kind == "truncated":
            return encoded[: rng.randrange(len(encoded))]
        if kind == "random-bytes":
            return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))
        if kind == "huge-length":
            return b"\x30\x84\x7f\xff\xff\xff" + encoded[2:]
        if kind == "deep-nesting":
            depth = rng.randrange(100, 5000)
            return b"\x30\x80" * depth + b"\x00\x00" * depth
        return encoded


HOSTILE_ARCS = (0, 1, 2, 4, 6, 16, 255, 256, 300, 65535, 2**31 - 1, 2**32 - 1)
"""Index arcs a hostile agent puts in table rows: octets, and numbers no octet can be."""


class HostileTables(asyncio.DatagramProtocol):
    """An agent whose answers are valid SNMP, with hostile rows: every column walked gets a few
    rows whose index arcs and values are drawn at random (arcs over 255 where a MAC or an IP
    address belongs, strings where numbers belong, '²' where a port number belongs, negative
    integers, OIDs), then its end. For fuzzing the table readers (FDB, ARP, LLDP, CDP, LAG, VTP)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            request, _ = decoder.decode(data, asn1Spec=v2c.Message())
        except Exception:
            return
        response = v2c.apiMessage.get_response(request)
        asked_pdu = v2c.apiMessage.get_pdu(request)
        exact = asked_pdu.isSameTypeWith(v2c.GetRequestPDU())
        varbinds = [self._row(tuple(name), exact) for name, _ in v2c.apiPDU.get_varbinds(asked_pdu)]
        v2c.apiPDU.set_varbinds(v2c.apiMessage.get_pdu(response), varbinds)
        if self.transport is not None:
            self.transport.sendto(encoder.encode(response), addr)

    def _row(self, asked: tuple[int, ...], exact: bool) -> tuple[object, object]:
        rng = self.rng
        if exact:
            return asked, self._value()
        if len(asked) > 40 or rng.random() < 0.2:
            return asked, rfc1905.endOfMibView
        index = tuple(rng.choice(HOSTILE_ARCS) if rng.random() < 0.3 else rng.randrange(256)
                      for _ in range(rng.choice((1, 1, 2, 3, 3, 5, 6, 7, 8))))  # the index lengths tables have
        return asked + index, self._value()

    def _value(self) -> object:
        choice = self.rng.random()
        if choice < 0.2:
            return rfc1902.OctetString("²".encode())
        if choice < 0.4:
            return rfc1902.Integer32(self.rng.randrange(-1, 8))  # subtypes, statuses, ports
        return _value(self.rng)
