"""A made-up SNMPv3 agent whose misbehaviour a test chooses: it answers discovery, then GETs of
sysUpTime.0 for one authPriv user (SHA, AES-128), through portmap's own v3 codec (proven equal
to pysnmp's by test_v3.py), with its clock, digest and reports as the test says."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from enum import Enum

from portmap.snmp.ber import GET, RESPONSE, SEQUENCE, encode_oid, encode_pdu, encode_tlv
from portmap.snmp.usm import NOT_IN_TIME_WINDOW, UNKNOWN_ENGINE_ID, USM_STATS
from portmap.snmp.usm_security import UserKeys
from portmap.snmp.v3 import AUTH_FLAG, PRIV_FLAG, REPORT, Security, decode_v3, encode_v3, scoped_pdu

USER, AUTH_PASSWORD, PRIV_PASSWORD = "scripted", "scripted-auth-pass", "scripted-priv-pass"
ENGINE_ID = b"\x80\x00\x1f\x88\x04scripted"
UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)


class Behaviour(Enum):
    NORMAL = "normal"
    REBOOTED = "an authenticated notInTimeWindow report with one boot more, then answers"
    UNAUTHENTICATED_TIME = "an unauthenticated notInTimeWindow report claiming another clock"
    CLOCK_GONE_BACK = "answers authenticated but with fewer boots than before"
    WRONG_DIGEST = "answers whose digest is wrong"


@dataclass
class Clock:
    boots: int = 5
    engine_time: int = 1000


class ScriptedV3Agent(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.behaviour = Behaviour.NORMAL
        self.clock = Clock()
        self.keys = UserKeys.localized(ENGINE_ID, "sha", AUTH_PASSWORD.encode(), "aes128", PRIV_PASSWORD.encode())
        self.transport: asyncio.DatagramTransport | None = None
        self.clocks_received: list[tuple[int, int]] = []
        """The boots and time each authenticated request carried."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        answer = self._answer(data)
        if answer is not None:
            self.transport.sendto(answer, addr)

    def _security(self, user: bytes = USER.encode()) -> Security:
        return Security(ENGINE_ID, self.clock.boots, self.clock.engine_time, user)

    def _report(self, msg_id: int, counter: int, flags: int, security: Security) -> bytes:
        binds = encode_tlv(SEQUENCE, encode_tlv(SEQUENCE, encode_oid((*USM_STATS, counter, 0)) + b"\x41\x01\x01"))
        keys = self.keys if flags & AUTH_FLAG else None
        return encode_v3(msg_id, flags, security, keys, scoped_pdu(ENGINE_ID, b"", encode_pdu(REPORT, msg_id, binds)))

    def _answer(self, data: bytes) -> bytes | None:
        message = decode_v3(data)
        if message.security.engine_id != ENGINE_ID:  # discovery
            return self._report(message.msg_id, UNKNOWN_ENGINE_ID, 0, replace(self._security(), user=b""))
        request = message.open(self.keys, (GET,))
        self.clocks_received.append((message.security.boots, message.security.engine_time))
        if self.behaviour is Behaviour.REBOOTED:
            self.behaviour, self.clock = Behaviour.NORMAL, Clock(self.clock.boots + 1, 3)
            return self._report(message.msg_id, NOT_IN_TIME_WINDOW, AUTH_FLAG, self._security())
        if self.behaviour is Behaviour.UNAUTHENTICATED_TIME:
            return self._report(message.msg_id, NOT_IN_TIME_WINDOW, 0, Security(ENGINE_ID, 99, 99, USER.encode()))
        security = self._security()
        if self.behaviour is Behaviour.CLOCK_GONE_BACK:
            security = replace(security, boots=security.boots - 1)
        binds = encode_tlv(SEQUENCE, encode_tlv(SEQUENCE, encode_oid(UPTIME) + b"\x43\x02\x30\x39"))
        pdu = encode_pdu(RESPONSE, request.request_id, binds)
        answer = encode_v3(message.msg_id, AUTH_FLAG | PRIV_FLAG, security, self.keys, scoped_pdu(ENGINE_ID, b"", pdu))
        if self.behaviour is Behaviour.WRONG_DIGEST:
            at = decode_v3(answer).digest_at
            answer = answer[:at] + bytes([answer[at] ^ 0xFF]) + answer[at + 1:]
        return answer
