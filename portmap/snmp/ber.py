"""A lean BER codec for SNMP v1/v2c messages: requests out, responses in, straight from bytes.

pysnmp decodes every value into pyasn1 objects, most of a poll's CPU; a counter poll only
needs plain values. This reads a response in one pass over the bytes and builds no per-value
objects beyond the tuples and ints it returns; the answer to a GET of known names is checked
against the request's bytes, so not even its OIDs are decoded. Anything that is not a
well-formed response raises BerError (never another exception, never a hang: every length
is checked against what is left). tests/test_ber.py proves it equal to pysnmp's decoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portmap.snmp.values import EndOfColumn, SnmpValue

SEQUENCE, INTEGER, OCTET_STRING, NULL, OID = 0x30, 0x02, 0x04, 0x05, 0x06
IP_ADDRESS, COUNTER32, GAUGE32, TIME_TICKS, OPAQUE, COUNTER64 = 0x40, 0x41, 0x42, 0x43, 0x44, 0x46
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82
GET, GET_NEXT, RESPONSE, GET_BULK = 0xA0, 0xA1, 0xA2, 0xA5
_UNSIGNED = (COUNTER32, GAUGE32, TIME_TICKS, COUNTER64)
_ENDS = {NO_SUCH_OBJECT: EndOfColumn("noSuchObject"), NO_SUCH_INSTANCE: EndOfColumn("noSuchInstance"),
         END_OF_MIB_VIEW: EndOfColumn("endOfMibView")}


class BerError(ValueError):
    """Bytes that are not a well-formed SNMP v1/v2c response."""


@dataclass(frozen=True, slots=True)
class Message:
    """A message whose header is read; its variable bindings are decoded on demand, by
    `varbinds()`, or by `values_answering()` for the answer to a GET of known names."""

    version: int
    community: bytes
    pdu: int
    request_id: int
    error_status: int
    """In a GETBULK request: non-repeaters."""
    error_index: int
    """In a GETBULK request: max-repetitions."""
    data: bytes
    binds_start: int
    binds_stop: int
    """Where the contents of the variable-bindings list lie in `data`."""

    def varbinds(self) -> list[tuple[tuple[int, ...], SnmpValue]]:
        return _varbinds(self.data, self.binds_start, self.binds_stop)

    def values_answering(self, asked: bytes) -> list[SnmpValue]:
        """The values of an answer to a GET whose variable-bindings list was `asked`, as
        encode_varbind_list made it. Each name must be the one asked, in the same place:
        compared as bytes, so no OID is decoded. The poll's hot path: lengths in short form
        (every varbind of a counter poll) are read inline."""
        data, at, stop = self.data, self.binds_start, self.binds_stop
        asked_at, asked_stop = contents_of(asked, 0, len(asked), SEQUENCE)
        values: list[SnmpValue] = []
        while asked_at < asked_stop:
            if asked[asked_at + 1] < 0x80:  # ours, well-formed: only the length's form varies
                name_start, asked_at = asked_at + 2, asked_at + 2 + asked[asked_at + 1]
            else:
                name_start, asked_at = contents_of(asked, asked_at, asked_stop, SEQUENCE)
            name = asked[name_start:asked_at - 2]  # what precedes the NULL value asked
            if at + 2 > stop or data[at] != SEQUENCE:
                raise BerError(f"answered {len(values)} values, fewer than asked" if at >= stop else "a value is not a SEQUENCE")
            length = data[at + 1]
            if length < 0x80:
                bind_start, bind_stop = at + 2, at + 2 + length
                if bind_stop > stop:
                    raise BerError("element longer than its container")
            else:
                bind_start, bind_stop = contents_of(data, at, stop, SEQUENCE)
            value_at = bind_start + asked_at - 2 - name_start  # past the name
            if data[bind_start:value_at] != name:
                asked_oid = _oid(asked, *contents_of(asked, name_start, asked_at - 2, OID))
                raise BerError(f"value {len(values) + 1} is not for {'.'.join(map(str, asked_oid))}, the OID asked there")
            if value_at + 2 <= bind_stop and data[value_at + 1] < 0x80:
                tag, value_start, value_stop = data[value_at], value_at + 2, value_at + 2 + data[value_at + 1]
            else:
                tag, value_start, value_stop = tlv_at(data, value_at, bind_stop)
            if value_stop != bind_stop:
                raise BerError("bytes after a value" if value_stop < bind_stop else "element longer than its container")
            at = bind_stop
            if tag == COUNTER64 and 0 < value_stop - value_start <= 8:  # most of a counter poll's values, taken inline
                values.append(int.from_bytes(data[value_start:value_stop], "big"))
            else:
                values.append(_value(data, tag, value_start, value_stop))
        if at != stop:
            raise BerError("more values than asked")
        return values


def _length(data: bytes, at: int, end: int) -> tuple[int, int]:
    """A definite BER length at `at` -> (length, where the contents start)."""
    if at >= end:
        raise BerError("truncated length")
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count == 0 or count > 4 or at + 1 + count > end:
        raise BerError("bad length")
    return int.from_bytes(data[at + 1:at + 1 + count], "big"), at + 1 + count


def tlv_at(data: bytes, at: int, end: int) -> tuple[int, int, int]:
    """(tag, contents start, contents end) of the element at `at`, which must end by `end`."""
    if at >= end:
        raise BerError("truncated element")
    length, start = _length(data, at + 1, end)
    if start + length > end:
        raise BerError("element longer than its container")
    return data[at], start, start + length


def contents_of(data: bytes, at: int, end: int, tag: int) -> tuple[int, int]:
    found, start, stop = tlv_at(data, at, end)
    if found != tag:
        raise BerError(f"expected tag {tag:#x}, got {found:#x}")
    return start, stop


def integer_in(data: bytes, start: int, stop: int) -> int:
    if start == stop:
        raise BerError("empty integer")
    return int.from_bytes(data[start:stop], "big", signed=True)


def _oid(data: bytes, start: int, stop: int) -> tuple[int, ...]:
    if start == stop:
        raise BerError("empty OID")
    contents = data[start:stop]
    if max(contents) < 0x80:  # every arc in one byte, as in most of the OIDs a poll reads
        first = contents[0]
        head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
        return head + tuple(contents[1:])
    arcs: list[int] = []
    value = 0
    for at in range(start, stop):
        byte = data[at]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if data[stop - 1] & 0x80:
        raise BerError("OID ends inside an arc")
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return head + tuple(arcs[1:])


def _value(data: bytes, tag: int, start: int, stop: int) -> SnmpValue:
    if tag == INTEGER:
        return integer_in(data, start, stop)
    if tag in _UNSIGNED:
        if start == stop:
            raise BerError("empty number")
        value = int.from_bytes(data[start:stop], "big")
        if value >= (1 << 64 if tag == COUNTER64 else 1 << 32):
            raise BerError("number out of range")
        return value
    if tag in (OCTET_STRING, OPAQUE):
        return data[start:stop]
    if tag == OID:
        return _oid(data, start, stop)
    if tag == IP_ADDRESS:
        if stop - start != 4:
            raise BerError("IpAddress of the wrong length")
        return ".".join(str(octet) for octet in data[start:stop])
    if tag == NULL:
        if start != stop:
            raise BerError("NULL with contents")
        return None
    if tag in _ENDS:
        return _ENDS[tag]
    raise BerError(f"unknown value type {tag:#x}")


def decode_response(data: bytes) -> Message:
    return decode_message(data, (RESPONSE,))


def decode_message(data: bytes, pdus: tuple[int, ...]) -> Message:
    """The header of a v1/v2c message whose PDU is one of `pdus` (a response, or, for test
    agents, a request); its variable bindings are checked and decoded when asked for."""
    end = len(data)
    start, stop = contents_of(data, 0, end, SEQUENCE)
    if stop != end:
        raise BerError("bytes after the message")
    version_start, version_stop = contents_of(data, start, stop, INTEGER)
    version = integer_in(data, version_start, version_stop)
    community_start, community_stop = contents_of(data, version_stop, stop, OCTET_STRING)
    return decode_pdu(data, community_stop, stop, pdus, version, data[community_start:community_stop])


def decode_pdu(data: bytes, at: int, stop: int, pdus: tuple[int, ...], version: int, community: bytes) -> Message:
    """The PDU at `at`, which must end at `stop`, one of `pdus`: a v1/v2c message's, or an SNMPv3
    scoped PDU's (`community` then holds its context name)."""
    pdu, pdu_start, pdu_stop = tlv_at(data, at, stop)
    if pdu not in pdus:
        raise BerError(f"unexpected PDU type {pdu:#x}")
    if pdu_stop != stop:
        raise BerError("bytes after the PDU")
    fields = []
    at = pdu_start
    for _ in range(3):
        field_start, at = contents_of(data, at, pdu_stop, INTEGER)
        fields.append(integer_in(data, field_start, at))
    list_start, list_stop = contents_of(data, at, pdu_stop, SEQUENCE)
    if list_stop != pdu_stop:
        raise BerError("bytes after the variable bindings")
    return Message(version, community, pdu, fields[0], fields[1], fields[2], data, list_start, list_stop)


