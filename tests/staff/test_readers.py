"""Finding a reader and the reader page with its actions (reveal, cards, password, corrections)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from libcard.accounts.models import LoginThrottle
from libcard.accounts.services import Outcome, reader_authenticate
from libcard.core.crypto import id_index
from libcard.core.models import AuditEntry
from libcard.readers.models import Card, CorrectionRequest, Reader
from libcard.readers.services import card_active, initial_password_hash
from tests.staff import log_in, messages_of
from tests.staff.access import ANY, GROUP_OR_ADMIN, VISITORS, as_visitor, assert_access
from tests.support.factories import national_id
from tests.support.readers import INITIAL, make_reader

SEARCH = reverse("staff:readers")
FULL_ID = "A123456789"
OTHER_ID = national_id(7)


@pytest.fixture
def reader(db):
    return make_reader(FULL_ID, name="王小明", email="ming@example.com")


@pytest.fixture
def other(db):
    return make_reader(OTHER_ID, name="李大華", email="hua@example.com")


@pytest.fixture
def staff_client(client, group_staff):
    return log_in(client, group_staff)


def _page(reader: Reader) -> str:
    return reverse("staff:reader", args=[reader.pk])


def _card(reader: Reader) -> Card:
    return reader.cards.get()


def _correction(reader: Reader, field: str, value: str) -> CorrectionRequest:
    return CorrectionRequest.objects.create(reader=reader, field=field, requested_value=value)


# -- who may use which page -------------------------------------------------------------------
ROUTES = [
    ("staff:readers", [], "get", ANY),
    ("staff:readers", [], "post", ANY),
    ("staff:reader", ["reader"], "get", ANY),
    ("staff:reader_reveal", ["reader"], "post", GROUP_OR_ADMIN),
    ("staff:reader_password_reset", ["reader"], "post", GROUP_OR_ADMIN),
    ("staff:card_issue_physical", ["reader"], "post", GROUP_OR_ADMIN),
    ("staff:card_suspend", ["reader", "card"], "post", GROUP_OR_ADMIN),
    ("staff:card_restore", ["reader", "card"], "post", GROUP_OR_ADMIN),
    ("staff:correction", ["reader", "correction"], "get", GROUP_OR_ADMIN),
    ("staff:correction", ["reader", "correction"], "post", GROUP_OR_ADMIN),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(
    ("name", "args", "method", "allowed"),
    [pytest.param(*route, id=f"{route[2]} {route[0]}") for route in ROUTES],
)
def test_it_lets_in_only_the_roles_allowed(
    request, client, reader, visitor, name, args, method, allowed
):
    objects = {
        "reader": reader.pk,
        "card": _card(reader).pk,
        "correction": _correction(reader, "name", "王曉明").pk,
    }
    url = reverse(name, args=[objects[arg] for arg in args])
    client = as_visitor(request, client, visitor)
    response = getattr(client, method)(url)
    assert_access(response, visitor, allowed)
    if visitor not in allowed:
        assert not AuditEntry.objects.filter(action__startswith="reader.").exists()
        assert Card.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["staff:reader_reveal", "staff:reader_password_reset", "staff:card_issue_physical"]
)
def test_actions_refuse_get(staff_client, reader, name):
    assert staff_client.get(reverse(name, args=[reader.pk])).status_code == 405


def test_it_answers_404_for_a_card_of_another_reader(staff_client, reader, other):
    url = reverse("staff:card_suspend", args=[reader.pk, _card(other).pk])
    assert staff_client.post(url, {f"card{_card(other).pk}-reason": "lost"}).status_code == 404
    assert _card(other).status == Card.Status.ACTIVE


def test_it_answers_404_for_a_correction_of_another_reader(staff_client, reader, other):
    correction = _correction(other, "name", "李小華")
    url = reverse("staff:correction", args=[reader.pk, correction.pk])
    assert staff_client.get(url).status_code == 404


# -- search -----------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", [FULL_ID, "a123456789", " A1234-56789 ", "Ａ１２３４５６７８９"])
def test_a_full_id_number_leads_straight_to_the_reader(staff_client, reader, other, typed):
    response = staff_client.post(SEARCH, {"q": typed})
    assert response.status_code == 302
    assert response["Location"] == _page(reader)


def test_an_unknown_id_number_is_answered_masked(staff_client, reader):
    unknown = national_id(11)
    response = staff_client.post(SEARCH, {"q": unknown})
    assert response.status_code == 200
    html = response.content.decode()
    assert unknown not in html
    assert unknown[:3] + "****" + unknown[-3:] in html


def test_the_id_search_matches_exactly_only(staff_client, reader):
    response = staff_client.post(SEARCH, {"q": "A123456780"})  # last digit differs
    assert response.status_code == 200
    assert response.context["not_found"]


def test_a_masked_id_finds_every_reader_it_fits(staff_client, reader, other):
    response = staff_client.post(SEARCH, {"q": "a12****789"})
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    found = [r.pk for r in page.context["page"].object_list]
    assert found == [reader.pk]
    assert FULL_ID not in page.content.decode()
    assert "A12****789" in page.content.decode()


def test_a_name_finds_names_that_start_with_it(staff_client, reader, other):
    response = staff_client.get(SEARCH, {"q": "王小"})
    assert [r.pk for r in response.context["page"].object_list] == [reader.pk]
    response = staff_client.get(SEARCH, {"q": "李大華"})
    assert [r.pk for r in response.context["page"].object_list] == [other.pk]
    response = staff_client.get(SEARCH, {"q": "陳"})
    assert not response.context["page"].object_list
    assert b'data-testid="no-match"' in response.content


def test_an_email_finds_that_address(staff_client, reader, other):
    response = staff_client.get(SEARCH, {"q": "Hua@EXAMPLE.com"})
    assert [r.pk for r in response.context["page"].object_list] == [other.pk]


def test_the_search_lists_masked_ids_only(staff_client, db):
    numbers = [national_id(100 + i) for i in range(5)]
    for number in numbers:
        make_reader(number, name="張同學")
    html = staff_client.get(SEARCH, {"q": "張"}).content.decode()
    for number in numbers:
        assert number not in html
        assert number[:3] + "****" + number[-3:] in html


def test_the_search_is_paginated_and_its_queries_do_not_grow(
    staff_client, db, django_assert_max_num_queries
):
    for i in range(60):
        make_reader(national_id(200 + i), name=f"林{i:02d}")
    with django_assert_max_num_queries(7) as few:
        response = staff_client.get(SEARCH, {"q": "林"})
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 60
    second = staff_client.get(SEARCH, {"q": "林", "page": 2})
    assert len(second.context["page"].object_list) == 10
    sql = " ".join(query["sql"] for query in few.captured_queries)
    assert "national_id" not in sql  # nothing to decrypt in a list
    assert "birth_date" not in sql


def test_an_empty_search_shows_the_form(staff_client, reader):
    response = staff_client.get(SEARCH)
    assert response.status_code == 200
    assert "page" not in response.context


def test_a_reviewer_finds_readers_but_sees_no_actions(client, reviewer, reader):
    log_in(client, reviewer)
    html = client.get(_page(reader)).content.decode()
    assert "A12****789" in html
    assert reverse("staff:reader_reveal", args=[reader.pk]) not in html
    assert reverse("staff:reader_password_reset", args=[reader.pk]) not in html


# -- the reader page --------------------------------------------------------------------------
def test_the_reader_page_shows_the_reader_masked(
    staff_client, reader, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = staff_client.get(_page(reader))
    html = response.content.decode()
    assert response.status_code == 200
    assert "王小明" in html
    assert "A12****789" in html
    assert FULL_ID not in html
    assert "1996-03-12" not in html
    assert "ming@example.com" in html
    assert len(response.context["cards"]) == 1


def test_the_reader_page_shows_this_accounts_throttle_only(client, admin_staff, reader, other):
    for _ in range(2):
        assert (
            reader_authenticate(
                account=FULL_ID, password="wrong", channel="web", address="192.0.2.7"
            ).outcome
            is Outcome.INVALID
        )
    reader_authenticate(account=OTHER_ID, password="wrong", channel="web", address="192.0.2.7")
    log_in(client, admin_staff)
    response = client.get(_page(reader))
    rows = response.context["throttles"]
    assert {row.scope for row in rows} == {"account", "pair"}
    assert all(row.failures == 2 for row in rows)
    html = response.content.decode()
    assert "192.0.2.7" in html
    assert reader.id_index not in html
    # An admin clears a counter from here, and comes back to the page.
    pair = next(row for row in rows if row.scope == "pair")
    back = client.post(
        reverse("staff:throttle_clear"), {"throttle": pair.pk, "next": _page(reader)}
    )
    assert back["Location"] == _page(reader)
    assert not LoginThrottle.objects.filter(pk=pair.pk).exists()


def test_the_reader_page_lists_open_corrections_without_their_value(staff_client, reader):
    _correction(reader, "national_id", "B223456780")
    html = staff_client.get(_page(reader)).content.decode()
    assert "B223456780" not in html
    assert len(staff_client.get(_page(reader)).context["open_corrections"]) == 1


def test_the_history_shows_the_reader_and_card_entries(staff_client, reader, other):
    card = _card(reader)
    staff_client.post(
        reverse("staff:card_suspend", args=[reader.pk, card.pk]), {f"card{card.pk}-reason": "lost"}
    )
    reader_authenticate(account=FULL_ID, password=INITIAL, channel="web", address="192.0.2.9")
    staff_client.post(
        reverse("staff:card_suspend", args=[other.pk, _card(other).pk]),
        {f"card{_card(other).pk}-reason": "lost"},
    )
    history = staff_client.get(_page(reader)).context["history"]
    actions = [entry.action for entry in history]
    assert "card.suspend" in actions
    assert "login.success" in actions
    assert all(entry.object_id in (str(reader.pk), str(card.pk)) for entry in history), (
        "another reader's history leaked in"
    )


# -- reveal -----------------------------------------------------------------------------------
def _reveal(client, reader, reason):
    return client.post(reverse("staff:reader_reveal", args=[reader.pk]), {"reason": reason})


@pytest.mark.parametrize("reason", ["", "   ", "abc", "1234"])
def test_reveal_needs_a_reason(staff_client, reader, reason):
    response = _reveal(staff_client, reader, reason)
    assert response.status_code == 200
    assert response.context["reveal_form"].errors["reason"]
    assert FULL_ID not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reader.reveal").exists()


def test_reveal_shows_the_full_id_once_and_audits_the_reason(staff_client, reader):
    response = _reveal(staff_client, reader, "reader at the counter checks the number")
    assert response.status_code == 200
    assert FULL_ID in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="reader.reveal")
    assert entry.reason == "reader at the counter checks the number"
    assert entry.actor_label == "group-staff"
    assert entry.object_id == str(reader.pk)
    assert FULL_ID not in str(AuditEntry.objects.values_list("details", "reason"))
    # Nowhere else afterwards: not the reader page, not the session.
    assert FULL_ID not in staff_client.get(_page(reader)).content.decode()
    assert FULL_ID not in str(dict(staff_client.session.items()))


def test_a_reviewer_cannot_reveal(client, reviewer, reader):
    log_in(client, reviewer)
    assert _reveal(client, reader, "just curious, really").status_code == 403
    assert not AuditEntry.objects.filter(action="reader.reveal").exists()


# -- suspend and restore ----------------------------------------------------------------------
def _card_post(client, reader, card, action, reason):
    url = reverse(f"staff:card_{action}", args=[reader.pk, card.pk])
    return client.post(url, {f"card{card.pk}-reason": reason})


def test_suspend_and_restore_a_card(staff_client, reader):
    card = _card(reader)
    response = _card_post(staff_client, reader, card, "suspend", "reported stolen")
    assert response["Location"] == _page(reader)
    card.refresh_from_db()
    assert card.status == Card.Status.SUSPENDED
    assert card.status_reason == "reported stolen"
    assert card_active(reader) is None
    entry = AuditEntry.objects.get(action="card.suspend")
    assert (entry.from_state, entry.to_state, entry.reason) == (
        "active",
        "suspended",
        "reported stolen",
    )

    _card_post(staff_client, reader, card, "restore", "found again")
    card.refresh_from_db()
    assert card.status == Card.Status.ACTIVE
    assert card.status_reason == "found again"
    assert AuditEntry.objects.filter(action="card.restore").count() == 1


def test_suspend_without_a_reason_changes_nothing(staff_client, reader):
    card = _card(reader)
    response = _card_post(staff_client, reader, card, "suspend", "  ")
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.status == Card.Status.ACTIVE
    assert not AuditEntry.objects.filter(action="card.suspend").exists()


def test_restore_of_an_active_card_changes_nothing(staff_client, reader):
    card = _card(reader)
    response = _card_post(staff_client, reader, card, "restore", "why not")
    assert response.status_code == 302
    assert messages_of(staff_client.get(response["Location"]))
    card.refresh_from_db()
    assert card.status == Card.Status.ACTIVE
    assert not AuditEntry.objects.filter(action="card.restore").exists()


def test_a_suspended_card_fails_the_platform_check(staff_client, reader):
    card = _card(reader)
    _card_post(staff_client, reader, card, "suspend", "misuse")
    assert not card_active(reader)


# -- password reset ---------------------------------------------------------------------------
def test_reset_shows_a_new_initial_password_once(staff_client, db):
    reader = make_reader(FULL_ID, own_password="a long own passphrase 2026")
    response = staff_client.post(reverse("staff:reader_password_reset", args=[reader.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret in response.content.decode()
    reader.refresh_from_db()
    assert reader.password == ""
    assert reader.initial_secret_hash == initial_password_hash(secret)
    assert reader.initial_expires_at > reader.created_at
    assert AuditEntry.objects.filter(action="reader.reset_password").count() == 1
    assert secret not in str(AuditEntry.objects.values_list("details", "reason"))
    assert secret not in staff_client.get(_page(reader)).content.decode()
    result = reader_authenticate(
        account=FULL_ID, password=secret, channel="web", address="192.0.2.1"
    )
    assert result.outcome is Outcome.MUST_CHANGE


# -- physical card ----------------------------------------------------------------------------
def _physical(client, reader, barcode, seen=True):
    data = {"barcode": barcode}
    if seen:
        data["seen_id"] = "on"
    return client.post(reverse("staff:card_issue_physical", args=[reader.pk]), data)


def test_a_physical_card_at_the_counter(staff_client, reader):
    response = _physical(staff_client, reader, " lib0012345 ")
    assert response["Location"] == _page(reader)
    physical = reader.cards.get(type=Card.Type.PHYSICAL)
    assert physical.barcode == "LIB0012345"
    assert physical.source == Card.Source.COUNTER
    assert physical.status == Card.Status.ACTIVE
    assert reader.cards.filter(type=Card.Type.DIGITAL, status=Card.Status.ACTIVE).exists()
    assert card_active(reader).allows == ["digital", "physical"]
    entry = AuditEntry.objects.get(action="card.issue")
    assert entry.object_id == str(physical.pk)


def test_a_physical_card_keeps_a_residents_expiry(staff_client, db):
    expires = dt.date(2027, 6, 30)
    reader = make_reader(national_id(3), expires_on=expires)
    _physical(staff_client, reader, "12345678")
    assert reader.cards.get(type=Card.Type.PHYSICAL).expires_on == expires


@pytest.mark.parametrize(
    "barcode", ["", "12345", "x" * 33, "1234 5678", "ABC-1234", "條碼123456", "１２３４５６"]
)
def test_a_bad_barcode_is_refused(staff_client, reader, barcode):
    response = _physical(staff_client, reader, barcode)
    assert response.status_code == 200
    assert response.context["physical_form"].errors["barcode"]
    assert reader.cards.count() == 1
    assert not AuditEntry.objects.filter(action="card.issue").exists()


def test_a_barcode_of_another_card_is_refused(staff_client, reader, other):
    _physical(staff_client, other, "LIB0099999")
    response = _physical(staff_client, reader, "lib0099999")
    assert response.status_code == 200
    assert response.context["physical_form"].errors["barcode"]
    assert reader.cards.count() == 1


def test_a_physical_card_needs_the_id_seen_in_person(staff_client, reader):
    response = _physical(staff_client, reader, "LIB0012345", seen=False)
    assert response.status_code == 200
    assert reader.cards.count() == 1


def test_a_second_active_physical_card_is_refused(staff_client, reader):
    _physical(staff_client, reader, "LIB0000001")
    response = _physical(staff_client, reader, "LIB0000002")
    assert response.status_code == 200
    assert reader.cards.filter(type=Card.Type.PHYSICAL).count() == 1


# -- correction requests ----------------------------------------------------------------------
def _decide(client, correction, decision, note="", seen=False):
    data = {"decision": decision, "note": note}
    if seen:
        data["seen_id"] = "on"
    url = reverse("staff:correction", args=[correction.reader_id, correction.pk])
    return client.post(url, data)


def test_the_correction_page_shows_the_requested_value(staff_client, reader):
    correction = _correction(reader, "birth_date", "85/03/21")
    url = reverse("staff:correction", args=[reader.pk, correction.pk])
    response = staff_client.get(url)
    assert "85/03/21" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_a_name_correction_is_applied(staff_client, reader):
    correction = _correction(reader, "name", " 王曉明 ")
    response = _decide(staff_client, correction, "done", "checked the ID card")
    assert response["Location"] == _page(reader)
    reader.refresh_from_db()
    assert reader.name == "王曉明"
    correction.refresh_from_db()
    assert correction.state == CorrectionRequest.State.DONE
    assert correction.handled_by == "group-staff"
    entry = AuditEntry.objects.get(action="correction.done")
    assert (entry.from_state, entry.to_state) == ("open", "done")


def test_a_birth_date_correction_is_applied(staff_client, reader):
    correction = _correction(reader, "birth_date", "85/03/21")
    _decide(staff_client, correction, "done")
    reader.refresh_from_db()
    assert reader.birth_date == dt.date(1996, 3, 21)
    assert "1996-03-21" not in str(AuditEntry.objects.values_list("details", "reason"))


@pytest.mark.parametrize("value", ["85/02/30", "not a date", "2999-01-01"])
def test_an_impossible_birth_date_is_refused(staff_client, reader, value):
    correction = _correction(reader, "birth_date", value)
    response = _decide(staff_client, correction, "done")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    reader.refresh_from_db()
    assert reader.birth_date == dt.date(1996, 3, 12)
    correction.refresh_from_db()
    assert correction.state == CorrectionRequest.State.OPEN


def test_an_id_correction_needs_the_document_seen(staff_client, reader):
    new = national_id(42)
    correction = _correction(reader, "national_id", new)
    response = _decide(staff_client, correction, "done")
    assert response.status_code == 200
    assert response.context["form"].errors["seen_id"]
    reader.refresh_from_db()
    assert reader.id_index == id_index(FULL_ID)


def test_an_id_correction_moves_the_account(staff_client, reader):
    new = national_id(42)
    correction = _correction(reader, "national_id", new.lower())
    _decide(staff_client, correction, "done", seen=True)
    reader.refresh_from_db()
    assert reader.id_index == id_index(new)
    assert reader.national_id == new
    assert reader.id_masked == new[:3] + "****" + new[-3:]
    entry = AuditEntry.objects.get(action="reader.change_id")
    assert new not in str(entry.details)
    assert FULL_ID not in str(entry.details)
    result = reader_authenticate(account=new, password=INITIAL, channel="web", address="192.0.2.1")
    assert result.outcome is Outcome.MUST_CHANGE


def test_an_id_of_another_reader_is_refused(staff_client, reader, other):
    correction = _correction(reader, "national_id", OTHER_ID)
    response = _decide(staff_client, correction, "done", seen=True)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    reader.refresh_from_db()
    assert reader.id_index == id_index(FULL_ID)
    correction.refresh_from_db()
    assert correction.state == CorrectionRequest.State.OPEN


def test_an_invalid_id_is_refused(staff_client, reader):
    correction = _correction(reader, "national_id", "A123456780")
    _decide(staff_client, correction, "done", seen=True)
    reader.refresh_from_db()
    assert reader.id_index == id_index(FULL_ID)


def test_declining_needs_a_note(staff_client, reader):
    correction = _correction(reader, "name", "王曉明")
    response = _decide(staff_client, correction, "decline", "")
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    correction.refresh_from_db()
    assert correction.state == CorrectionRequest.State.OPEN
    _decide(staff_client, correction, "decline", "The ID card says 王小明.")
    correction.refresh_from_db()
    assert correction.state == CorrectionRequest.State.DECLINED
    assert correction.staff_note == "The ID card says 王小明."
    reader.refresh_from_db()
    assert reader.name == "王小明"
    assert AuditEntry.objects.filter(action="correction.decline").count() == 1


def test_a_handled_request_is_not_handled_twice(staff_client, reader):
    correction = _correction(reader, "name", "王曉明")
    _decide(staff_client, correction, "done")
    correction.requested_value = "王大明"
    response = _decide(staff_client, correction, "done")
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.name == "王曉明"
    assert AuditEntry.objects.filter(action="correction.done").count() == 1


def test_a_broad_search_counts_only_up_to_a_cap(staff_client, db, monkeypatch):
    from libcard.readers.staff_views import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 5)
    for i in range(8):
        make_reader(national_id(400 + i), name=f"黃{i}")
    response = staff_client.get(SEARCH, {"q": "黃"})
    assert response.context["page"].paginator.count == 5
    assert len(response.context["page"].object_list) == 5
    assert b'data-testid="capped"' in response.content
    narrow = staff_client.get(SEARCH, {"q": "黃1"})
    assert narrow.context["page"].paginator.count == 1
    assert b'data-testid="capped"' not in narrow.content
