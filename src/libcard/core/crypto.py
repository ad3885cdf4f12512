"""Personal data at rest: authenticated encryption under rotating keys, and a keyed blind index.

Ciphertext layout: version (1 byte) · key id (4 bytes, from the key itself) ·
nonce (12 bytes) · AES-256-GCM ciphertext and tag. Data is written under the
first key of LIBCARD_DATA_KEYS and read under whichever key wrote it, so
``libcard keys rotate`` can move everything to a new key while the app runs.
The blind index is HMAC-SHA256 under LIBCARD_INDEX_KEY: with only about 5×10⁸
valid ID numbers an unkeyed hash would be reversed in minutes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = b"\x01"
HEADER = 1 + 4 + 12


class DecryptionError(Exception):
    """The data was not written by any of our keys, or has been altered."""


def _decode_key(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: not base64") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name}: each key must be 32 bytes (base64 of 32 random bytes)")
    return raw


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[bytes, AESGCM], ...]  # (key id, cipher), newest first
    index_key: bytes

    @property
    def current_id(self) -> bytes:
        return self.keys[0][0]

    def encrypt(self, plaintext: bytes, *, context: bytes = b"") -> bytes:
        key_id, cipher = self.keys[0]
        nonce = os.urandom(12)
        return VERSION + key_id + nonce + cipher.encrypt(nonce, plaintext, context)

    def decrypt(self, blob: bytes, *, context: bytes = b"") -> bytes:
        blob = bytes(blob)
        if len(blob) < HEADER + 16 or blob[:1] != VERSION:
            raise DecryptionError("not our ciphertext")
        key_id, nonce = blob[1:5], blob[5:17]
        for candidate_id, cipher in self.keys:
            if hmac.compare_digest(candidate_id, key_id):
                try:
                    return cipher.decrypt(nonce, blob[17:], context)
                except InvalidTag:
                    raise DecryptionError("altered or wrong context") from None
        raise DecryptionError("written under a key that is no longer configured")

    def key_id_of(self, blob: bytes) -> bytes:
        return bytes(blob[1:5])

    def blind_index(self, value: str) -> str:
        return hmac.new(self.index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def keyed_hash(self, purpose: str, value: str) -> str:
        """A keyed hash for a purpose other than the index (initial secrets, pseudonyms …)."""
        key = hmac.new(self.index_key, purpose.encode(), hashlib.sha256).digest()
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


@cache
def _keyring(data_keys: tuple[str, ...], index_key: str) -> KeyRing:
    keys = []
    for position, text in enumerate(data_keys):
        raw = _decode_key(text, f"LIBCARD_DATA_KEYS[{position}]")
        keys.append((hashlib.sha256(b"libcard-key-id" + raw).digest()[:4], AESGCM(raw)))
    if not keys:
        raise ImproperlyConfigured("LIBCARD_DATA_KEYS: at least one key is needed")
    return KeyRing(tuple(keys), _decode_key(index_key, "LIBCARD_INDEX_KEY"))


def keyring() -> KeyRing:
    return _keyring(tuple(settings.LIBCARD_DATA_KEYS), settings.LIBCARD_INDEX_KEY)


def encrypt_text(value: str, *, context: str) -> bytes:
    return keyring().encrypt(value.encode("utf-8"), context=context.encode())


def decrypt_text(blob: bytes, *, context: str) -> str:
    return keyring().decrypt(blob, context=context.encode()).decode("utf-8")


def id_index(number: str) -> str:
    """The blind index of a normalised ID number: what look-ups and uniqueness use."""
    return keyring().blind_index(number)


def cardholder_hash(number: str) -> str:
    """The keyed hash an ILS may send instead of an ID: HMAC-SHA256(LIBCARD_CARDHOLDER_KEY).

    It is a separate key so the library can hand it to the ILS team without
    handing over the index key; when unset it is the index key.
    """
    key_text = getattr(settings, "LIBCARD_CARDHOLDER_KEY", "") or settings.LIBCARD_INDEX_KEY
    key = _decode_key(key_text, "LIBCARD_CARDHOLDER_KEY")
    return hmac.new(key, number.encode("ascii", "ignore"), hashlib.sha256).hexdigest()
