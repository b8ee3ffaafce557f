"""Read-only SNMP requests over one shared pysnmp engine.

`SnmpClient` owns the engine (one UDP socket for every device) and a global cap on
requests in flight; `DeviceSession` sends one request at a time to its device and
turns pysnmp's answers into plain values or typed `SnmpError`s. There is no SET path.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar

from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import (
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
)
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind, rfc1902
from pysnmp.proto.api import v2c

from portmap.errors import (
    SnmpAddressError,
    SnmpAgentError,
    SnmpAuthError,
    SnmpError,
    SnmpMalformedResponse,
    SnmpTimeout,
)
from portmap.inventory.model import Device
from portmap.snmp.ber import (
    GET, GET_BULK, GET_NEXT, BerError, Message, decode_varbind_list, encode_request, encode_varbind_list, first_name,
)
from portmap.snmp.community import ERROR_STATUS, CommunityTransport
from portmap.snmp.oids import Oid
from portmap.snmp.values import EndOfColumn, SnmpValue, to_python

_AUTH = {
    "md5": usm.USM_AUTH_HMAC96_MD5,
    "sha": usm.USM_AUTH_HMAC96_SHA,
    "sha224": usm.USM_AUTH_HMAC128_SHA224,
    "sha256": usm.USM_AUTH_HMAC192_SHA256,
    "sha384": usm.USM_AUTH_HMAC256_SHA384,
    "sha512": usm.USM_AUTH_HMAC384_SHA512,
}
_PRIV = {
    "des": usm.USM_PRIV_CBC56_DES,
    "aes128": usm.USM_PRIV_CFB128_AES,
    "aes192": usm.USM_PRIV_CFB192_AES,
    "aes256": usm.USM_PRIV_CFB256_AES,
}

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MAX_ROWS_PER_COLUMN = 100_000
"""A table longer than this is an agent looping, not a switch."""


def dotted(oid: Oid) -> str:
    return ".".join(map(str, oid))


def map_error_indication(device: Device, indication: object, oid: str | None) -> SnmpError:
    """The one place where pysnmp's error indications become portmap errors."""
    if isinstance(indication, errind.RequestTimedOut):
        waited = device.timeout_s * (device.retries + 1)
        hint = ", or the community is wrong" if device.snmp.version != "3" else ""
        return SnmpTimeout(
            device.name,
            f"no response from {device.host}:{device.port} in {waited:g}s "
            f"({device.retries + 1} tries): agent down or unreachable{hint}",
            oid,
        )
    if isinstance(indication, errind.UnknownUserName):
        return SnmpAuthError(device.name, f"unknown SNMPv3 user {device.snmp.user!r}", oid)
    if isinstance(indication, (errind.WrongDigest, errind.AuthenticationFailure, errind.AuthenticationError)):
        return SnmpAuthError(device.name, "wrong auth password or protocol (digest mismatch)", oid)
    if isinstance(indication, errind.DecryptionError):
        return SnmpAuthError(device.name, "wrong priv password or protocol (cannot decrypt)", oid)
    if isinstance(indication, errind.UnsupportedSecurityLevel):
        return SnmpAuthError(device.name, f"agent refuses security level {device.snmp.security_level}", oid)
    if isinstance(indication, (errind.NotInTimeWindow, errind.UnknownEngineID)):
        return SnmpAuthError(device.name, f"SNMPv3 engine discovery failed: {indication}", oid)
    if isinstance(indication, errind.OidNotIncreasing):
        return SnmpMalformedResponse(device.name, "agent returned OIDs that do not increase", oid)
    return SnmpMalformedResponse(device.name, str(indication), oid)


def _usm_data(device: Device) -> UsmUserData:
    """SNMPv3 credentials in pysnmp's form (v1/v2c never reach pysnmp)."""
    snmp = device.snmp
    assert snmp.user is not None
    auth_key = snmp.auth_password.reveal() if snmp.auth_password else None
    priv_key = snmp.priv_password.reveal() if snmp.priv_password else None
    if snmp.security_level == "noAuthNoPriv":
        return UsmUserData(snmp.user)
    if snmp.security_level == "authNoPriv":
        return UsmUserData(snmp.user, authKey=auth_key, authProtocol=_AUTH[snmp.auth_protocol or "sha"])
    return UsmUserData(
        snmp.user,
        authKey=auth_key,
        privKey=priv_key,
        authProtocol=_AUTH[snmp.auth_protocol or "sha"],
        privProtocol=_PRIV[snmp.priv_protocol or "aes128"],
    )


def _credentials(device: Device) -> tuple[object, ...]:
    snmp = device.snmp
    return (snmp.security_level, snmp.auth_protocol, snmp.auth_password, snmp.priv_protocol, snmp.priv_password)


