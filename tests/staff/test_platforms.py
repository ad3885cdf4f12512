"""Platform clients for staff admins: register (the key once), edit, new key, SIP2 login."""

from __future__ import annotations

import pytest
from django.urls import reverse

from libcard.core.audit import Actor
from libcard.core.models import AuditEntry
from libcard.platforms.models import Platform
from libcard.platforms.services import (
    platform_by_api_key,
    platform_by_sip2_login,
    platform_register,
)
from tests.staff import log_in, messages_of
from tests.staff.access import ADMIN, VISITORS, as_visitor, assert_access

REGISTER = reverse("staff:platform_register")
SIP2_PASSWORD = "a sip2 secret 2026"


@pytest.fixture
def admin_client(client, admin_staff):
    return log_in(client, admin_staff)


@pytest.fixture
def platform(db):
    return platform_register(
        actor=Actor("staff"), name="電子書平台", api=True, allow=["192.0.2.0/24"]
    ).platform


def _register(client, **data):
    form = {
        "name": "數位資料庫",
        "api": "on",
        "sip2_user": "",
        "sip2_password": "",
        "sip2_encoding": "utf-8",
        "allowed_networks": "203.0.113.0/24\n198.51.100.7",
        "may_card_type": "on",
        "may_expiry": "on",
    }
    form.update(data)
    return client.post(REGISTER, {k: v for k, v in form.items() if v is not None})


