"""The reader's own pages: login, first password, the notice, the card, self-service."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from libcard.accounts.passwords import verify_password
from libcard.accounts.reader_forms import (
    ChangePasswordForm,
    ContactForm,
    CorrectionForm,
    ForgotForm,
    NewPasswordForm,
    NoticeForm,
    ReaderLoginForm,
)
from libcard.accounts.reader_session import (
    pending_reader,
    reader_login,
    reader_logout,
    reader_required,
)
from libcard.accounts.services import (
    Outcome,
    reader_authenticate,
    reader_set_password,
    session_hash,
)
from libcard.core.audit import Actor, audit
from libcard.core.http import client_ip
from libcard.core.mail import send_later
from libcard.core.ratelimit import rate_limit_hit
from libcard.readers.models import CorrectionRequest, Reader
from libcard.readers.services import card_active, reader_by_number

EMAIL_SALT = "libcard.reader.email"
RESET_SALT = "libcard.reader.reset"
RESET_MAX_AGE = dt.timedelta(hours=2)
EMAIL_MAX_AGE = dt.timedelta(days=3)


def _actor(request: HttpRequest, reader: Reader) -> Actor:
    return Actor("reader", str(reader.pk), reader.id_masked, channel="web", ip=client_ip(request))


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = ReaderLoginForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        result = reader_authenticate(
            account=form.cleaned_data["account"],
            password=form.cleaned_data["password"],
            channel="web",
            address=client_ip(request),
        )
        if result.outcome is Outcome.THROTTLED:
            context["error"] = _(
                "Too many failed attempts. Please wait %(seconds)d seconds and try again."
            ) % {"seconds": result.retry_after}
            status = 429
        elif result.outcome is Outcome.INVALID:
            context["error"] = _("The ID number or the password is not right.")
        elif result.outcome is Outcome.INITIAL_EXPIRED:
            context["expired"] = True
        elif result.reader is not None:
            pending = result.outcome is Outcome.MUST_CHANGE
            reader_login(request, result.reader, pending=pending)
            if pending:
                return redirect("reader:first_password")
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = ""
            return redirect(target or "reader:card")
    return render(request, "reader/login.html", context, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    reader_logout(request)
    messages.success(request, _("You have logged out."))
    return redirect("reader:login")


@require_http_methods(["GET", "POST"])
def first_password(request: HttpRequest) -> HttpResponse:
    """After logging in with the initial password: the one thing it allows."""
    reader = pending_reader(request)
    if reader is None:
        return redirect("reader:login")
    form = NewPasswordForm(
        request.POST or None, number=reader.national_id, birth_date=reader.birth_date
    )
    if request.method == "POST" and form.is_valid():
        reader_set_password(
            reader=reader, password=form.cleaned_data["new_password"], actor=_actor(request, reader)
        )
        reader_login(request, reader)
        messages.success(request, _("Your new password is set."))
        return redirect("reader:notice")
    return render(request, "reader/first_password.html", {"form": form, "pending": reader})


@reader_required
@require_http_methods(["GET", "POST"])
def notice(request: HttpRequest) -> HttpResponse:
    reader: Reader = request.reader  # type: ignore[attr-defined]
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Reader.objects.filter(pk=reader.pk).update(notice_accepted_at=timezone.now())
        audit(_actor(request, reader), "reader.accept_notice", reader)
        return redirect("reader:card")
    institution = reader.institution
    return render(
        request,
        "reader/notice.html",
        {"form": form, "institution": institution, "accepted": reader.notice_accepted_at},
    )


@reader_required
def card(request: HttpRequest) -> HttpResponse:
    reader: Reader = request.reader  # type: ignore[attr-defined]
    current = card_active(reader) or reader.cards.order_by("-issued_at").first()
    return render(
        request,
        "reader/card.html",
        {
            "card": current,
            "cards": reader.cards.order_by("-issued_at"),
            "today": timezone.localdate(),
        },
    )


@reader_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    reader: Reader = request.reader  # type: ignore[attr-defined]
    form = ChangePasswordForm(
        request.POST or None, number=reader.national_id, birth_date=reader.birth_date
    )
    if request.method == "POST" and form.is_valid():
        if not verify_password(reader.password, form.cleaned_data["current_password"]):
            form.add_error("current_password", _("The current password is not right."))
        else:
            reader_set_password(
                reader=reader,
                password=form.cleaned_data["new_password"],
                actor=_actor(request, reader),
            )
            reader_login(request, reader)  # keep this session; others end
            messages.success(request, _("Your password has been changed."))
            return redirect("reader:card")
    return render(request, "reader/change_password.html", {"form": form})


@reader_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    reader: Reader = request.reader  # type: ignore[attr-defined]
    initial = {"email": reader.email, "mobile": reader.mobile, "address": reader.address}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reader.mobile, reader.address = data["mobile"], data["address"]
        reader.save(update_fields=["mobile", "address"])
        changed = ["mobile"] if initial["mobile"] != data["mobile"] else []
        changed += ["address"] if initial["address"] != data["address"] else []
        new_email = (data["email"] or "").strip()
        if new_email and new_email.lower() != reader.email.lower():
            token = signing.dumps({"r": reader.pk, "e": new_email}, salt=EMAIL_SALT)
            send_later(
                new_email,
                "reader_email_confirm",
                {
                    "reader": reader,
                    "confirm_url": settings.SITE_URL
                    + reverse("reader:email_confirm", args=[token]),
                },
            )
            messages.info(
                request,
                _("We sent a confirmation link to %(email)s; the address changes once you open it.")
                % {"email": new_email},
            )
        if changed:
            audit(_actor(request, reader), "reader.contact_change", reader, fields=changed)
            messages.success(request, _("Your contact data has been saved."))
        return redirect("reader:contact")
    return render(request, "reader/contact.html", {"form": form})


def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=EMAIL_MAX_AGE)
    except signing.BadSignature:
        return render(request, "reader/link_invalid.html")
    reader = Reader.objects.filter(pk=data.get("r")).first()
    if reader is None:
        return render(request, "reader/link_invalid.html")
    reader.email = data["e"]
    reader.email_verified = True
    reader.save(update_fields=["email", "email_verified"])
    audit(_actor(request, reader), "reader.email_confirm", reader)
    return render(request, "reader/email_confirmed.html", {"email": reader.email})


@reader_required
@require_http_methods(["GET", "POST"])
def correction(request: HttpRequest) -> HttpResponse:
    reader: Reader = request.reader  # type: ignore[attr-defined]
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request_obj = CorrectionRequest.objects.create(
            reader=reader,
            field=form.cleaned_data["field"],
            requested_value=form.cleaned_data["requested_value"],
            note=form.cleaned_data["note"],
        )
        audit(_actor(request, reader), "reader.correction_request", request_obj)
        messages.success(
            request, _("Your request has been sent to the library; staff will check it.")
        )
        return redirect("reader:card")
    open_requests = reader.corrections.filter(state=CorrectionRequest.State.OPEN)
    return render(request, "reader/correction.html", {"form": form, "open": open_requests})


def reset_token(reader: Reader, valid_for: dt.timedelta = RESET_MAX_AGE) -> str:
    """Single use (bound to the reader's current secret) and valid for ``valid_for``."""
    until = int((timezone.now() + valid_for).timestamp())
    return signing.dumps(
        {"r": reader.pk, "s": session_hash(reader)[:16], "u": until}, salt=RESET_SALT
    )


def password_link(reader: Reader, valid_for: dt.timedelta = RESET_MAX_AGE) -> str:
    """The absolute address of a set-password page for this reader (e-mails use it)."""
    return settings.SITE_URL + reverse("reader:reset", args=[reset_token(reader, valid_for)])


@require_http_methods(["GET", "POST"])
def forgot(request: HttpRequest) -> HttpResponse:
    """Always the same answer, whether or not the account exists or has an e-mail."""
    form = ForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_ip(request)
        allowed = rate_limit_hit(key=f"forgot:ip:{address}", limit=10, window_seconds=3600)
        reader = reader_by_number(form.cleaned_data["account"])
        if reader is not None:
            allowed = allowed and rate_limit_hit(
                key=f"forgot:reader:{reader.pk}", limit=3, window_seconds=3600
            )
        if allowed and reader is not None and reader.email:
            send_later(
                reader.email,
                "reader_password_reset",
                {
                    "reader": reader,
                    "reset_url": password_link(reader),
                    "hours": int(RESET_MAX_AGE.total_seconds() // 3600),
                },
            )
            audit(_actor(request, reader), "reader.reset_requested", reader)
        return render(request, "reader/forgot_sent.html")
    return render(request, "reader/forgot.html", {"form": form})


@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = signing.loads(token, salt=RESET_SALT)
    except signing.BadSignature:
        return render(request, "reader/link_invalid.html")
    expired = not isinstance(data.get("u"), int) or data["u"] < timezone.now().timestamp()
    reader = None if expired else Reader.objects.filter(pk=data.get("r")).first()
    # Single use: the password (and so the session hash) changes once the link is used.
    if reader is None or session_hash(reader)[:16] != data.get("s"):
        return render(request, "reader/link_invalid.html")
    form = NewPasswordForm(
        request.POST or None, number=reader.national_id, birth_date=reader.birth_date
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            reader_set_password(
                reader=reader,
                password=form.cleaned_data["new_password"],
                actor=_actor(request, reader),
            )
        reader_logout(request)
        messages.success(request, _("Your new password is set; please log in with it."))
        return redirect("reader:login")
    return render(request, "reader/reset.html", {"form": form})
