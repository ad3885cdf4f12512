"""Readers for tests: issued the way issuance does it, with a known initial or own password."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from libcard.accounts.passwords import hash_password
from libcard.readers.models import Card, Reader
from libcard.readers.services import NewReader, reader_build

INITIAL = "Ab3dEf6hJk"
OWN = "a long own passphrase 2026"


def make_reader(
    number: str = "A123456789",
    *,
    name: str = "王小明",
    birth: dt.date = dt.date(1996, 3, 12),
    own_password: str | None = None,
    initial: str = INITIAL,
    email: str = "",
    card_status: str = Card.Status.ACTIVE,
    card_type: str = Card.Type.DIGITAL,
    expires_on: dt.date | None = None,
) -> Reader:
    reader = reader_build(
        NewReader(number=number, name=name, birth_date=birth, email=email),
        secret=initial,
        now=timezone.now(),
    )
    if own_password is not None:
        reader.password = hash_password(own_password)
        reader.initial_secret_hash = ""
        reader.initial_expires_at = None
    reader.save()
    Card.objects.create(
        reader=reader,
        type=card_type,
        status=card_status,
        source=Card.Source.GROUP,
        expires_on=expires_on,
    )
    return reader
