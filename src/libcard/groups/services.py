"""Group applications: every state change is one of these functions (HackSoft-style services).

Each transition locks the application row, checks the current state against
libcard.groups.states, changes it and writes the audit log in one transaction,
so two staff members, a double-submitted form or a retried job cannot do a
step twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from libcard.core.audit import Actor, audit
from libcard.core.files import store_file
from libcard.core.uploads import CheckOutcome, check_bytes, safe_filename
from libcard.core.workdays import add_months, library_calendar
from libcard.groups.mails import (
    SIGNUP_SALT,
    contact_from_signup_token,
    mail_contact,
    signup_token,
)
from libcard.groups.models import (
    Attachment,
    ContactPerson,
    GroupApplication,
    Institution,
    Submission,
)
from libcard.groups.states import UPLOAD_STATES, Status, TransitionNotAllowed, target_of
from libcard.readers.services import cardholders_among

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A request that the application's state or its data does not allow; the message says why."""


# -- institutions and contact persons ---------------------------------------------------------
@transaction.atomic
def contact_change(
    *,
    actor: Actor,
    institution: Institution,
    name: str,
    email: str,
    title: str = "",
    phone: str = "",
    started_on: dt.date | None = None,
    note: str = "",
) -> ContactPerson:
    """Record a new contact person; the previous one ends the day before (history is kept)."""
    started_on = started_on or timezone.localdate()
    previous = list(institution.contacts.select_for_update().filter(ended_on__isnull=True))
    same = next((c for c in previous if c.email.lower() == email.lower()), None)
    if same is not None:
        same.name, same.title, same.phone = name, title, phone
        same.save(update_fields=["name", "title", "phone"])
        return same
    for contact in previous:
        contact.ended_on = max(started_on - dt.timedelta(days=1), contact.started_on)
        contact.save(update_fields=["ended_on"])
        if contact.user_id:
            # The old contact's portal account stops giving access to the institution.
            get_user_model().objects.filter(pk=contact.user_id).update(is_active=False)
    contact = ContactPerson.objects.create(
        institution=institution,
        name=name,
        email=email,
        title=title,
        phone=phone,
        started_on=started_on,
        recorded_by=actor.label,
        note=note,
    )
    audit(actor, "contact.change", institution, contact=contact.pk, name=name)
    return contact


# -- transitions ------------------------------------------------------------------------------
def _locked(application: GroupApplication) -> GroupApplication:
    return GroupApplication.objects.select_for_update().get(pk=application.pk)


def _move(
    actor: Actor,
    application: GroupApplication,
    transition: str,
    *,
    reason: str = "",
    **details: object,
) -> str:
    """Check and set the new state; the caller holds the row lock. Returns the old state."""
    current = application.status
    application.status = target_of(transition, current)
    audit(
        actor,
        f"application.{transition}",
        application,
        from_state=current,
        to_state=application.status,
        reason=reason,
        **details,
    )
    return current


@dataclass
class AttachmentUpload:
    kind: str
    name: str
    data: bytes
    content_type: str


DOCUMENT_TYPES = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def document_type(data: bytes) -> str | None:
    return next((t for magic, t in DOCUMENT_TYPES.items() if data.startswith(magic)), None)


@transaction.atomic
def application_register(
    *,
    actor: Actor,
    institution: Institution,
    contact: ContactPerson,
    letter_number: str,
    letter_date: dt.date,
    received_on: dt.date,
    batch_label: str = "",
    attachments: list[AttachmentUpload] = (),  # type: ignore[assignment]
) -> GroupApplication:
    if contact.institution_id != institution.pk:
        raise ApplicationError(_("The contact person belongs to another institution."))
    if received_on < letter_date:
        raise ApplicationError(_("The date received cannot be before the letter date."))
    if GroupApplication.objects.filter(
        institution=institution, letter_number=letter_number
    ).exists():
        raise ApplicationError(_("This letter number is already registered for the institution."))
    application = GroupApplication.objects.create(
        institution=institution,
        contact=contact,
        letter_number=letter_number,
        letter_date=letter_date,
        received_on=received_on,
        batch_label=batch_label,
        deadline=add_months(letter_date, settings.GROUP_FILE_MONTHS),
        created_by=actor.label,
    )
    for upload in attachments:
        attachment_add(actor=actor, application=application, upload=upload)
    audit(actor, "application.register", application, to_state=application.status)
    return application


