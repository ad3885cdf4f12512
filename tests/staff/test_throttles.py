"""Login throttles for staff admins: who is being delayed, shown safely, and clearing a counter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from libcard.accounts import staff_totp, throttle
from libcard.accounts.models import LoginThrottle
from libcard.accounts.services import Outcome, reader_authenticate
from libcard.core.audit import Actor
from libcard.core.models import AuditEntry
from libcard.platforms.services import platform_register
from tests.staff import log_in
from tests.staff.access import ADMIN, VISITORS, as_visitor, assert_access
from tests.support.factories import national_id
from tests.support.readers import INITIAL, make_reader

THROTTLES = reverse("staff:throttles")
CLEAR = reverse("staff:throttle_clear")
FULL_ID = "A123456789"


def _fail(account: str, address: str = "192.0.2.50", times: int = 1) -> None:
    for _ in range(times):
        result = reader_authenticate(
            account=account, password="wrong", channel="web", address=address
        )
        assert result.outcome in (Outcome.INVALID, Outcome.THROTTLED)


@pytest.fixture
def reader(db):
    return make_reader(FULL_ID)


@pytest.fixture
def admin_client(client, admin_staff):
    return log_in(client, admin_staff)


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(
    ("name", "method"), [("staff:throttles", "get"), ("staff:throttle_clear", "post")]
)
def test_only_admins_see_and_clear_throttles(request, client, reader, visitor, name, method):
    _fail(FULL_ID)
    client = as_visitor(request, client, visitor)
    response = getattr(client, method)(
        reverse(name), {"throttle": LoginThrottle.objects.first().pk}
    )
    assert_access(response, visitor, ADMIN)
    if visitor != "admin_staff":
        assert LoginThrottle.objects.count() == 3


def test_the_list_shows_readers_masked_and_addresses_as_they_are(admin_client, reader):
    _fail(FULL_ID, "192.0.2.50", times=2)
    response = admin_client.get(THROTTLES)
    html = response.content.decode()
    rows = response.context["rows"]
    assert len(rows) == 3
    assert {row.scope for row in rows} == {"account", "pair", "address"}
    readers = [row for row in rows if row.who and row.who.reader_pk]
    assert len(readers) == 2
    assert all("A12****789" in row.who.label for row in readers)
    assert "192.0.2.50" in html
    assert FULL_ID not in html
    assert reader.id_index not in html
    assert reader.id_index[:32] not in html
    assert reverse("staff:reader", args=[reader.pk]) in html


def test_an_unknown_account_is_not_shown_as_its_number(admin_client, db):
    unknown = national_id(99)
    _fail(unknown)
    response = admin_client.get(THROTTLES)
    html = response.content.decode()
    assert unknown not in html
    assert unknown[:3] + "****" not in html
    assert "does not exist" in html


def test_staff_and_sip2_counters_name_whose_they_are(admin_client, group_staff, db):
    for key in (
        staff_totp.password_account_key("group-staff"),
        staff_totp.code_account_key("group-staff"),
    ):
        throttle.record_failure(throttle.counters(account_index=key, address="192.0.2.60"))
    platform_register(
        actor=Actor("staff"), name="有聲書平台", sip2_user="audio", sip2_password="x" * 12
    )
    from libcard.core.crypto import keyring

    sip2_key = "sip2-" + keyring().keyed_hash("sip2-login", "audio")[:40]
    throttle.record_failure(throttle.counters(account_index=sip2_key, address="192.0.2.61"))
    html = admin_client.get(THROTTLES).content.decode()
    assert "staff group-staff: password" in html
    assert "staff group-staff: code" in html
    assert "SIP2 login of 有聲書平台" in html


def test_platform_addresses_are_named(admin_client, reader):
    registration = platform_register(actor=Actor("staff"), name="電子書平台", api=True)
    _fail(FULL_ID, f"platform:{registration.platform.pk}")
    html = admin_client.get(THROTTLES).content.decode()
    assert "platform 電子書平台" in html


def test_only_delaying_counters_on_request(admin_client, settings, reader, db):
    settings.THROTTLE_FREE_FAILURES = 1
    _fail(FULL_ID, times=3)
    _fail(national_id(5), address="192.0.2.99")
    everything = admin_client.get(THROTTLES).context["rows"]
    delaying = admin_client.get(THROTTLES, {"blocking": "on"}).context["rows"]
    assert len(delaying) < len(everything)
    assert all(row.blocking for row in delaying)


def test_clearing_a_counter_lets_the_reader_in_and_is_audited(admin_client, settings, reader):
    settings.THROTTLE_FREE_FAILURES = 1
    settings.THROTTLE_IP_FREE_FAILURES = 100
    _fail(FULL_ID, times=4)
    blocked = reader_authenticate(
        account=FULL_ID, password=INITIAL, channel="web", address="192.0.2.50"
    )
    assert blocked.outcome is Outcome.THROTTLED
    for row in LoginThrottle.objects.exclude(key__startswith="ip:"):
        response = admin_client.post(CLEAR, {"throttle": row.pk})
        assert response["Location"] == THROTTLES
    assert not LoginThrottle.objects.exclude(key__startswith="ip:").exists()
    entries = AuditEntry.objects.filter(action="throttle.clear")
    assert entries.count() == 2
    assert all("A12****789" in entry.details["who"] for entry in entries)
    assert reader.id_index not in str(list(entries.values("details")))
    again = reader_authenticate(
        account=FULL_ID, password=INITIAL, channel="web", address="192.0.2.50"
    )
    assert again.outcome is Outcome.MUST_CHANGE


@pytest.mark.parametrize("value", ["", "abc", "999999", "9" * 40])
def test_clearing_nothing_is_harmless(admin_client, reader, value):
    _fail(FULL_ID)
    response = admin_client.post(CLEAR, {"throttle": value})
    assert response.status_code == 302
    assert LoginThrottle.objects.count() == 3
    assert not AuditEntry.objects.filter(action="throttle.clear").exists()


def test_clearing_goes_back_only_to_our_own_pages(admin_client, reader):
    _fail(FULL_ID)
    row = LoginThrottle.objects.first()
    response = admin_client.post(CLEAR, {"throttle": row.pk, "next": "https://evil.example/"})
    assert response["Location"] == THROTTLES


def test_the_list_does_not_grow_its_queries(admin_client, db, django_assert_max_num_queries):
    for i in range(20):
        make_reader(national_id(300 + i))
        _fail(national_id(300 + i), address=f"192.0.2.{i}")
    with django_assert_max_num_queries(10):
        response = admin_client.get(THROTTLES)
    assert len(response.context["rows"]) == 50
