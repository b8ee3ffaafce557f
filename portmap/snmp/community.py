"""SNMP v1/v2c requests on one shared UDP socket per address family, read with the lean codec.

v1/v2c messages need no security processing, so they skip pysnmp entirely: a request is
encoded by portmap/snmp/ber.py, matched to its response by request-id, community and the
address it was sent to (a reply from anywhere else is a forgery: dropped, counted and logged
per source), and the response decoded from bytes. Request-ids are random 31-bit numbers,
never two alike in flight, so another host cannot guess the next one. SNMPv3 goes through usm.py. A datagram whose header is not
a well-formed response is dropped and counted (the request it may have answered times out);
malformed variable bindings are found by the requester, which decodes them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
from collections import Counter
from collections.abc import Callable

from portmap.errors import SnmpAddressError
from portmap.inventory.model import Device
from portmap.snmp.ber import GET, GET_BULK, GET_NEXT, BerError, Message, decode_response, encode_request
from portmap.snmp.transport import RequestKind, agent_error, timeout_error

_PDU = {"get": GET, "next": GET_NEXT, "bulk": GET_BULK}
log = logging.getLogger(__name__)

Address = tuple[str, int]


def reply_source(addr: tuple[str | int, ...]) -> Address:
    """A datagram's source as (host, port), an IPv4-mapped IPv6 host written as IPv4."""
    host = ipaddress.ip_address(str(addr[0]).split("%")[0])
    if isinstance(host, ipaddress.IPv6Address) and host.ipv4_mapped is not None:
        host = host.ipv4_mapped
    return str(host), int(addr[1])


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, owner: CommunitySocket) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.owner.received(data, addr)

    def error_received(self, exc: Exception) -> None:
        """An ICMP error (port unreachable): the request it belongs to times out, as on a lost packet."""


class CommunitySocket:
    """The v1/v2c socket of each address family, shared by every device."""

    def __init__(self, on_undecodable: Callable[[], None]) -> None:
        self._on_undecodable = on_undecodable
        self._sockets: dict[int, asyncio.DatagramTransport] = {}
        self._opening = asyncio.Lock()
        """Many devices' first requests start together: one socket per family, not one each."""
        self._waiting: dict[int, tuple[asyncio.Future[Message | None], bytes, Address]] = {}
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
        """Match a datagram to its request by request-id, community and source address; its
        variable bindings are decoded by the requester, who knows what it asked."""
        try:
            response = decode_response(data)
        except BerError:
            self._on_undecodable()
            return
        waiting = self._waiting.get(response.request_id)
        if waiting is None or waiting[1] != response.community or waiting[0].done():
            return
        source = reply_source(addr)
        if source != waiting[2]:
            where = f"{source[0]}:{source[1]}"
            if not self.forged[where]:
                log.warning("dropped a reply from %s to a request sent to %s:%d (counted from now on)", where, *waiting[2])
            self.forged[where] += 1
            return
        waiting[0].set_result(response)

    async def exchange(self, address: tuple[str, int], family: int, message: Callable[[int], bytes], community: bytes,
                       timeout_s: float, retries: int) -> Message | None:
        """Send the message built for a fresh request-id, `retries` more times if unanswered; None
        when every try timed out. A late answer to an earlier try is as good as any."""
        sock = await self._socket(family)
        request_id = self._request_id()
        data = message(request_id)
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Message | None] = loop.create_future()
        self._waiting[request_id] = (answer, community, reply_source(address))
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


class CommunityDevice:
    """One v1/v2c device's transport. With a VLAN, requests reach that VLAN's bridge MIBs on
    Cisco switches by community string indexing (`community@vlan`)."""

    def __init__(self, sockets: CommunitySocket, device: Device, vlan: int | None = None) -> None:
        assert device.snmp.community is not None
        self.sockets, self.device = sockets, device
        self._community = (device.snmp.community.reveal() + (f"@{vlan}" if vlan is not None else "")).encode()
        self._version = 0 if device.snmp.version == "1" else 1
        self._address: tuple[tuple[str, int], int] | None = None

    async def _resolved(self) -> tuple[tuple[str, int], int]:
        """The agent's socket address and address family, looked up once."""
        if self._address is None:
            loop = asyncio.get_running_loop()
            try:
                found = await loop.getaddrinfo(self.device.host, self.device.port, type=socket.SOCK_DGRAM)
            except OSError as exc:
                raise SnmpAddressError(self.device.name, f"cannot resolve host {self.device.host!r}: {exc}") from None
            family, _, _, _, address = found[0]
            self._address = ((str(address[0]), int(address[1])), family)
        return self._address

    async def send(self, kind: RequestKind, varbind_list: bytes, repetitions: int, oid_hint: str) -> Message:
        address, family = await self._resolved()
        version, community, pdu = self._version, self._community, _PDU[kind]

        def message(request_id: int) -> bytes:
            return encode_request(version, community, pdu, request_id, varbind_list, 0, repetitions)

        response = await self.sockets.exchange(address, family, message, community, self.device.timeout_s, self.device.retries)
        if response is None:
            raise timeout_error(self.device, oid_hint)
        if response.error_status:
            raise agent_error(self.device, response.error_status, response.error_index, oid_hint)
        return response
