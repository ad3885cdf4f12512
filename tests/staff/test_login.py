"""Staff login and logout."""

from __future__ import annotations

import pyotp
from django.contrib.auth.models import Group
from django.urls import reverse

from libcard.accounts.models import StaffDevice
from libcard.core.models import AuditEntry
from tests.staff import log_in
from tests.support.factories import PASSWORD, staff

LOGIN = "/staff/login/"


def _login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_it_shows_the_login_form(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_without_an_authenticator_or_the_requirement_it_logs_in_and_offers_one(client, group_staff):
    response = _login(client, "group-staff")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:dashboard")
    # The second factor was not passed, so the flag is not set (see tests/staff/test_totp.py).
    assert "staff_2fa_ok" not in client.session
    entry = AuditEntry.objects.get(action="login.success")
    assert entry.actor_label == "group-staff"
    assert entry.actor_kind == "staff"
    assert entry.channel == "web"
    assert entry.ip == "127.0.0.1"
    assert entry.details == {"second_factor": "none"}
    page = client.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:totp_enrol") in page


def test_it_follows_a_local_next_url(client, reviewer):
    response = _login(client, "reviewer", next="/staff/applications/?status=queued")
    assert response["Location"] == "/staff/applications/?status=queued"


def test_it_ignores_a_next_url_to_another_site(client, reviewer):
    response = _login(client, "reviewer", next="https://evil.example/staff/")
    assert response["Location"] == reverse("staff:dashboard")


def test_it_refuses_a_wrong_password_and_audits_without_the_password(client, group_staff):
    response = _login(client, "group-staff", "not the password at all")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors
    entry = AuditEntry.objects.get(action="login.failure")
    assert entry.details == {"username": "group-staff"}
    assert entry.channel == "web"
    for row in AuditEntry.objects.values():
        assert "not the password at all" not in str(row)


def test_it_gives_the_same_answer_for_an_unknown_user(client, group_staff):
    wrong = _login(client, "group-staff", "wrong password 1")
    unknown = _login(client, "nobody-here", "wrong password 1")
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert AuditEntry.objects.filter(action="login.failure").count() == 2


def test_it_refuses_a_contact_person_like_a_wrong_password(client, contact_a, group_staff):
    response = _login(client, contact_a.email)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    wrong = _login(client, "group-staff", "wrong password 1")
    assert response.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    assert AuditEntry.objects.filter(action="login.failure").count() == 2


def test_it_refuses_staff_without_a_role(client, db):
    user = staff("no-role")
    assert not Group.objects.filter(user=user).exists()
    response = _login(client, "no-role")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_a_staff_member_without_a_role_gets_403(client, db):
    user = staff("no-role")
    log_in(client, user)
    assert client.get(reverse("staff:dashboard")).status_code == 403


def test_it_sends_a_session_without_the_second_factor_back_to_login(client, settings, reviewer):
    settings.STAFF_REQUIRE_2FA = True
    client.force_login(reviewer)
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    response = _login(client, "reviewer")
    assert response["Location"] == reverse("staff:totp_enrol")
    assert client.get(reverse("staff:dashboard")).status_code == 302
    assert client.get(reverse("staff:totp_enrol")).status_code == 200
    secret = StaffDevice.objects.get(user=reviewer).secret
    client.post(reverse("staff:totp_enrol"), {"code": pyotp.TOTP(secret).now()})
    assert client.get(reverse("staff:dashboard")).status_code == 200


def test_logout_needs_post(client, reviewer):
    log_in(client, reviewer)
    assert client.get("/staff/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_logout_ends_the_session_and_is_audited(client, reviewer):
    log_in(client, reviewer)
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="logout", actor_label="reviewer").exists()
    assert client.get(reverse("staff:dashboard")).status_code == 302


def test_the_navigation_shows_each_role_its_own_links(client, reviewer, admin_staff):
    log_in(client, reviewer)
    page = client.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:applications") in page
    assert reverse("staff:register") not in page
    assert reverse("staff:audit_log") not in page
    log_in(client, admin_staff)
    page = client.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:audit_log") in page
    assert reverse("staff:closures") in page
    assert reverse("staff:cardholder_lists") in page
    assert reverse("staff:institutions") not in page
