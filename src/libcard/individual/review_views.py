"""The reviewers' side, mounted at /staff/review/: the queue, the application with its
documents beside the data they must match, approve or reject, and the documents themselves.

Only staff with the reviewer role get here. A decision someone else made first
(TransitionNotAllowed) becomes a message, never an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from libcard.accounts.roles import REVIEWER, staff_required
from libcard.accounts.staff_auth import staff_render
from libcard.core.audit import Actor, audit
from libcard.core.files import load_file
from libcard.individual import selectors
from libcard.individual.forms import RejectForm, RevealForm
from libcard.individual.models import Document, IndividualApplication
from libcard.individual.services import (
    ApplicationError,
    TransitionNotAllowed,
    application_approve,
    application_reject,
)
from libcard.individual.states import Status

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
ACTION_LABELS = {
    "individual.submit": gettext_lazy("Application sent"),
    "individual.confirm_email": gettext_lazy("E-mail address confirmed: in the queue"),
    "individual.approve": gettext_lazy("Approved: card issued"),
    "individual.reject": gettext_lazy("Rejected"),
    "individual.lapse": gettext_lazy("No longer valid (not confirmed, or replaced)"),
    "individual.certificate": gettext_lazy("Citizen Digital Certificate verified: card issued"),
    "individual.delay_notice": gettext_lazy("“It will take longer” e-mail sent"),
    "individual.reveal": gettext_lazy("Full ID number shown"),
}


def _state_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value or "—"


def _history(application: IndividualApplication) -> list[dict[str, object]]:
    return [
        {
            "entry": entry,
            "label": ACTION_LABELS.get(entry.action, entry.action),
            "from_label": _state_label(entry.from_state),
            "to_label": _state_label(entry.to_state) if entry.to_state else "",
        }
        for entry in selectors.history(application)
    ]


def _application(pk: int) -> IndividualApplication:
    return get_object_or_404(IndividualApplication, pk=pk)


def _already_decided(request: HttpRequest, application: IndividualApplication) -> None:
    fresh = IndividualApplication.objects.get(pk=application.pk)
    messages.info(
        request,
        _(
            "Nothing was changed: this application is already “%(state)s”"
            "%(by)s. Someone else decided it a moment ago."
        )
        % {
            "state": fresh.get_status_display(),
            "by": (_(" (by %(name)s)") % {"name": fresh.decided_by}) if fresh.decided_by else "",
        },
    )


@never_cache
@require_GET
@staff_required(REVIEWER)
def queue(request: HttpRequest) -> HttpResponse:
    return staff_render(
        request,
        "review/queue.html",
        {"rows": selectors.queue(), "decided": selectors.recently_decided()},
    )


def _detail(
    request: HttpRequest,
    application: IndividualApplication,
    *,
    reject_form: RejectForm | None = None,
    reveal_form: RevealForm | None = None,
    revealed: str = "",
    status: int = 200,
) -> HttpResponse:
    cardholder = (
        application.status == Status.SUBMITTED
        and selectors.eligibility_problem(application.national_id) == "cardholder"
    )
    return staff_render(
        request,
        "review/application.html",
        {
            "application": application,
            "documents": list(application.documents.all()),
            "deadline": selectors.deadline_of(application),
            "history": _history(application),
            "reject_form": reject_form or RejectForm(),
            "reveal_form": reveal_form or RevealForm(),
            "revealed": revealed,
            "cardholder_now": cardholder,
            "open": application.status == Status.SUBMITTED,
        },
        status=status,
    )


@never_cache
@require_GET
@staff_required(REVIEWER)
def application(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _application(pk))


@require_POST
@staff_required(REVIEWER)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(pk)
    try:
        application_approve(actor=Actor.from_request(request), application=application)
    except TransitionNotAllowed:
        _already_decided(request, application)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Approved: the card is issued and the applicant has been e-mailed how to log in."),
        )
    return redirect("review:application", pk=application.pk)


@require_POST
@staff_required(REVIEWER)
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, reject_form=form)
    try:
        application_reject(
            actor=Actor.from_request(request),
            application=application,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except TransitionNotAllowed:
        _already_decided(request, application)
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _detail(request, application, reject_form=form)
    else:
        messages.success(request, _("Rejected: the applicant has been e-mailed the reason."))
    return redirect("review:application", pk=application.pk)


@never_cache
@require_POST
@staff_required(REVIEWER)
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The full ID number, for this one response, with a stated reason in the audit log."""
    application = _application(pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, reveal_form=form)
    audit(
        Actor.from_request(request),
        "individual.reveal",
        application,
        reason=form.cleaned_data["reason"],
        masked=application.id_masked,
    )
    return _detail(request, application, revealed=application.national_id)


@never_cache
@require_GET
@staff_required(REVIEWER)
def document(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=document_pk, application_id=pk)
    if not document.file_key:
        return staff_render(request, "review/document_gone.html", {"document": document}, 410)
    data = load_file(document.file_key)
    audit(
        Actor.from_request(request),
        "individual.document_view",
        document.application,
        kind=document.kind,
    )
    filename = f"{document.application.reference}-{document.kind}.{EXTENSIONS.get(document.content_type, 'bin')}"
    response = HttpResponse(data, content_type=document.content_type)
    disposition = "inline" if document.is_image else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # Identity documents: no copy in any cache, shared or the browser's own.
    response["Cache-Control"] = "no-store, private"
    return response
