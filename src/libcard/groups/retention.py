from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from libcard.core.files import delete_file
from libcard.core.retention import Item
from libcard.groups.models import Submission
from libcard.groups.states import Status


def due_items(now: dt.datetime) -> Iterator[Item]:
    """Reader data files of applications that ended more than the retention period ago."""
    cutoff = now - dt.timedelta(days=settings.RETENTION_READER_FILE_DAYS)
    cutoff_day = timezone.localdate(cutoff)
    submissions = (
        Submission.objects.exclude(file_key="")
        .filter(
            Q(application__status=Status.COMPLETED, application__completed_at__lte=cutoff)
            | Q(application__status=Status.EXPIRED, application__deadline__lte=cutoff_day)
            | Q(application__status=Status.REJECTED, application__decided_at__lte=cutoff)
        )
        .select_related("application__institution")
    )
    for submission in submissions:
        application = submission.application
        ended = application.completed_at or application.decided_at
        ended_day = timezone.localdate(ended) if ended else application.deadline

        def delete(submission: Submission = submission) -> None:
            delete_file(submission.file_key)
            Submission.objects.filter(pk=submission.pk).update(
                file_key="", deleted_at=timezone.now()
            )

        yield Item(
            kind="reader file",
            label=(
                f"{application.institution.name} {application.letter_number} "
                f"v{submission.version} ({submission.original_name})"
            ),
            due_since=ended_day + dt.timedelta(days=settings.RETENTION_READER_FILE_DAYS),
            delete=delete,
        )
