"""SNMPv3 requests with the user-based security model, in the lean codec (v3.py, usm_security.py).

Each agent's engine is discovered once (an empty GET, answered by a report naming its
engine id, boots and time) and kept for every session to it; the user's keys are localized
to it once. An agent's clock is followed from its authenticated messages (RFC 3414 3.2.7):
one that says we are out of its time window (it rebooted: more boots) is believed when its
report is authenticated, and the request sent again; one whose engine id changed is
discovered again. Reports that end a request become portmap's errors here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from portmap.errors import SnmpAuthError, SnmpError, SnmpMalformedResponse, SnmpTimeout
from portmap.inventory.model import Device
from portmap.snmp.ber import GET, GET_BULK, GET_NEXT, RESPONSE, BerError, Message, encode_pdu
from portmap.snmp.datagrams import AgentAddress, RequestSocket
from portmap.snmp.transport import RequestKind, agent_error, timeout_error
from portmap.snmp.usm_security import UserKeys, UsmError
from portmap.snmp.v3 import AUTH_FLAG, PRIV_FLAG, REPORT, REPORTABLE_FLAG, Security, V3Message, decode_v3, encode_v3, scoped_pdu

log = logging.getLogger(__name__)

_PDU = {"get": GET, "next": GET_NEXT, "bulk": GET_BULK}
_FLAGS = {"noAuthNoPriv": 0, "authNoPriv": AUTH_FLAG, "authPriv": AUTH_FLAG | PRIV_FLAG}
EMPTY_LIST = b"\x30\x00"
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
"""usmStats: the counters a report names, by the last arc before the instance's .0."""
UNSUPPORTED_SEC_LEVEL, NOT_IN_TIME_WINDOW, UNKNOWN_USER, UNKNOWN_ENGINE_ID, WRONG_DIGEST, DECRYPTION_ERROR = 1, 2, 3, 4, 5, 6
TIME_WINDOW_S = 150
"""RFC 3414 3.2.7: a message more than this older than the agent's clock as we follow it is a replay."""
MAX_BOOTS = 2**31 - 1
ANSWERED_LATELY_S = 15.0
"""An agent that answered this recently and then not: it is up, and the request was the trouble."""


def read_v3_header(data: bytes) -> tuple[int, bytes, V3Message]:
    """An SNMPv3 message matched by its msgID alone (RequestSocket's read_header): the keys that
    prove it the agent's are the requester's."""
    message = decode_v3(data)
    return message.msg_id, b"", message


@dataclass
class AgentClock:
    """An agent's engine as we follow it: its id, boots and time when last heard of."""

    engine_id: bytes
    boots: int
    engine_time: int
    heard_s: float
    """Local monotonic time of the latest message that set boots and time."""
    answered_s: float = 0.0
    """Local monotonic time of the agent's latest answer that passed its checks, any user's."""

    def now(self) -> tuple[int, int]:
        """(boots, time) the agent's clock shows now, as far as we know."""
        return self.boots, self.engine_time + int(time.monotonic() - self.heard_s)

    def heard(self, security: Security) -> bool:
        """An authenticated message's clock: followed when it is newer than ours; False when it is
        outside the time window (a replay, or a clock gone back)."""
        boots, estimate = self.now()
        if security.boots == MAX_BOOTS or security.boots < boots or (
                security.boots == boots and security.engine_time < estimate - TIME_WINDOW_S):
            return False
        self.answered_s = time.monotonic()
        if security.boots > boots or security.engine_time > estimate:
            self.set(security)
        return True

    def set(self, security: Security) -> None:
        self.boots, self.engine_time, self.heard_s = security.boots, security.engine_time, time.monotonic()


class UsmAgents:
    """The SNMPv3 socket every device shares, and each agent's engine once discovered."""

    def __init__(self, on_undecodable: Callable[[], None]) -> None:
        self.socket: RequestSocket[V3Message] = RequestSocket(read_v3_header, on_undecodable)
        self.clocks: dict[tuple[str, int], AgentClock] = {}

    def close(self) -> None:
        self.socket.close()


