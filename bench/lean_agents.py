"""Benchmark agents that cost little: COUNT simulated 48-port switches answering v2c from one process.

Usage: python bench/lean_agents.py BASE_PORT COUNT   (prints 'ready', serves until stdin closes)

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

from portmap.demo.mib import COUNTER32_COLUMNS, COUNTER64_COLUMNS, build_view
from portmap.snmp import oids
from portmap.snmp.ber import (
    COUNTER32, COUNTER64, GET, GET_BULK, GET_NEXT, RESPONSE, SEQUENCE, BerError, decode_message, encode_integer, encode_oid,
    encode_tlv,
)
from agents import SteadyCounters, switch  # bench/agents.py, beside this script: the same switches

NO_SUCH_INSTANCE, END_OF_MIB_VIEW = b"\x81\x00", b"\x82\x00"
COMMUNITY = b"public"
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


class LeanAgent(asyncio.DatagramProtocol):
    def __init__(self, view: dict[tuple[int, ...], object], counters: SteadyCounters, counter32_start: int) -> None:
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
        try:
            request = decode_message(data, (GET, GET_NEXT, GET_BULK))
            names = [oid for oid, _ in request.varbinds()]
        except BerError:
            return
        if request.community != COMMUNITY:
            return
        binds: list[tuple[tuple[int, ...], bytes]] = []
        if request.pdu == GET:
            binds = [(oid, self._value(oid) if oid in self.view else NO_SUCH_INSTANCE) for oid in names]
        elif request.pdu == GET_NEXT:
            binds = [self._next(oid) for oid in names]
        else:
            cursor = list(names)
            for _ in range(max(1, request.error_index)):
                row = [self._next(oid) for oid in cursor]
                binds += row
                cursor = [oid for oid, _ in row]
        body = b"".join(encode_tlv(SEQUENCE, encode_oid(oid) + value) for oid, value in binds)
        pdu = encode_integer(request.request_id) + encode_integer(0) + encode_integer(0) + encode_tlv(SEQUENCE, body)
        message = encode_tlv(SEQUENCE, encode_integer(request.version) + encode_tlv(0x04, COMMUNITY) + encode_tlv(RESPONSE, pdu))
        assert self.transport is not None
        self.transport.sendto(message, addr)


async def main(base_port: int, count: int) -> None:
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    transports = []
    for n in range(count):
        spec = switch(f"sw{base_port + n}", base_port + n)
        counters = SteadyCounters(spec.name, started)
        view = build_view(spec, counters, lambda: int((time.monotonic() - started) * 100))
        transport, _ = await loop.create_datagram_endpoint(
            lambda view=view, counters=counters, start=spec.counter32_start: LeanAgent(view, counters, start),
            local_addr=("127.0.0.1", base_port + n))
        transports.append(transport)
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    for transport in transports:
        transport.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
