"""Reader authentication: the one check behind the web login, the HTTP API and SIP2.

Every attempt costs exactly one argon2id verification (a dummy one for an
unknown account or an initial password), answers the same for "no such account"
and "wrong password", counts against the throttle and is written to the audit log
— never with the password, the full ID or the birth date.
"""

from __future__ import annotations

import datetime as dt
import enum
import hmac
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from libcard.accounts import throttle
from libcard.accounts.passwords import burn_time, hash_password, needs_rehash, verify_password
from libcard.core.audit import Actor, audit
from libcard.core.crypto import id_index
from libcard.identity.numbers import mask_id, normalise_id
from libcard.readers.models import Reader
from libcard.readers.services import initial_password_hash

LAST_LOGIN_PRECISION = dt.timedelta(hours=1)


class Outcome(enum.StrEnum):
    OK = "ok"  # own password right
    MUST_CHANGE = "must_change"  # initial password right: may only choose a new one
    INITIAL_EXPIRED = "initial_expired"  # initial password right, but too old
    INVALID = "invalid"  # unknown account or wrong password: one answer for both
    THROTTLED = "throttled"


@dataclass(frozen=True)
class AuthResult:
    outcome: Outcome
    reader: Reader | None = None
    retry_after: int = 0

    @property
    def password_right(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.MUST_CHANGE, Outcome.INITIAL_EXPIRED)


def reader_authenticate(
    *, account: str, password: str, channel: str, address: str, actor_label: str = ""
) -> AuthResult:
    number = normalise_id(account)[:20]
    index = id_index(number or "<empty>")
    counters = throttle.counters(account_index=index, address=address)
    actor = Actor("anonymous", "", actor_label, channel=channel, ip=_ip_or_none(address))
    masked = mask_id(number)
    current = throttle.state(counters)
    wait = current.retry_after
    if wait:
        audit(actor, "login.throttled", account=masked, retry_after=wait)
        return AuthResult(Outcome.THROTTLED, retry_after=wait)

    reader = Reader.objects.filter(id_index=index).first() if number else None
    outcome = Outcome.INVALID
    if reader is None:
        burn_time(password)
    elif reader.password:
        if verify_password(reader.password, password):
            outcome = Outcome.OK
    else:
        burn_time(password)
        if reader.initial_secret_hash and hmac.compare_digest(
            reader.initial_secret_hash, initial_password_hash(password)
        ):
            expired = reader.initial_expires_at is not None and (
                reader.initial_expires_at < timezone.now()
            )
            outcome = Outcome.INITIAL_EXPIRED if expired else Outcome.MUST_CHANGE

    # The writes of one attempt are one transaction: one commit (one WAL flush) an attempt.
    if outcome is Outcome.INVALID:
        with transaction.atomic():
            throttle.record_failure(counters)
            audit(actor, "login.failure", account=masked)
        return AuthResult(Outcome.INVALID)
    assert reader is not None
    reader_actor = Actor("reader", str(reader.pk), reader.id_masked, channel=channel, ip=actor.ip)
    now = timezone.now()
    with transaction.atomic():
        throttle.record_success(counters, current.counted)
        audit(reader_actor, "login.success", reader, outcome=outcome.value)
        if outcome is Outcome.OK and (
            reader.last_login_at is None or now - reader.last_login_at > LAST_LOGIN_PRECISION
        ):
            # Platforms verify on every page; once an hour is precise enough, and spares a write.
            Reader.objects.filter(pk=reader.pk).update(last_login_at=now)
        if outcome is Outcome.OK and needs_rehash(reader.password):
            Reader.objects.filter(pk=reader.pk).update(password=hash_password(password))
    return AuthResult(outcome, reader)


def _ip_or_none(address: str) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def reader_set_password(*, reader: Reader, password: str, actor: Actor) -> None:
    """The reader's own new password: the initial one stops working at once."""
    reader.password = hash_password(password)
    reader.initial_secret_hash = ""
    reader.initial_expires_at = None
    reader.password_changed_at = timezone.now()
    reader.save(
        update_fields=[
            "password",
            "initial_secret_hash",
            "initial_expires_at",
            "password_changed_at",
        ]
    )
    audit(actor, "reader.password_change", reader)


def session_hash(reader: Reader) -> str:
    """Changes whenever the reader's secret changes, ending their other sessions."""
    from libcard.core.crypto import keyring

    return keyring().keyed_hash(
        "reader-session", f"{reader.pk}:{reader.password}:{reader.initial_secret_hash}"
    )[:32]


__all__ = ["AuthResult", "Outcome", "reader_authenticate", "reader_set_password"]
