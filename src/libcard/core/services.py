"""Services of the shared pieces: the library's calendar (closing weekday, closure days).

A calendar change moves the due dates that count working days; the apps that
keep such dates list their recompute function in DUE_DATE_UPDATERS (as apps
list their retention providers), and each runs after every change.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.module_loading import import_string

from libcard.core.audit import Actor, audit
from libcard.core.models import CalendarSettings, Closure

DUE_DATE_UPDATERS = [
    "libcard.groups.services.due_dates_recompute",
    "libcard.individual.services.due_dates_recompute",
]


def calendar_changed() -> None:
    for path in DUE_DATE_UPDATERS:
        try:
            updater = import_string(path)
        except ImportError:
            continue  # that app is not installed, or keeps no due dates
        transaction.on_commit(updater)


# -- services: each calendar change is audited as "calendar.change" ---------------------------
@transaction.atomic
def closed_weekday_set(*, actor: Actor, weekday: int | None) -> CalendarSettings:
    calendar = CalendarSettings.objects.select_for_update().get(pk=CalendarSettings.current().pk)
    old = calendar.closed_weekday
    if old == weekday:
        return calendar
    calendar.closed_weekday = weekday
    calendar.save(update_fields=["closed_weekday", "updated_at"])
    audit(actor, "calendar.change", calendar, change="closed_weekday", old=old, new=weekday)
    calendar_changed()
    return calendar


@transaction.atomic
def closure_add(*, actor: Actor, day: dt.date, reason: str) -> Closure:
    closure = Closure.objects.create(day=day, reason=reason.strip(), created_by=actor.label)
    audit(
        actor,
        "calendar.change",
        closure,
        change="closure_add",
        day=day.isoformat(),
        reason=closure.reason,
    )
    calendar_changed()
    return closure


@transaction.atomic
def closure_remove(*, actor: Actor, closure: Closure) -> None:
    audit(
        actor,
        "calendar.change",
        closure,
        change="closure_remove",
        day=closure.day.isoformat(),
        reason=closure.reason,
    )
    closure.delete()
    calendar_changed()