def attachment_add(
    *, actor: Actor, application: GroupApplication, upload: AttachmentUpload
) -> Attachment:
    content_type = document_type(upload.data)
    if content_type is None:
        raise ApplicationError(
            _("“%(name)s” is not a PDF, PNG or JPEG file.") % {"name": upload.name}
        )
    if len(upload.data) > settings.ATTACHMENT_MAX_BYTES:
        raise ApplicationError(
            _("“%(name)s” is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    attachment = Attachment.objects.create(
        application=application,
        kind=upload.kind,
        file_key=store_file(upload.data, folder="attachments"),
        original_name=safe_filename(upload.name),
        content_type=content_type,
        size=len(upload.data),
        uploaded_by=actor.label,
    )
    audit(actor, "attachment.add", application, attachment=attachment.pk, kind=upload.kind)
    return attachment


@transaction.atomic
def application_approve(*, actor: Actor, application: GroupApplication) -> GroupApplication:
    application = _locked(application)
    _move(actor, application, "approve")
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    mail_contact(application, "group_approved")
    return application


@transaction.atomic
def application_reject(
    *, actor: Actor, application: GroupApplication, reason: str
) -> GroupApplication:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("A rejection needs a reason for the contact person."))
    application = _locked(application)
    _move(actor, application, "reject", reason=reason)
    application.decided_at = timezone.now()
    application.decision_reason = reason
    application.save(update_fields=["status", "decided_at", "decision_reason"])
    mail_contact(application, "group_rejected", reason=reason)
    return application


# -- the reader data file ---------------------------------------------------------------------
def open_batch_numbers(
    numbers: list[str], *, exclude: GroupApplication
) -> dict[str, GroupApplication]:
    """ID numbers of this file that another open application has in its accepted file."""
    from libcard.core.crypto import id_index
    from libcard.groups.models import PendingReader

    indexes = {id_index(number): number for number in numbers}
    found: dict[str, GroupApplication] = {}
    pending = (
        PendingReader.objects.filter(id_index__in=list(indexes))
        .exclude(application=exclude)
        .select_related("application__institution")
    )
    for entry in pending:
        found[indexes[entry.id_index]] = entry.application
    return found


def _database_findings(outcome: CheckOutcome, application: GroupApplication) -> dict[str, object]:
    """What only the database knows: existing cardholders, and readers in another open batch."""
    assert outcome.readers is not None and outcome.report is not None
    numbers = [reader.national_id for reader in outcome.readers]
    existing = cardholders_among(numbers)
    elsewhere = open_batch_numbers(numbers, exclude=application)
    from libcard.identity.numbers import mask_id

    existing_rows = [
        {"row": r.row, "name": r.name, "id": mask_id(r.national_id)}
        for r in outcome.readers
        if r.national_id in existing
    ]
    column = outcome.report.columns.get("national_id", ("", None))
    other_batch = []
    for reader in outcome.readers:
        other = elsewhere.get(reader.national_id)
        if other is None:
            continue
        other_batch.append(
            {
                "row": reader.row,
                "column": column[0],
                "col_index": column[1],
                "code": "id.other_batch",
                "severity": "error",
                "message": _(
                    "Row %(row)d, “%(column)s”: %(masked)s is already in another open "
                    "application (%(institution)s, letter %(letter)s); list each reader once."
                )
                % {
                    "row": reader.row,
                    "column": column[0],
                    "masked": mask_id(reader.national_id),
                    "institution": other.institution.name,
                    "letter": other.letter_number,
                },
            }
        )
    return {"existing": existing_rows, "other_batch": other_batch}


def _report_json(outcome: CheckOutcome, findings: dict[str, object]) -> dict[str, object]:
    if outcome.report is None:
        return {}
    data = outcome.report.as_json()
    for issue, raw in zip(data["issues"], outcome.report.issues, strict=True):  # type: ignore[arg-type]
        issue["col_index"] = raw.col_index  # type: ignore[index]
    data["issues"] = sorted(
        [*data["issues"], *findings["other_batch"]],  # type: ignore[misc]
        key=lambda issue: (issue["row"], issue.get("col_index") or 0),
    )
    data["existing"] = findings["existing"]
    return data