class RequestBudget:
    """A cap on requests in flight, so that answers never arrive in bursts bigger than the
    socket can hold (the engine uses one for devices read at once, too). A request stops
    counting once it has waited `hold_s`: an unanswered one (a silent device) would otherwise
    keep its place for its whole timeout, and a few hundred silent devices during an outage
    would slow every other device's poll."""

    def __init__(self, size: int, hold_s: float = 0.5) -> None:
        self._places = asyncio.Semaphore(size)
        self.hold_s = hold_s

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        await self._places.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._places.release()

        timer = asyncio.get_running_loop().call_later(self.hold_s, release)
        try:
            yield
        finally:
            timer.cancel()
            release()


class SnmpClient:
    """The process's SNMP transports, shared by every device, with a cap on requests in flight.

    v1/v2c devices share one socket per address family and the lean codec. SNMPv3 devices
    share a pysnmp engine; pysnmp keeps one USM template per user name in an engine, so two
    devices whose user has the same name but other keys cannot share one: such a device gets
    a further engine.
    """

    def __init__(self, max_in_flight: int = 64) -> None:
        self.undecodable_datagrams = 0
        self.community = CommunityTransport(self._count_undecodable)
        """v1/v2c: one socket per address family, the lean codec (portmap/snmp/community.py)."""
        self._engines: list[SnmpEngine] = [self._new_engine()]
        self._v3_users: list[dict[str, tuple[object, ...]]] = [{}]
        self.in_flight = RequestBudget(max_in_flight)

    def _new_engine(self) -> SnmpEngine:
        engine = SnmpEngine()
        dispatcher = engine.message_dispatcher
        receive = dispatcher.receive_message

        def receive_guarded(*args: object, **kwargs: object) -> object:
            # pysnmp's parser raises TypeError, ValueError or pyasn1 errors on some malformed
            # datagrams, inside the socket callback, where asyncio would print a traceback.
            # Such a datagram is dropped and counted; the request it answered times out.
            try:
                return receive(*args, **kwargs)
            except Exception as exc:
                self.undecodable_datagrams += 1
                log.debug("dropped an undecodable SNMP datagram: %s", type(exc).__name__)
                return None

        dispatcher.receive_message = receive_guarded
        return engine

    def _count_undecodable(self) -> None:
        self.undecodable_datagrams += 1

    def engine_for(self, device: Device) -> SnmpEngine:
        """The engine for an SNMPv3 device: the first whose user of that name has the same keys."""
        user = device.snmp.user or ""
        for engine, users in zip(self._engines, self._v3_users):
            if users.setdefault(user, _credentials(device)) == _credentials(device):
                return engine
        return self.fresh_engine(device)

    def fresh_engine(self, device: Device) -> SnmpEngine:
        """A new engine, which knows nothing yet of any agent's engine id."""
        engine = self._new_engine()
        self._engines.append(engine)
        self._v3_users.append({device.snmp.user or "": _credentials(device)})
        return engine

    def session(self, device: Device, vlan: int | None = None) -> DeviceSession:
        return DeviceSession(self, device, vlan)

    def close(self) -> None:
        self.community.close()
        for engine in self._engines:
            engine.close_dispatcher()


class DeviceSession:
    """Requests to one device, one at a time, each answered by values or an SnmpError.

    With a VLAN, requests reach that VLAN's instance of the bridge MIBs on Cisco switches:
    community string indexing (`community@vlan`) for v1/v2c, context `vlan-N` for v3.
    """

    def __init__(self, client: SnmpClient, device: Device, vlan: int | None = None) -> None:
        self.client = client
        self.device = device
        self._community: bytes | None = None
        """Set for v1/v2c, which go through the lean codec; v3 goes through pysnmp."""
        self._usm: UsmUserData | None = None
        if device.snmp.version in ("1", "2c"):
            assert device.snmp.community is not None
            self._community = (device.snmp.community.reveal() + (f"@{vlan}" if vlan is not None else "")).encode()
        else:
            self._engine = client.engine_for(device)
            self._usm = _usm_data(device)
        self._context = f"vlan-{vlan}".encode() if vlan is not None else b""
        self._address: tuple[tuple[str, int], int] | None = None
        self._target: UdpTransportTarget | Udp6TransportTarget | None = None
        self._one_at_a_time = asyncio.Lock()
        self.max_repetitions = device.snmp.max_repetitions
        self.requests_sent = 0
        self.varbinds_received = 0
        self.last_answer_s = 0.0
        """Local monotonic time of the latest answer: when the agent read its values, give or
        take half a round trip, however many timeouts and retries came before."""
        self._v3_discovered = False

    async def _transport(self) -> UdpTransportTarget | Udp6TransportTarget:
        if self._target is None:
            address = (self.device.host, self.device.port)
            try:
                is_v6 = ipaddress.ip_address(self.device.host).version == 6
            except ValueError:
                is_v6 = False
            target_class = Udp6TransportTarget if is_v6 else UdpTransportTarget
            try:
                self._target = await target_class.create(
                    address, timeout=self.device.timeout_s, retries=self.device.retries
                )
            except Exception as exc:  # pysnmp raises a bare PySnmpError for a name it cannot resolve
                raise SnmpAddressError(self.device.name, f"cannot resolve host {self.device.host!r}: {exc}") from None
        return self._target

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

    async def _send(
        self, kind: str, oids: Sequence[Oid], *, repetitions: int = 0, oid_hint: str
    ) -> list[tuple[Oid, SnmpValue]]:
        """One GET, GETNEXT or GETBULK ('get', 'next', 'bulk'), answered by values or an SnmpError.

        v1/v2c go through the lean codec; v3 through pysnmp's command generators, driven
        directly with numeric OIDs (its high-level API would look every OID up in the MIBs).
        """
        if self._community is not None:
            response = await self._send_community(kind, encode_varbind_list([tuple(oid) for oid in oids]), repetitions, oid_hint)
            return self._decoded(response.varbinds, oid_hint)
        target = await self._transport()
        request = [(rfc1902.ObjectName(oid), v2c.null) for oid in oids]
        async with self._one_at_a_time, self.client.in_flight.request():
            self.requests_sent += 1
            log.debug("%s: %s from %s:%d, first OID %s", self.device.name, kind, self.device.host, self.device.port, oid_hint)
            indication, status, index, var_binds = await self._exchange(kind, target, request, repetitions)
        if isinstance(indication, errind.RequestTimedOut) and self._v3_discovered:
            # An SNMPv3 agent that answered before and now stays silent may have come back
            # with a new engine id, which pysnmp does not rediscover: try once on a fresh engine.
            self._v3_discovered = False
            self._engine = self.client.fresh_engine(self.device)
            return await self._send(kind, oids, repetitions=repetitions, oid_hint=oid_hint)
        if indication:
            raise map_error_indication(self.device, indication, oid_hint)
        self._v3_discovered = self.device.snmp.version == "3"
        if status:
            status_name = status.prettyPrint() if hasattr(status, "prettyPrint") else str(status)
            raise SnmpAgentError(self.device.name, f"error-status {status_name} at index {int(index)}", oid_hint, status_name)
        self.varbinds_received += len(var_binds)
        self.last_answer_s = time.monotonic()
        return [(tuple(name), to_python(value)) for name, value in var_binds]

    async def _send_community(self, kind: str, varbind_list: bytes, repetitions: int, oid_hint: str) -> Message:
        """A v1/v2c request through the lean codec: the response, its error-status checked."""
        assert self._community is not None
        address, family = await self._resolved()
        version = 0 if self.device.snmp.version == "1" else 1
        pdu = {"get": GET, "next": GET_NEXT, "bulk": GET_BULK}[kind]
        community = self._community

        def message(request_id: int) -> bytes:
            return encode_request(version, community, pdu, request_id, varbind_list, 0, repetitions)

        async with self._one_at_a_time, self.client.in_flight.request():
            self.requests_sent += 1
            log.debug("%s: %s from %s:%d, first OID %s", self.device.name, kind, self.device.host, self.device.port, oid_hint)
            response = await self.client.community.exchange(
                address, family, message, community, self.device.timeout_s, self.device.retries)
        if response is None:
            raise map_error_indication(self.device, errind.requestTimedOut, oid_hint)
        if response.error_status:
            name = ERROR_STATUS[response.error_status] if 0 < response.error_status < len(ERROR_STATUS) else str(response.error_status)
            raise SnmpAgentError(self.device.name, f"error-status {name} at index {response.error_index}", oid_hint, name)
        self.last_answer_s = time.monotonic()
        return response

    def _decoded(self, decode: Callable[[], list[_T]], oid_hint: str) -> list[_T]:
        """A response's variable bindings, decoded by `decode`; malformed ones are the device's error."""
        try:
            decoded = decode()
        except BerError as error:
            raise SnmpMalformedResponse(self.device.name, str(error), oid_hint) from None
        self.varbinds_received += len(decoded)
        return decoded

    def _exchange(self, kind: str, target: object, request: list[tuple[object, object]], repetitions: int):  # type: ignore[no-untyped-def]
        address_name, _ = LCD.configure(self._engine, self._usm, target, self._context)
        answer = asyncio.get_running_loop().create_future()

        def deliver(engine, handle, indication, status, index, var_binds, context):  # type: ignore[no-untyped-def]
            if not answer.done():
                answer.set_result((indication, status, index, var_binds))

        if kind == "bulk":
            cmdgen.BulkCommandGenerator().send_varbinds(self._engine, address_name, None, self._context, 0, repetitions, request, deliver)
        elif kind == "next":
            cmdgen.NextCommandGenerator().send_varbinds(self._engine, address_name, None, self._context, request, deliver)
        else:
            cmdgen.GetCommandGenerator().send_varbinds(self._engine, address_name, None, self._context, request, deliver)
        return answer

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, SnmpValue]:
        """GET the given instances; a missing one maps to an EndOfColumn value."""
        values = await self.get_values(encode_varbind_list([tuple(oid) for oid in oids]))
        return dict(zip((tuple(oid) for oid in oids), values))

    async def get_values(self, varbind_list: bytes) -> list[SnmpValue]:
        """GET the instances named in an encoded variable-bindings list (as encode_varbind_list
        makes it, or the counter poll joins it): their values, in that order.
        An answer naming any other instance is a malformed response."""
        if self._community is not None:
            hint = dotted(first_name(varbind_list))
            response = await self._send_community("get", varbind_list, 0, hint)
            return self._decoded(lambda: response.values_answering(varbind_list), hint)
        asked = [name for name, _ in decode_varbind_list(varbind_list)]
        answer = await self._send("get", asked, oid_hint=dotted(asked[0]))
        if len(answer) != len(asked):
            raise SnmpMalformedResponse(self.device.name, f"asked {len(asked)} values, got {len(answer)}", dotted(asked[0]))
        for oid, (name, _) in zip(asked, answer):
            if name != oid:
                raise SnmpMalformedResponse(self.device.name, f"answered {dotted(name)} instead", dotted(oid))
        return [value for _, value in answer]

    async def walk(self, columns: Sequence[Oid]) -> dict[Oid, dict[Oid, SnmpValue]]:
        """Walk several table columns at once; returns {column: {index: value}}.

        Stops each column where its subtree ends; rejects OIDs that do not increase and
        tables longer than MAX_ROWS_PER_COLUMN; halves max-repetitions on tooBig.
        """
        rows: dict[Oid, dict[Oid, SnmpValue]] = {column: {} for column in columns}
        if self.device.snmp.version == "1":
            for column in columns:
                await self._walk_columns([column], rows)
        else:
            await self._walk_columns(list(columns), rows)
        return rows

    async def _walk_columns(self, columns: list[Oid], rows: dict[Oid, dict[Oid, SnmpValue]]) -> None:
        cursor = {column: column for column in columns}
        active = list(columns)
        while active:
            answer = await self._next_rows(active, cursor)
            if not answer:
                raise SnmpMalformedResponse(self.device.name, "empty response to a walk", dotted(active[0]))
            finished: set[Oid] = set()
            for position, (oid, value) in enumerate(answer):
                column = active[position % len(active)]
                if column in finished:
                    continue
                if isinstance(value, EndOfColumn) or oid[: len(column)] != column:
                    finished.add(column)
                    continue
                if oid <= cursor[column]:
                    raise SnmpMalformedResponse(
                        self.device.name, f"OID {dotted(oid)} does not increase after {dotted(cursor[column])}",
                        dotted(column),
                    )
                cursor[column] = oid
                table = rows[column]
                table[oid[len(column):]] = value
                if len(table) > MAX_ROWS_PER_COLUMN:
                    raise SnmpMalformedResponse(
                        self.device.name, f"table longer than {MAX_ROWS_PER_COLUMN} rows: agent loops?", dotted(column)
                    )
            active = [column for column in active if column not in finished]

    async def _next_rows(self, active: list[Oid], cursor: dict[Oid, Oid]) -> list[tuple[Oid, SnmpValue]]:
        request = [cursor[column] for column in active]
        hint = dotted(active[0])
        if self.device.snmp.version == "1":
            try:
                return await self._send("next", request, oid_hint=hint)
            except SnmpAgentError as exc:
                if exc.status == "noSuchName":  # SNMPv1's way of saying end of MIB
                    return [(cursor[active[0]], EndOfColumn("endOfMibView"))]
                raise
        while True:
            repetitions = max(1, min(self.max_repetitions, 64 // len(active) or 1))
            try:
                return await self._send("bulk", request, repetitions=repetitions, oid_hint=hint)
            except SnmpAgentError as exc:
                if exc.status != "tooBig" or repetitions == 1:
                    raise
                self.max_repetitions = max(1, repetitions // 2)
