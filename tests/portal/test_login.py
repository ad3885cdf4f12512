"""Logging in and out of the institution portal, and the password reset by e-mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from libcard.core.audit import Actor
from libcard.groups import portal_views
from libcard.groups.services import contact_change
from tests.portal import audits
from tests.support.factories import PASSWORD, staff

LOGIN = "/portal/login/"


def _login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def test_the_names_the_services_use_exist():
    assert reverse("portal:home") == "/portal/"
    assert reverse("portal:login") == LOGIN
    assert reverse("portal:signup", args=["t"]) == "/portal/signup/t/"
    assert reverse("portal:application", args=[3]) == "/portal/applications/3/"


def test_it_logs_in_with_the_e_mail_in_any_case(client, contact_a):
    response = _login(client, contact_a.email.upper())
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    [entry] = audits("contact.login")
    assert entry.actor_label == contact_a.email


def test_it_follows_next_within_the_site_only(client, contact_a):
    response = _login(client, contact_a.email, next="/portal/applications/1/")
    assert response["Location"] == "/portal/applications/1/"
    client.logout()
    response = _login(client, contact_a.email, next="https://evil.example/")
    assert response["Location"] == "/portal/"


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client, contact_a):
    wrong = _login(client, contact_a.email, "not the password")
    unknown = _login(client, "nobody@school.example.edu.tw")
    assert wrong.status_code == unknown.status_code == 200
    message = "The e-mail address or the password is not right"
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()
    assert len(audits("contact.login_failed")) == 2
    assert client.get("/portal/").status_code == 302


def test_staff_cannot_log_in_here(client, db):
    person = staff("clerk@library.example", "group")
    response = _login(client, person.username)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_former_contact_cannot_log_in(client, school_a, contact_a):
    contact_change(
        actor=Actor.system("web"), institution=school_a, name="新聯絡人", email="new@a.example"
    )
    response = _login(client, contact_a.email)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_former_contact_loses_the_session(client, school_a, contact_a):
    client.force_login(contact_a.user)
    contact_change(
        actor=Actor.system("web"), institution=school_a, name="新聯絡人", email="new@a.example"
    )
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_too_many_attempts_are_refused_for_a_while(client, contact_a, monkeypatch):
    monkeypatch.setattr(portal_views, "LOGIN_PER_ACCOUNT", 3)
    for _attempt in range(3):
        assert _login(client, contact_a.email, "guess").status_code == 200
    response = _login(client, contact_a.email)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert audits("contact.login_throttled")


def test_logout_needs_a_post(client, contact_a):
    client.force_login(contact_a.user)
    assert client.get("/portal/logout/").status_code == 405
    response = client.post("/portal/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get("/portal/").status_code == 302


def test_a_logged_in_contact_skips_the_login_page(client, contact_a):
    client.force_login(contact_a.user)
    assert client.get(LOGIN)["Location"] == "/portal/"


def test_the_login_form_has_csrf(contact_a):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert _login(strict, contact_a.email).status_code == 403


# -- password reset ---------------------------------------------------------------------------
def _reset(client, email):
    return client.post("/portal/password/reset/", {"email": email})


def test_a_reset_mail_reaches_a_contact_and_the_link_sets_a_new_password(client, contact_a):
    response = _reset(client, contact_a.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password_reset_done")
    [message] = mail.outbox
    assert message.to == [contact_a.email]
    link = re.search(r"https?://\S+/portal/password/reset/\S+/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 302  # Django moves the token into the session
    form_url = response["Location"]
    new_password = "a new and long passphrase"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password_reset_complete")
    contact_a.user.refresh_from_db()
    assert contact_a.user.check_password(new_password)
    assert audits("contact.password_reset")
    # The link works once.
    assert b"does not work any more" in client.get("/" + path, follow=True).content


@pytest.mark.parametrize("email", ["nobody@school.example.edu.tw", "clerk@library.example"])
def test_the_reset_page_does_not_tell_which_addresses_exist(client, contact_a, email):
    clerk = staff("clerk@library.example", "admin")
    clerk.email = "clerk@library.example"
    clerk.save()
    known = _reset(client, contact_a.email)
    other = _reset(client, email)
    assert known.status_code == other.status_code == 302
    assert known["Location"] == other["Location"]
    assert [m.to for m in mail.outbox] == [[contact_a.email]]


def test_reset_requests_are_limited_per_address(client, contact_a, monkeypatch):
    monkeypatch.setattr(portal_views, "RESET_PER_ADDRESS", 1)
    assert _reset(client, contact_a.email).status_code == 302
    assert _reset(client, contact_a.email).status_code == 429
    assert len(mail.outbox) == 1


def test_a_contact_changes_the_password(client, contact_a):
    client.force_login(contact_a.user)
    new_password = "another long passphrase"
    response = client.post(
        "/portal/password/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    contact_a.user.refresh_from_db()
    assert contact_a.user.check_password(new_password)
    assert client.get("/portal/").status_code == 200  # still logged in


def test_the_account_pages_render(client, contact_a):
    for url in (LOGIN, "/portal/password/reset/", "/portal/password/reset/sent/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/portal/password/reset/done/").status_code == 200
    assert b"does not work any more" in client.get("/portal/password/reset/MQ/bad-token/").content
    client.force_login(contact_a.user)
    page = client.get("/portal/password/")
    assert page.status_code == 200
    assert b'name="old_password"' in page.content
