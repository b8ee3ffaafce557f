"""The lean SNMPv3 codec (portmap/snmp/v3.py, usm_security.py) against pysnmp's: the keys it
localizes are pysnmp's; messages pysnmp digests and encrypts open to the same values; messages
it makes are what pysnmp's decoder, digest check and decryption read; malformed bytes raise
BerError, never anything else."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.entity import config
from pysnmp.proto import api
from pysnmp.proto.mpmod.rfc3412 import ScopedPDU, SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import SnmpUSMSecurityModel, UsmSecurityParameters

from portmap.errors import SnmpAuthError, SnmpError
from portmap.inventory.model import Device, Secret, SnmpSettings
from portmap.snmp.ber import GET, GET_BULK, RESPONSE, BerError, encode_pdu, encode_varbind_list
from portmap.snmp.session import SnmpClient
from portmap.snmp.usm_security import UserKeys
from portmap.snmp.v3 import AUTH_FLAG, PRIV_FLAG, REPORTABLE_FLAG, Security, decode_v3, encode_v3, scoped_pdu
from tests.test_ber import oids, to_python, values
from tests.v3_agent import AUTH_PASSWORD, ENGINE_ID, PRIV_PASSWORD, UPTIME, USER, Behaviour, ScriptedV3Agent

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
AUTH = {"md5": config.USM_AUTH_HMAC96_MD5, "sha": config.USM_AUTH_HMAC96_SHA, "sha224": config.USM_AUTH_HMAC128_SHA224,
        "sha256": config.USM_AUTH_HMAC192_SHA256, "sha384": config.USM_AUTH_HMAC256_SHA384,
        "sha512": config.USM_AUTH_HMAC384_SHA512}
PRIV = {"des": config.USM_PRIV_CBC56_DES, "aes128": config.USM_PRIV_CFB128_AES, "aes192": config.USM_PRIV_CFB192_AES,
        "aes256": config.USM_PRIV_CFB256_AES}
"""What portmap asked pysnmp for by these names before it had its own codec."""

levels = st.one_of(
    st.just((None, None)),
    st.tuples(st.sampled_from(sorted(AUTH)), st.none()),
    st.tuples(st.sampled_from(sorted(AUTH)), st.sampled_from(sorted(PRIV))),
)
passwords = st.binary(min_size=8, max_size=24)
engine_ids = st.binary(min_size=5, max_size=32)


def pysnmp_keys(auth: str, priv: str | None, auth_password: bytes, priv_password: bytes, engine_id: bytes) -> tuple[bytes, bytes]:
    auth_service = SnmpUSMSecurityModel.AUTH_SERVICES[AUTH[auth]]
    auth_key = auth_service.localize_key(auth_service.hash_passphrase(auth_password), univ.OctetString(engine_id))
    if priv is None:
        return bytes(auth_key), b""
    priv_service = SnmpUSMSecurityModel.PRIV_SERVICES[PRIV[priv]]
    priv_key = priv_service.localize_key(AUTH[auth], priv_service.hash_passphrase(AUTH[auth], priv_password),
                                         univ.OctetString(engine_id))
    return bytes(auth_key), bytes(priv_key)


def flags_of(auth: str | None, priv: str | None) -> int:
    return (AUTH_FLAG if auth else 0) | (PRIV_FLAG if priv else 0)


def pysnmp_response(security: Security, flags: int, auth: str | None, priv: str | None, keys: tuple[bytes, bytes],
                    msg_id: int, request_id: int, binds: list) -> bytes:
    """A response as pysnmp's own services encode, encrypt and digest it."""
    pdu = V2C.GetResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_varbinds(pdu, binds)
    scoped = ScopedPDU()
    scoped["contextEngineId"] = security.engine_id
    scoped["contextName"] = b"ctx"
    scoped["data"]["response"] = pdu
    params = UsmSecurityParameters()
    params["msgAuthoritativeEngineId"] = security.engine_id
    params["msgAuthoritativeEngineBoots"] = security.boots
    params["msgAuthoritativeEngineTime"] = security.engine_time
    params["msgUserName"] = security.user
    params["msgAuthenticationParameters"] = b""
    params["msgPrivacyParameters"] = b""
    message = SNMPv3Message()
    message["msgVersion"] = 3
    message["msgGlobalData"]["msgID"] = msg_id
    message["msgGlobalData"]["msgMaxSize"] = 65507
    message["msgGlobalData"]["msgFlags"] = bytes([flags])
    message["msgGlobalData"]["msgSecurityModel"] = 3
    if priv:
        encrypted, salt = SnmpUSMSecurityModel.PRIV_SERVICES[PRIV[priv]].encrypt_data(
            univ.OctetString(keys[1]), (security.boots, security.engine_time, None), encoder.encode(scoped))
        params["msgPrivacyParameters"] = salt
        message["msgData"]["encryptedPDU"] = encrypted
    else:
        message["msgData"]["plaintext"] = scoped
    if not auth:
        message["msgSecurityParameters"] = encoder.encode(params)
        return encoder.encode(message)
    service = SnmpUSMSecurityModel.AUTH_SERVICES[AUTH[auth]]
    params["msgAuthenticationParameters"] = b"\x00" * service.digest_length
    message["msgSecurityParameters"] = encoder.encode(params)
    return bytes(service.authenticate_outgoing_message(univ.OctetString(keys[0]), encoder.encode(message)))


