"""The institution portal: the contact person's pages for their institution's applications.

Thin views: they parse input, call libcard.groups.services, and render. Every
object is fetched through the logged-in contact's institution, so a number
typed into the address bar of another institution's application is a 404.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.core import signing
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libcard.accounts.roles import contact_required, current_contact
from libcard.core.audit import Actor, audit
from libcard.core.files import load_file
from libcard.core.http import client_ip
from libcard.core.ratelimit import rate_limit_hit
from libcard.core.uploads import annotated_name, safe_filename
from libcard.core.workdays import UnknownYear, library_calendar
from libcard.groups import selectors, services
from libcard.groups.models import ContactPerson, GroupApplication, IssuedRow, Submission
from libcard.groups.portal_forms import (
    PortalLoginForm,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    SignupForm,
    UploadForm,
    is_portal_user,
)
from libcard.groups.roster import (
    ExistingEntry,
    RefusedEntry,
    Roster,
    RosterEntry,
    roster_pdf,
    roster_xlsx,
)
from libcard.groups.states import UPLOAD_STATES, Status

# Findings shown on a page; the annotated copy carries all of them.
SHOWN_ROWS = 500
# Login attempts per window: per account (the e-mail typed) and per client address.
# A school's whole office may share one address, hence the larger second number.
LOGIN_WINDOW = 15 * 60
LOGIN_PER_ACCOUNT = 10
LOGIN_PER_ADDRESS = 60
# Password reset mails requested per client address per hour.
RESET_PER_ADDRESS = 10

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_TYPES = {
    ".xlsx": XLSX_TYPE,
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
}
ROSTER_TYPES = {"xlsx": XLSX_TYPE, "pdf": "application/pdf"}


# -- helpers ----------------------------------------------------------------------------------
def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    """A download that is never cached, with its (Chinese) name in RFC 5987 ``filename*``."""
    filename = safe_filename(filename)
    ascii_name = filename.encode("ascii", "ignore").decode().strip(" .-") or "download"
    if "." in filename and "." not in ascii_name:
        ascii_name += "." + filename.rsplit(".", 1)[1]
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store, private"
    return response


def _application_or_404(request: HttpRequest, pk: int) -> GroupApplication:
    return get_object_or_404(
        GroupApplication.objects.select_related("institution", "contact"),
        pk=pk,
        institution_id=request.contact.institution_id,  # type: ignore[attr-defined]
    )


def _submission_or_404(request: HttpRequest, pk: int, sid: int) -> Submission:
    application = _application_or_404(request, pk)
    submission = get_object_or_404(Submission, pk=sid, application=application)
    submission.application = application
    return submission


def _date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day)
    return formats.date_format(day, "Y-m-d")


def _days_left(deadline: dt.date, today: dt.date) -> str:
    days = (deadline - today).days
    if days < 0:
        return _("the deadline has passed")
    if days == 0:
        return _("today is the last day")
    return ngettext("%(days)d day left", "%(days)d days left", days) % {"days": days}


def _working_days_left(due_on: dt.date | None, today: dt.date) -> int | None:
    if due_on is None:
        return None
    try:
        return library_calendar().working_days_between(today, due_on)
    except UnknownYear:
        return None


def _deadline_passed(application: GroupApplication, today: dt.date) -> bool:
    return application.status == Status.EXPIRED or (
        application.status in UPLOAD_STATES and today > application.deadline
    )


def _can_upload(application: GroupApplication, today: dt.date) -> bool:
    return application.status in UPLOAD_STATES and today <= application.deadline


def _status_text(
    application: GroupApplication, today: dt.date, *, unsent_version: int | None = None
) -> str:
    """What the application's state means for the contact person, and what to do next."""
    deadline = _date(application.deadline)
    if _deadline_passed(application, today):
        return _(
            "The deadline for the reader data file (%(deadline)s, six months after the letter "
            "date) has passed. To get cards now, the institution has to send the library a new "
            "official letter."
        ) % {"deadline": deadline}
    status = application.status
    text = ""
    if status == Status.RECEIVED:
        text = _(
            "The library has received the letter and is checking it. You will get an e-mail "
            "when it is approved; there is nothing to do until then."
        )
    elif status == Status.AWAITING_FILE:
        text = _(
            "The library has approved the application. Fill in the reader data file with the "
            "template and upload it here by %(deadline)s."
        ) % {"deadline": deadline}
    elif status == Status.RETURNED:
        text = _(
            "The last file sent had problems and was returned. Correct the marked rows and "
            "upload the file again by %(deadline)s."
        ) % {"deadline": deadline}
    elif status == Status.QUEUED:
        if application.due_on:
            text = _(
                "The library has your file. The cards will be issued by %(due)s (files are "
                "handled in the order they arrived)."
            ) % {"due": _date(application.due_on)}
        else:
            text = _(
                "The library has your file; the cards will be issued in about 10 working days."
            )
    elif status == Status.ISSUING:
        text = _(
            "The library is issuing the cards now. This page shows the result when it is done."
        )
    elif status in (Status.ISSUED, Status.COMPLETED):
        if selectors.roster_available(application):
            text = _(
                "The cards are issued. Download the credentials roster by %(until)s, give each "
                "reader their slip, then delete the file."
            ) % {"until": _date(application.roster_expires_at)}
        else:
            text = _("The cards are issued. The readers log in with their ID number.")
    elif status == Status.REJECTED:
        text = _("The library did not approve this application.")
        if application.decision_reason:
            text += " " + _("The library's reason: %(reason)s") % {
                "reason": application.decision_reason
            }
    if unsent_version is not None and _can_upload(application, today):
        text += " " + _(
            "Version %(version)d was uploaded but has not been sent to the library yet."
        ) % {"version": unsent_version}
    return text


def _next_step(
    application: GroupApplication, today: dt.date, *, unsent_version: int | None = None
) -> str:
    """The one next thing to do, short, for the list of applications."""
    status = application.status
    if _deadline_passed(application, today):
        return _("Send the library a new official letter to apply again.")
    if unsent_version is not None and _can_upload(application, today):
        return _(
            "Version %(version)d is uploaded but not sent to the library yet: open it to see "
            "the result and send it."
        ) % {"version": unsent_version}
    if status == Status.RECEIVED:
        return _("The library is checking the letter; wait for its e-mail.")
    if status == Status.AWAITING_FILE:
        return _("Upload the reader data file.")
    if status == Status.RETURNED:
        return _("Correct the returned file and upload it again.")
    if status == Status.QUEUED:
        if application.due_on:
            return _("Nothing: the cards are due by %(due)s.") % {"due": _date(application.due_on)}
        return _("Nothing: the library is preparing the cards.")
    if status == Status.ISSUING:
        return _("Nothing: the cards are being issued.")
    if status in (Status.ISSUED, Status.COMPLETED):
        if selectors.roster_available(application):
            return _("Download the credentials roster by %(until)s.") % {
                "until": _date(application.roster_expires_at)
            }
        return _("Nothing: the cards are issued.")
    if status == Status.REJECTED:
        reason = application.decision_reason
        return _("Not approved: %(reason)s") % {"reason": reason} if reason else _("Not approved.")
    return ""


@dataclass
class ApplicationSummary:
    application: GroupApplication
    next_step: str
    next_url: str
    days_left: str
    can_upload: bool


