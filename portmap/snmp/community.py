"""SNMP v1/v2c requests, read with the lean codec (portmap/snmp/ber.py).

v1/v2c messages need no security processing: a request is encoded from bytes already made,
matched to its response on the shared socket (datagrams.py) by request-id, community and the
address it was sent to, and the response decoded from bytes. SNMPv3 goes through usm.py.
Malformed variable bindings are found by the requester, which decodes them.
"""

from __future__ import annotations

from portmap.inventory.model import Device
from portmap.snmp.ber import GET, GET_BULK, GET_NEXT, Message, decode_response, encode_request
from portmap.snmp.datagrams import AgentAddress, RequestSocket
from portmap.snmp.transport import RequestKind, agent_error, timeout_error

_PDU = {"get": GET, "next": GET_NEXT, "bulk": GET_BULK}


def read_community_header(data: bytes) -> tuple[int, bytes, Message]:
    """A v1/v2c response matched by its request-id and community (RequestSocket's read_header)."""
    response = decode_response(data)
    return response.request_id, response.community, response


class CommunityDevice:
    """One v1/v2c device's transport. With a VLAN, requests reach that VLAN's bridge MIBs on
    Cisco switches by community string indexing (`community@vlan`)."""

    def __init__(self, sockets: RequestSocket[Message], device: Device, vlan: int | None = None) -> None:
        assert device.snmp.community is not None
        self.sockets, self.device = sockets, device
        self._community = (device.snmp.community.reveal() + (f"@{vlan}" if vlan is not None else "")).encode()
        self._version = 0 if device.snmp.version == "1" else 1
        self._address = AgentAddress(device)

    async def send(self, kind: RequestKind, varbind_list: bytes, repetitions: int, oid_hint: str) -> Message:
        address, family = await self._address.resolved()
        version, community, pdu = self._version, self._community, _PDU[kind]

        def message(request_id: int) -> bytes:
            return encode_request(version, community, pdu, request_id, varbind_list, 0, repetitions)

        response = await self.sockets.exchange(address, family, message, community, self.device.timeout_s, self.device.retries)
        if response is None:
            raise timeout_error(self.device, oid_hint)
        if response.error_status:
            raise agent_error(self.device, response.error_status, response.error_index, oid_hint)
        return response
