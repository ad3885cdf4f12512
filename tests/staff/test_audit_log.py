"""The audit log: search by action, actor, object and dates; pages; nothing can be changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from libcard.core.audit import Actor, audit
from libcard.core.models import AuditEntry
from tests.staff import log_in
from tests.support.factories import application

PAGE = "/staff/audit/"


@pytest.fixture
def admin_client(client, admin_staff):
    return log_in(client, admin_staff)


def _entries(response):
    return list(response.context["page"].object_list)


def _actions(response):
    return [entry.action for entry in _entries(response)]


@pytest.fixture
def entries(db, school_a, contact_a):
    app = application(school_a, contact_a)
    someone = Actor("staff", "1", "clerk-wang", channel="web", ip="10.0.0.5")
    audit(someone, "login.success")
    audit(Actor("anonymous", channel="web"), "login.failure", username="clerk-wang")
    audit(someone, "application.approve", app, from_state="received", to_state="awaiting_file")
    audit(Actor.system(), "roster.purge", app)
    return app


def test_it_lists_entries_newest_first(admin_client, entries):
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    assert _actions(response) == [
        "roster.purge",
        "application.approve",
        "login.failure",
        "login.success",
    ]
    page = response.content.decode()
    assert "clerk-wang" in page
    assert "10.0.0.5" in page


def test_it_searches_by_the_start_of_the_action(admin_client, entries):
    response = admin_client.get(PAGE, {"action": "login"})
    assert _actions(response) == ["login.failure", "login.success"]


def test_it_searches_by_actor(admin_client, entries):
    response = admin_client.get(PAGE, {"actor": "clerk"})
    assert _actions(response) == ["application.approve", "login.success"]


def test_it_searches_by_object(admin_client, entries):
    response = admin_client.get(
        PAGE, {"object_type": "groups.GroupApplication", "object_id": str(entries.pk)}
    )
    assert _actions(response) == ["roster.purge", "application.approve"]
    assert _entries(admin_client.get(PAGE, {"object_id": "999999"})) == []


def test_it_searches_by_date_range(admin_client, entries):
    today = timezone.localdate()
    assert len(_entries(admin_client.get(PAGE, {"date_from": today.isoformat()}))) == 4
    assert len(_entries(admin_client.get(PAGE, {"date_to": today.isoformat()}))) == 4
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert _entries(admin_client.get(PAGE, {"date_to": yesterday})) == []
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert _entries(admin_client.get(PAGE, {"date_from": tomorrow})) == []


def test_it_refuses_a_range_that_ends_before_it_starts(admin_client, entries):
    response = admin_client.get(PAGE, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 200
    assert "date_to" in response.context["form"].errors
    assert _entries(response) == []


def test_a_bad_date_is_a_form_error_not_a_crash(admin_client, entries):
    response = admin_client.get(PAGE, {"date_from": "2026-02-31"})
    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors


def test_it_pages_by_fifty_and_keeps_the_search(admin_client, db):
    actor = Actor.system()
    for _index in range(60):
        audit(actor, "roster.purge")
    response = admin_client.get(PAGE, {"action": "roster"})
    assert len(_entries(response)) == 50
    assert "?action=roster&amp;page=2" in response.content.decode()
    assert len(_entries(admin_client.get(PAGE, {"action": "roster", "page": 2}))) == 10


def test_it_is_read_only(admin_client, entries):
    before = AuditEntry.objects.count()
    assert admin_client.post(PAGE, {"action": "x"}).status_code == 405
    assert AuditEntry.objects.count() == before
    assert b'<form method="post"' not in admin_client.get(PAGE).content.split(b"<main")[1]
