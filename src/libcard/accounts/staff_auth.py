"""Staff login (password, then the TOTP second factor), logout, and helpers every staff page shares.

Staff sign in with Django's auth (username + password). Only users holding a
staff role get past the form, and "no such user", "wrong password" and "not
staff" all get the same answer. Every attempt is written to the audit log with
the username tried, never the password or a code.

After the right password a staff member with a confirmed authenticator is not
logged in yet: the session remembers who they are for a few minutes and the code
step finishes the login. Without an authenticator they are led through enrolment
when settings.STAFF_REQUIRE_2FA is on; when it is off (local development) they are
logged in and every staff page offers enrolment. ``staff_2fa_ok`` is set only after
a code was accepted. Both steps are throttled with the readers' counters
(libcard.accounts.throttle), keyed by a keyed hash of the username and by address.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from libcard.accounts import staff_totp, throttle
from libcard.accounts.models import StaffDevice
from libcard.accounts.roles import ADMIN, GROUP, REVIEWER, roles_of
from libcard.core.audit import Actor, audit
from libcard.core.http import client_ip

SESSION_2FA_KEY = "staff_2fa_ok"
PENDING_KEY = "staff_pending"
# From the right password to the code: long enough to find the phone, short enough to matter.
PENDING_MAX_AGE = 10 * 60


class StaffLoginForm(AuthenticationForm):
    """Django's login form, refusing anyone without a staff role with the usual message."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not roles_of(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
        help_text=gettext_lazy("Six digits; a new one every 30 seconds."),
    )

    def clean_code(self) -> str:
        code = staff_totp.clean_code(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("Enter the six digits the app shows."), code="format")
        return code


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("staff:dashboard")


def _next_url(request: HttpRequest) -> str:
    return _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")


def _throttled_message(seconds: int) -> str:
    return _("Too many failed attempts. Please wait %(seconds)d seconds and try again.") % {
        "seconds": seconds
    }


# -- the half-logged-in state between the password and the code -------------------------------
def _pending_start(request: HttpRequest, user: Any, next_url: str) -> None:
    if request.user.is_authenticated:
        logout(request)  # whoever was logged in here is not, while someone else proves who
    request.session.cycle_key()  # a new session id once the password was right
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "hash": user.get_session_auth_hash(),
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
        "at": int(time.time()),
        "next": next_url,
    }


def _pending(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    """The staff member whose password was right a moment ago, while that still counts."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if time.time() - int(data.get("at", 0)) > PENDING_MAX_AGE:
        request.session.pop(PENDING_KEY, None)
        return None
    user = get_user_model().objects.filter(pk=data.get("user")).first()
    if (
        user is None
        or not roles_of(user)
        or not hmac.compare_digest(str(data.get("hash", "")), user.get_session_auth_hash())
    ):
        request.session.pop(PENDING_KEY, None)
        return None
    return user, data


def _complete_login(
    request: HttpRequest, user: Any, *, backend: str, next_url: str, second_factor: bool
) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=backend)
    if second_factor:
        request.session[SESSION_2FA_KEY] = True
    audit(
        Actor.for_user(user, ip=client_ip(request)),
        "login.success",
        second_factor="totp" if second_factor else "none",
    )
    return HttpResponseRedirect(_safe_next(request, next_url))


# -- step 1: the password ---------------------------------------------------------------------
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_value = request.POST.get("next") or request.GET.get("next") or ""
    if request.method != "POST":
        return _login_page(request, StaffLoginForm(request), next_value)
    username = (request.POST.get("username") or "")[:150]
    address = client_ip(request)
    counters = staff_totp.password_counters(username, address)
    current = throttle.state(counters)
    if current.retry_after:
        audit(Actor.from_request(request), "login.throttled", username=username)
        return _login_page(
            request,
            StaffLoginForm(request),
            next_value,
            error=_throttled_message(current.retry_after),
            status=429,
        )
    form = StaffLoginForm(request, data=request.POST)
    if not form.is_valid():
        throttle.record_failure(counters)
        audit(Actor.from_request(request), "login.failure", username=username)
        return _login_page(request, form, next_value)
    throttle.record_success(counters, current.counted)
    user = form.get_user()
    next_url = _next_url(request)
    if staff_totp.confirmed_device(user) is not None:
        _pending_start(request, user, next_url)
        return redirect("staff:login_code")
    if settings.STAFF_REQUIRE_2FA:
        _pending_start(request, user, next_url)
        return redirect("staff:totp_enrol")
    return _complete_login(
        request, user, backend=user.backend, next_url=next_url, second_factor=False
    )


def _login_page(
    request: HttpRequest, form: Any, next_value: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "staff/login.html",
        {"form": form, "next": next_value, "error": error},
        status=status,
    )


# -- step 2: the code -------------------------------------------------------------------------
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Please log in again."))
        return redirect("staff:login")
    user, data = pending
    device = staff_totp.confirmed_device(user)
    if device is None:  # reset by an admin meanwhile
        return redirect("staff:totp_enrol")
    form = CodeForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        outcome = _check_code(request, user, device, form, enrol=False)
        if outcome is True:
            return _complete_login(
                request,
                user,
                backend=data["backend"],
                next_url=data.get("next", ""),
                second_factor=True,
            )
        error, status = outcome
    return render(request, "staff/login_code.html", {"form": form, "error": error}, status=status)


def _check_code(
    request: HttpRequest, user: Any, device: StaffDevice, form: CodeForm, *, enrol: bool
) -> bool | tuple[str, int]:
    """True when the code is right (and the device confirmed, when enrolling); else the error."""
    counters = staff_totp.code_counters(user.get_username(), client_ip(request))
    current = throttle.state(counters)
    actor = Actor.for_user(user, ip=client_ip(request))
    if current.retry_after:
        audit(actor, "totp.throttled", user)
        return _throttled_message(current.retry_after), 429
    check = staff_totp.CodeCheck(False)
    if form.is_valid():
        code = form.cleaned_data["code"]
        if enrol:
            check = staff_totp.device_confirm(actor=actor, device=device, code=code)
        else:
            check = staff_totp.code_check(device, code)
        if check.ok:
            throttle.record_success(counters, current.counted)
            return True
    throttle.record_failure(counters)
    audit(actor, "totp.failure", user, enrolment=enrol, replayed=check.replayed)
    if not form.is_valid():
        return "", 200  # the form says what is wrong with it
    if check.replayed:
        return _("This code has been used already. Wait for the next one."), 200
    return _("The code is not right. Check the time on your phone and try the current code."), 200


# -- enrolment --------------------------------------------------------------------------------
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def totp_enrol_view(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: right after the password, or later from any staff page."""
    pending = _pending(request)
    if pending is not None:
        user, data = pending
    elif request.user.is_authenticated:
        if not roles_of(request.user):
            raise PermissionDenied
        user, data = request.user, None
    else:
        return redirect(f"{settings.STAFF_LOGIN_URL}?next={reverse('staff:totp_enrol')}")
    try:
        device = staff_totp.device_for_enrolment(user)
    except staff_totp.AlreadyEnrolled:
        if data is not None:
            return redirect("staff:login_code")
        messages.info(
            request,
            _("Your authenticator app is set up. To replace it, ask a staff admin to reset it."),
        )
        return redirect("staff:dashboard")
    form = CodeForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        outcome = _check_code(request, user, device, form, enrol=True)
        if outcome is True:
            if data is not None:
                return _complete_login(
                    request,
                    user,
                    backend=data["backend"],
                    next_url=data.get("next", ""),
                    second_factor=True,
                )
            request.session[SESSION_2FA_KEY] = True
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("staff:dashboard")
        error, status = outcome
    uri = staff_totp.provisioning_uri(device)
    context = {
        "form": form,
        "error": error,
        "qr_svg": staff_totp.qr_svg(uri),
        "secret": staff_totp.secret_for_typing(device.secret),
        "pending": data is not None,
        "required": bool(settings.STAFF_REQUIRE_2FA),
    }
    if data is None:
        return staff_render(request, "staff/totp_enrol.html", context, status=status)
    return render(request, "staff/totp_enrol.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit(Actor.from_request(request), "logout")
    logout(request)  # also drops a half-finished login
    return redirect("staff:login")


def staff_context(request: HttpRequest) -> dict[str, object]:
    """What staff/base.html needs to show each link only to the roles allowed."""
    roles = roles_of(request.user)
    return {
        "staff_roles": roles,
        "is_group_staff": GROUP in roles,
        "is_admin_staff": ADMIN in roles,
        "is_reviewer": REVIEWER in roles,
        "staff_2fa_ok": bool(request.session.get(SESSION_2FA_KEY)),
    }


def staff_render(
    request: HttpRequest, template: str, context: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    return render(request, template, {**staff_context(request), **(context or {})}, status=status)
