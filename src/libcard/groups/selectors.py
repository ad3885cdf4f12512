"""Reads across models for the staff queue, the portal and the roster."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from libcard.core.files import load_file
from libcard.core.workdays import Calendar, UnknownYear, library_calendar
from libcard.groups.models import GroupApplication, IssuedRow, Submission
from libcard.groups.states import Status
from libcard.readerfile.annotate import annotated_copy
from libcard.readerfile.model import Issue, Report
from libcard.readerfile.reader import sheet_rows


@dataclass
class QueueRow:
    application: GroupApplication
    due_on: dt.date | None
    working_days_left: int | None  # None when the calendar does not know the year
    warning: bool  # from working day 7 on
    late: bool


def queued_applications() -> QuerySet[GroupApplication]:
    """Queued and issuing applications, first come first served."""
    return (
        GroupApplication.objects.filter(status__in=[Status.QUEUED, Status.ISSUING])
        .select_related("institution")
        .order_by("received_on", "id")
    )


def queue(
    *,
    calendar: Calendar | None = None,
    today: dt.date | None = None,
    applications: Iterable[GroupApplication] | None = None,
) -> list[QueueRow]:
    """The queue (or one page of it) with each application's deadline in working days."""
    calendar = calendar or library_calendar()
    today = today or timezone.localdate()
    rows = []
    if applications is None:
        applications = queued_applications()
    for application in applications:
        left = warning = late = None
        if application.due_on is not None and application.file_accepted_at is not None:
            try:
                left = calendar.working_days_between(today, application.due_on)
                elapsed = calendar.working_days_between(
                    timezone.localdate(application.file_accepted_at), today
                )
                warning = elapsed >= settings.GROUP_WARNING_WORKING_DAY
                late = left < 0
            except UnknownYear:
                left = None
        rows.append(QueueRow(application, application.due_on, left, bool(warning), bool(late)))
    return rows


def applications_for_staff(status: str | None = None) -> QuerySet[GroupApplication]:
    applications = GroupApplication.objects.select_related("institution", "contact")
    if status:
        applications = applications.filter(status=status)
    return applications.order_by("received_on", "id")


def applications_of_institution(institution_id: int) -> QuerySet[GroupApplication]:
    return GroupApplication.objects.filter(institution_id=institution_id).order_by("-received_on")


def latest_submission(application: GroupApplication) -> Submission | None:
    return application.submissions.order_by("-version").first()


def report_of(submission: Submission) -> Report | None:
    data = submission.report or {}
    if not data:
        return None
    report = Report(
        file=str(data.get("file", submission.original_name)),
        sheet=str(data.get("sheet", "")),
        header_row=int(data.get("header_row", 1)),
        rows=submission.rows,
        valid=submission.valid,
        invalid=submission.invalid,
        ignored_columns=list(data.get("ignored_columns", [])),
    )
    for item in data.get("issues", []):
        report.issues.append(
            Issue(
                row=int(item["row"]),
                column=str(item.get("column", "")),
                code=str(item["code"]),
                severity=item.get("severity", "error"),
                message=str(item["message"]),
                col_index=item.get("col_index"),
            )
        )
    return report


def submission_annotated(submission: Submission) -> bytes | None:
    """The contact person's file with the bad cells marked, or None when nothing is marked."""
    report = report_of(submission)
    if report is None or not report.issues or not submission.file_key:
        return None
    data = load_file(submission.file_key)
    rows = sheet_rows(data, submission.original_name, report.sheet)
    return annotated_copy(rows=rows, sheet_name=report.sheet or "讀者資料", report=report)


def roster_available(application: GroupApplication, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        application.status in (Status.ISSUED, Status.COMPLETED)
        and application.roster_expires_at is not None
        and now <= application.roster_expires_at
        and application.issued_rows.filter(roster_secret__isnull=False).exists()
    )


def roster_rows(application: GroupApplication) -> list[tuple[IssuedRow, dict[str, str] | None]]:
    """Issued rows with their decrypted account and initial password (None once purged)."""
    rows = []
    for issued in application.issued_rows.order_by("unit", "row"):
        secret = json.loads(issued.roster_secret) if issued.roster_secret else None
        rows.append((issued, secret))
    return rows
