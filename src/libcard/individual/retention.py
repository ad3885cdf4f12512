"""Identity documents go RETENTION_IDENTITY_IMAGE_DAYS after the decision (security.md);
those of applications that never counted (not confirmed in time, or replaced) go at once.
The application, its decision and who made it stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from libcard.core.files import delete_file
from libcard.core.retention import Item
from libcard.individual.models import Document
from libcard.individual.states import DECIDED_STATES, Status


def due_items(now: dt.datetime) -> Iterator[Item]:
    days = dt.timedelta(days=settings.RETENTION_IDENTITY_IMAGE_DAYS)
    documents = (
        Document.objects.exclude(file_key="")
        .filter(
            Q(application__status__in=DECIDED_STATES, application__decided_at__lte=now - days)
            | Q(application__status=Status.LAPSED, application__lapsed_at__lte=now)
        )
        .select_related("application")
        .order_by("application_id", "id")
    )
    for document in documents:
        application = document.application
        if application.status == Status.LAPSED:
            due = application.lapsed_at
        else:
            due = application.decided_at + days

        def delete(document: Document = document) -> None:
            delete_file(document.file_key)
            Document.objects.filter(pk=document.pk).update(file_key="", deleted_at=timezone.now())

        yield Item(
            kind="identity image",
            label=f"individual application {application.reference} {document.kind}",
            due_since=timezone.localdate(due),
            delete=delete,
        )