# -- log in, log out, password reset, sign-up -------------------------------------------------
class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm
    next_page = reverse_lazy("portal:home")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET" and current_contact(request) is not None:
            return HttpResponseRedirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = str(request.POST.get("username", "")).strip().lower()[:254]
        allowed = rate_limit_hit(
            key=f"portal-login:ip:{client_ip(request)}",
            limit=LOGIN_PER_ADDRESS,
            window_seconds=LOGIN_WINDOW,
        )
        if email:
            allowed = (
                rate_limit_hit(
                    key=f"portal-login:account:{email}",
                    limit=LOGIN_PER_ACCOUNT,
                    window_seconds=LOGIN_WINDOW,
                )
                and allowed
            )
        if not allowed:
            audit(Actor.from_request(request), "contact.login_throttled", attempted=_mailish(email))
            form = self.get_form_class()(request, data=None)
            return render(
                request,
                self.template_name,
                {"form": form, "throttled": True, "next": self.get_redirect_url()},
                status=429,
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PortalLoginForm) -> HttpResponse:
        response = super().form_valid(form)
        audit(Actor.from_request(self.request), "contact.login", form.get_user())
        return response

    def form_invalid(self, form: PortalLoginForm) -> HttpResponse:
        if form.has_error("__all__"):
            email = str(form.data.get("username", "")).strip().lower()
            audit(
                Actor.from_request(self.request), "contact.login_failed", attempted=_mailish(email)
            )
        return super().form_invalid(form)


def _mailish(text: str) -> str:
    """What was typed as the e-mail, for the audit log, unless it may be a mistyped password."""
    return text[:120] if "@" in text and " " not in text else ""


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


class PortalPasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset_form.html"
    form_class = PortalPasswordResetForm
    email_template_name = "portal/mail/password_reset.txt"
    subject_template_name = "portal/mail/password_reset.subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed = rate_limit_hit(
            key=f"portal-reset:ip:{client_ip(request)}",
            limit=RESET_PER_ADDRESS,
            window_seconds=3600,
        )
        if not allowed:
            return render(
                request,
                self.template_name,
                {"form": self.get_form_class()(), "throttled": True},
                status=429,
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PortalPasswordResetForm) -> HttpResponse:
        # The link in the mail uses the configured address, never the request's Host header.
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "library_name": settings.LIBRARY_NAME,
            "library_contact": settings.LIBRARY_CONTACT,
        }
        return super().form_valid(form)


class PortalPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("portal:password_reset_complete")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and is_portal_user(user) else None

    def form_valid(self, form: PortalSetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        audit(Actor.for_user(form.user, ip=client_ip(self.request)), "contact.password_reset")
        return response


class PortalPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"


class PortalPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("portal:home")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return contact_required(super().dispatch)(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit(Actor.from_request(self.request), "contact.password_change")
        messages.success(self.request, _("Your password has been changed."))
        return response


class SignupRefused(Exception):
    """The account cannot be made: ``problem`` is "used" (a double click) or "conflict"
    (the e-mail address already belongs to another portal or staff account)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _signup_problem(token: str) -> str:
    """Why a sign-up link does not work, so that the page can say what to do."""
    try:
        data = signing.loads(
            token,
            salt=services.SIGNUP_SALT,
            max_age=dt.timedelta(days=settings.SIGNUP_LINK_DAYS),
        )
    except signing.SignatureExpired:
        return "expired"
    except signing.BadSignature:
        return "invalid"
    if not isinstance(data, dict):
        return "invalid"
    contact = ContactPerson.objects.filter(pk=data.get("c")).first()
    if contact is None or contact.ended_on is not None:
        return "ended"
    if contact.email.lower() != data.get("e"):
        return "changed"
    if contact.user_id:
        return "used"
    return "invalid"


@transaction.atomic
def _contact_signup(*, contact: ContactPerson, password: str, ip: str) -> Any:
    """Make the contact's portal account; the row lock makes a link work once, even double-clicked."""
    contact = (
        ContactPerson.objects.select_for_update().select_related("institution").get(pk=contact.pk)
    )
    if contact.user_id:
        raise SignupRefused("used")
    if contact.ended_on is not None:
        raise SignupRefused("ended")
    users = get_user_model()
    username = contact.email.strip().lower()
    user = users.objects.select_for_update().filter(username__iexact=username).first()
    if user is not None:
        if user.is_staff or ContactPerson.objects.filter(user=user, ended_on__isnull=True).exists():
            raise SignupRefused("conflict")
        # A former contact person (of this or another institution) is named again: the same
        # mailbox got the link, so the old account is taken over; the old record keeps its history.
        ContactPerson.objects.filter(user=user).update(user=None)
        user.is_active = True
    else:
        user = users(username=username)
    user.email = username
    user.first_name = contact.name[:150]
    user.is_staff = False
    user.set_password(password)
    user.save()
    contact.user = user
    contact.save(update_fields=["user"])
    audit(
        Actor.for_user(user, ip=ip),
        "contact.signup",
        contact,
        institution=contact.institution_id,
    )
    return user


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest, token: str) -> HttpResponse:
    contact = services.contact_from_signup_token(token)
    if contact is None:
        return render(
            request,
            "portal/signup_refused.html",
            {"problem": _signup_problem(token), "link_days": settings.SIGNUP_LINK_DAYS},
            status=400,
        )
    candidate = get_user_model()(
        username=contact.email.lower(), email=contact.email, first_name=contact.name
    )
    form = SignupForm(candidate, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = _contact_signup(
                contact=contact,
                password=form.cleaned_data["new_password1"],
                ip=client_ip(request),
            )
        except SignupRefused as refused:
            return render(
                request,
                "portal/signup_refused.html",
                {"problem": refused.problem, "link_days": settings.SIGNUP_LINK_DAYS},
                status=409,
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your portal account is ready. Welcome!"))
        return redirect("portal:home")
    return render(
        request,
        "portal/signup.html",
        {"form": form, "contact": contact, "institution": contact.institution},
    )


# -- the institution and its applications -----------------------------------------------------
@never_cache
@require_GET
@contact_required
def home(request: HttpRequest) -> HttpResponse:
    contact: ContactPerson = request.contact  # type: ignore[attr-defined]
    institution = contact.institution
    today = timezone.localdate()
    latest = Submission.objects.filter(application=OuterRef("pk")).order_by("-version")
    applications = selectors.applications_of_institution(institution.pk).annotate(
        latest_version=Subquery(latest.values("version")[:1]),
        latest_state=Subquery(latest.values("state")[:1]),
        latest_pk=Subquery(latest.values("pk")[:1]),
    )
    summaries = []
    for application in applications:
        can_upload = _can_upload(application, today)
        unsent = (
            application.latest_version
            if application.latest_state == Submission.State.PREVIEW and can_upload
            else None
        )
        summaries.append(
            ApplicationSummary(
                application=application,
                next_step=_next_step(application, today, unsent_version=unsent),
                next_url=(
                    reverse("portal:submission", args=[application.pk, application.latest_pk])
                    if unsent
                    else reverse("portal:application", args=[application.pk])
                    + ("#upload" if can_upload else "")
                ),
                days_left=_days_left(application.deadline, today) if can_upload else "",
                can_upload=can_upload,
            )
        )
    return render(
        request,
        "portal/home.html",
        {"institution": institution, "contact": contact, "summaries": summaries},
    )


def _findings(submission: Submission | None) -> dict[str, Any]:
    """The findings of one version for the page (capped), from its stored report."""
    if submission is None:
        return {}
    report = submission.report or {}
    issues = list(report.get("issues", []))
    existing = list(report.get("existing", []))
    return {
        "issues": issues[:SHOWN_ROWS],
        "more_issues": max(0, len(issues) - SHOWN_ROWS),
        "existing": existing[:SHOWN_ROWS],
        "more_existing": max(0, len(existing) - SHOWN_ROWS),
        "has_annotated": bool(issues) and bool(submission.file_key),
        "will_return": submission.has_errors or submission.valid - submission.existing <= 0,
        "nothing_new": not submission.has_errors
        and submission.rows > 0
        and submission.valid - submission.existing <= 0,
    }


def _application_page(
    request: HttpRequest,
    application: GroupApplication,
    *,
    form: UploadForm | None = None,
    upload_error: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    submissions = list(application.submissions.order_by("-version"))
    latest = submissions[0] if submissions else None
    unsent = latest.version if latest and latest.state == Submission.State.PREVIEW else None
    issued = application.status in (Status.ISSUED, Status.COMPLETED)
    context: dict[str, Any] = {
        "application": application,
        "institution": application.institution,
        "status_text": _status_text(application, today, unsent_version=unsent),
        "deadline_passed": _deadline_passed(application, today),
        "days_left": _days_left(application.deadline, today),
        "can_upload": _can_upload(application, today),
        "form": form or UploadForm(),
        "upload_error": upload_error,
        "latest": latest,
        "earlier": submissions[1:],
        "findings": _findings(latest),
        "issued": issued,
        "roster_available": issued and selectors.roster_available(application),
        "working_days_left": (
            _working_days_left(application.due_on, today)
            if application.status == Status.QUEUED
            else None
        ),
    }
    return render(request, "portal/application.html", context, status=status)


@never_cache
@require_GET
@contact_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _application_page(request, _application_or_404(request, pk))


def _service_error(exc: Exception, application: GroupApplication) -> str:
    if isinstance(exc, services.TransitionNotAllowed):
        application.refresh_from_db(fields=["status"])
        return _(
            "This step is not possible now: the application is “%(status)s”. Reload the page "
            "to see its current state."
        ) % {"status": application.get_status_display()}
    return str(exc)


@never_cache
@require_POST
@contact_required
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_or_404(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _application_page(request, application, form=form, status=400)
    try:
        submission = services.submission_upload(
            actor=Actor.from_request(request),
            application=application,
            filename=form.file_name,
            data=form.file_bytes,
        )
    except (services.ApplicationError, services.TransitionNotAllowed) as exc:
        application.refresh_from_db()
        return _application_page(
            request, application, upload_error=_service_error(exc, application), status=409
        )
    return redirect("portal:submission", application.pk, submission.pk)


@never_cache
@require_GET
@contact_required
def submission_detail(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    submission = _submission_or_404(request, pk, sid)
    application = submission.application
    today = timezone.localdate()
    latest = selectors.latest_submission(application)
    is_latest = latest is not None and latest.pk == submission.pk
    context = {
        "application": application,
        "submission": submission,
        "findings": _findings(submission),
        "is_latest": is_latest,
        "can_submit": (
            submission.state == Submission.State.PREVIEW
            and is_latest
            and _can_upload(application, today)
        ),
        "deadline_passed": _deadline_passed(application, today),
        "replaces_queued": application.status == Status.QUEUED,
    }
    return render(request, "portal/submission.html", context)


@never_cache
@require_POST
@contact_required
def submission_submit(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    submission = _submission_or_404(request, pk, sid)
    try:
        application = services.submission_submit(
            actor=Actor.from_request(request), submission=submission
        )
    except (services.ApplicationError, services.TransitionNotAllowed) as exc:
        messages.error(request, _service_error(exc, submission.application))
        return redirect("portal:submission", pk, sid)
    if application.status == Status.QUEUED:
        messages.success(
            request,
            _("The file has been sent to the library. The cards will be issued by %(due)s.")
            % {"due": _date(application.due_on)},
        )
    else:
        messages.warning(
            request,
            _(
                "The file has been sent back to you for correction. Correct the marked rows and "
                "upload it again by %(deadline)s."
            )
            % {"deadline": _date(application.deadline)},
        )
    return redirect("portal:application", pk)


@never_cache
@require_GET
@contact_required
def submission_annotated(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    submission = _submission_or_404(request, pk, sid)
    data = selectors.submission_annotated(submission)
    if data is None:
        raise Http404
    audit(
        Actor.from_request(request),
        "submission.download",
        submission.application,
        submission=submission.pk,
        version=submission.version,
        kind="annotated",
    )
    response = HttpResponse(data, content_type=XLSX_TYPE)
    return attachment(response, annotated_name(submission.original_name))


@never_cache
@require_GET
@contact_required
def submission_file(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    submission = _submission_or_404(request, pk, sid)
    if not submission.file_key:
        raise Http404  # removed by the retention job
    try:
        data = load_file(submission.file_key)
    except FileNotFoundError:
        raise Http404 from None
    audit(
        Actor.from_request(request),
        "submission.download",
        submission.application,
        submission=submission.pk,
        version=submission.version,
        kind="original",
    )
    extension = "." + submission.original_name.rsplit(".", 1)[-1].lower()
    content_type = FILE_TYPES.get(extension) or (
        mimetypes.guess_type(submission.original_name)[0] or "application/octet-stream"
    )
    response = HttpResponse(data, content_type=content_type)
    return attachment(response, submission.original_name)


# -- the credentials roster -------------------------------------------------------------------
def roster_of(application: GroupApplication) -> Roster:
    """The roster files' input: accounts and initial passwords of issued rows, and the rest."""
    entries: list[RosterEntry] = []
    existing: list[ExistingEntry] = []
    refused: list[RefusedEntry] = []
    for row, secret in selectors.roster_rows(application):
        if row.outcome == IssuedRow.Outcome.ISSUED and secret:
            entries.append(
                RosterEntry(
                    row=row.row,
                    name=row.name,
                    unit=row.unit,
                    role=row.role,
                    account=secret["a"],
                    password=secret["p"],
                )
            )
        elif row.outcome == IssuedRow.Outcome.EXISTING:
            existing.append(
                ExistingEntry(row=row.row, name=row.name, id_masked=row.id_masked, unit=row.unit)
            )
        elif row.outcome == IssuedRow.Outcome.REFUSED:
            refused.append(
                RefusedEntry(
                    row=row.row,
                    name=row.name,
                    id_masked=row.id_masked,
                    unit=row.unit,
                    reason=row.reason,
                )
            )
    issued_at = application.issued_at or timezone.now()
    # The readers' initial passwords were made with the issue and expire this long after it.
    password_expiry = issued_at + dt.timedelta(days=settings.INITIAL_PASSWORD_DAYS)
    return Roster(
        library_name=settings.LIBRARY_NAME,
        institution=application.institution.name,
        letter_number=application.letter_number,
        batch_label=application.batch_label,
        issued_on=timezone.localdate(issued_at),
        password_expires_on=timezone.localdate(password_expiry),
        login_url=_reader_login_url(),
        help_contact=settings.LIBRARY_CONTACT,
        entries=entries,
        existing=existing,
        refused=refused,
    )


def _reader_login_url() -> str:
    """Where readers log in with the account and initial password on their slip."""
    try:
        path = reverse("reader:login")
    except NoReverseMatch:
        path = "/"
    return settings.SITE_URL + path


@never_cache
@require_GET
@contact_required
def roster_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ROSTER_TYPES:
        raise Http404
    application = _application_or_404(request, pk)
    if not selectors.roster_available(application):
        return render(
            request,
            "portal/roster_gone.html",
            {"application": application, "roster_days": settings.ROSTER_DAYS},
            status=403,
        )
    roster = roster_of(application)
    data = roster_xlsx(roster) if fmt == "xlsx" else roster_pdf(roster)
    audit(
        Actor.from_request(request),
        "roster.download",
        application,
        format=fmt,
        readers=len(roster.entries),
    )
    # The institution's name and the letter number keep the name Chinese in every language.
    filename = (
        f"{application.institution.name}-{_('credentials roster')}-"
        f"{application.letter_number}.{fmt}"
    )
    return attachment(HttpResponse(data, content_type=ROSTER_TYPES[fmt]), filename)
