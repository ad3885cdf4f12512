"""Who may do what (security.md, Roles and access), checked in every view.

Staff roles are Django groups; a staff member may hold several. Contact persons
are users without is_staff whose ContactPerson record is current.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

REVIEWER = "reviewer"  # reviews individual applications, sees the queue
GROUP = "group"  # registers letters, approves/rejects, issues
ADMIN = "admin"  # settings, closures, users, cardholder lists, audit log
STAFF_ROLES = (REVIEWER, GROUP, ADMIN)

View = Callable[..., HttpResponse]


def roles_of(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return frozenset()
    cached = getattr(user, "_libcard_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) & frozenset(STAFF_ROLES)
        user._libcard_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def staff_required(*roles: str) -> Callable[[View], View]:
    """Staff with any of ``roles`` (any staff role when none is named)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.STAFF_LOGIN_URL)
            held = roles_of(user)
            if not held or (roles and not held & set(roles)):
                raise PermissionDenied
            if not staff_verified(request):
                return redirect_to_login(request.get_full_path(), settings.STAFF_LOGIN_URL)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_verified(request: HttpRequest) -> bool:
    """Staff sessions must have passed the second factor (libcard.accounts.staff_auth)."""
    if not settings.STAFF_REQUIRE_2FA:
        return True
    return bool(request.session.get("staff_2fa_ok"))


def current_contact(request: HttpRequest) -> Any:
    """The request's ContactPerson, when a current contact person is logged in."""
    user = request.user
    if not user.is_authenticated or user.is_staff or not user.is_active:
        return None
    contact = getattr(user, "contact", None)
    if contact is None or contact.ended_on is not None:
        return None
    return contact


def contact_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.PORTAL_LOGIN_URL)
        contact = current_contact(request)
        if contact is None:
            raise PermissionDenied
        request.contact = contact  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper
