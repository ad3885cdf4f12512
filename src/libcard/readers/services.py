"""Readers and cards: who already holds one, issuing, initial passwords, cardholder lists."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from libcard.core.audit import Actor, audit
from libcard.core.crypto import cardholder_hash, id_index, keyring
from libcard.identity.numbers import check_id, mask_id
from libcard.readerfile.fields import clean_birth_date, clean_name
from libcard.readers.models import (
    Card,
    CardholderEntry,
    CardholderList,
    CorrectionRequest,
    Reader,
)

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


# -- staff actions on one reader (the staff back office's reader page) ------------------------
REVEAL_REASON_MIN = 5
BARCODE = re.compile(r"[A-Z0-9]{6,32}")


class ReaderActionError(Exception):
    """A staff action that the reader's data or state does not allow; the message says why."""


def reader_reveal_id(*, actor: Actor, reader: Reader, reason: str) -> str:
    """The full ID number, for a stated reason that goes into the audit log with the reveal."""
    reason = (reason or "").strip()
    if len(reason) < REVEAL_REASON_MIN:
        raise ReaderActionError(
            _("Say why you need the full ID number (at least %(min)d characters).")
            % {"min": REVEAL_REASON_MIN}
        )
    number = reader.national_id
    audit(actor, "reader.reveal", reader, reason=reason, account=reader.id_masked)
    return number


def _card_transition(
    *, actor: Actor, card: Card, reason: str, source: str, target: str, action: str
) -> Card:
    reason = (reason or "").strip()
    if not reason:
        raise ReaderActionError(_("Give a reason."))
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if locked.status != source:
            raise ReaderActionError(
                _("The card is %(status)s now; nothing was changed.")
                % {"status": locked.get_status_display()}
            )
        locked.status = target
        locked.status_reason = reason[:200]
        locked.save(update_fields=["status", "status_reason"])
        audit(
            actor, action, locked, from_state=source, to_state=target, reason=locked.status_reason
        )
    return locked


def card_suspend(*, actor: Actor, card: Card, reason: str) -> Card:
    """An active card stops working on every channel until it is restored."""
    return _card_transition(
        actor=actor,
        card=card,
        reason=reason,
        source=Card.Status.ACTIVE,
        target=Card.Status.SUSPENDED,
        action="card.suspend",
    )


def card_restore(*, actor: Actor, card: Card, reason: str) -> Card:
    return _card_transition(
        actor=actor,
        card=card,
        reason=reason,
        source=Card.Status.SUSPENDED,
        target=Card.Status.ACTIVE,
        action="card.restore",
    )


def barcode_clean(raw: str) -> str:
    """A physical card's barcode: 6–32 letters and digits, upper-cased; else ReaderActionError."""
    barcode = (raw or "").strip().upper()
    if not BARCODE.fullmatch(barcode):
        raise ReaderActionError(_("A barcode has 6 to 32 letters (A–Z) and digits, nothing else."))
    return barcode


def card_issue_physical(*, actor: Actor, reader: Reader, barcode: str) -> Card:
    """A physical card handed over at the counter after the reader showed their ID in person.

    The digital card stays; the physical one also allows physical loans (Card.allows) and
    expires with the reader's current card (a resident certificate's expiry).
    """
    barcode = barcode_clean(barcode)
    with transaction.atomic():
        Reader.objects.select_for_update().only("pk").get(pk=reader.pk)  # one issue at a time
        if reader.cards.filter(type=Card.Type.PHYSICAL, status=Card.Status.ACTIVE).exists():
            raise ReaderActionError(
                _(
                    "The reader already has an active physical card. Suspend it first if it "
                    "was lost."
                )
            )
        if Card.objects.filter(barcode=barcode).exists():
            raise ReaderActionError(_("This barcode belongs to another card."))
        current = card_active(reader) or reader.cards.order_by("-issued_at").first()
        try:
            with transaction.atomic():
                card = Card.objects.create(
                    reader=reader,
                    type=Card.Type.PHYSICAL,
                    status=Card.Status.ACTIVE,
                    source=Card.Source.COUNTER,
                    barcode=barcode,
                    expires_on=current.expires_on if current else None,
                )
        except IntegrityError:
            raise ReaderActionError(_("This barcode belongs to another card.")) from None
        audit(actor, "card.issue", card, to_state=card.status, type=card.type, source=card.source)
    return card