def _varbinds(data: bytes, at: int, list_stop: int) -> list[tuple[tuple[int, ...], SnmpValue]]:
    varbinds = []
    while at < list_stop:
        bind_start, bind_stop = contents_of(data, at, list_stop, SEQUENCE)
        oid_start, oid_stop = contents_of(data, bind_start, bind_stop, OID)
        tag, value_start, value_stop = tlv_at(data, oid_stop, bind_stop)
        if value_stop != bind_stop:
            raise BerError("bytes after a value")
        varbinds.append((_oid(data, oid_start, oid_stop), _value(data, tag, value_start, value_stop)))
        at = bind_stop
    return varbinds


def first_name(varbind_list: bytes) -> tuple[int, ...]:
    """The first OID of an encoded variable-bindings list, the others left undecoded."""
    start, stop = contents_of(varbind_list, 0, len(varbind_list), SEQUENCE)
    bind_start, bind_stop = contents_of(varbind_list, start, stop, SEQUENCE)
    return _oid(varbind_list, *contents_of(varbind_list, bind_start, bind_stop, OID))


def decode_varbind_list(data: bytes) -> list[tuple[tuple[int, ...], SnmpValue]]:
    """An encoded variable-bindings list (as encode_varbind_list makes) back into names and values."""
    start, stop = contents_of(data, 0, len(data), SEQUENCE)
    if stop != len(data):
        raise BerError("bytes after the variable bindings")
    return _varbinds(data, start, stop)


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tlv(tag: int, contents: bytes) -> bytes:
    return bytes([tag]) + encode_length(len(contents)) + contents