@transaction.atomic
def submission_upload(
    *, actor: Actor, application: GroupApplication, filename: str, data: bytes
) -> Submission:
    """Store a new version and judge it; it is a preview until the contact person submits it."""
    application = _locked(application)
    if application.status not in UPLOAD_STATES:
        raise ApplicationError(_("This application does not take a reader data file now."))
    if timezone.localdate() > application.deadline:
        raise ApplicationError(
            _(
                "The deadline for the reader data file (%(deadline)s, six months after the "
                "letter date) has passed; the institution needs to apply again with a new letter."
            )
            % {"deadline": application.deadline.isoformat()}
        )
    outcome = check_bytes(data, filename, collect=True)
    findings = (
        _database_findings(outcome, application)
        if outcome.report is not None
        else {"existing": [], "other_batch": []}
    )
    report = _report_json(outcome, findings)
    other_rows = {issue["row"] for issue in findings["other_batch"]}  # type: ignore[union-attr]
    last = application.submissions.order_by("-version").first()
    submission = Submission.objects.create(
        application=application,
        version=(last.version + 1) if last else 1,
        file_key=store_file(data, folder="reader-files"),
        original_name=safe_filename(filename),
        size=len(data),
        uploaded_by=actor.label,
        refused_message=outcome.refused.message if outcome.refused else "",
        rows=report.get("rows", 0),  # type: ignore[arg-type]
        valid=max(0, report.get("valid", 0) - len(other_rows)),  # type: ignore[operator]
        invalid=report.get("invalid", 0) + len(other_rows),  # type: ignore[operator]
        existing=len(findings["existing"]),  # type: ignore[arg-type]
        report=report,
    )
    audit(
        actor,
        "submission.upload",
        application,
        submission=submission.pk,
        version=submission.version,
        rows=submission.rows,
        invalid=submission.invalid,
    )
    return submission


@transaction.atomic
def submission_submit(*, actor: Actor, submission: Submission) -> GroupApplication:
    """Send a previewed version to the library: queued when clean, returned when not."""
    application = _locked(submission.application)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.state != Submission.State.PREVIEW:
        raise ApplicationError(_("This version has already been submitted."))
    latest = application.submissions.order_by("-version").first()
    if latest is not None and latest.pk != submission.pk:
        raise ApplicationError(_("A newer version has been uploaded; submit that one instead."))
    if timezone.localdate() > application.deadline:
        raise ApplicationError(_("The deadline for the reader data file has passed."))
    application.submissions.filter(
        state__in=[Submission.State.ACCEPTED, Submission.State.RETURNED]
    ).update(state=Submission.State.SUPERSEDED)
    submission.submitted_at = timezone.now()
    if submission.has_errors or submission.valid - submission.existing <= 0:
        transition = "reopen" if application.status == Status.QUEUED else "return_file"
        submission.state = Submission.State.RETURNED
        _move(actor, application, transition, submission=submission.pk)
        _clear_pending(application)
        application.file_accepted_at = None
        application.due_on = None
        mail_contact(application, "group_returned", submission=submission)
    else:
        transition = "replace_file" if application.status == Status.QUEUED else "accept_file"
        submission.state = Submission.State.ACCEPTED
        _move(actor, application, transition, submission=submission.pk)
        application.file_accepted_at = submission.submitted_at
        calendar = library_calendar()
        application.due_on = calendar.add_working_days(
            timezone.localdate(submission.submitted_at), settings.GROUP_DUE_WORKING_DAYS
        )
        _set_pending(application, submission)
    submission.save(update_fields=["state", "submitted_at"])
    application.save(update_fields=["status", "file_accepted_at", "due_on"])
    return application


def _clear_pending(application: GroupApplication) -> None:
    from libcard.groups.models import PendingReader

    PendingReader.objects.filter(application=application).delete()


def _set_pending(application: GroupApplication, submission: Submission) -> None:
    """Remember the accepted file's readers so that another open batch cannot list them too."""
    from libcard.core.bulk import insert_many
    from libcard.core.crypto import id_index
    from libcard.core.files import load_file
    from libcard.groups.models import PendingReader

    _clear_pending(application)
    outcome = check_bytes(load_file(submission.file_key), submission.original_name, collect=True)
    indexes = {id_index(reader.national_id) for reader in outcome.readers or []}
    insert_many(
        PendingReader, [PendingReader(application=application, id_index=i) for i in indexes]
    )


