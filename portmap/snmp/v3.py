"""SNMPv3 messages (RFC 3412) with the user-based security model (RFC 3414), in the lean codec.

A message is read in one pass over its bytes, like ber.py's v1/v2c messages: its header
first (enough to match it to a request), then, by the one who knows the user's keys, its
digest checked and its scoped PDU decrypted and read into a ber.Message. Anything malformed
raises BerError, a failed digest or decryption usm_security.UsmError.
tests/test_v3.py proves it equal to pysnmp's encoder and decoder.
"""

from __future__ import annotations

from dataclasses import dataclass

from portmap.snmp.ber import (
    INTEGER, OCTET_STRING, SEQUENCE, BerError, Message, contents_of, integer_in, tlv_at, decode_pdu, encode_integer, encode_tlv,
)
from portmap.snmp.usm_security import UserKeys, UsmError

VERSION_3 = 3
USM_MODEL = 3
AUTH_FLAG, PRIV_FLAG, REPORTABLE_FLAG = 0x01, 0x02, 0x04
REPORT = 0xA8
MAX_MESSAGE_SIZE = 65507
"""What we accept (the largest UDP payload), as net-snmp and pysnmp say."""


@dataclass(frozen=True, slots=True)
class Security:
    """A message's USM security parameters but its digest and salt."""

    engine_id: bytes
    boots: int
    engine_time: int
    user: bytes


@dataclass(frozen=True, slots=True)
class V3Message:
    """A message whose header is read; `scoped` is its scoped PDU, encrypted where PRIV_FLAG is set."""

    msg_id: int
    max_size: int
    flags: int
    security: Security
    digest: bytes
    salt: bytes
    scoped: bytes
    data: bytes
    digest_at: int
    """Where the digest lies in `data`: zeroed there, the message is what the HMAC covers."""

    def open(self, keys: UserKeys, pdus: tuple[int, ...]) -> Message:
        """The PDU, its digest checked and decrypted as the flags say; its version 3, its
        `community` the context name."""
        if self.flags & AUTH_FLAG:
            zeroed = self.data[:self.digest_at] + bytes(len(self.digest)) + self.data[self.digest_at + len(self.digest):]
            keys.check_digest(zeroed, self.digest)
        scoped = self.scoped
        if self.flags & PRIV_FLAG:
            if keys.priv_protocol is None:
                raise UsmError("cannot decrypt: no privacy key")
            scoped = keys.decrypt(scoped, self.salt, self.security.boots, self.security.engine_time)
        start, stop = contents_of(scoped, 0, len(scoped), SEQUENCE)  # DES pads after the sequence
        if stop != len(scoped) and not self.flags & PRIV_FLAG:
            raise BerError("bytes after the scoped PDU")
        engine_start, engine_stop = contents_of(scoped, start, stop, OCTET_STRING)
        name_start, name_stop = contents_of(scoped, engine_stop, stop, OCTET_STRING)
        return decode_pdu(scoped, name_stop, stop, pdus, VERSION_3, scoped[name_start:name_stop])


def decode_v3(data: bytes) -> V3Message:
    """The header of an SNMPv3 message under the user-based security model."""
    end = len(data)
    start, stop = contents_of(data, 0, end, SEQUENCE)
    if stop != end:
        raise BerError("bytes after the message")
    at, version = _integer_at(data, start, stop)
    if version != VERSION_3:
        raise BerError(f"not an SNMPv3 message (version {version})")
    header_start, header_stop = contents_of(data, at, stop, SEQUENCE)
    at, msg_id = _integer_at(data, header_start, header_stop)
    at, max_size = _integer_at(data, at, header_stop)
    flags_start, at = contents_of(data, at, header_stop, OCTET_STRING)
    if at - flags_start != 1:
        raise BerError("msgFlags is not one octet")
    at, model = _integer_at(data, at, header_stop)
    if at != header_stop or model != USM_MODEL:
        raise BerError(f"not the user-based security model ({model})")
    params_start, params_stop = contents_of(data, header_stop, stop, OCTET_STRING)
    usm_start, usm_stop = contents_of(data, params_start, params_stop, SEQUENCE)
    engine_start, engine_stop = contents_of(data, usm_start, usm_stop, OCTET_STRING)
    at, boots = _integer_at(data, engine_stop, usm_stop)
    at, engine_time = _integer_at(data, at, usm_stop)
    user_start, user_stop = contents_of(data, at, usm_stop, OCTET_STRING)
    digest_start, digest_stop = contents_of(data, user_stop, usm_stop, OCTET_STRING)
    salt_start, salt_stop = contents_of(data, digest_stop, usm_stop, OCTET_STRING)
    if salt_stop != usm_stop or usm_stop != params_stop:
        raise BerError("bytes after the security parameters")
    tag, scoped_start, scoped_stop = tlv_at(data, params_stop, stop)
    if scoped_stop != stop:
        raise BerError("bytes after the scoped PDU")
    flags = data[flags_start]
    if tag != (OCTET_STRING if flags & PRIV_FLAG else SEQUENCE):
        raise BerError("the scoped PDU is not as msgFlags say")
    scoped = data[scoped_start:scoped_stop] if flags & PRIV_FLAG else data[params_stop:stop]
    security = Security(data[engine_start:engine_stop], boots, engine_time, data[user_start:user_stop])
    return V3Message(msg_id, max_size, flags, security, data[digest_start:digest_stop], data[salt_start:salt_stop],
                     scoped, data, digest_start)


def encode_v3(msg_id: int, flags: int, security: Security, keys: UserKeys | None, scoped_pdu: bytes) -> bytes:
    """A message carrying `scoped_pdu` (scoped_pdu() makes one): encrypted and digested as the
    flags say, with `keys`."""
    salt = b""
    if flags & PRIV_FLAG:
        assert keys is not None
        encrypted, salt = keys.encrypt(scoped_pdu, security.boots, security.engine_time)
        msg_data = encode_tlv(OCTET_STRING, encrypted)
    else:
        msg_data = scoped_pdu
    digest_length = keys.auth.digest_length if flags & AUTH_FLAG and keys is not None and keys.auth is not None else 0
    before_digest = (encode_tlv(OCTET_STRING, security.engine_id) + encode_integer(security.boots)
                     + encode_integer(security.engine_time) + encode_tlv(OCTET_STRING, security.user)
                     + bytes((OCTET_STRING, digest_length)))
    usm_contents = before_digest + bytes(digest_length) + encode_tlv(OCTET_STRING, salt)
    header = encode_tlv(SEQUENCE, encode_integer(msg_id) + encode_integer(MAX_MESSAGE_SIZE)
                        + encode_tlv(OCTET_STRING, bytes((flags,))) + encode_integer(USM_MODEL))
    params = encode_tlv(OCTET_STRING, encode_tlv(SEQUENCE, usm_contents))
    message = encode_tlv(SEQUENCE, encode_integer(VERSION_3) + header + params + msg_data)
    if not digest_length:
        return message
    assert keys is not None
    digest_at = len(message) - len(msg_data) - len(usm_contents) + len(before_digest)  # the parameters end just before msgData
    return message[:digest_at] + keys.digest(message) + message[digest_at + digest_length:]


def scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    return encode_tlv(SEQUENCE, encode_tlv(OCTET_STRING, context_engine_id) + encode_tlv(OCTET_STRING, context_name) + pdu)


def _integer_at(data: bytes, at: int, stop: int) -> tuple[int, int]:
    """(where the next element starts, the INTEGER at `at`)."""
    start, after = contents_of(data, at, stop, INTEGER)
    return after, integer_in(data, start, after)

