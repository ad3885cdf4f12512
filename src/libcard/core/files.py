"""Uploaded files at rest: encrypted before they are written, read back only by our views.

The bytes go through the "private" Django storage (a folder by default, an
S3-compatible store with django-storages), which never sees plain content and
is never given a public URL.
"""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from libcard.core.crypto import keyring

_CONTEXT = b"libcard-file"


def _storage():  # type: ignore[no-untyped-def]
    return storages["private"]


def store_file(data: bytes, *, folder: str) -> str:
    """Encrypt and write; returns the key to keep in the database."""
    name = f"{folder}/{secrets.token_hex(16)}.bin"
    return _storage().save(name, ContentFile(keyring().encrypt(data, context=_CONTEXT)))


def load_file(key: str) -> bytes:
    with _storage().open(key, "rb") as handle:
        return keyring().decrypt(handle.read(), context=_CONTEXT)


def delete_file(key: str) -> None:
    if key:
        _storage().delete(key)


def file_exists(key: str) -> bool:
    return bool(key) and _storage().exists(key)


def reencrypt_file(key: str) -> bool:
    """Rewrite a file under the newest key; False when it already was."""
    ring = keyring()
    storage = _storage()
    with storage.open(key, "rb") as handle:
        blob = handle.read()
    if ring.key_id_of(blob) == ring.current_id:
        return False
    plain = ring.decrypt(blob, context=_CONTEXT)
    storage.delete(key)
    storage.save(key, ContentFile(ring.encrypt(plain, context=_CONTEXT)))
    return True
