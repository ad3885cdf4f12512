"""Staff admin pages for platform clients: list, register, edit, new API key, SIP2 password.

A new API key is shown on the response that made it and nowhere else: only its prefix
and a keyed hash are kept. Every change is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libcard.accounts.roles import ADMIN, staff_required
from libcard.accounts.staff_auth import staff_render
from libcard.core.audit import Actor, audit
from libcard.platforms.models import Platform
from libcard.platforms.services import (
    PlatformError,
    platform_new_api_key,
    platform_register,
    platform_set_sip2,
)
from libcard.platforms.staff_forms import PlatformEditForm, PlatformRegisterForm, Sip2Form


# -- a small service that platforms.services does not have (yet) ------------------------------
@transaction.atomic
def platform_update(
    *,
    actor: Actor,
    platform: Platform,
    active: bool,
    networks: list[str],
    may: dict[str, bool],
) -> list[str]:
    """Change what may be changed without new credentials; returns the names of what changed."""
    platform = Platform.objects.select_for_update().get(pk=platform.pk)
    wanted: dict[str, object] = {
        "active": active,
        "allowed_networks": "\n".join(networks),
        **{f"may_{key}": value for key, value in may.items()},
    }
    changed = [field for field, value in wanted.items() if getattr(platform, field) != value]
    if changed:
        for field in changed:
            setattr(platform, field, wanted[field])
        platform.save(update_fields=changed)
        audit(
            actor,
            "platform.update",
            platform,
            changed=changed,
            active=platform.active,
            networks=networks,
            may=sorted(key for key, value in may.items() if value),
        )
    return changed


# -- views ------------------------------------------------------------------------------------
@require_GET
@staff_required(ADMIN)
def platforms(request: HttpRequest) -> HttpResponse:
    items = Platform.objects.order_by("name").only(
        "pk", "name", "active", "api_enabled", "sip2_user", "sip2_password_hash", "allowed_networks"
    )
    return staff_render(request, "staff/platform_list.html", {"platforms": items})


@sensitive_post_parameters("sip2_password")
@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(ADMIN)
def platform_register_view(request: HttpRequest) -> HttpResponse:
    form = PlatformRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = platform_register(
                actor=Actor.from_request(request),
                name=data["name"],
                api=data["api"],
                sip2_user=data["sip2_user"],
                sip2_password=data["sip2_password"] if data["sip2_user"] else "",
                allow=data["allowed_networks"],
                may=form.may(),
                sip2_encoding=data["sip2_encoding"],
            )
        except PlatformError:
            # Someone registered the same name or SIP2 user a moment ago.
            form.add_error(None, _("The name or the SIP2 user is taken; nothing was registered."))
        else:
            return staff_render(
                request,
                "staff/platform_key.html",
                {
                    "platform": registration.platform,
                    "api_key": registration.api_key,
                    "registered": True,
                },
            )
    return staff_render(request, "staff/platform_register.html", {"form": form})


def _platform_page(
    request: HttpRequest,
    platform: Platform,
    *,
    edit_form: PlatformEditForm | None = None,
    sip2_form: Sip2Form | None = None,
) -> HttpResponse:
    return staff_render(
        request,
        "staff/platform_detail.html",
        {
            "platform": platform,
            "edit_form": edit_form or PlatformEditForm.for_platform(platform),
            "sip2_form": sip2_form or Sip2Form(platform=platform),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required(ADMIN)
def platform_detail(request: HttpRequest, pk: int) -> HttpResponse:
    platform = get_object_or_404(Platform, pk=pk)
    if request.method != "POST":
        return _platform_page(request, platform)
    form = PlatformEditForm(request.POST)
    if not form.is_valid():
        return _platform_page(request, platform, edit_form=form)
    changed = platform_update(
        actor=Actor.from_request(request),
        platform=platform,
        active=form.cleaned_data["active"],
        networks=form.cleaned_data["allowed_networks"],
        may=form.may(),
    )
    if changed:
        messages.success(request, _("The platform is saved."))
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect("staff:platform", pk=platform.pk)


@never_cache
@require_POST
@staff_required(ADMIN)
def platform_new_key_view(request: HttpRequest, pk: int) -> HttpResponse:
    platform = get_object_or_404(Platform, pk=pk)
    key = platform_new_api_key(actor=Actor.from_request(request), platform=platform)
    return staff_render(
        request,
        "staff/platform_key.html",
        {"platform": platform, "api_key": key, "registered": False},
    )


@sensitive_post_parameters("sip2_password")
@require_POST
@staff_required(ADMIN)
def platform_sip2_view(request: HttpRequest, pk: int) -> HttpResponse:
    platform = get_object_or_404(Platform, pk=pk)
    form = Sip2Form(request.POST, platform=platform)
    if form.is_valid():
        try:
            platform_set_sip2(
                actor=Actor.from_request(request),
                platform=platform,
                user=form.cleaned_data["sip2_user"],
                password=form.cleaned_data["sip2_password"],
            )
        except PlatformError:
            platform.refresh_from_db()
            form.add_error("sip2_user", _("Another platform has this SIP2 user."))
        else:
            messages.success(request, _("The SIP2 login is saved."))
            return redirect("staff:platform", pk=platform.pk)
    return _platform_page(request, platform, sip2_form=form)
