"""The staff back office for group applications: the queue, the list, registering a letter,
the application page with its actions, file downloads, and institutions.

Views are thin: they parse a form, call one service from libcard.groups.services and
render. A transition someone else got to first (TransitionNotAllowed) becomes a
message, never an error page.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libcard.accounts.roles import GROUP, has_role, staff_required
from libcard.accounts.staff_auth import staff_render
from libcard.core.audit import Actor, audit
from libcard.core.files import load_file
from libcard.core.models import AuditEntry
from libcard.core.uploads import annotated_name
from libcard.core.workdays import Calendar, UnknownYear, library_calendar
from libcard.groups import selectors
from libcard.groups.models import (
    Attachment,
    ContactPerson,
    GroupApplication,
    Institution,
    Submission,
)
from libcard.groups.services import (
    ApplicationError,
    AttachmentUpload,
    application_approve,
    application_issue,
    application_register,
    application_reject,
    application_resume_issue,
    application_return,
    attachment_add,
    contact_change,
    issuing_started_at,
)
from libcard.groups.staff_forms import (
    ApplicationFilterForm,
    AttachmentAddForm,
    ContactChangeForm,
    InstitutionSearchForm,
    ReasonForm,
    RegisterLetterForm,
)
from libcard.groups.states import OPEN_STATES, Status, TransitionNotAllowed

PAGE_SIZE = 50
ISSUED_ROWS_PAGE_SIZE = 100
SHOWN_ISSUES = 500
# A second "resume" this soon after the last start would only queue the same job twice.
RESUME_AFTER = dt.timedelta(minutes=10)
APPLICATION_TYPE = GroupApplication._meta.label_lower
SPREADSHEET_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".xls": "application/vnd.ms-excel",
    ".csv": "text/csv",
}

ACTION_LABELS = {
    "application.register": gettext_lazy("Letter registered"),
    "application.approve": gettext_lazy("Approved"),
    "application.reject": gettext_lazy("Rejected"),
    "application.accept_file": gettext_lazy("Reader data file accepted"),
    "application.return_file": gettext_lazy("Reader data file returned for correction"),
    "application.replace_file": gettext_lazy("Queued file replaced by a new version"),
    "application.reopen": gettext_lazy("Queued file returned for correction"),
    "application.start_issue": gettext_lazy("Issuing started"),
    "application.resume_issue": gettext_lazy("Issuing resumed"),
    "application.fail_issue": gettext_lazy("Issuing stopped with an error"),
    "application.finish_issue": gettext_lazy("Cards issued"),
    "application.complete": gettext_lazy("Contact person notified; completed"),
    "application.expire": gettext_lazy("Expired: the file deadline passed"),
}


# -- small services that services.py does not have (yet) --------------------------------------
@transaction.atomic
def institution_create(
    *,
    actor: Actor,
    name: str,
    code: str = "",
    kind: str = Institution.Kind.SCHOOL,
    county: str = "",
) -> Institution:
    institution = Institution.objects.create(
        name=name.strip(), code=code.strip(), kind=kind or Institution.Kind.SCHOOL, county=county
    )
    audit(actor, "institution.create", institution, name=institution.name, code=institution.code)
    return institution


@transaction.atomic
def letter_register(
    *, actor: Actor, data: dict[str, object], attachments: list[AttachmentUpload]
) -> tuple[GroupApplication, bool]:
    """Institution (existing or new), its contact person and the application, all or nothing.

    Returns the application and whether the institution's contact person changed.
    """
    institution = data.get("institution")
    if institution is None:
        institution = institution_create(
            actor=actor,
            name=str(data["new_name"]),
            code=str(data.get("new_code") or ""),
            kind=str(data.get("new_kind") or Institution.Kind.SCHOOL),
            county=str(data.get("new_county") or "").strip(),
        )
    assert isinstance(institution, Institution)
    wanted = {
        "name": str(data["contact_name"]).strip(),
        "title": str(data.get("contact_title") or "").strip(),
        "phone": str(data.get("contact_phone") or "").strip(),
        "email": str(data["contact_email"]).strip(),
    }
    contact = institution.current_contact
    changed = contact is None or (
        contact.name,
        contact.title,
        contact.phone,
        contact.email.lower(),
    ) != (wanted["name"], wanted["title"], wanted["phone"], wanted["email"].lower())
    if changed:
        previous = contact
        contact = contact_change(actor=actor, institution=institution, **wanted)
        changed = previous is not None and previous.pk != contact.pk
    assert contact is not None
    application = application_register(
        actor=actor,
        institution=institution,
        contact=contact,
        letter_number=str(data["letter_number"]),
        letter_date=data["letter_date"],  # type: ignore[arg-type]
        received_on=data["received_on"],  # type: ignore[arg-type]
        batch_label=str(data.get("batch_label") or "").strip(),
        attachments=attachments,
    )
    return application, changed


# -- helpers ----------------------------------------------------------------------------------
@dataclass
class Deadline:
    """A due date with its "N working days left" badge."""

    due_on: dt.date | None
    left: int | None
    badge: str  # "", "good", "warn", "late"
    text: str


def deadline_badge(due_on: dt.date | None, left: int | None, warning: bool, late: bool) -> Deadline:
    if due_on is None:
        return Deadline(None, None, "", "")
    if left is None:
        return Deadline(
            due_on,
            None,
            "warn",
            _("The working-day calendar does not know this year yet; count by hand."),
        )
    if late:
        return Deadline(
            due_on,
            left,
            "late",
            ngettext("%(n)d working day late", "%(n)d working days late", -left) % {"n": -left},
        )
    text = ngettext("%(n)d working day left", "%(n)d working days left", left) % {"n": left}
    return Deadline(due_on, left, "warn" if warning else "good", text)


def deadline_of(
    application: GroupApplication, calendar: Calendar, today: dt.date | None = None
) -> Deadline:
    """The same reckoning as selectors.queue(), for one application."""
    today = today or timezone.localdate()
    if application.due_on is None or application.file_accepted_at is None:
        return deadline_badge(None, None, False, False)
    try:
        left = calendar.working_days_between(today, application.due_on)
        elapsed = calendar.working_days_between(
            timezone.localdate(application.file_accepted_at), today
        )
    except UnknownYear:
        return deadline_badge(application.due_on, None, False, False)
    return deadline_badge(
        application.due_on, left, elapsed >= settings.GROUP_WARNING_WORKING_DAY, left < 0
    )


def _application(pk: int) -> GroupApplication:
    return get_object_or_404(
        GroupApplication.objects.select_related("institution", "contact"), pk=pk
    )


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def file_response(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    # Personal data: no copies in shared or browser caches.
    response["Cache-Control"] = "no-store, private"
    return response


def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


# -- the queue (dashboard) and the list -------------------------------------------------------
@dataclass
class QueueItem:
    application: GroupApplication
    submission: Submission | None
    deadline: Deadline


@require_GET
@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.queued_applications(), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.queue(applications=page.object_list)
    accepted = {
        submission.application_id: submission
        for submission in Submission.objects.filter(
            application_id__in=[row.application.pk for row in rows],
            state=Submission.State.ACCEPTED,
        ).only("id", "application_id", "valid", "existing", "submitted_at", "version")
    }
    items = [
        QueueItem(
            row.application,
            accepted.get(row.application.pk),
            deadline_badge(row.due_on, row.working_days_left, row.warning, row.late),
        )
        for row in rows
    ]
    counts = dict(GroupApplication.objects.values_list("status").annotate(n=Count("id")).order_by())
    state_counts = [(value, label, counts.get(value, 0)) for value, label in Status.choices]
    return staff_render(
        request,
        "staff/dashboard.html",
        {
            "items": items,
            "page": page,
            "waiting": page.paginator.count,
            "state_counts": state_counts,
            "today": timezone.localdate(),
        },
    )


QUEUE_PAGE_SIZE = 100


@require_GET
@staff_required()
def application_list(request: HttpRequest) -> HttpResponse:
    form = ApplicationFilterForm(request.GET or None)
    status = query = ""
    if form.is_valid():
        status = form.cleaned_data["status"]
        query = form.cleaned_data["q"].strip()
    applications = selectors.applications_for_staff(status or None)
    if query:
        applications = applications.filter(
            Q(institution__name__icontains=query)
            | Q(letter_number__icontains=query)
            | Q(institution__code=query)
        )
    # Open work is done first come, first served; everything else reads newest first.
    oldest_first = status in OPEN_STATES
    if not oldest_first:
        applications = applications.order_by("-received_on", "-id")
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    return staff_render(
        request,
        "staff/application_list.html",
        {"form": form, "page": page, "oldest_first": oldest_first, "status": status},
    )


# -- registering a letter ---------------------------------------------------------------------
def _register_initial(request: HttpRequest) -> dict[str, object]:
    initial: dict[str, object] = {"received_on": timezone.localdate()}
    try:
        institution_id = int(request.GET.get("institution", ""))
    except ValueError:
        return initial
    institution = Institution.objects.filter(pk=institution_id).first()
    if institution is None:
        return initial
    initial["institution"] = institution
    contact = institution.current_contact
    if contact is not None:
        initial.update(
            contact_name=contact.name,
            contact_title=contact.title,
            contact_phone=contact.phone,
            contact_email=contact.email,
        )
    return initial


@require_http_methods(["GET", "POST"])
@staff_required(GROUP)
def application_register_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = RegisterLetterForm(initial=_register_initial(request))
        return staff_render(request, "staff/application_register.html", {"form": form})
    form = RegisterLetterForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            application, contact_changed = letter_register(
                actor=Actor.from_request(request),
                data=form.cleaned_data,
                attachments=form.attachments,
            )
        except ApplicationError as error:
            form.add_error(None, str(error))
        except IntegrityError:
            # Someone registered the same letter or institution code a moment ago.
            form.add_error(
                None,
                _(
                    "This letter or institution code was registered by someone else just now; "
                    "please look it up before trying again."
                ),
            )
        else:
            messages.success(request, _("The letter is registered."))
            if contact_changed:
                messages.info(
                    request,
                    _("%(institution)s now has %(name)s as its contact person.")
                    % {
                        "institution": application.institution.name,
                        "name": application.contact.name,
                    },
                )
            if application.deadline < timezone.localdate():
                messages.warning(
                    request,
                    _(
                        "The letter is more than six months old: the deadline for the reader "
                        "data file (%(deadline)s) has already passed."
                    )
                    % {"deadline": application.deadline.isoformat()},
                )
            return redirect("staff:application", pk=application.pk)
    return staff_render(request, "staff/application_register.html", {"form": form})


# -- the application page ---------------------------------------------------------------------
@dataclass
class HistoryRow:
    entry: AuditEntry
    label: str
    from_label: str
    to_label: str


def history_of(application: GroupApplication) -> list[HistoryRow]:
    entries = (
        AuditEntry.objects.filter(object_type=APPLICATION_TYPE, object_id=str(application.pk))
        .filter(Q(to_state__gt="") | Q(action__startswith="application."))
        .order_by("at", "id")
    )
    return [
        HistoryRow(
            entry,
            str(ACTION_LABELS.get(entry.action, entry.action)),
            status_label(entry.from_state) if entry.from_state else "",
            status_label(entry.to_state) if entry.to_state else "",
        )
        for entry in entries
    ]


@require_GET
@staff_required()
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(pk)
    can_act = has_role(request.user, GROUP)
    issued_rows = Paginator(
        # In file order: the (application, row) index serves the page without a sort.
        application.issued_rows.order_by("row").only(
            "row", "outcome", "reason", "name", "id_masked", "unit", "role"
        ),
        ISSUED_ROWS_PAGE_SIZE,
    ).get_page(request.GET.get("rows"))
    status = application.status
    actions = {
        "can_approve": can_act and status == Status.RECEIVED,
        "can_reject": can_act and status == Status.RECEIVED,
        "can_issue": can_act and status == Status.QUEUED,
        "can_return": can_act and status == Status.QUEUED,
        "can_resume": can_act and status == Status.ISSUING,
    }
    context = {
        "application": application,
        "status_label": status_label(status),
        "deadline": deadline_of(application, library_calendar()),
        "history": history_of(application),
        "attachments": application.attachments.order_by("uploaded_at", "id"),
        "submissions": application.submissions.order_by("-version"),
        "issued_rows": issued_rows,
        "has_issued": application.issued_count
        or application.existing_count
        or application.refused_count
        or issued_rows.paginator.count,
        "can_act": can_act,
        **actions,
        "has_actions": any(actions.values()),
        "next_step": next_step(application),
        "issuing_since": issuing_started_at(application) if status == Status.ISSUING else None,
        "reject_form": ReasonForm(auto_id="reject_%s"),
        "return_form": ReasonForm(auto_id="return_%s"),
        "attachment_form": AttachmentAddForm(auto_id="attach_%s"),
    }
    return staff_render(request, "staff/application_detail.html", context)


def next_step(application: GroupApplication) -> str:
    """One line on what the application waits for, when staff have nothing to do."""
    status = application.status
    if status in (Status.AWAITING_FILE, Status.RETURNED):
        return _(
            "Waiting for the contact person to send the reader data file (deadline %(deadline)s)."
        ) % {"deadline": application.deadline.isoformat()}
    if status == Status.ISSUED:
        return _("The cards are issued; the contact person is being told.")
    if status == Status.COMPLETED:
        return _("Done: the cards are issued and the contact person has been told.")
    if status == Status.REJECTED:
        return _("Rejected. The institution may apply again with a new letter.")
    if status == Status.EXPIRED:
        return _(
            "Expired: no valid reader data file arrived within six months of the letter date. "
            "The institution needs to apply again with a new letter."
        )
    return ""


def _perform(
    request: HttpRequest, pk: int, action: str, done: str, **kwargs: object
) -> HttpResponse:
    application = get_object_or_404(GroupApplication, pk=pk)
    services = {
        "approve": application_approve,
        "reject": application_reject,
        "return": application_return,
        "issue": application_issue,
        "resume": lambda **kwargs: application_resume_issue(wait=RESUME_AFTER, **kwargs),
    }
    try:
        services[action](actor=Actor.from_request(request), application=application, **kwargs)
    except TransitionNotAllowed:
        application.refresh_from_db(fields=["status"])
        messages.warning(
            request,
            _(
                "Nothing was changed: the application is now “%(state)s”. "
                "Someone else may have acted on it first."
            )
            % {"state": status_label(application.status)},
        )
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("staff:application", pk=pk)


@require_POST
@staff_required(GROUP)
def application_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _perform(
        request,
        pk,
        "approve",
        _("Approved. The contact person gets an e-mail with the link to the portal."),
    )


def _perform_with_reason(
    request: HttpRequest, pk: int, action: str, missing: str, done: str
) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        get_object_or_404(GroupApplication, pk=pk)
        messages.error(request, missing)
        return redirect("staff:application", pk=pk)
    return _perform(request, pk, action, done, reason=form.cleaned_data["reason"])


@require_POST
@staff_required(GROUP)
def application_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _perform_with_reason(
        request,
        pk,
        "reject",
        _("A rejection needs a reason for the contact person."),
        _("Rejected. The contact person gets an e-mail with the reason."),
    )


@require_POST
@staff_required(GROUP)
def application_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _perform_with_reason(
        request,
        pk,
        "return",
        _("Returning a file needs a reason for the contact person."),
        _("The file is returned. The contact person gets an e-mail with the reason."),
    )


@require_POST
@staff_required(GROUP)
def application_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _perform(
        request,
        pk,
        "issue",
        _("Issuing has started; it runs in the background. Reload this page to see the result."),
    )


@require_POST
@staff_required(GROUP)
def application_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _perform(
        request,
        pk,
        "resume",
        _("Issuing is handed to the worker again; it finishes what is left."),
    )


@require_POST
@staff_required(GROUP)
def attachment_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(GroupApplication, pk=pk)
    form = AttachmentAddForm(request.POST, request.FILES)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("staff:application", pk=pk)
    actor = Actor.from_request(request)
    try:
        with transaction.atomic():
            for document in form.cleaned_data["documents"]:
                attachment_add(actor=actor, application=application, upload=document)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext("%(n)d file added.", "%(n)d files added.", len(form.cleaned_data["documents"]))
            % {"n": len(form.cleaned_data["documents"])},
        )
    return redirect("staff:application", pk=pk)


# -- files ------------------------------------------------------------------------------------
@require_GET
@staff_required()
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    application = get_object_or_404(GroupApplication, pk=pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, application=application)
    data = load_file(attachment.file_key)
    audit(
        Actor.from_request(request),
        "attachment.download",
        application,
        attachment=attachment.pk,
        kind=attachment.kind,
    )
    return file_response(data, attachment.content_type, attachment.original_name)


def _submission(pk: int, submission_pk: int) -> tuple[GroupApplication, Submission]:
    application = _application(pk)
    submission = get_object_or_404(Submission, pk=submission_pk, application=application)
    return application, submission


@require_GET
@staff_required()
def submission_detail(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """The findings of one version: masked IDs only, as stored in its report."""
    application, submission = _submission(pk, submission_pk)
    report = selectors.report_of(submission)
    issues = report.issues if report is not None else []
    return staff_render(
        request,
        "staff/submission_detail.html",
        {
            "application": application,
            "submission": submission,
            "report": report,
            "issues": issues[:SHOWN_ISSUES],
            "more_issues": max(0, len(issues) - SHOWN_ISSUES),
            "existing": (submission.report or {}).get("existing", [])[:SHOWN_ISSUES],
            "can_download": has_role(request.user, GROUP),
        },
    )


# The reader data file holds every reader's full ID: only the staff who handle groups get it.
@require_GET
@staff_required(GROUP)
def submission_download(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    application, submission = _submission(pk, submission_pk)
    if not submission.file_key:
        raise Http404("removed by the retention job")
    data = load_file(submission.file_key)
    audit(
        Actor.from_request(request),
        "submission.download",
        application,
        submission=submission.pk,
        version=submission.version,
        copy="original",
    )
    extension = os.path.splitext(submission.original_name)[1].lower()
    content_type = SPREADSHEET_TYPES.get(extension, "application/octet-stream")
    return file_response(data, content_type, submission.original_name)


@require_GET
@staff_required(GROUP)
def submission_annotated_download(
    request: HttpRequest, pk: int, submission_pk: int
) -> HttpResponse:
    application, submission = _submission(pk, submission_pk)
    data = selectors.submission_annotated(submission)
    if data is None:
        raise Http404("nothing to annotate")
    audit(
        Actor.from_request(request),
        "submission.download",
        application,
        submission=submission.pk,
        version=submission.version,
        copy="annotated",
    )
    return file_response(data, SPREADSHEET_TYPES[".xlsx"], annotated_name(submission.original_name))


# -- institutions -----------------------------------------------------------------------------
@require_GET
@staff_required(GROUP)
def institution_list(request: HttpRequest) -> HttpResponse:
    form = InstitutionSearchForm(request.GET or None)
    institutions = Institution.objects.annotate(applications_count=Count("applications"))
    if form.is_valid() and (query := form.cleaned_data["q"].strip()):
        institutions = institutions.filter(Q(name__icontains=query) | Q(code=query))
    institutions = institutions.prefetch_related(
        Prefetch(
            "contacts",
            queryset=ContactPerson.objects.filter(ended_on__isnull=True).order_by(
                "-started_on", "-id"
            ),
            to_attr="current_contacts",
        )
    ).order_by("name", "id")
    page = Paginator(institutions, PAGE_SIZE).get_page(request.GET.get("page"))
    return staff_render(request, "staff/institution_list.html", {"form": form, "page": page})


def _institution_page(
    request: HttpRequest, institution: Institution, form: ContactChangeForm
) -> HttpResponse:
    contacts = sorted(
        institution.contacts.all(),
        key=lambda c: (c.ended_on is not None, -c.started_on.toordinal(), -c.pk),
    )
    applications = selectors.applications_of_institution(institution.pk)
    return staff_render(
        request,
        "staff/institution_detail.html",
        {
            "institution": institution,
            "contacts": contacts,
            "applications": applications[:200],
            "applications_count": applications.count(),
            "form": form,
        },
    )


@require_GET
@staff_required(GROUP)
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = get_object_or_404(Institution, pk=pk)
    form = ContactChangeForm(initial={"started_on": timezone.localdate()})
    return _institution_page(request, institution, form)


@require_POST
@staff_required(GROUP)
def institution_contact_change(request: HttpRequest, pk: int) -> HttpResponse:
    institution = get_object_or_404(Institution, pk=pk)
    form = ContactChangeForm(request.POST)
    if not form.is_valid():
        return _institution_page(request, institution, form)
    data = form.cleaned_data
    contact = contact_change(
        actor=Actor.from_request(request),
        institution=institution,
        name=data["name"],
        email=data["email"],
        title=data["title"],
        phone=data["phone"],
        started_on=data["started_on"],
        note=data["note"],
    )
    messages.success(
        request,
        _("%(name)s is recorded as the contact person of %(institution)s.")
        % {"name": contact.name, "institution": institution.name},
    )
    return redirect("staff:institution", pk=institution.pk)
