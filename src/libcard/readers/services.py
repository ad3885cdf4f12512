"""Readers and cards: who already holds one, issuing, initial passwords, cardholder lists."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from libcard.core.audit import Actor, audit
from libcard.core.crypto import cardholder_hash, id_index, keyring
from libcard.identity.numbers import check_id, mask_id
from libcard.readers.models import Card, CardholderEntry, CardholderList, Reader

# No look-alikes (0/O, 1/l/I) and nothing a roster printer could mangle.
INITIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
INITIAL_LENGTH = 10
BATCH = 2_000


def initial_password_new() -> str:
    return "".join(secrets.choice(INITIAL_ALPHABET) for _ in range(INITIAL_LENGTH))


def initial_password_hash(secret: str) -> str:
    """A keyed fast hash: the secret is random and high-entropy, like an API token."""
    return keyring().keyed_hash("initial-password", secret)


def initial_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=settings.INITIAL_PASSWORD_DAYS)


def cardholders_among(numbers: Iterable[str]) -> set[str]:
    """The normalised ID numbers that already hold a card: libcard readers and loaded lists."""
    numbers = list(dict.fromkeys(numbers))
    found: set[str] = set()
    for start in range(0, len(numbers), BATCH):
        chunk = numbers[start : start + BATCH]
        indexes = {id_index(number): number for number in chunk}
        for index in Reader.objects.filter(id_index__in=indexes).values_list("id_index", flat=True):
            found.add(indexes[index])
        hashes = {cardholder_hash(number): number for number in chunk}
        for value in (
            CardholderEntry.objects.filter(id_hash__in=hashes)
            .values_list("id_hash", flat=True)
            .distinct()
        ):
            found.add(hashes[value])
    return found


def reader_by_number(raw: str) -> Reader | None:
    result = check_id(raw)
    if not result.number:
        return None
    return Reader.objects.filter(id_index=id_index(result.number)).first()


@dataclass
class NewReader:
    number: str
    name: str
    birth_date: dt.date
    role: str = ""
    sex: str = ""
    email: str = ""
    mobile: str = ""
    unit: str = ""
    address: str = ""


def reader_build(data: NewReader, *, secret: str, now: dt.datetime, **extra: object) -> Reader:
    """An unsaved reader with an initial password (for bulk creation)."""
    kind = check_id(data.number).kind
    return Reader(
        id_index=id_index(data.number),
        national_id=data.number,
        id_masked=mask_id(data.number),
        id_kind=kind.value if kind else Reader.IdKind.NATIONAL,
        name=data.name,
        birth_date=data.birth_date,
        sex=data.sex or "",
        email=data.email,
        mobile=data.mobile,
        address=data.address,
        role=data.role,
        unit=data.unit,
        initial_secret_hash=initial_password_hash(secret),
        initial_expires_at=initial_expiry(now),
        created_at=now,
        **extra,
    )


@transaction.atomic
def reader_reset_password(*, actor: Actor, reader: Reader) -> str:
    """A new initial password (printed or shown once); the reader's own password stops working."""
    secret = initial_password_new()
    reader.initial_secret_hash = initial_password_hash(secret)
    reader.initial_expires_at = initial_expiry()
    reader.password = ""
    reader.save(update_fields=["initial_secret_hash", "initial_expires_at", "password"])
    audit(actor, "reader.reset_password", reader)
    return secret


def card_active(reader: Reader) -> Card | None:
    return (
        reader.cards.filter(status=Card.Status.ACTIVE)
        .order_by("-type", "-issued_at")  # a physical card says more than a digital one
        .first()
    )


@dataclass
class LoadResult:
    cardholder_list: CardholderList
    loaded: int
    skipped: int  # lines that were neither a valid ID nor a 64-hex hash


def _is_hash(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


@transaction.atomic
def cardholder_list_load(
    *, actor: Actor, source: str, values: Iterable[str], original_name: str = ""
) -> LoadResult:
    """Load existing cardholders: plain ID numbers (hashed at once, never kept) or keyed hashes."""
    cardholder_list = CardholderList.objects.create(
        source=source, loaded_by=actor.label, original_name=original_name[:200]
    )
    hashes: set[str] = set()
    skipped = 0
    for raw in values:
        text = str(raw or "").strip()
        if not text:
            continue
        lowered = text.lower()
        if _is_hash(lowered):
            hashes.add(lowered)
            continue
        result = check_id(text)
        if result.ok:
            hashes.add(cardholder_hash(result.number))
        else:
            skipped += 1
    CardholderEntry.objects.bulk_create(
        [CardholderEntry(cardholder_list=cardholder_list, id_hash=value) for value in hashes],
        batch_size=BATCH,
    )
    cardholder_list.entries_count = len(hashes)
    cardholder_list.save(update_fields=["entries_count"])
    audit(
        actor,
        "cardholders.load",
        cardholder_list,
        source=source,
        loaded=len(hashes),
        skipped=skipped,
    )
    return LoadResult(cardholder_list, len(hashes), skipped)