@settings(max_examples=60, deadline=None)
@given(levels, passwords, passwords, engine_ids, st.integers(0, 2**31 - 2), st.integers(0, 2**31 - 1),
       st.binary(min_size=1, max_size=32), st.integers(0, 2**31 - 1), st.lists(st.tuples(oids, values), max_size=8))
def test_responses_pysnmp_digests_and_encrypts_open_to_its_values(level, auth_password, priv_password, engine_id, boots,
                                                                  engine_time, user, msg_id, binds):
    auth, priv = level
    security = Security(engine_id, boots, engine_time, user)
    theirs = pysnmp_keys(auth, priv, auth_password, priv_password, engine_id) if auth else (b"", b"")
    ours = UserKeys.localized(engine_id, auth, auth_password if auth else None, priv, priv_password if priv else None)
    assert (ours.auth_key, ours.priv_key) == theirs
    flags = flags_of(auth, priv)
    data = pysnmp_response(security, flags, auth, priv, theirs, msg_id, msg_id ^ 1, binds)
    message = decode_v3(data)
    assert (message.msg_id, message.flags, message.security) == (msg_id, flags, security)
    response = message.open(ours, (RESPONSE,))
    assert (response.request_id, response.community) == (msg_id ^ 1, b"ctx")
    assert response.varbinds() == [(tuple(oid), to_python(value)) for oid, value in binds]


@settings(max_examples=60, deadline=None)
@given(levels, passwords, passwords, engine_ids, st.integers(0, 2**31 - 2), st.integers(0, 2**31 - 1),
       st.binary(max_size=32), st.integers(0, 2**31 - 1), st.lists(oids, min_size=1, max_size=8), st.booleans())
