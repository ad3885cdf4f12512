"""One set of counters for every channel: failures on SIP2 or the API slow the web login,
and the web login page itself delays even the right password after too many failures."""

import json

import pytest
from django.urls import reverse

from libcard.core.audit import Actor
from libcard.platforms.services import platform_register
from libcard.sip2.handlers import Session
from libcard.sip2.protocol import parse_response
from tests.sip2.conftest import login, patron_information
from tests.support.readers import OWN, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    return platform_register(
        actor=Actor("staff", "1", "admin"),
        name="電子書平台",
        api=True,
        sip2_user="ebooks",
        sip2_password="a sip2 password 2026",
        allow=["127.0.0.0/8"],
    )


def web_login(client, password):
    return client.post(reverse("reader:login"), {"account": "A123456789", "password": password})


def test_the_web_login_delays_even_the_right_password_after_the_free_failures(client, settings):
    settings.THROTTLE_FREE_FAILURES = 3
    make_reader(own_password=OWN)
    for _ in range(4):
        assert web_login(client, "wrong").status_code == 200
    response = web_login(client, OWN)
    assert response.status_code == 429
    # the same answer for an account that does not exist
    for _ in range(4):
        client.post(reverse("reader:login"), {"account": "B123456780", "password": "x"})
    unknown = client.post(reverse("reader:login"), {"account": "B123456780", "password": "x"})
    assert unknown.status_code == 429


def test_guessing_over_sip2_and_the_api_slows_the_web_login_too(client, platform, settings):
    settings.THROTTLE_FREE_FAILURES = 1  # the account counter allows twenty times this
    make_reader(own_password=OWN)
    session = Session(address="127.0.0.1")
    session.handle(login())
    reply = session.handle(patron_information("A123456789", "guess"))
    assert parse_response(reply.data).get("CQ") == "N"
    # Spread over many addresses, so that only the account's own counter adds up.
    for index in range(25):
        client.post(
            "/api/v1/auth/verify",
            data=json.dumps(
                {
                    "account": "A123456789",
                    "password": "guess",
                    "client_address": f"198.51.100.{index}",
                }
            ),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {platform.api_key}",
        )
    assert web_login(client, OWN).status_code == 429  # the account is being guessed at


def test_a_throttled_reader_gets_in_again_once_the_delay_is_over(client, settings):
    import datetime as dt

    from django.utils import timezone

    from libcard.accounts.models import LoginThrottle

    settings.THROTTLE_FREE_FAILURES = 1
    make_reader(own_password=OWN)
    for _ in range(3):
        web_login(client, "wrong")
    assert web_login(client, OWN).status_code == 429
    LoginThrottle.objects.update(blocked_until=timezone.now() - dt.timedelta(seconds=1))
    assert web_login(client, OWN).status_code == 302  # in: the delay never becomes a lock
