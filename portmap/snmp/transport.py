"""What a device's transport does, whichever security model carries it: send one request
(an encoded variable-bindings list) and return the agent's reply, or raise an SnmpError.

Two implementations: community.py (v1/v2c, the lean codec on a shared socket) and usm.py
(SNMPv3, user-based security over v3.py). DeviceSession (session.py) drives either one, one request at a time.
"""

from __future__ import annotations

from typing import Literal, Protocol

from portmap.errors import SnmpAgentError, SnmpTimeout
from portmap.inventory.model import Device
from portmap.snmp.oids import Oid
from portmap.snmp.values import SnmpValue

RequestKind = Literal["get", "next", "bulk"]

ERROR_STATUS = (
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType", "wrongLength",
    "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue", "resourceUnavailable", "commitFailed",
    "undoFailed", "authorizationError", "notWritable", "inconsistentName",
)
"""RFC 3416 error-status names, by number."""


class Reply(Protocol):
    """An answer whose error-status was noError; its variable bindings decoded when asked
    (malformed ones raise ber.BerError)."""

    def varbinds(self) -> list[tuple[Oid, SnmpValue]]: ...

    def values_answering(self, varbind_list: bytes) -> list[SnmpValue]:
        """The values, checked to name exactly the instances of the request's list, in order."""
        ...


class Transport(Protocol):
    async def send(self, kind: RequestKind, varbind_list: bytes, repetitions: int, oid_hint: str) -> Reply: ...


def timeout_error(device: Device, oid: str | None) -> SnmpTimeout:
    tries = device.retries + 1
    waited = device.timeout_s * tries
    hint = ", or the community is wrong" if device.snmp.version != "3" else ""
    return SnmpTimeout(device.name, f"no response from {device.address} in {waited:g}s "
                                    f"({tries} {'try' if tries == 1 else 'tries'}): agent down or unreachable{hint}", oid)


def agent_error(device: Device, status: int, index: int, oid: str | None) -> SnmpAgentError:
    name = ERROR_STATUS[status] if 0 < status < len(ERROR_STATUS) else str(status)
    return SnmpAgentError(device.name, f"error-status {name} at index {index}", oid, name)