@transaction.atomic
def application_return(
    *, actor: Actor, application: GroupApplication, reason: str
) -> GroupApplication:
    """Staff send a queued file back (they found a problem the checker cannot see)."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Returning a file needs a reason for the contact person."))
    application = _locked(application)
    _move(actor, application, "reopen", reason=reason)
    application.submissions.filter(state=Submission.State.ACCEPTED).update(
        state=Submission.State.RETURNED
    )
    _clear_pending(application)
    application.file_accepted_at = None
    application.due_on = None
    application.save(update_fields=["status", "file_accepted_at", "due_on"])
    mail_contact(application, "group_returned", reason=reason)
    return application


# -- issuing ----------------------------------------------------------------------------------
@transaction.atomic
def application_issue(*, actor: Actor, application: GroupApplication) -> GroupApplication:
    """Hand a queued application to the worker; a second click finds it already issuing."""
    from libcard.groups.tasks import issue_cards_task

    application = _locked(application)
    _move(actor, application, "start_issue")
    application.save(update_fields=["status"])
    application_id = application.pk
    transaction.on_commit(lambda: issue_cards_task.enqueue(application_id))
    return application


@transaction.atomic
def application_expire(*, actor: Actor, application: GroupApplication) -> GroupApplication:
    application = _locked(application)
    _move(actor, application, "expire")
    application.save(update_fields=["status"])
    _clear_pending(application)
    mail_contact(application, "group_expired")
    return application


def applications_expire_due(*, today: dt.date | None = None) -> int:
    """The periodic job: applications whose file deadline has passed become expired."""
    today = today or timezone.localdate()
    count = 0
    due = GroupApplication.objects.filter(
        status__in=[Status.AWAITING_FILE, Status.RETURNED], deadline__lt=today
    )
    for application in due:
        try:
            application_expire(actor=Actor.system(), application=application)
            count += 1
        except TransitionNotAllowed:
            continue  # someone else moved it meanwhile
    return count


def due_dates_recompute() -> int:
    """After a change of the library's calendar: the due dates of the queue, counted again."""
    calendar = library_calendar()
    changed = 0
    for application in GroupApplication.objects.filter(
        status__in=[Status.QUEUED, Status.ISSUING], file_accepted_at__isnull=False
    ):
        due = calendar.add_working_days(
            timezone.localdate(application.file_accepted_at), settings.GROUP_DUE_WORKING_DAYS
        )
        if due != application.due_on:
            GroupApplication.objects.filter(pk=application.pk).update(due_on=due)
            changed += 1
    return changed


def applications_auto_issue() -> int:
    """When the library turned GROUP_AUTO_ISSUE on: issue queued applications in arrival order."""
    if not settings.GROUP_AUTO_ISSUE:
        return 0
    count = 0
    for application in GroupApplication.objects.filter(status=Status.QUEUED).order_by(
        "received_on", "id"
    ):
        try:
            application_issue(actor=Actor.system(), application=application)
            count += 1
        except TransitionNotAllowed:
            continue
    return count


def issuing_started_at(application: GroupApplication) -> dt.datetime | None:
    """When issuing was last handed to the worker (started or resumed)."""
    from libcard.core.models import AuditEntry

    return (
        AuditEntry.objects.filter(
            object_type=GroupApplication._meta.label_lower,
            object_id=str(application.pk),
            action__in=["application.start_issue", "application.resume_issue"],
        )
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


@transaction.atomic
def application_resume_issue(
    *, actor: Actor, application: GroupApplication, wait: dt.timedelta
) -> GroupApplication:
    """Hand an application stuck in "issuing" back to the worker.

    Issuing is idempotent (libcard.groups.issuance), so a second run only finishes
    what is left; still, a job handed over less than ``wait`` ago is left alone.
    """
    from libcard.groups.tasks import issue_cards_task

    application = _locked(application)
    if application.status != Status.ISSUING:
        raise TransitionNotAllowed("resume_issue", application.status)
    started = issuing_started_at(application)
    if started is not None and timezone.now() - started < wait:
        raise ApplicationError(
            _(
                "Issuing started less than %(minutes)d minutes ago and may still be running; "
                "please wait and look again."
            )
            % {"minutes": wait.seconds // 60}
        )
    audit(actor, "application.resume_issue", application)
    application_id = application.pk
    transaction.on_commit(lambda: issue_cards_task.enqueue(application_id))
    return application


def applications_resume_stuck(*, older_than: dt.timedelta = dt.timedelta(minutes=30)) -> int:
    """The periodic job: resume every application whose issuing job died with its process."""
    count = 0
    for application in GroupApplication.objects.filter(status=Status.ISSUING):
        try:
            application_resume_issue(actor=Actor.system(), application=application, wait=older_than)
            count += 1
        except (ApplicationError, TransitionNotAllowed):
            continue  # still running, or finished meanwhile
    return count


__all__ = [
    "SIGNUP_SALT",
    "ApplicationError",
    "AttachmentUpload",
    "TransitionNotAllowed",
    "application_approve",
    "application_expire",
    "application_issue",
    "application_register",
    "application_reject",
    "application_return",
    "applications_expire_due",
    "attachment_add",
    "contact_change",
    "contact_from_signup_token",
    "signup_token",
    "submission_submit",
    "submission_upload",
]
