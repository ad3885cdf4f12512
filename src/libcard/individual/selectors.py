"""Reads for the form, the review queue and the application page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from libcard.core.crypto import id_index
from libcard.core.models import AuditEntry
from libcard.core.workdays import Calendar, UnknownYear, library_calendar
from libcard.individual.models import IndividualApplication
from libcard.individual.states import DECIDED_STATES, Status
from libcard.readers.services import cardholders_among

DECIDED_SHOWN = 50


def eligibility_problem(number: str) -> str | None:
    """ "cardholder", "open" (an application under review) or None for a normalised number.

    An unconfirmed application does not count yet; a newer one replaces it.
    """
    if cardholders_among([number]):
        return "cardholder"
    if IndividualApplication.objects.filter(
        id_index=id_index(number), status=Status.SUBMITTED
    ).exists():
        return "open"
    return None


@dataclass
class Deadline:
    due_on: dt.date | None
    left: int | None  # working days after today up to the due date; negative when late
    known: bool  # False when the calendar does not know the year

    @property
    def late(self) -> bool:
        return self.left is not None and self.left < 0

    @property
    def late_by(self) -> int:
        return -self.left if self.left is not None and self.left < 0 else 0

    @property
    def due_today(self) -> bool:
        return self.left == 0


def deadline_of(
    application: IndividualApplication,
    *,
    calendar: Calendar | None = None,
    today: dt.date | None = None,
) -> Deadline:
    if application.due_on is None:
        return Deadline(None, None, application.submitted_at is None)
    today = today or timezone.localdate()
    try:
        left = (calendar or library_calendar()).working_days_between(today, application.due_on)
    except UnknownYear:
        return Deadline(application.due_on, None, False)
    return Deadline(application.due_on, left, True)


@dataclass
class QueueRow:
    application: IndividualApplication
    deadline: Deadline


def queue(*, calendar: Calendar | None = None, today: dt.date | None = None) -> list[QueueRow]:
    """Confirmed applications waiting for review, in the order they were submitted."""
    calendar = calendar or library_calendar()
    today = today or timezone.localdate()
    applications = IndividualApplication.objects.filter(status=Status.SUBMITTED).order_by(
        "submitted_at", "id"
    )
    return [
        QueueRow(application, deadline_of(application, calendar=calendar, today=today))
        for application in applications
    ]


def recently_decided(limit: int = DECIDED_SHOWN) -> QuerySet[IndividualApplication]:
    return IndividualApplication.objects.filter(status__in=DECIDED_STATES).order_by(
        "-decided_at", "-id"
    )[:limit]


def history(application: IndividualApplication) -> QuerySet[AuditEntry]:
    """What happened to the application (document views are in the audit log, not here)."""
    return (
        AuditEntry.objects.filter(
            object_type=IndividualApplication._meta.label_lower, object_id=str(application.pk)
        )
        .exclude(action="individual.document_view")
        .order_by("at", "id")
    )
