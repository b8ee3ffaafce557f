"""The lean BER codec against pysnmp's: responses pysnmp encodes decode to the same values both
ways (whole, or as the values answering a GET of known names); requests it encodes are what
pysnmp reads; malformed bytes raise BerError, never anything else."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902, rfc1905

from portmap.snmp.ber import (
    GET, GET_BULK, GET_NEXT, BerError, decode_response, decode_varbind_list, encode_arcs, encode_request, encode_varbind_list,
    first_name, join_varbinds, null_varbind, oid_contents,
)
from portmap.snmp.values import EndOfColumn, SnmpValue

_END_KINDS = {
    rfc1905.NoSuchObject.tagSet: "noSuchObject",
    rfc1905.NoSuchInstance.tagSet: "noSuchInstance",
    rfc1905.EndOfMibView.tagSet: "endOfMibView",
}


def to_python(value: object) -> SnmpValue:
    """A pysnmp value as the lean codec reads it: int, bytes, dotted IP str, OID tuple, None or EndOfColumn."""
    tag_set = getattr(value, "tagSet", None)
    if tag_set in _END_KINDS:
        return EndOfColumn(_END_KINDS[tag_set])
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(octet) for octet in value.asOctets())
    if isinstance(value, univ.Null):  # before OctetString: pyasn1's Null is one
        return None
    if isinstance(value, univ.OctetString):
        return value.asOctets()
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    if isinstance(value, univ.Integer):
        return int(value)
    return EndOfColumn(f"unsupported type {type(value).__name__}")


V1, V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_1], api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

oids = st.builds(
    lambda first, second, rest: (first, second, *rest),
    st.integers(0, 2), st.integers(0, 39), st.lists(st.integers(0, 2**32 - 1), max_size=20),
)
values = st.one_of(
    st.integers(-2**31, 2**31 - 1).map(rfc1902.Integer32),
    st.binary(max_size=300).map(rfc1902.OctetString),
    st.integers(0, 2**32 - 1).map(rfc1902.Counter32),
    st.integers(0, 2**32 - 1).map(rfc1902.Gauge32),
    st.integers(0, 2**32 - 1).map(rfc1902.TimeTicks),
    st.integers(0, 2**64 - 1).map(rfc1902.Counter64),
    st.binary(min_size=4, max_size=4).map(rfc1902.IpAddress),
    oids.map(rfc1902.ObjectName),
    st.just(rfc1905.noSuchObject), st.just(rfc1905.noSuchInstance), st.just(rfc1905.endOfMibView),
    st.just(rfc1902.Null("")),
)


def pysnmp_response(community: bytes, request_id: int, status: int, index: int, binds: list) -> bytes:
    pdu = V2C.GetResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_error_status(pdu, status)
    V2C.apiPDU.set_error_index(pdu, index)
    V2C.apiPDU.set_varbinds(pdu, binds)
    message = V2C.Message()
    V2C.apiMessage.set_defaults(message)
    V2C.apiMessage.set_community(message, community)
    V2C.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


@settings(max_examples=400, deadline=None)
@given(community=st.binary(max_size=40), request_id=st.integers(-2**31, 2**31 - 1), status=st.integers(0, 18),
       index=st.integers(0, 100), binds=st.lists(st.tuples(oids, values), max_size=30))
def test_responses_decode_as_pysnmp_decodes_them(community, request_id, status, index, binds):
    data = pysnmp_response(community, request_id, status, index, binds)
    theirs, _ = decoder.decode(data, asn1Spec=V2C.Message())
    their_pdu = V2C.apiMessage.get_pdu(theirs)
    ours = decode_response(data)
    assert ours.community == bytes(V2C.apiMessage.get_community(theirs))
    assert (ours.request_id, ours.error_status, ours.error_index) == (int(their_pdu[0]), int(their_pdu[1]), int(their_pdu[2]))
    assert ours.varbinds() == [(tuple(name), to_python(value)) for name, value in V2C.apiPDU.get_varbinds(their_pdu)]
    names = [name for name, _ in binds]
    assert ours.values_answering(encode_varbind_list(names)) == [to_python(value) for _, value in binds]


@settings(max_examples=300, deadline=None)
@given(binds=st.lists(st.tuples(oids, values), min_size=1, max_size=20), other=oids, at=st.integers(0, 19),
       drop=st.booleans())
def test_an_answer_to_other_names_or_another_count_is_refused(binds, other, at, drop):
    names = [name for name, _ in binds]
    asked = list(names)
    if drop:
        asked.pop(at % len(asked))
    elif other != names[at % len(names)]:
        asked[at % len(asked)] = other
    else:
        asked.append(other)
    response = decode_response(pysnmp_response(b"public", 1, 0, 0, binds))
    try:
        response.values_answering(encode_varbind_list(asked))
    except BerError:
        pass
    else:
        raise AssertionError("values accepted for names that were not asked")


@settings(max_examples=100, deadline=None)
@given(names=st.lists(oids, min_size=1, max_size=20))
def test_an_encoded_varbind_list_reads_back_as_its_names(names):
    assert decode_varbind_list(encode_varbind_list(names)) == [(name, None) for name in names]
    assert first_name(encode_varbind_list(names)) == names[0]


@settings(max_examples=200, deadline=None)
@given(column=oids, index=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=30))
def test_a_column_and_an_index_encoded_apart_name_the_instance(column, index):
    """The counter poll encodes each instance from its column's encoding and its index's, every poll."""
    varbind_list = join_varbinds([null_varbind(oid_contents(column) + encode_arcs(index))])
    assert decode_varbind_list(varbind_list) == [((*column, *index), None)]
    message, _ = decoder.decode(encode_request(1, b"public", GET, 1, varbind_list), asn1Spec=V2C.Message())
    assert [tuple(name) for name, _ in V2C.apiPDU.get_varbinds(V2C.apiMessage.get_pdu(message))] == [(*column, *index)]


@settings(max_examples=200, deadline=None)
@given(version=st.sampled_from([0, 1]), community=st.binary(max_size=40), request_id=st.integers(0, 2**31 - 1),
       pdu=st.sampled_from([GET, GET_NEXT, GET_BULK]), names=st.lists(oids, min_size=1, max_size=20),
       repetitions=st.integers(0, 100))
def test_requests_are_what_pysnmp_reads(version, community, request_id, pdu, names, repetitions):
    if version == 0 and pdu == GET_BULK:
        return  # v1 has no GETBULK; portmap walks v1 agents with GETNEXT
    data = encode_request(version, community, pdu, request_id, encode_varbind_list(names), 0, repetitions)
    module = V1 if version == 0 else V2C
    message, rest = decoder.decode(data, asn1Spec=module.Message())
    assert rest == b""
    request = module.apiMessage.get_pdu(message)
    assert bytes(module.apiMessage.get_community(message)) == community
    assert int(module.apiPDU.get_request_id(request)) == request_id
    assert [tuple(name) for name, _ in module.apiPDU.get_varbinds(request)] == names
    assert request.tagSet.superTags[-1].tagId == pdu & 0x1F
    if pdu == GET_BULK:
        assert int(V2C.apiBulkPDU.get_max_repetitions(request)) == repetitions


@settings(max_examples=3000, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_raise_only_ber_error(data):
    try:
        decode_response(data).varbinds()
    except BerError:
        pass


@settings(max_examples=1500, deadline=None)
@given(binds=st.lists(st.tuples(oids, values), max_size=10), cut=st.integers(0, 10_000), flip=st.integers(0, 10_000),
       bit=st.integers(0, 7))
def test_truncated_or_mutated_responses_raise_only_ber_error(binds, cut, flip, bit):
    data = bytearray(pysnmp_response(b"public", 7, 0, 0, binds))
    data[flip % len(data)] ^= 1 << bit
    asked = encode_varbind_list([name for name, _ in binds])
    started = time.monotonic()
    for candidate in (bytes(data), bytes(data[: cut % len(data)])):
        for read in ("varbinds", "values_answering"):
            try:
                response = decode_response(candidate)
                response.varbinds() if read == "varbinds" else response.values_answering(asked)
            except BerError:
                pass
    assert time.monotonic() - started < 0.5


def test_a_huge_declared_length_is_refused_at_once():
    try:
        decode_response(b"\x30\x84\x7f\xff\xff\xff" + b"\x00" * 10)
    except BerError as error:
        assert "longer" in str(error) or "length" in str(error)
    else:
        raise AssertionError("accepted")