class UsmDevice:
    """One SNMPv3 device's transport. With a VLAN, requests go to context `vlan-N` (the bridge
    MIBs of that VLAN on Cisco switches)."""

    def __init__(self, agents: UsmAgents, device: Device, vlan: int | None = None) -> None:
        assert device.snmp.user is not None
        self.agents, self.device = agents, device
        self._user = device.snmp.user.encode()
        self._flags = _FLAGS[device.snmp.security_level]
        self._context = f"vlan-{vlan}".encode() if vlan is not None else b""
        self._address = AgentAddress(device)
        self._keys: tuple[bytes, UserKeys] | None = None
        """The user's keys and the engine id they are localized to."""

    async def send(self, kind: RequestKind, varbind_list: bytes, repetitions: int, oid_hint: str) -> Message:
        address, _ = await self._address.resolved()
        resynced = rediscovered = False
        while True:
            clock = self.agents.clocks.get(address)
            if clock is None:
                clock, rediscovered = await self._discover(oid_hint), True
            pdu = _PDU[kind]
            reply = await self._exchange(self._flags | REPORTABLE_FLAG, clock, self._localized(clock.engine_id),
                                         lambda msg_id: encode_pdu(pdu, msg_id, varbind_list, 0, repetitions), oid_hint)
            if reply is None:  # an agent back with a new engine id may ignore the old one: discover it again next time
                self.agents.clocks.pop(address, None)
                raise self._timeout(oid_hint, time.monotonic() - clock.answered_s)
            message, answer = reply
            if answer.pdu == RESPONSE:
                if message.flags & (AUTH_FLAG | PRIV_FLAG) != self._flags or answer.request_id != message.msg_id:
                    raise SnmpMalformedResponse(self.device.name, "a response not at the security level asked", oid_hint)
                if message.flags & AUTH_FLAG and not clock.heard(message.security):
                    raise SnmpAuthError(self.device.name, "an answer outside the agent's time window (a replay?)", oid_hint)
                if answer.error_status:
                    raise agent_error(self.device, answer.error_status, answer.error_index, oid_hint)
                return answer
            report = _report_kind(answer)
            if report == NOT_IN_TIME_WINDOW and message.flags & AUTH_FLAG and not resynced:
                resynced = True  # its clock, authenticated and answering this very request: believed, even gone back
                clock.set(message.security)
                continue
            if not rediscovered:  # an agent back with a new engine id: some say so, others no longer know the user
                self.agents.clocks.pop(address, None)
                continue
            raise self._report_error(report, oid_hint)

    def _timeout(self, oid_hint: str, answered_ago_s: float) -> SnmpTimeout:
        """A request that went unanswered; where the agent has just answered (discovery, or
        another request), the likely reasons: net-snmp drops a request it cannot decrypt
        without a word."""
        error = timeout_error(self.device, oid_hint)
        if answered_ago_s < ANSWERED_LATELY_S:
            error = SnmpTimeout(self.device.name, f"{error.detail}; yet it answered {answered_ago_s:.0f} s before: "
                                                  f"a wrong priv password or protocol, or an answer too big for the agent", oid_hint)
        return error

    def _localized(self, engine_id: bytes) -> UserKeys:
        if self._keys is None or self._keys[0] != engine_id:
            snmp = self.device.snmp
            auth = snmp.auth_password.reveal().encode() if snmp.auth_password and self._flags & AUTH_FLAG else None
            priv = snmp.priv_password.reveal().encode() if snmp.priv_password and self._flags & PRIV_FLAG else None
            self._keys = engine_id, UserKeys.localized(engine_id, snmp.auth_protocol or "sha", auth, snmp.priv_protocol or "aes128", priv)
        return self._keys[1]

    async def _discover(self, oid_hint: str) -> AgentClock:
        """The agent's engine id, boots and time, from the report that answers an unauthenticated empty GET."""
        address, _ = await self._address.resolved()
        unknown = AgentClock(b"", 0, 0, time.monotonic())
        reply = await self._exchange(REPORTABLE_FLAG, unknown, UserKeys(None), lambda msg_id: encode_pdu(GET, msg_id, EMPTY_LIST),
                                     oid_hint)
        if reply is None:
            raise timeout_error(self.device, oid_hint)
        security = reply[0].security
        if not security.engine_id:
            raise SnmpAuthError(self.device.name, "SNMPv3 engine discovery failed: no engine id in the answer", oid_hint)
        clock = AgentClock(security.engine_id, security.boots, security.engine_time, time.monotonic(), time.monotonic())
        self.agents.clocks[address] = clock
        return clock

    async def _exchange(self, flags: int, clock: AgentClock, keys: UserKeys,
                        pdu: Callable[[int], bytes], oid_hint: str) -> tuple[V3Message, Message] | None:
        """One request and its reply: (the message, its PDU opened), or None when none came."""
        address, family = await self._address.resolved()
        user = self._user if clock.engine_id else b""
        context = self._context if clock.engine_id else b""

        def message(msg_id: int) -> bytes:
            boots, engine_time = clock.now()
            security = Security(clock.engine_id, boots, engine_time, user)
            return encode_v3(msg_id, flags, security, keys, scoped_pdu(clock.engine_id, context, pdu(msg_id)))

        reply = await self.agents.socket.exchange(address, family, message, b"", self.device.timeout_s, self.device.retries)
        if reply is None:
            return None
        try:
            if reply.flags & AUTH_FLAG and (reply.security.user != user or reply.security.engine_id != clock.engine_id):
                raise UsmError("an authenticated answer for another user or engine")
            answer = reply.open(keys, (RESPONSE, REPORT))
        except UsmError as error:
            raise SnmpAuthError(self.device.name, _usm_failure(str(error)), oid_hint) from None
        except BerError as error:
            raise SnmpMalformedResponse(self.device.name, f"unreadable SNMPv3 answer: {error}", oid_hint) from None
        return reply, answer

    def _report_error(self, report: int | None, oid_hint: str) -> SnmpError:
        name = self.device.name
        if report == UNKNOWN_USER:
            return SnmpAuthError(name, f"unknown SNMPv3 user {self.device.snmp.user!r}", oid_hint)
        if report == WRONG_DIGEST:
            return SnmpAuthError(name, "wrong auth password or protocol (digest mismatch)", oid_hint)
        if report == DECRYPTION_ERROR:
            return SnmpAuthError(name, "wrong priv password or protocol (cannot decrypt)", oid_hint)
        if report == UNSUPPORTED_SEC_LEVEL:
            return SnmpAuthError(name, f"agent refuses security level {self.device.snmp.security_level}", oid_hint)
        if report in (NOT_IN_TIME_WINDOW, UNKNOWN_ENGINE_ID):
            return SnmpAuthError(name, "SNMPv3 engine discovery failed: the agent keeps refusing its engine's "
                                       f"{'time' if report == NOT_IN_TIME_WINDOW else 'id'}", oid_hint)
        return SnmpMalformedResponse(name, "the agent reported an error it does not name", oid_hint)


def _report_kind(report: Message) -> int | None:
    """Which usmStats counter a report names (None for any other report)."""
    try:
        binds = report.varbinds()
    except BerError:
        return None
    if not binds:
        return None
    name = binds[0][0]
    return name[len(USM_STATS)] if name[:len(USM_STATS)] == USM_STATS and len(name) > len(USM_STATS) else None


def _usm_failure(error: str) -> str:
    if "digest" in error:
        return "wrong auth password or protocol (the answer's digest does not match)"
    return "wrong priv password or protocol (cannot decrypt the answer)"