def _correction_open(correction: CorrectionRequest) -> CorrectionRequest:
    locked = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
    if locked.state != CorrectionRequest.State.OPEN:
        raise ReaderActionError(
            _("This request has been handled already (%(state)s).")
            % {"state": locked.get_state_display()}
        )
    return locked


def _correction_close(
    *, actor: Actor, correction: CorrectionRequest, state: str, note: str
) -> CorrectionRequest:
    correction.state = state
    correction.staff_note = note[:300]
    correction.handled_at = timezone.now()
    correction.handled_by = actor.label[:150]
    correction.save(update_fields=["state", "staff_note", "handled_at", "handled_by"])
    audit(
        actor,
        "correction.done" if state == CorrectionRequest.State.DONE else "correction.decline",
        correction,
        from_state=CorrectionRequest.State.OPEN,
        to_state=state,
        reason=correction.staff_note,
        field=correction.field,
        reader=correction.reader_id,
    )
    return correction


def correction_apply(
    *, actor: Actor, correction: CorrectionRequest, note: str = ""
) -> CorrectionRequest:
    """Correct the reader's name, birth date or ID number as requested, and close the request.

    An ID number changes the account name: it must be valid and belong to nobody else, and
    staff must have seen the reader's ID document (the page says so).
    """
    with transaction.atomic():
        correction = _correction_open(correction)
        reader = Reader.objects.select_for_update().get(pk=correction.reader_id)
        value = correction.requested_value or ""
        field = correction.field
        if field == CorrectionRequest.Field.NAME:
            name, problem = clean_name(value)
            if problem:
                raise ReaderActionError(_("The requested name is empty or too long."))
            reader.name = name
            reader.save(update_fields=["name"])
        elif field == CorrectionRequest.Field.BIRTH_DATE:
            day, problem = clean_birth_date(value, timezone.localdate())
            if problem or day is None:
                raise ReaderActionError(
                    _("The requested birth date is not a possible date of birth.")
                )
            reader.birth_date = day
            reader.save(update_fields=["birth_date"])
        elif field == CorrectionRequest.Field.NATIONAL_ID:
            result = check_id(value)
            if not result.ok or result.kind is None:
                raise ReaderActionError(_("The requested ID number is not a valid ID number."))
            index = id_index(result.number)
            if index == reader.id_index:
                raise ReaderActionError(_("The reader already has this ID number."))
            if Reader.objects.filter(id_index=index).exclude(pk=reader.pk).exists():
                raise ReaderActionError(
                    _(
                        "Another reader already has this ID number. Handle it in person; "
                        "nothing was changed."
                    )
                )
            old_masked = reader.id_masked
            reader.id_index = index
            reader.national_id = result.number
            reader.id_masked = mask_id(result.number)
            reader.id_kind = result.kind.value
            try:
                with transaction.atomic():
                    reader.save(update_fields=["id_index", "national_id", "id_masked", "id_kind"])
            except IntegrityError:
                raise ReaderActionError(
                    _("Another reader already has this ID number. Nothing was changed.")
                ) from None
            audit(
                actor,
                "reader.change_id",
                reader,
                old_account=old_masked,
                new_account=reader.id_masked,
            )
        else:
            raise ReaderActionError(_("This kind of correction cannot be applied here."))
        return _correction_close(
            actor=actor, correction=correction, state=CorrectionRequest.State.DONE, note=note
        )


def correction_decline(
    *, actor: Actor, correction: CorrectionRequest, note: str
) -> CorrectionRequest:
    note = (note or "").strip()
    if not note:
        raise ReaderActionError(_("Say why the request is declined."))
    with transaction.atomic():
        correction = _correction_open(correction)
        return _correction_close(
            actor=actor, correction=correction, state=CorrectionRequest.State.DECLINED, note=note
        )
