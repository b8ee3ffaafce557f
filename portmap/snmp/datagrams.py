"""The UDP sockets requests go out on and replies come back to, shared by every device.

One socket per address family and message format. A reply is matched to its request by id,
a token the request chose (v1/v2c: the community) and the address the request was sent to (a
reply from anywhere else is a forgery: dropped, counted and logged per source). Ids are random
31-bit numbers, never two alike in flight, so another host cannot guess the next one. A
datagram whose header is not a well-formed reply is dropped and counted (the request it may
have answered times out).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Generic, TypeVar

from portmap.errors import SnmpAddressError
from portmap.inventory.model import Device
from portmap.snmp.ber import BerError

log = logging.getLogger(__name__)
ReplyT = TypeVar("ReplyT")
Address = tuple[str, int]


def reply_source(addr: tuple[str | int, ...]) -> Address:
    """A datagram's source as (host, port), an IPv4-mapped IPv6 host written as IPv4."""
    return _host(str(addr[0])), int(addr[1])


@lru_cache(maxsize=4096)
def _host(written: str) -> str:
    """An address as it is compared (once per address: every datagram is checked)."""
    host = ipaddress.ip_address(written.split("%")[0])
    if isinstance(host, ipaddress.IPv6Address) and host.ipv4_mapped is not None:
        host = host.ipv4_mapped
    return str(host)


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, owner: RequestSocket[Any]) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.owner.received(data, addr)

    def error_received(self, exc: Exception) -> None:
        """An ICMP error (port unreachable): the request it belongs to times out, as on a lost packet."""


class RequestSocket(Generic[ReplyT]):
    """The socket of each address family that one message format's requests share, every
    device's. `read_header` reads a datagram's header: (the id that matches it to its request,
    the value it must carry for that request (a community), the reply); BerError if it is not
    a well-formed reply."""

    def __init__(self, read_header: Callable[[bytes], tuple[int, bytes, ReplyT]], on_undecodable: Callable[[], None]) -> None:
        self._read_header = read_header
        self._on_undecodable = on_undecodable
        self._sockets: dict[int, asyncio.DatagramTransport] = {}
        self._opening = asyncio.Lock()
        """Many devices' first requests start together: one socket per family, not one each."""
        self._waiting: dict[int, tuple[asyncio.Future[ReplyT | None], bytes, Address]] = {}
        self.forged: Counter[str] = Counter()
        """Replies dropped because they came from another address than the request went to, by source."""

    async def _socket(self, family: int) -> asyncio.DatagramTransport:
        if family not in self._sockets:
            async with self._opening:
                if family not in self._sockets:
                    loop = asyncio.get_running_loop()
                    transport, _ = await loop.create_datagram_endpoint(
                        lambda: _Endpoint(self), family=family,
                        local_addr=("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
                    self._sockets[family] = transport
        return self._sockets[family]

    def _request_id(self) -> int:
        """A random 31-bit request-id, none of the requests in flight's."""
        while True:
            request_id = secrets.randbelow(2**31 - 1) + 1
            if request_id not in self._waiting:
                return request_id

    def received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """Match a datagram to its request by id, token and source address; the rest of it is
        read by the requester, who knows what it asked (and, for SNMPv3, the keys)."""
        try:
            reply_id, token, reply = self._read_header(data)
        except BerError:
            self._on_undecodable()
            return
        waiting = self._waiting.get(reply_id)
        if waiting is None or waiting[1] != token or waiting[0].done():
            return
        source = reply_source(addr)
        if source != waiting[2]:
            where = f"{source[0]}:{source[1]}"
            if not self.forged[where]:
                log.warning("dropped a reply from %s to a request sent to %s:%d (counted from now on)", where, *waiting[2])
            self.forged[where] += 1
            return
        waiting[0].set_result(reply)

    async def exchange(self, address: tuple[str, int], family: int, message: Callable[[int], bytes], token: bytes,
                       timeout_s: float, retries: int) -> ReplyT | None:
        """Send the message built for a fresh id, `retries` more times if unanswered; None when
        every try timed out. A late answer to an earlier try is as good as any."""
        sock = await self._socket(family)
        request_id = self._request_id()
        data = message(request_id)
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[ReplyT | None] = loop.create_future()
        self._waiting[request_id] = (answer, token, reply_source(address))
        tries_left = retries + 1
        timer: asyncio.TimerHandle | None = None

        def try_again() -> None:  # a timer, not a task per try: thousands of requests are in flight
            nonlocal tries_left, timer
            if answer.done():
                return
            if not tries_left or sock.is_closing():  # the client closed (the poller stopped): no send on a closed socket
                answer.set_result(None)
                return
            tries_left -= 1
            sock.sendto(data, address)
            timer = loop.call_later(timeout_s, try_again)

        try_again()
        try:
            return await answer
        finally:
            if timer is not None:
                timer.cancel()
            del self._waiting[request_id]

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()


class AgentAddress:
    """A device's agent as a socket address and address family, looked up once."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self._found: tuple[Address, int] | None = None

    async def resolved(self) -> tuple[Address, int]:
        if self._found is None:
            loop = asyncio.get_running_loop()
            try:
                found = await loop.getaddrinfo(self.device.host, self.device.port, type=socket.SOCK_DGRAM)
            except OSError as exc:
                raise SnmpAddressError(self.device.name, f"cannot resolve host {self.device.host!r}: {exc}") from None
            family, _, _, _, address = found[0]
            self._found = ((str(address[0]), int(address[1])), family)
        return self._found
