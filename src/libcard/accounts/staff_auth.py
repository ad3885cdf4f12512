"""Staff login and logout, and the small helpers every staff page shares.

Staff sign in with Django's auth (username + password). Only users holding a
staff role get past the form, and "no such user", "wrong password" and "not
staff" all get the same answer. Every attempt is written to the audit log with
the username tried, never the password. The second factor (TOTP) and login
throttling come later and slot in where ``staff_2fa_ok`` is set.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from libcard.accounts.roles import ADMIN, GROUP, REVIEWER, roles_of
from libcard.core.audit import Actor, audit
from libcard.core.http import client_ip

SESSION_2FA_KEY = "staff_2fa_ok"


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


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("staff:dashboard")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST":
        username = (request.POST.get("username") or "")[:150]
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            # TOTP will be checked here before this flag is set.
            request.session[SESSION_2FA_KEY] = True
            audit(Actor.for_user(user, ip=client_ip(request)), "login.success")
            return HttpResponseRedirect(_next_url(request))
        audit(Actor.from_request(request), "login.failure", username=username)
    return render(
        request,
        "staff/login.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next") or ""},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit(Actor.from_request(request), "logout")
    logout(request)
    return redirect("staff:login")


def staff_context(request: HttpRequest) -> dict[str, object]:
    """What staff/base.html needs to show each link only to the roles allowed."""
    roles = roles_of(request.user)
    return {
        "staff_roles": roles,
        "is_group_staff": GROUP in roles,
        "is_admin_staff": ADMIN in roles,
        "is_reviewer": REVIEWER in roles,
    }


def staff_render(
    request: HttpRequest, template: str, context: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    return render(request, template, {**staff_context(request), **(context or {})}, status=status)
