"""Benchmark agents that cost little: COUNT simulated 48-port switches answering v2c from one process.

Usage: python bench/lean_agents.py BASE_PORT COUNT [v3]   (prints 'ready', serves until stdin closes)
With v3, they answer SNMPv3 authPriv (V3_USER, SHA and AES-128) through portmap's own v3 codec.

They serve the demo agents' own MIB view (portmap/demo/mib.py build_view, steady counters) but
decode requests and encode responses with portmap's lean BER codec instead of pysnmp's agent
stack, so that a thousand of them on one core do not slow the poller they are measuring: the
counters are encoded straight from their numbers, and values that never change are encoded once.
"""

from __future__ import annotations

import asyncio
import bisect
import sys
import time
from dataclasses import replace

from portmap.demo.mib import COUNTER32_COLUMNS, COUNTER64_COLUMNS, build_view
from portmap.snmp import oids
from portmap.snmp.ber import (
    COUNTER32, COUNTER64, GET, GET_BULK, GET_NEXT, RESPONSE, SEQUENCE, BerError, Message, contents_of, decode_message,
    encode_integer, encode_oid, encode_pdu, encode_tlv, first_name, tlv_at,
)
from portmap.snmp.usm import UNKNOWN_ENGINE_ID, USM_STATS
from portmap.snmp.usm_security import UserKeys
from portmap.snmp.v3 import AUTH_FLAG, PRIV_FLAG, REPORT, Security, decode_v3, encode_v3, scoped_pdu
from agents import SteadyCounters, switch  # bench/agents.py, beside this script: the same switches

NO_SUCH_INSTANCE, END_OF_MIB_VIEW = b"\x81\x00", b"\x82\x00"
COMMUNITY = b"public"
V3_USER, V3_AUTH, V3_PRIV = "bench", "bench-auth-pass", "bench-priv-pass"
UNKNOWN_ENGINE_IDS = encode_oid((*USM_STATS, UNKNOWN_ENGINE_ID, 0))
COUNTERS = {**{column.oid: (name, COUNTER32) for column, name in COUNTER32_COLUMNS.items()},
            **{column.oid: (name, COUNTER64) for column, name in COUNTER64_COLUMNS.items()}}
"""Counter columns: their value is the steady counter, by ifIndex."""
MOVING = {oids.sysUpTime.oid, oids.ifInNUcastPkts.oid, oids.ifOutNUcastPkts.oid}
"""Columns whose values move but are not plain counters: asked of the view each time."""


def encode_unsigned(tag: int, number: int) -> bytes:
    return encode_tlv(tag, number.to_bytes(number.bit_length() // 8 + 1, "big"))


def encode_value(value: object) -> bytes:
    """A pysnmp value, BER-encoded by its own tag (universal or application)."""
    tag = value.tagSet[-1]  # type: ignore[attr-defined]
    first = tag.tagClass | tag.tagFormat | tag.tagId
    if first == 0x02:
        return encode_integer(int(value))  # type: ignore[call-overload]
    if first in (0x41, 0x42, 0x43, 0x46):
        return encode_unsigned(first, int(value))  # type: ignore[call-overload]
    if first == 0x06:
        return encode_oid(tuple(value))  # type: ignore[call-overload]
    return encode_tlv(first, bytes(value.asOctets()))  # type: ignore[attr-defined]


_NAMES: dict[bytes, tuple[int, ...]] = {}
"""Each name asked, as encoded, decoded once for every agent of the process (they share their OIDs)."""


def asked_names(request: Message) -> list[tuple[bytes, tuple[int, ...]]]:
    """A request's names: (the name as encoded, its OID)."""
    data, at, stop = request.data, request.binds_start, request.binds_stop
    names = []
    while at < stop:
        bind_start, bind_stop = contents_of(data, at, stop, SEQUENCE)
        name = data[bind_start:tlv_at(data, bind_start, bind_stop)[2]]
        oid = _NAMES.get(name)
        if oid is None:
            oid = _NAMES[name] = first_name(encode_tlv(SEQUENCE, data[at:bind_stop]))
        names.append((name, oid))
        at = bind_stop
    return names


class LeanAgent(asyncio.DatagramProtocol):
    def __init__(self, view: dict[tuple[int, ...], object], counters: SteadyCounters, counter32_start: int,
                 engine_id: bytes | None = None) -> None:
        """With `engine_id`, an SNMPv3 agent of that engine, and V3_USER its one user."""
        self.engine_id = engine_id
        self.keys = UserKeys.localized(engine_id, "sha", V3_AUTH.encode(), "aes128", V3_PRIV.encode()) if engine_id else None
        self.started = time.monotonic()
        self.view = view
        self.order = sorted(view)
        self.counters = counters
        self.counter32_start = counter32_start
        self.constant: dict[tuple[int, ...], bytes] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def _value(self, oid: tuple[int, ...]) -> bytes:
        column = oid[:-1]
        counter = COUNTERS.get(column)
        if counter is not None:
            name, tag = counter
            number = self.counters.port(oid[-1])[name]
            return encode_unsigned(tag, number if tag == COUNTER64 else (self.counter32_start + number) % 2**32)
        if column in MOVING:
            return encode_value(self.view[oid]())  # type: ignore[operator]
        if oid not in self.constant:
            self.constant[oid] = encode_value(self.view[oid]())  # type: ignore[operator]
        return self.constant[oid]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def _next(self, oid: tuple[int, ...]) -> tuple[tuple[int, ...], bytes]:
        at = bisect.bisect_right(self.order, oid)
        if at == len(self.order):
            return oid, END_OF_MIB_VIEW
        found = self.order[at]
        return found, self._value(found)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        try:
            answer = self._answer_v3(data) if self.engine_id else self._answer_v2c(data)
        except (BerError, ValueError):  # a digest that fails is a ValueError: dropped, as net-snmp does
            return
        if answer:
            self.transport.sendto(answer, addr)

    def _answer_v2c(self, data: bytes) -> bytes | None:
        request = decode_message(data, (GET, GET_NEXT, GET_BULK))
        if request.community != COMMUNITY:
            return None
        pdu = encode_pdu(RESPONSE, request.request_id, self._varbinds(request))
        return encode_tlv(SEQUENCE, encode_integer(request.version) + encode_tlv(0x04, COMMUNITY) + pdu)

    def _answer_v3(self, data: bytes) -> bytes | None:
        """Discovery answered by a report of the engine; V3_USER's authPriv requests by responses."""
        assert self.engine_id is not None and self.keys is not None
        message = decode_v3(data)
        security = Security(self.engine_id, 1, int(time.monotonic() - self.started), message.security.user)
        if message.security.engine_id != self.engine_id:
            report = encode_pdu(REPORT, message.msg_id, encode_tlv(SEQUENCE, encode_tlv(SEQUENCE, UNKNOWN_ENGINE_IDS + b"\x41\x01\x01")))
            return encode_v3(message.msg_id, 0, replace(security, user=b""), None, scoped_pdu(self.engine_id, b"", report))
        if message.security.user != V3_USER.encode() or message.flags & (AUTH_FLAG | PRIV_FLAG) != AUTH_FLAG | PRIV_FLAG:
            return None
        request = message.open(self.keys, (GET, GET_NEXT, GET_BULK))
        pdu = encode_pdu(RESPONSE, request.request_id, self._varbinds(request))
        return encode_v3(message.msg_id, AUTH_FLAG | PRIV_FLAG, security, self.keys, scoped_pdu(self.engine_id, request.community, pdu))

    def _varbinds(self, request: Message) -> bytes:
        """The variable-bindings list answering a GET, GETNEXT or GETBULK."""
        if request.pdu == GET:  # a poll's every request: its names answered as they were asked
            answered = (name + (self._value(oid) if oid in self.view else NO_SUCH_INSTANCE) for name, oid in asked_names(request))
            return encode_tlv(SEQUENCE, b"".join(encode_tlv(SEQUENCE, bind) for bind in answered))
        names = [oid for oid, _ in request.varbinds()]
        binds: list[tuple[tuple[int, ...], bytes]] = []
        if request.pdu == GET_NEXT:
            binds = [self._next(oid) for oid in names]
        else:
            cursor = list(names)
            for _ in range(max(1, request.error_index)):
                row = [self._next(oid) for oid in cursor]
                binds += row
                cursor = [oid for oid, _ in row]
        return encode_tlv(SEQUENCE, b"".join(encode_tlv(SEQUENCE, encode_oid(oid) + value) for oid, value in binds))


async def main(base_port: int, count: int, v3: bool) -> None:
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    transports = []
    for n in range(count):
        spec = switch(f"sw{base_port + n}", base_port + n)
        counters = SteadyCounters(spec.name, started)
        view = build_view(spec, counters, lambda: int((time.monotonic() - started) * 100))
        transport, _ = await loop.create_datagram_endpoint(
            lambda view=view, counters=counters, start=spec.counter32_start, port=base_port + n:
                LeanAgent(view, counters, start, b"\x80\x00\x1f\x88\x04bench" + port.to_bytes(2, "big") if v3 else None),
            local_addr=("127.0.0.1", base_port + n))
        transports.append(transport)
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    for transport in transports:
        transport.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] == ["v3"]))