def test_requests_it_makes_are_what_pysnmp_reads(level, auth_password, priv_password, engine_id, boots, engine_time, user,
                                                 msg_id, names, bulk):
    auth, priv = level
    keys = UserKeys.localized(engine_id, auth, auth_password if auth else None, priv, priv_password if priv else None)
    flags = flags_of(auth, priv) | REPORTABLE_FLAG
    pdu = encode_pdu(GET_BULK if bulk else GET, msg_id, encode_varbind_list(names), 0, 10)
    data = encode_v3(msg_id, flags, Security(engine_id, boots, engine_time, user), keys, scoped_pdu(engine_id, b"vlan-5", pdu))

    message, rest = decoder.decode(data, asn1Spec=SNMPv3Message())
    assert not rest
    assert (int(message["msgGlobalData"]["msgID"]), bytes(message["msgGlobalData"]["msgFlags"])) == (msg_id, bytes([flags]))
    params, _ = decoder.decode(bytes(message["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    assert bytes(params["msgAuthoritativeEngineId"]) == engine_id and bytes(params["msgUserName"]) == user
    assert (int(params["msgAuthoritativeEngineBoots"]), int(params["msgAuthoritativeEngineTime"])) == (boots, engine_time)
    if auth:
        service = SnmpUSMSecurityModel.AUTH_SERVICES[AUTH[auth]]
        service.authenticate_incoming_message(univ.OctetString(keys.auth_key), params["msgAuthenticationParameters"], data)
    if priv:
        plaintext = SnmpUSMSecurityModel.PRIV_SERVICES[PRIV[priv]].decrypt_data(
            univ.OctetString(keys.priv_key), (boots, engine_time, params["msgPrivacyParameters"]),
            message["msgData"]["encryptedPDU"])
        scoped, _ = decoder.decode(plaintext, asn1Spec=ScopedPDU())
    else:
        scoped = message["msgData"]["plaintext"]
    assert bytes(scoped["contextName"]) == b"vlan-5" and bytes(scoped["contextEngineId"]) == engine_id
    request = scoped["data"].getComponent()
    assert int(request["request-id"]) == msg_id
    assert [tuple(name) for name, _ in V2C.apiPDU.get_varbinds(request)] == [tuple(oid) for oid in names]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.data())
def test_malformed_messages_raise_ber_error_only(prefix, data):
    keys = UserKeys.localized(b"\x80\x00\x1f\x88\x04test", "sha", b"authpass-x", "aes128", b"privpass-x")
    good = encode_v3(7, AUTH_FLAG | PRIV_FLAG, Security(b"\x80\x00\x1f\x88\x04test", 3, 100, b"u"), keys,
                     scoped_pdu(b"", b"", encode_pdu(GET, 7, encode_varbind_list([(1, 3, 6, 1)]))))
    cut = data.draw(st.integers(0, len(good)))
    flip = data.draw(st.integers(0, len(good) - 1))
    for mangled in (prefix, good[:cut], good[:flip] + bytes([good[flip] ^ 0x5A]) + good[flip + 1:]):
        try:
            decode_v3(mangled).open(keys, (GET,))
        except (BerError, ValueError):
            pass  # UsmError is a ValueError: a digest that fails


async def test_an_agents_clock_is_followed_only_when_it_proves_it():
    """Against a made-up agent (tests/v3_agent.py): a reboot told in an authenticated report is
    followed; a time report anyone could forge, a clock gone back and a wrong digest are errors
    that name what happened, and leave the clock as it was."""
    loop = asyncio.get_running_loop()
    agent = ScriptedV3Agent()
    transport, _ = await loop.create_datagram_endpoint(lambda: agent, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    snmp = SnmpSettings("3", user=USER, security_level="authPriv", auth_protocol="sha", auth_password=Secret(AUTH_PASSWORD),
                        priv_protocol="aes128", priv_password=Secret(PRIV_PASSWORD))
    client = SnmpClient()
    session = client.session(Device("scripted", "127.0.0.1", port, frozenset({"switch"}), snmp, 0.5, 0))
    outcomes = {}
    try:
        assert await session.get([UPTIME]) == {UPTIME: 12345}
        (clock,) = client.usm.clocks.values()
        assert (clock.engine_id, clock.boots) == (ENGINE_ID, 5)
        for behaviour in (Behaviour.UNAUTHENTICATED_TIME, Behaviour.CLOCK_GONE_BACK, Behaviour.WRONG_DIGEST,
                          Behaviour.REBOOTED):
            agent.behaviour = behaviour
            try:
                outcomes[behaviour] = await session.get([UPTIME])
            except SnmpError as error:
                outcomes[behaviour] = error
            agent.behaviour = Behaviour.NORMAL
            if behaviour is not Behaviour.REBOOTED:
                assert client.usm.clocks[("127.0.0.1", port)].boots == 5, behaviour
    finally:
        client.close()
        transport.close()
    assert isinstance(outcomes[Behaviour.UNAUTHENTICATED_TIME], SnmpAuthError)
    assert "keeps refusing its engine's time" in str(outcomes[Behaviour.UNAUTHENTICATED_TIME])
    assert all(boots in (5, 6) for boots, _ in agent.clocks_received), "a forged clock was never used"
    assert "outside the agent's time window" in str(outcomes[Behaviour.CLOCK_GONE_BACK])
    assert "digest does not match" in str(outcomes[Behaviour.WRONG_DIGEST])
    assert outcomes[Behaviour.REBOOTED] == {UPTIME: 12345}
    assert client.usm.clocks[("127.0.0.1", port)].boots == 6
