"""Login throttling shared by every channel (web, HTTP API, SIP2).

Three counters per attempt, each with its own free failures, then a delay that
doubles with every further failure up to a cap (THROTTLE_MAX_DELAY):
- the account from this address — the one a single guesser hits first; the right
  password from there is refused too until the delay is over;
- the address (or the platform) — one client spraying many accounts;
- the account from everywhere — guessing spread over many addresses; its threshold
  is high and its delay capped, and a counter forgets after a quiet day, so nobody
  can lock a reader out for good.
Unknown accounts are counted exactly like real ones (their blind index), so the
throttle reveals nothing about who holds a card.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from libcard.accounts.models import LoginThrottle

FORGET_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Counter:
    key: str
    free: int


def counters(*, account_index: str, address: str) -> list[Counter]:
    return [
        Counter(f"pair:{account_index[:32]}:{address}"[:100], settings.THROTTLE_FREE_FAILURES),
        Counter(f"ip:{address}"[:100], _address_allowance(address)),
        Counter(f"account:{account_index}"[:100], settings.THROTTLE_FREE_FAILURES * 20),
    ]


def _address_allowance(address: str) -> int:
    if address.startswith("platform:"):
        # A platform sends every reader's attempts from one place.
        return settings.THROTTLE_IP_FREE_FAILURES * 20
    return settings.THROTTLE_IP_FREE_FAILURES


@dataclass(frozen=True)
class State:
    retry_after: int  # seconds until an attempt is allowed (0: now)
    counted: frozenset[str]  # keys that hold failures (so a success knows what to clear)


def state(items: list[Counter], now: dt.datetime | None = None) -> State:
    """One query: the delay in force and which counters exist."""
    now = now or timezone.now()
    rows = LoginThrottle.objects.filter(key__in=[c.key for c in items]).values_list(
        "key", "blocked_until"
    )
    counted, until = set(), None
    for key, blocked_until in rows:
        counted.add(key)
        if (
            blocked_until is not None
            and blocked_until > now
            and (until is None or blocked_until > until)
        ):
            until = blocked_until
    wait = 0 if until is None else max(1, int((until - now).total_seconds() + 0.999))
    return State(wait, frozenset(counted))


def retry_after(items: list[Counter], now: dt.datetime | None = None) -> int:
    return state(items, now).retry_after


def _delay(failures: int, free: int) -> int:
    if failures <= free:
        return 0
    return min(2 ** min(failures - free - 1, 20), settings.THROTTLE_MAX_DELAY)


def record_failure(items: list[Counter], now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    for counter in items:
        with transaction.atomic():
            try:
                row, _created = LoginThrottle.objects.select_for_update().get_or_create(
                    key=counter.key
                )
            except IntegrityError:
                row = LoginThrottle.objects.select_for_update().get(key=counter.key)
            if row.last_failure_at and now - row.last_failure_at > FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            delay = _delay(row.failures, counter.free)
            row.blocked_until = now + dt.timedelta(seconds=delay) if delay else None
            row.save()


def record_success(items: list[Counter], counted: frozenset[str] | None = None) -> None:
    """The right password clears this account's counters (not the address's)."""
    keys = [c.key for c in items if not c.key.startswith("ip:")]
    if counted is not None:
        keys = [key for key in keys if key in counted]  # nothing to clear: no query
    if keys:
        LoginThrottle.objects.filter(key__in=keys).delete()


def clear(key: str) -> int:
    deleted, _ = LoginThrottle.objects.filter(key=key).delete()
    return deleted