ROUTES = [
    ("staff:platforms", False, "get"),
    ("staff:platform_register", False, "get"),
    ("staff:platform_register", False, "post"),
    ("staff:platform", True, "get"),
    ("staff:platform", True, "post"),
    ("staff:platform_new_key", True, "post"),
    ("staff:platform_sip2", True, "post"),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(
    ("name", "with_pk", "method"),
    [pytest.param(*route, id=f"{route[2]} {route[0]}") for route in ROUTES],
)
def test_only_admins_manage_platforms(request, client, platform, visitor, name, with_pk, method):
    key_hash = platform.api_key_hash
    url = reverse(name, args=[platform.pk] if with_pk else [])
    client = as_visitor(request, client, visitor)
    response = getattr(client, method)(url)
    assert_access(response, visitor, ADMIN)
    if visitor != "admin_staff":
        platform.refresh_from_db()
        assert platform.api_key_hash == key_hash
        assert Platform.objects.count() == 1


def test_the_list_shows_channels_addresses_and_state(admin_client, platform):
    platform_register(
        actor=Actor("staff"), name="有聲書", sip2_user="audio", sip2_password=SIP2_PASSWORD
    )
    html = admin_client.get(reverse("staff:platforms")).content.decode()
    assert "電子書平台" in html
    assert "192.0.2.0/24" in html
    assert "SIP2 (audio)" in html


def test_registering_shows_the_api_key_once(admin_client):
    response = _register(admin_client)
    assert response.status_code == 200
    key = response.context["api_key"]
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    platform = Platform.objects.get(name="數位資料庫")
    assert platform_by_api_key(key) == platform
    assert platform.allows_address("203.0.113.9")
    assert platform.allows_address("198.51.100.7")
    assert not platform.allows_address("198.51.100.8")
    assert (platform.may_name, platform.may_email, platform.may_card_type, platform.may_expiry) == (
        False,
        False,
        True,
        True,
    )
    entry = AuditEntry.objects.get(action="platform.register")
    assert entry.actor_label == "admin-staff"
    assert key not in str(AuditEntry.objects.values_list("details", "reason"))
    # A second look at the platform shows the key's start only.
    for url in (reverse("staff:platform", args=[platform.pk]), reverse("staff:platforms")):
        html = admin_client.get(url).content.decode()
        assert key not in html
    assert (
        platform.api_key_prefix
        in admin_client.get(reverse("staff:platform", args=[platform.pk])).content.decode()
    )


def test_registering_with_sip2(admin_client):
    response = _register(
        admin_client,
        api=None,
        sip2_user="ebooks",
        sip2_password=SIP2_PASSWORD,
        sip2_encoding="cp850",
    )
    assert response.status_code == 200
    assert response.context["api_key"] is None
    platform = Platform.objects.get(name="數位資料庫")
    assert platform_by_sip2_login("ebooks", SIP2_PASSWORD) == platform
    assert platform.sip2_encoding == "cp850"
    assert not platform.api_enabled
    assert SIP2_PASSWORD not in str(AuditEntry.objects.values_list("details", "reason"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"allowed_networks": "203.0.113.0/24\nnot-a-network"}, "allowed_networks"),
        ({"allowed_networks": "300.1.2.3"}, "allowed_networks"),
        ({"sip2_user": "ebooks", "sip2_password": "short"}, "sip2_password"),
        ({"sip2_user": "ebooks", "sip2_password": ""}, "sip2_password"),
        ({"sip2_password": SIP2_PASSWORD}, "sip2_user"),
        ({"name": "電子書平台"}, "name"),
        ({"name": ""}, "name"),
        ({"api": None}, "__all__"),
    ],
)
def test_a_bad_registration_is_refused_and_changes_nothing(admin_client, platform, data, field):
    response = _register(admin_client, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Platform.objects.count() == 1
    assert AuditEntry.objects.filter(action="platform.register").count() == 1  # the fixture's
    assert SIP2_PASSWORD not in response.content.decode()


def test_a_taken_sip2_user_is_refused(admin_client):
    platform_register(
        actor=Actor("staff"), name="有聲書", sip2_user="audio", sip2_password=SIP2_PASSWORD
    )
    response = _register(admin_client, sip2_user="audio", sip2_password=SIP2_PASSWORD)
    assert "sip2_user" in response.context["form"].errors
    assert Platform.objects.count() == 1


def test_editing_addresses_attributes_and_state(admin_client, platform):
    url = reverse("staff:platform", args=[platform.pk])
    response = admin_client.post(
        url, {"allowed_networks": "198.51.100.0/24", "may_name": "on", "may_email": "on"}
    )
    assert response["Location"] == url
    platform.refresh_from_db()
    assert not platform.active
    assert platform.allowed_networks == "198.51.100.0/24"
    assert (platform.may_name, platform.may_email, platform.may_card_type, platform.may_expiry) == (
        True,
        True,
        False,
        False,
    )
    entry = AuditEntry.objects.get(action="platform.update")
    assert set(entry.details["changed"]) >= {"active", "allowed_networks", "may_name"}


def test_editing_with_a_bad_network_changes_nothing(admin_client, platform):
    url = reverse("staff:platform", args=[platform.pk])
    response = admin_client.post(url, {"active": "on", "allowed_networks": "10.0.0.0/8, nonsense"})
    assert response.status_code == 200
    assert response.context["edit_form"].errors["allowed_networks"]
    platform.refresh_from_db()
    assert platform.allowed_networks == "192.0.2.0/24"
    assert not AuditEntry.objects.filter(action="platform.update").exists()


def test_saving_without_changes_is_not_audited(admin_client, platform):
    url = reverse("staff:platform", args=[platform.pk])
    admin_client.post(
        url,
        {
            "active": "on",
            "allowed_networks": "192.0.2.0/24",
            "may_card_type": "on",
            "may_expiry": "on",
        },
    )
    assert not AuditEntry.objects.filter(action="platform.update").exists()


def test_a_new_api_key_is_shown_once_and_replaces_the_old(admin_client):
    registration = platform_register(actor=Actor("staff"), name="電子書平台", api=True)
    old = registration.api_key
    platform = registration.platform
    response = admin_client.post(reverse("staff:platform_new_key", args=[platform.pk]))
    assert response.status_code == 200
    new = response.context["api_key"]
    assert new != old
    assert new in response.content.decode()
    assert platform_by_api_key(new) == platform
    assert platform_by_api_key(old) is None
    assert AuditEntry.objects.filter(action="platform.new_api_key").count() == 1
    assert (
        new not in admin_client.get(reverse("staff:platform", args=[platform.pk])).content.decode()
    )


def test_setting_the_sip2_login(admin_client, platform):
    url = reverse("staff:platform_sip2", args=[platform.pk])
    response = admin_client.post(url, {"sip2_user": "ebooks", "sip2_password": SIP2_PASSWORD})
    assert response["Location"] == reverse("staff:platform", args=[platform.pk])
    assert platform_by_sip2_login("ebooks", SIP2_PASSWORD) == platform
    entry = AuditEntry.objects.get(action="platform.set_sip2")
    assert SIP2_PASSWORD not in str(entry.details)
    assert messages_of(admin_client.get(response["Location"]))


@pytest.mark.parametrize("password", ["", "short", "x" * 11])
def test_a_short_sip2_password_is_refused(admin_client, platform, password):
    url = reverse("staff:platform_sip2", args=[platform.pk])
    response = admin_client.post(url, {"sip2_user": "ebooks", "sip2_password": password})
    assert response.status_code == 200
    assert response.context["sip2_form"].errors["sip2_password"]
    platform.refresh_from_db()
    assert platform.sip2_user == ""
    assert not AuditEntry.objects.filter(action="platform.set_sip2").exists()


def test_a_sip2_user_of_another_platform_is_refused(admin_client, platform):
    platform_register(
        actor=Actor("staff"), name="有聲書", sip2_user="audio", sip2_password=SIP2_PASSWORD
    )
    url = reverse("staff:platform_sip2", args=[platform.pk])
    response = admin_client.post(url, {"sip2_user": "audio", "sip2_password": SIP2_PASSWORD})
    assert response.status_code == 200
    assert response.context["sip2_form"].errors["sip2_user"]
    platform.refresh_from_db()
    assert platform.sip2_user == ""


def test_unknown_platforms_are_404(admin_client, db):
    assert admin_client.get(reverse("staff:platform", args=[999])).status_code == 404
    assert admin_client.post(reverse("staff:platform_new_key", args=[999])).status_code == 404
