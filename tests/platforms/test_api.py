"""The HTTP authentication API as a platform uses it."""

import json

import pytest
from django.urls import reverse

from libcard.core.models import AuditEntry
from libcard.platforms.services import platform_register
from libcard.readers.models import Card
from tests.support.readers import INITIAL, OWN, make_reader

pytestmark = pytest.mark.django_db
VERIFY = "/api/v1/auth/verify"


def verify(client, key, body, **headers):
    return client.post(
        VERIFY,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        **headers,
    )


def test_the_right_password_is_valid_with_a_pseudonym_and_the_card(client, platform_key):
    _platform, key = platform_key
    make_reader(own_password=OWN, name="王小明")
    response = verify(client, key, {"account": "a123456789", "password": OWN})
    assert response.status_code == 200
    data = response.json()
    assert data["valid"] is True
    assert data["card"] == {"type": "digital", "status": "active", "expires": None}
    assert data["may"] == ["digital"]
    assert data["name"] == "王小明" and "email" not in data
    assert "A123456789" not in response.content.decode()
    again = verify(client, key, {"account": "A123456789", "password": OWN}).json()
    assert again["reader"] == data["reader"]


def test_two_platforms_get_different_pseudonyms(client, platform_key):
    _platform, key = platform_key
    from libcard.core.audit import Actor

    other = platform_register(actor=Actor("staff"), name="資料庫", api=True, allow=["127.0.0.1"])
    make_reader(own_password=OWN)
    first = verify(client, key, {"account": "A123456789", "password": OWN}).json()["reader"]
    second = verify(client, other.api_key, {"account": "A123456789", "password": OWN}).json()
    assert first != second["reader"]


def test_wrong_password_and_unknown_account_answer_the_same(client, platform_key):
    _platform, key = platform_key
    make_reader(own_password=OWN)
    wrong = verify(client, key, {"account": "A123456789", "password": "nope"})
    unknown = verify(client, key, {"account": "B123456780", "password": OWN})
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.content == unknown.content == b'{"valid": false}'


def test_a_suspended_card_says_so_only_after_the_right_password(client, platform_key):
    _platform, key = platform_key
    make_reader(own_password=OWN, card_status=Card.Status.SUSPENDED)
    assert verify(client, key, {"account": "A123456789", "password": "x"}).json() == {
        "valid": False
    }
    data = verify(client, key, {"account": "A123456789", "password": OWN}).json()
    assert data["valid"] is False and data["card"]["status"] == "suspended"


def test_an_initial_password_is_not_a_login_on_platforms(client, platform_key):
    _platform, key = platform_key
    make_reader()
    data = verify(client, key, {"account": "A123456789", "password": INITIAL}).json()
    assert data == {**data, "valid": False, "reason": "password_change_required"}


def test_throttling_is_shared_with_the_web_login(client, platform_key, settings):
    settings.THROTTLE_FREE_FAILURES = 2
    _platform, key = platform_key
    make_reader(own_password=OWN)
    body = {"account": "A123456789", "password": "bad", "client_address": "198.51.100.9"}
    for _ in range(3):
        verify(client, key, body)
    response = verify(client, key, {**body, "password": OWN})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    from libcard.accounts.services import Outcome, reader_authenticate

    web = reader_authenticate(
        account="A123456789", password=OWN, channel="web", address="198.51.100.9"
    )
    assert web.outcome is Outcome.THROTTLED


def test_an_unknown_key_is_401_and_audited(client, platform_key):
    response = verify(client, "lck_notarealkey", {"account": "A123456789", "password": "x"})
    assert response.status_code == 401
    assert AuditEntry.objects.filter(action="api.unauthorized").exists()


def test_an_address_not_allowed_is_403(client, platform_key):
    _platform, key = platform_key
    response = verify(
        client, key, {"account": "A123456789", "password": "x"}, REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b'"x"', b'{"account": 1, "password": "x"}', b'{"account": "x"}',
     b'{"account": "A1", "password": "x", "extra": 1}', "{\"account\": \"\ud800\"}".encode("utf-8", "surrogatepass")],
)  # fmt: skip
def test_bad_requests_get_400_and_change_nothing(client, platform_key, body):
    _platform, key = platform_key
    response = client.post(
        VERIFY, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code in (400, 415)
    assert "error" in response.json()
    assert not AuditEntry.objects.filter(action__startswith="login.").exists()


def test_reader_status_for_a_known_pseudonym_only(client, platform_key):
    _platform, key = platform_key
    make_reader(own_password=OWN)
    pseudonym = verify(client, key, {"account": "A123456789", "password": OWN}).json()["reader"]
    response = client.get(
        reverse("api:reader", args=[pseudonym]), HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.json()["card"]["status"] == "active"
    assert (
        client.get(
            reverse("api:reader", args=["0" * 32]), HTTP_AUTHORIZATION=f"Bearer {key}"
        ).status_code
        == 404
    )


def test_the_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
