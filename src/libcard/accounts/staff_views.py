"""Staff admin pages of accounts: login throttles (see and clear them) and staff authenticators.

Throttle keys are never shown as they are: an account key holds a reader's blind
index, which is turned back into the reader's masked ID (or the staff member, or the
SIP2 platform, whose keyed hash it is); addresses are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from libcard.accounts import staff_totp, throttle
from libcard.accounts.models import LoginThrottle, StaffDevice
from libcard.accounts.roles import ADMIN, STAFF_ROLES, staff_required
from libcard.accounts.staff_auth import staff_render
from libcard.core.audit import Actor, audit
from libcard.core.crypto import keyring
from libcard.platforms.models import Platform
from libcard.readers.models import Reader

PAGE_SIZE = 50
PAIR_INDEX_LENGTH = 32  # throttle.counters keeps this much of the account index in a pair key
# Account keys that are keyed hashes of a staff username or a SIP2 login (not a reader's index).
NAMED_PREFIXES = (staff_totp.LOGIN_KEY_PREFIX, staff_totp.CODE_KEY_PREFIX, "sip2-")


# -- showing throttle keys safely -------------------------------------------------------------
@dataclass
class Who:
    label: str
    reader_pk: int | None = None


@dataclass
class ThrottleRow:
    pk: int | None
    key: str
    scope: str  # "account", "pair" or "address"
    who: Who | None
    address: str
    failures: int
    last_failure_at: Any
    blocked_until: Any
    blocking: bool

    @property
    def label(self) -> str:
        parts = []
        if self.who is not None:
            parts.append(self.who.label)
        if self.address:
            parts.append(self.address)
        return " · ".join(parts)


def _split(key: str) -> tuple[str, str, str]:
    """(scope, account part, address) of a key made by throttle.counters."""
    if key.startswith("ip:"):
        return "address", "", key[3:]
    if key.startswith("account:"):
        return "account", key[8:], ""
    if key.startswith("pair:"):
        rest = key[5:]
        return "pair", rest[:PAIR_INDEX_LENGTH], rest[PAIR_INDEX_LENGTH + 1 :]
    return "other", "", ""


class KeyResolver:
    """Turns the account part of many keys into who it is, with a few queries in all."""

    def __init__(self, keys: list[str]) -> None:
        self.readers: dict[str, Reader] = {}
        self.prefixes: dict[str, Reader] = {}
        self.named: dict[str, str] = {}
        self.platform_names: dict[str, str] = {}
        accounts, prefixes, platforms = set(), set(), set()
        for key in keys:
            scope, account, address = _split(key)
            if scope == "account" and _is_hex(account, 64):
                accounts.add(account)
            elif scope == "pair" and _is_hex(account, PAIR_INDEX_LENGTH):
                prefixes.add(account)
            if address.startswith("platform:"):
                platforms.add(address[9:])
        fields = ("pk", "id_index", "id_masked")
        if accounts:
            for reader in Reader.objects.filter(id_index__in=accounts).only(*fields):
                self.readers[reader.id_index] = reader
        if prefixes:
            query = Q()
            for prefix in prefixes:
                query |= Q(id_index__startswith=prefix)
            for reader in Reader.objects.filter(query).only(*fields):
                self.prefixes[reader.id_index[:PAIR_INDEX_LENGTH]] = reader
        if any(_split(key)[1].startswith(NAMED_PREFIXES) for key in keys):
            self._load_named()
        ids = [value for value in platforms if value.isdigit()]
        if ids:
            self.platform_names = {
                str(pk): name
                for pk, name in Platform.objects.filter(pk__in=ids).values_list("pk", "name")
            }

    def _load_named(self) -> None:
        for username in (
            get_user_model().objects.filter(is_staff=True).values_list("username", flat=True)
        ):
            self.named[staff_totp.password_account_key(username)] = _(
                "staff %(name)s: password"
            ) % {"name": username}
            self.named[staff_totp.code_account_key(username)] = _("staff %(name)s: code") % {
                "name": username
            }
        for name, user in Platform.objects.exclude(sip2_user="").values_list("name", "sip2_user"):
            key = "sip2-" + keyring().keyed_hash("sip2-login", user)[:40]
            self.named[key] = _("SIP2 login of %(platform)s") % {"platform": name}

    def who(self, scope: str, account: str) -> Who | None:
        if scope not in ("account", "pair"):
            return None
        if scope == "account" and account in self.readers:
            reader = self.readers[account]
            return Who(_("reader %(account)s") % {"account": reader.id_masked}, reader.pk)
        if scope == "pair" and account in self.prefixes:
            reader = self.prefixes[account]
            return Who(_("reader %(account)s") % {"account": reader.id_masked}, reader.pk)
        for key, label in self.named.items():
            if (scope == "account" and key == account) or (
                scope == "pair" and key[:PAIR_INDEX_LENGTH] == account
            ):
                return Who(label)
        return Who(_("an account that does not exist"))

    def address(self, address: str) -> str:
        if address.startswith("platform:"):
            name = self.platform_names.get(address[9:])
            return _("platform %(name)s") % {"name": name or address[9:]}
        return address


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


def throttle_rows(items: list[LoginThrottle]) -> list[ThrottleRow]:
    resolver = KeyResolver([item.key for item in items])
    now = timezone.now()
    rows = []
    for item in items:
        scope, account, address = _split(item.key)
        rows.append(
            ThrottleRow(
                pk=item.pk,
                key=item.key,
                scope=scope,
                who=resolver.who(scope, account),
                address=resolver.address(address),
                failures=item.failures,
                last_failure_at=item.last_failure_at,
                blocked_until=item.blocked_until,
                blocking=bool(item.blocked_until and item.blocked_until > now),
            )
        )
    return rows


def throttle_label(key: str) -> str:
    rows = throttle_rows([LoginThrottle(key=key)])
    return rows[0].label or "?"


# -- views ------------------------------------------------------------------------------------
class ThrottleFilterForm(forms.Form):
    blocking = forms.BooleanField(
        label=gettext_lazy("Only those delaying logins now"), required=False
    )


@require_GET
@staff_required(ADMIN)
def throttles(request: HttpRequest) -> HttpResponse:
    form = ThrottleFilterForm(request.GET or None)
    now = timezone.now()
    items = LoginThrottle.objects.filter(Q(blocked_until__gt=now) | Q(failures__gt=0))
    if form.is_valid() and form.cleaned_data["blocking"]:
        items = LoginThrottle.objects.filter(blocked_until__gt=now)
    page = Paginator(items.order_by("-last_failure_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return staff_render(
        request,
        "staff/throttles.html",
        {"form": form, "page": page, "rows": throttle_rows(list(page.object_list))},
    )


@require_POST
@staff_required(ADMIN)
def throttle_clear(request: HttpRequest) -> HttpResponse:
    """Clear one counter, named by its row number (pages never carry the keys themselves)."""
    target = str(request.POST.get("next", ""))
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    pk = str(request.POST.get("throttle", ""))[:18]
    row = LoginThrottle.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if row is None:
        messages.info(request, _("This counter is gone already (it was cleared or forgotten)."))
    else:
        label = throttle_label(row.key)
        throttle.clear(row.key)
        audit(
            Actor.from_request(request),
            "throttle.clear",
            who=label,
            failures=row.failures,
            was_blocking=bool(row.blocked_until and row.blocked_until > timezone.now()),
        )
        messages.success(request, _("Cleared: %(who)s.") % {"who": label})
    return redirect(target or "staff:throttles")


@dataclass
class StaffAccount:
    user: Any
    roles: list[str]
    device: StaffDevice | None


@require_GET
@staff_required(ADMIN)
def staff_users(request: HttpRequest) -> HttpResponse:
    users = (
        get_user_model()
        .objects.filter(is_staff=True)
        .prefetch_related("groups")
        .order_by("username")
    )
    devices = {device.user_id: device for device in StaffDevice.objects.defer("secret")}
    accounts = [
        StaffAccount(
            user=user,
            roles=sorted(g.name for g in user.groups.all() if g.name in STAFF_ROLES),
            device=devices.get(user.pk),
        )
        for user in users
    ]
    return staff_render(request, "staff/staff_users.html", {"accounts": accounts})


@require_POST
@staff_required(ADMIN)
def totp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk, is_staff=True)
    if user.pk == request.user.pk:
        messages.error(request, _("Another staff admin must reset your own authenticator."))
    elif staff_totp.device_reset(actor=Actor.from_request(request), user=user):
        messages.success(
            request,
            _("The authenticator of %(name)s is reset; they set up a new one at their next login.")
            % {"name": user.get_username()},
        )
    else:
        messages.info(request, _("%(name)s has no authenticator.") % {"name": user.get_username()})
    return redirect("staff:staff_users")
