"""SNMPv3 (USM) requests through pysnmp's engines, driven with numeric OIDs.

pysnmp's high-level API would look every OID up in the MIBs: its command generators are
driven directly instead. pysnmp keeps one USM template per user name in an engine, so two
devices whose user has the same name but other keys cannot share one: such a device gets a
further engine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import SnmpEngine, Udp6TransportTarget, UdpTransportTarget, UsmUserData
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind, rfc1902
from pysnmp.proto.api import v2c

from portmap.errors import SnmpAddressError, SnmpAuthError, SnmpError, SnmpMalformedResponse
from portmap.inventory.model import Device
from portmap.snmp.ber import BerError, decode_varbind_list
from portmap.snmp.oids import Oid
from portmap.snmp.transport import RequestKind, agent_error, timeout_error
from portmap.snmp.values import SnmpValue, to_python

log = logging.getLogger(__name__)

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


def map_error_indication(device: Device, indication: object, oid: str | None) -> SnmpError:
    """The one place where pysnmp's error indications become portmap errors."""
    if isinstance(indication, errind.RequestTimedOut):
        return timeout_error(device, oid)
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
    """SNMPv3 credentials in pysnmp's form."""
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


class UsmEngines:
    """The pysnmp engines SNMPv3 devices share: the first whose user of that name has the same keys."""

    def __init__(self) -> None:
        self.undecodable_datagrams = 0
        self._engines: list[SnmpEngine] = []
        self._users: list[dict[str, tuple[object, ...]]] = []

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

    def engine_for(self, device: Device) -> SnmpEngine:
        user = device.snmp.user or ""
        for engine, users in zip(self._engines, self._users):
            if users.setdefault(user, _credentials(device)) == _credentials(device):
                return engine
        return self.fresh_engine(device)

    def fresh_engine(self, device: Device) -> SnmpEngine:
        """A new engine, which knows nothing yet of any agent's engine id."""
        engine = self._new_engine()
        self._engines.append(engine)
        self._users.append({device.snmp.user or "": _credentials(device)})
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.close_dispatcher()


class UsmReply:
    """A v3 answer as pysnmp decoded it."""

    def __init__(self, var_binds: list[tuple[Oid, SnmpValue]]) -> None:
        self._varbinds = var_binds

    def varbinds(self) -> list[tuple[Oid, SnmpValue]]:
        return self._varbinds

    def values_answering(self, varbind_list: bytes) -> list[SnmpValue]:
        asked = [name for name, _ in decode_varbind_list(varbind_list)]
        if len(self._varbinds) != len(asked):
            raise BerError(f"asked {len(asked)} values, got {len(self._varbinds)}")
        for oid, (name, _) in zip(asked, self._varbinds):
            if name != oid:
                raise BerError(f"answered {'.'.join(map(str, name))} for {'.'.join(map(str, oid))}")
        return [value for _, value in self._varbinds]


class UsmDevice:
    """One SNMPv3 device's transport. With a VLAN, requests go to context `vlan-N` (the bridge
    MIBs of that VLAN on Cisco switches)."""

    def __init__(self, engines: UsmEngines, device: Device, vlan: int | None = None) -> None:
        self.engines, self.device = engines, device
        self._engine = engines.engine_for(device)
        self._usm = _usm_data(device)
        self._context = f"vlan-{vlan}".encode() if vlan is not None else b""
        self._target: UdpTransportTarget | Udp6TransportTarget | None = None
        self._discovered = False

    async def _transport(self) -> UdpTransportTarget | Udp6TransportTarget:
        if self._target is None:
            address = (self.device.host, self.device.port)
            try:
                is_v6 = ipaddress.ip_address(self.device.host).version == 6
            except ValueError:
                is_v6 = False
            target_class = Udp6TransportTarget if is_v6 else UdpTransportTarget
            try:
                self._target = await target_class.create(address, timeout=self.device.timeout_s, retries=self.device.retries)
            except Exception as exc:  # pysnmp raises a bare PySnmpError for a name it cannot resolve
                raise SnmpAddressError(self.device.name, f"cannot resolve host {self.device.host!r}: {exc}") from None
        return self._target

    async def send(self, kind: RequestKind, varbind_list: bytes, repetitions: int, oid_hint: str) -> UsmReply:
        try:
            request = [(rfc1902.ObjectName(name), v2c.null) for name, _ in decode_varbind_list(varbind_list)]
        except BerError as error:  # our own encoding: never, but never a traceback either
            raise SnmpMalformedResponse(self.device.name, f"cannot re-read the request: {error}", oid_hint) from None
        target = await self._transport()
        indication, status, index, var_binds = await self._exchange(kind, target, request, repetitions)
        if isinstance(indication, errind.RequestTimedOut) and self._discovered:
            # An SNMPv3 agent that answered before and now stays silent may have come back
            # with a new engine id, which pysnmp does not rediscover: try once on a fresh engine.
            self._discovered = False
            self._engine = self.engines.fresh_engine(self.device)
            indication, status, index, var_binds = await self._exchange(kind, target, request, repetitions)
        if indication:
            raise map_error_indication(self.device, indication, oid_hint)
        self._discovered = True
        if status:
            raise agent_error(self.device, int(status), int(index), oid_hint)
        return UsmReply([(tuple(name), to_python(value)) for name, value in var_binds])

    def _exchange(self, kind: RequestKind, target: object, request: list[tuple[object, object]], repetitions: int):  # type: ignore[no-untyped-def]
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
