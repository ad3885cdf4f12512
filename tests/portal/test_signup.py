"""The one-time sign-up link from the approval e-mail."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from libcard.groups.services import signup_token
from tests.portal import audits
from tests.support import factories

NEW_PASSWORD = "river lantern 4 pebbles"


@pytest.fixture
def newcomer(school_a):
    return factories.contact(school_a, "Newcomer@School-A.example.edu.tw", with_user=False)


def _post(client, token, password=NEW_PASSWORD, again=None):
    return client.post(
        reverse("portal:signup", args=[token]),
        {"new_password1": password, "new_password2": again or password},
    )


def test_it_shows_the_institution_and_the_contact(client, newcomer):
    response = client.get(reverse("portal:signup", args=[signup_token(newcomer)]))
    assert response.status_code == 200
    page = response.content.decode()
    assert newcomer.institution.name in page
    assert newcomer.name in page
    assert newcomer.email in page
    assert 'name="new_password1"' in page


def test_it_creates_the_account_and_logs_in(client, newcomer):
    response = _post(client, signup_token(newcomer))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")

    newcomer.refresh_from_db()
    user = newcomer.user
    assert user is not None
    assert user.username == "newcomer@school-a.example.edu.tw"
    assert not user.is_staff
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("portal:home")).status_code == 200
    [entry] = audits("contact.signup")
    assert entry.object_id == str(newcomer.pk)
    assert entry.actor_kind == "contact"


def test_it_applies_the_password_rules(client, newcomer):
    token = signup_token(newcomer)
    response = _post(client, token, "12345678")
    assert response.status_code == 200
    assert b'class="error"' in response.content
    response = _post(client, token, NEW_PASSWORD, "something else entirely")
    assert response.status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.user is None
    assert not get_user_model().objects.filter(username__iexact=newcomer.email).exists()


def test_a_used_link_says_to_log_in(client, newcomer):
    token = signup_token(newcomer)
    _post(client, token)
    client.logout()
    for response in (client.get(reverse("portal:signup", args=[token])), _post(client, token)):
        assert response.status_code == 400
        assert b'data-problem="used"' in response.content
        assert reverse("portal:login").encode() in response.content
    assert get_user_model().objects.filter(username__iexact=newcomer.email).count() == 1


def test_a_tampered_link_is_refused(client, newcomer):
    token = signup_token(newcomer)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", "a:b:c"):
        response = client.get(reverse("portal:signup", args=[bad]))
        assert response.status_code == 400
        assert b'data-problem="invalid"' in response.content
        assert _post(client, bad).status_code == 400
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_an_expired_link_is_refused(client, newcomer, settings):
    days = settings.SIGNUP_LINK_DAYS
    with mock.patch("django.core.signing.time.time", return_value=time.time() - (days + 1) * 86400):
        token = signup_token(newcomer)
    response = client.get(reverse("portal:signup", args=[token]))
    assert response.status_code == 400
    assert b'data-problem="expired"' in response.content
    assert _post(client, token).status_code == 400
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_the_link_of_an_ended_contact_is_refused(client, newcomer):
    token = signup_token(newcomer)
    newcomer.ended_on = timezone.localdate()
    newcomer.save()
    response = _post(client, token)
    assert response.status_code == 400
    assert b'data-problem="ended"' in response.content
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_the_link_for_an_old_address_is_refused(client, newcomer):
    token = signup_token(newcomer)
    newcomer.email = "other@school-a.example.edu.tw"
    newcomer.save()
    response = client.get(reverse("portal:signup", args=[token]))
    assert response.status_code == 400
    assert b'data-problem="changed"' in response.content


def test_an_address_of_another_account_is_not_taken_over(client, school_b):
    factories.staff("Shared@Example.edu.tw")
    person = factories.contact(school_b, "shared@example.edu.tw", with_user=False)
    response = _post(client, signup_token(person))
    assert response.status_code == 409
    assert b'data-problem="conflict"' in response.content
    person.refresh_from_db()
    assert person.user is None


def test_a_former_contact_named_again_gets_the_account_back(client, school_a, contact_a):
    old_user = contact_a.user
    contact_a.ended_on = timezone.localdate()
    contact_a.save()
    old_user.is_active = False
    old_user.save()
    again = factories.contact(school_a, contact_a.email, with_user=False)
    response = _post(client, signup_token(again))
    assert response.status_code == 302
    again.refresh_from_db()
    contact_a.refresh_from_db()
    assert again.user_id == old_user.pk
    assert contact_a.user is None
    assert again.user.is_active
    assert again.user.check_password(NEW_PASSWORD)


def test_a_double_click_finds_the_account_made(newcomer):
    from libcard.groups.portal_views import SignupRefused, _contact_signup

    _contact_signup(contact=newcomer, password=NEW_PASSWORD, ip="127.0.0.1")
    with pytest.raises(SignupRefused) as refused:
        _contact_signup(contact=newcomer, password=NEW_PASSWORD, ip="127.0.0.1")
    assert refused.value.problem == "used"