def encode_integer(value: int) -> bytes:
    return encode_tlv(INTEGER, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def encode_arcs(arcs: Sequence[int]) -> bytes:
    """Sub-identifiers in base 128: an OID's contents (oid_contents), or the tail of one."""
    if max(arcs) < 0x80:  # every arc in one byte
        return bytes(arcs)
    body = bytearray()
    for arc in arcs:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return bytes(body)


def oid_contents(oid: tuple[int, ...]) -> bytes:
    """An OID's encoding without its tag and length."""
    return encode_arcs([oid[0] * 40 + oid[1], *oid[2:]])


def encode_oid(oid: tuple[int, ...]) -> bytes:
    return encode_tlv(OID, oid_contents(oid))


def null_varbind(contents: bytes) -> bytes:
    """The varbind a request carries for the OID whose contents (oid_contents) these are: a NULL value.
    A poll joins a column's contents and an index's (encode_arcs) to name an instance."""
    if len(contents) < 0x7C:
        return bytes((SEQUENCE, len(contents) + 4, OID, len(contents))) + contents + b"\x05\x00"
    return encode_tlv(SEQUENCE, encode_tlv(OID, contents) + b"\x05\x00")


def encode_varbind(oid: tuple[int, ...]) -> bytes:
    """One name with a NULL value, as a request carries it."""
    return null_varbind(oid_contents(oid))


def encode_varbind_list(oids: list[tuple[int, ...]]) -> bytes:
    """The variable-bindings list of a request: each name with a NULL value."""
    return join_varbinds([encode_varbind(oid) for oid in oids])


def join_varbinds(varbinds: Sequence[bytes]) -> bytes:
    """A variable-bindings list of varbinds encoded one by one (encode_varbind)."""
    return encode_tlv(SEQUENCE, b"".join(varbinds))


def encode_request(version: int, community: bytes, pdu: int, request_id: int, varbind_list: bytes,
                   non_repeaters: int = 0, max_repetitions: int = 0) -> bytes:
    """A GET, GETNEXT or GETBULK message (`version` 0 for v1, 1 for v2c); the only PDUs portmap sends.
    `varbind_list` is encode_varbind_list's: a poll encodes its GETs once and sends them every cycle."""
    if pdu not in (GET, GET_NEXT, GET_BULK):
        raise ValueError("portmap sends GET, GETNEXT and GETBULK only")
    pdu_bytes = encode_pdu(pdu, request_id, varbind_list, non_repeaters, max_repetitions)
    return encode_tlv(SEQUENCE, encode_integer(version) + encode_tlv(OCTET_STRING, community) + pdu_bytes)


def encode_pdu(pdu: int, request_id: int, varbind_list: bytes, non_repeaters: int = 0, max_repetitions: int = 0,
               error_status: int = 0, error_index: int = 0) -> bytes:
    """A PDU: a request's (GETBULK's non-repeaters and max-repetitions where the others carry
    error-status and error-index), or, for test agents, a response or report."""
    second, third = (non_repeaters, max_repetitions) if pdu == GET_BULK else (error_status, error_index)
    body = encode_integer(request_id) + encode_integer(second) + encode_integer(third) + varbind_list
    return encode_tlv(pdu, body)
