"""The library's closing days: the weekly closing day and the closure days, each change audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from libcard.core.models import AuditEntry, CalendarSettings, Closure
from libcard.core.workdays import library_calendar
from tests.staff import log_in, messages_of

PAGE = "/staff/closures/"


@pytest.fixture
def admin_client(client, admin_staff):
    return log_in(client, admin_staff)


def test_it_shows_the_weekly_closing_day_and_the_closure_days(admin_client):
    today = timezone.localdate()
    Closure.objects.create(day=today + dt.timedelta(days=10), reason="颱風停班")
    Closure.objects.create(day=today - dt.timedelta(days=10), reason="盤點")
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    assert response.context["weekday_form"].initial["weekday"] == "0"
    assert [c.reason for c in response.context["upcoming"]] == ["颱風停班"]
    assert [c.reason for c in response.context["past"]] == ["盤點"]


def test_it_changes_the_weekly_closing_day(admin_client):
    response = admin_client.post(PAGE + "weekday/", {"weekday": "1"}, follow=True)
    assert "The weekly closing day is saved." in messages_of(response)
    assert CalendarSettings.current().closed_weekday == 1
    assert library_calendar().closed_weekday == 1
    entry = AuditEntry.objects.get(action="calendar.change")
    assert entry.details == {"change": "closed_weekday", "old": 0, "new": 1}
    assert entry.actor_label == "admin-staff"


def test_the_library_may_have_no_weekly_closing_day(admin_client):
    admin_client.post(PAGE + "weekday/", {"weekday": "none"})
    assert CalendarSettings.current().closed_weekday is None
    assert admin_client.get(PAGE).context["weekday_form"].initial["weekday"] == "none"


def test_saving_the_same_weekday_writes_no_audit_entry(admin_client):
    admin_client.post(PAGE + "weekday/", {"weekday": "0"})
    assert not AuditEntry.objects.filter(action="calendar.change").exists()


def test_it_refuses_an_unknown_weekday(admin_client):
    response = admin_client.post(PAGE + "weekday/", {"weekday": "9"})
    assert response.status_code == 200
    assert "weekday" in response.context["weekday_form"].errors
    assert CalendarSettings.current().closed_weekday == 0


def test_it_adds_a_closure_day_that_the_working_days_skip(admin_client):
    day = dt.date(2026, 12, 2)  # a Wednesday
    response = admin_client.post(
        PAGE + "add/", {"day": day.isoformat(), "reason": "颱風"}, follow=True
    )
    assert "2026-12-02 is now a closure day." in messages_of(response)
    closure = Closure.objects.get()
    assert (closure.day, closure.reason, closure.created_by) == (day, "颱風", "admin-staff")
    assert not library_calendar().is_working_day(day)
    entry = AuditEntry.objects.get(action="calendar.change")
    assert entry.details == {"change": "closure_add", "day": "2026-12-02"}
    assert entry.reason == "颱風"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"day": "2026-12-02", "reason": ""}, "reason"),
        ({"day": "2026-13-02", "reason": "颱風"}, "day"),
        ({"day": "", "reason": "颱風"}, "day"),
    ],
)
def test_it_refuses_a_closure_without_a_good_day_or_reason(admin_client, data, field):
    response = admin_client.post(PAGE + "add/", data)
    assert response.status_code == 200
    assert field in response.context["closure_form"].errors
    assert Closure.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_it_refuses_the_same_day_twice(admin_client):
    Closure.objects.create(day=dt.date(2026, 12, 2), reason="颱風")
    response = admin_client.post(PAGE + "add/", {"day": "2026-12-02", "reason": "again"})
    assert response.context["closure_form"].errors["day"] == ["This day is already a closure day."]
    assert Closure.objects.count() == 1


def test_it_removes_a_closure_day(admin_client):
    closure = Closure.objects.create(day=dt.date(2026, 12, 2), reason="颱風")
    response = admin_client.post(PAGE + f"{closure.pk}/delete/", follow=True)
    assert "2026-12-02 is no longer a closure day." in messages_of(response)
    assert Closure.objects.count() == 0
    entry = AuditEntry.objects.get(action="calendar.change")
    assert entry.details["change"] == "closure_remove"
    assert entry.object_id == str(closure.pk)


def test_removing_an_unknown_closure_answers_404(admin_client):
    assert admin_client.post(PAGE + "999999/delete/").status_code == 404
