"""Issuing the cards of a queued application: one pass over the accepted file, in the worker.

Idempotent: each batch of rows is one transaction that creates the readers, their
cards and the IssuedRow records together, so a job that crashes half-way and
runs again skips what is done and creates nothing twice. Initial passwords are
random and stored under a keyed fast hash (argon2 would cost minutes here); the
roster copy is encrypted and erased after ROSTER_DAYS.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from libcard.core.audit import Actor, audit
from libcard.core.bulk import insert_many
from libcard.core.files import load_file
from libcard.core.uploads import check_bytes
from libcard.groups.models import GroupApplication, IssuedRow, PendingReader, Submission
from libcard.groups.states import Status
from libcard.identity.numbers import mask_id
from libcard.readerfile.judge import ReaderRow
from libcard.readers.models import Card, Reader
from libcard.readers.services import (
    NewReader,
    cardholders_among,
    initial_password_new,
    reader_build,
)

logger = logging.getLogger(__name__)
BATCH = 1_000
ROLE_CODES = {"學生": Reader.Role.STUDENT, "教職員": Reader.Role.STAFF}


class IssueFailed(Exception):
    pass


def accepted_submission(application: GroupApplication) -> Submission:
    submission = application.submissions.filter(state=Submission.State.ACCEPTED).first()
    if submission is None or not submission.file_key:
        raise IssueFailed("no accepted reader data file")
    return submission


def _issue_batch(
    application: GroupApplication, rows: list[ReaderRow], now: dt.datetime
) -> tuple[int, int]:
    """Create readers, cards and issued rows for one batch, all or nothing."""
    existing = cardholders_among(row.national_id for row in rows)
    new_rows = [row for row in rows if row.national_id not in existing]
    secrets_by_row: dict[int, str] = {}
    readers: list[Reader] = []
    for row in new_rows:
        secret = initial_password_new()
        secrets_by_row[row.row] = secret
        readers.append(
            reader_build(
                NewReader(
                    number=row.national_id,
                    name=row.name,
                    birth_date=row.birth_date,
                    role=ROLE_CODES.get(row.role, ""),
                    sex=row.sex or "",
                    email=row.email,
                    mobile=row.mobile,
                    unit=row.unit,
                ),
                secret=secret,
                now=now,
                institution_id=application.institution_id,
            )
        )
    with transaction.atomic():
        insert_many(Reader, readers)
        insert_many(
            Card,
            [
                Card(
                    reader=reader,
                    type=Card.Type.DIGITAL,
                    source=Card.Source.GROUP,
                    issued_at=now,
                    group_application=application,
                )
                for reader in readers
            ],
        )
        reader_by_row = dict(zip((row.row for row in new_rows), readers, strict=True))
        issued_rows = []
        for row in rows:
            reader = reader_by_row.get(row.row)
            common = {
                "application": application,
                "row": row.row,
                "name": row.name,
                "id_masked": mask_id(row.national_id),
                "unit": row.unit,
                "role": row.role,
            }
            if reader is None:
                issued_rows.append(IssuedRow(outcome=IssuedRow.Outcome.EXISTING, **common))
            else:
                secret = json.dumps({"a": row.national_id, "p": secrets_by_row[row.row]})
                issued_rows.append(
                    IssuedRow(
                        outcome=IssuedRow.Outcome.ISSUED,
                        reader=reader,
                        roster_secret=secret,
                        **common,
                    )
                )
        insert_many(IssuedRow, issued_rows)
    return len(readers), len(rows) - len(readers)


def _issue_one_by_one(
    application: GroupApplication, rows: list[ReaderRow], now: dt.datetime
) -> None:
    """After a batch hit a reader created meanwhile elsewhere: row by row, so only that one waits."""
    for row in rows:
        try:
            _issue_batch(application, [row], now)
        except IntegrityError:
            IssuedRow.objects.get_or_create(
                application=application,
                row=row.row,
                defaults={
                    "outcome": IssuedRow.Outcome.EXISTING,
                    "name": row.name,
                    "id_masked": mask_id(row.national_id),
                    "unit": row.unit,
                    "role": row.role,
                    "reason": "created meanwhile by another application",
                },
            )


def cards_issue(*, application_id: int) -> GroupApplication | None:
    """The worker's job. Returns None when there is nothing (more) to do."""
    application = GroupApplication.objects.select_related("institution", "contact").get(
        pk=application_id
    )
    if application.status != Status.ISSUING:
        logger.info("application %s is %s: nothing to issue", application.pk, application.status)
        return None
    actor = Actor.system()
    try:
        submission = accepted_submission(application)
        outcome = check_bytes(
            load_file(submission.file_key), submission.original_name, collect=True
        )
        if outcome.refused is not None or outcome.readers is None:
            raise IssueFailed(outcome.refused.message if outcome.refused else "unreadable")
    except IssueFailed as failure:
        with transaction.atomic():
            locked = GroupApplication.objects.select_for_update().get(pk=application.pk)
            if locked.status == Status.ISSUING:
                locked.status = Status.QUEUED
                locked.save(update_fields=["status"])
                audit(
                    actor,
                    "application.fail_issue",
                    locked,
                    from_state=Status.ISSUING,
                    to_state=Status.QUEUED,
                    reason=str(failure),
                )
        return None

    done = set(application.issued_rows.values_list("row", flat=True))
    todo = [row for row in outcome.readers if row.row not in done]
    now = timezone.now()
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        try:
            _issue_batch(application, chunk, now)
        except IntegrityError:
            _issue_one_by_one(application, chunk, now)
    return _finish(application, actor)


