"""SNMPv3 user-based security (RFC 3414, 3826, 7860): keys, message digests and privacy.

A user's passwords become keys once (RFC 3414 A.2: a megabyte of the password hashed), and
are localized to each agent's engine id once; a message then costs one HMAC and, with
privacy, one cipher pass, both in `cryptography`. AES-192/256 keys are extended as Cisco and
most vendors do (the Reeder draft), as pysnmp's usmAesCfb192/256Protocol did before.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


@dataclass(frozen=True, slots=True)
class AuthProtocol:
    hash_name: str
    """hashlib's name of the hash, which is also `cryptography`'s."""
    digest_length: int
    """Bytes of the HMAC a message carries (RFC 3414: 12; RFC 7860: more for SHA-2)."""

    def algorithm(self) -> hashes.HashAlgorithm:
        return _HASHES[self.hash_name]()


AUTH_PROTOCOLS = {
    "md5": AuthProtocol("md5", 12),
    "sha": AuthProtocol("sha1", 12),
    "sha224": AuthProtocol("sha224", 16),
    "sha256": AuthProtocol("sha256", 24),
    "sha384": AuthProtocol("sha384", 32),
    "sha512": AuthProtocol("sha512", 48),
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
PRIV_KEY_SIZES = {"des": 16, "aes128": 16, "aes192": 24, "aes256": 32}
"""Localized key bytes each privacy protocol uses (DES: 8 of key and 8 of pre-IV)."""

_salts = itertools.count(secrets.randbits(63))
"""Every encrypted message's salt differs (RFC 3414 8.1.1.1, RFC 3826 3.1.2.1); one count per process."""


class UsmError(ValueError):
    """A message that fails its digest or cannot be decrypted."""


@lru_cache(maxsize=64)
def password_key(password: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2: the digest of a megabyte of the password repeated; once per password."""
    if not password:
        raise ValueError("an SNMPv3 password cannot be empty")
    repeated = password * (1_048_576 // len(password) + 1)
    return hashlib.new(hash_name, repeated[:1_048_576]).digest()


def localize(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """RFC 3414 2.6: a key that works with one agent's engine only."""
    return hashlib.new(hash_name, key + engine_id + key).digest()


@dataclass(frozen=True, slots=True)
class UserKeys:
    """One user's keys, localized to one agent's engine id."""

    auth: AuthProtocol | None
    auth_key: bytes = b""
    priv_protocol: str | None = None
    priv_key: bytes = b""

    @classmethod
    def localized(cls, engine_id: bytes, auth_protocol: str | None, auth_password: bytes | None,
                  priv_protocol: str | None, priv_password: bytes | None) -> UserKeys:
        if auth_protocol is None or auth_password is None:
            return cls(None)
        auth = AUTH_PROTOCOLS[auth_protocol]
        auth_key = localize(password_key(auth_password, auth.hash_name), engine_id, auth.hash_name)
        if priv_protocol is None or priv_password is None:
            return cls(auth, auth_key)
        priv_key = localize(password_key(priv_password, auth.hash_name), engine_id, auth.hash_name)
        while len(priv_key) < PRIV_KEY_SIZES[priv_protocol]:  # the Reeder draft's extension
            priv_key += localize(password_key(priv_key, auth.hash_name), engine_id, auth.hash_name)
        return cls(auth, auth_key, priv_protocol, priv_key[:PRIV_KEY_SIZES[priv_protocol]])

    def digest(self, message: bytes) -> bytes:
        """The message's HMAC, as its msgAuthenticationParameters carry it (the message holds
        zeros there while it is computed)."""
        assert self.auth is not None
        mac = hmac.HMAC(self.auth_key, self.auth.algorithm())
        mac.update(message)
        return mac.finalize()[:self.auth.digest_length]

    def check_digest(self, message_zeroed: bytes, received: bytes) -> None:
        if self.auth is None or len(received) != self.auth.digest_length:
            raise UsmError("the digest has the wrong length")
        if not secrets.compare_digest(self.digest(message_zeroed), received):
            raise UsmError("wrong digest")

    def encrypt(self, plaintext: bytes, boots: int, engine_time: int) -> tuple[bytes, bytes]:
        """(ciphertext, msgPrivacyParameters) of a scoped PDU."""
        salt_number = next(_salts)
        if self.priv_protocol == "des":
            salt = boots.to_bytes(4, "big") + (salt_number & 0xFFFFFFFF).to_bytes(4, "big")
            padded = plaintext + bytes(-len(plaintext) % 8)
            encryptor = self._cipher(salt, boots, engine_time).encryptor()
            return encryptor.update(padded) + encryptor.finalize(), salt
        salt = (salt_number & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
        encryptor = self._cipher(salt, boots, engine_time).encryptor()
        return encryptor.update(plaintext) + encryptor.finalize(), salt

    def decrypt(self, ciphertext: bytes, salt: bytes, boots: int, engine_time: int) -> bytes:
        if len(salt) != 8 or (self.priv_protocol == "des" and len(ciphertext) % 8):
            raise UsmError("cannot decrypt: malformed privacy parameters")
        decryptor = self._cipher(salt, boots, engine_time).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()

    def _cipher(self, salt: bytes, boots: int, engine_time: int) -> Cipher[modes.CBC] | Cipher[CFB]:
        if self.priv_protocol == "des":  # RFC 3414 8.1.1: the IV is the pre-IV xor the salt
            iv = bytes(a ^ b for a, b in zip(self.priv_key[8:16], salt))
            return Cipher(TripleDES(self.priv_key[:8] * 3), modes.CBC(iv))  # a DES key thrice is DES
        iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt  # RFC 3826 3.1.2.1
        return Cipher(algorithms.AES(self.priv_key), CFB(iv))
