"""Misbehaving network pieces for tests: an agent that never answers, one that answers late, a
host that races each answer with a forged one."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from portmap.snmp.ber import GET, GET_BULK, GET_NEXT, decode_message


class _Silent(asyncio.DatagramProtocol):
    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        return None  # the device is there, and never says a word


class Relay(asyncio.DatagramProtocol):
    """Forwards each request to the real agent after `delay_s`, and the answer back; records when
    each request came and which socket asked (`asked`)."""

    def __init__(self, target: tuple[str, int], delay_s: float, drop_ratio: float = 0.0) -> None:
        self.target = target
        self.delay_s = delay_s
        self.drop_ratio = drop_ratio
        self.dropped = 0
        self._random = random.Random(7)
        self.transport: asyncio.DatagramTransport | None = None
        self.upstreams: list[asyncio.DatagramTransport] = []
        self.asked: list[tuple[float, tuple[str, int]]] = []
        """(time.monotonic(), the asking socket) of every request received."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.asked.append((time.monotonic(), addr))
        if self._random.random() < self.drop_ratio:
            self.dropped += 1
            return
        asyncio.get_running_loop().call_later(self.delay_s, lambda: asyncio.ensure_future(self._forward(data, addr)))

    def runs(self) -> list[tuple[tuple[str, int], float, float]]:
        """Who asked, in turns: (socket, first, last request) for each stretch of one asker."""
        turns: list[tuple[tuple[str, int], float, float]] = []
        for at, source in self.asked:
            if turns and turns[-1][0] == source:
                turns[-1] = (source, turns[-1][1], at)
            else:
                turns.append((source, at, at))
        return turns

    async def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        relay = self

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, answer: bytes, _: tuple[str, int]) -> None:
                assert relay.transport is not None
                relay.transport.sendto(answer, client)

        upstream, _ = await loop.create_datagram_endpoint(Back, remote_addr=self.target)
        self.upstreams.append(upstream)
        upstream.sendto(data)


async def silent_agent(port: int) -> asyncio.DatagramTransport:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(_Silent, local_addr=("127.0.0.1", port))
    return transport


async def slow_relay(
    port: int, target_port: int, delay_s: float, drop_ratio: float = 0.0
) -> tuple[asyncio.DatagramTransport, Relay]:
    """A relay in front of an agent that answers late and, with drop_ratio, loses requests (port 0: a free one)."""
    transport, relay = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: Relay(("127.0.0.1", target_port), delay_s, drop_ratio), local_addr=("127.0.0.1", port)
    )
    return transport, relay


def close_relay(transport: asyncio.DatagramTransport, relay: Relay) -> None:
    for upstream in relay.upstreams:
        upstream.close()
    transport.close()


class _Forger(Relay):
    """A relay that, for each answer, first sends a forged copy (`forge` of its bytes) from
    another UDP port, as a host on the path that saw the request would, then the real answer.
    Keeps the request-ids it relayed."""

    def __init__(self, target: tuple[str, int], forge: Callable[[bytes], bytes], other: asyncio.DatagramTransport) -> None:
        super().__init__(target, delay_s=0.0)
        self.forge, self.other = forge, other
        self.request_ids: list[int] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.request_ids.append(decode_message(data, (GET, GET_NEXT, GET_BULK)).request_id)
        super().datagram_received(data, addr)

    async def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        relay = self

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, answer: bytes, _: tuple[str, int]) -> None:
                assert relay.transport is not None
                relay.other.sendto(relay.forge(answer), client)
                relay.transport.sendto(answer, client)

        upstream, _ = await asyncio.get_running_loop().create_datagram_endpoint(Back, remote_addr=self.target)
        self.upstreams.append(upstream)
        upstream.sendto(data)


async def forging_relay(port: int, target_port: int, forge: Callable[[bytes], bytes]) -> tuple[asyncio.DatagramTransport, _Forger]:
    """A relay in front of an agent whose every answer is raced by a forged copy from another port."""
    loop = asyncio.get_running_loop()
    other, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    transport, relay = await loop.create_datagram_endpoint(
        lambda: _Forger(("127.0.0.1", target_port), forge, other), local_addr=("127.0.0.1", port))
    relay.upstreams.append(other)
    return transport, relay