@transaction.atomic
def _finish(application: GroupApplication, actor: Actor) -> GroupApplication:
    application = GroupApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != Status.ISSUING:
        return application
    counts = dict(application.issued_rows.values_list("outcome").annotate(n=Count("id")).order_by())
    application.issued_count = counts.get(IssuedRow.Outcome.ISSUED, 0)
    application.existing_count = counts.get(IssuedRow.Outcome.EXISTING, 0)
    application.refused_count = counts.get(IssuedRow.Outcome.REFUSED, 0)
    application.status = Status.ISSUED
    application.issued_at = timezone.now()
    application.roster_expires_at = application.issued_at + dt.timedelta(days=settings.ROSTER_DAYS)
    application.save()
    PendingReader.objects.filter(application=application).delete()
    audit(
        actor,
        "application.finish_issue",
        application,
        from_state=Status.ISSUING,
        to_state=Status.ISSUED,
        issued=application.issued_count,
        existing=application.existing_count,
        refused=application.refused_count,
    )
    application_id = application.pk
    transaction.on_commit(lambda: notify_issued(application_id=application_id))
    return application


def notify_issued(*, application_id: int) -> None:
    """E-mail the contact person, then the application is completed."""
    from django.urls import reverse

    from libcard.core.mail import send_now
    from libcard.groups.mails import portal_context

    with transaction.atomic():
        application = (
            GroupApplication.objects.select_for_update()
            .select_related("institution", "contact")
            .get(pk=application_id)
        )
        if application.status != Status.ISSUED:
            return
        context = portal_context(application)
        context["roster_url"] = settings.SITE_URL + reverse(
            "portal:application", args=[application.pk]
        )
        send_now(application.contact.email, "group_issued", context)
        application.status = Status.COMPLETED
        application.completed_at = timezone.now()
        application.save(update_fields=["status", "completed_at"])
        audit(
            Actor.system(),
            "application.complete",
            application,
            from_state=Status.ISSUED,
            to_state=Status.COMPLETED,
        )


def rosters_purge(*, now: dt.datetime | None = None) -> int:
    """Erase roster secrets whose download period is over (the periodic job)."""
    now = now or timezone.now()
    expired = GroupApplication.objects.filter(
        roster_expires_at__lt=now, issued_rows__roster_secret__isnull=False
    ).distinct()
    total = 0
    for application in expired:
        total += IssuedRow.objects.filter(application=application).update(roster_secret=None)
        audit(Actor.system(), "roster.purge", application)
    return total
