"""Fixed-window rate limits kept in the database, so every web process counts together."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from libcard.core.models import RateCounter


def rate_limit_hit(*, key: str, limit: int, window_seconds: int) -> bool:
    """Count one use of ``key``; True while the window still allows it."""
    now = timezone.now()
    epoch = int(now.timestamp())
    start = dt.datetime.fromtimestamp(epoch - epoch % window_seconds, tz=dt.UTC)
    updated = RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window_start=start, count=1)
        except IntegrityError:
            RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
    count = RateCounter.objects.filter(key=key, window_start=start).values_list("count", flat=True)
    return (count.first() or 0) <= limit


def rate_counters_prune(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
