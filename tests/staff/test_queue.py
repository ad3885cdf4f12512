"""The dashboard: the queue in order of arrival, due dates and working days left."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from libcard.core.workdays import library_calendar
from libcard.groups.models import Submission
from tests.staff import local_noon, log_in
from tests.support.factories import application, institution

DASHBOARD = "/staff/"


def _working_days_ago(count: int) -> dt.date:
    """The latest day from which ``count`` working days have passed by today."""
    calendar = library_calendar()
    today = timezone.localdate()
    day = today
    while calendar.working_days_between(day, today) < count:
        day -= dt.timedelta(days=1)
    return day


def _queued(school, contact, *, accepted_on: dt.date, received_on: dt.date, valid=30, **extra):
    due_on = library_calendar().add_working_days(accepted_on, 10)
    app = application(
        school,
        contact,
        status=extra.pop("status", "queued"),
        file_accepted_at=local_noon(accepted_on),
        due_on=due_on,
        **extra,
    )
    app.received_on = received_on
    app.save(update_fields=["received_on"])
    Submission.objects.create(
        application=app,
        version=1,
        state=Submission.State.ACCEPTED,
        original_name="readers.xlsx",
        size=100,
        rows=valid + 2,
        valid=valid,
        existing=2,
        submitted_at=local_noon(accepted_on),
    )
    return app


def _rows(response):
    return [item.application for item in response.context["items"]]


def test_it_lists_queued_and_issuing_applications_in_the_order_received(
    client, reviewer, school_a, contact_a
):
    today = timezone.localdate()
    second = _queued(
        school_a,
        contact_a,
        accepted_on=_working_days_ago(1),
        received_on=today - dt.timedelta(days=20),
    )
    first = _queued(
        school_a,
        contact_a,
        accepted_on=_working_days_ago(2),
        received_on=today - dt.timedelta(days=30),
    )
    issuing = _queued(
        school_a,
        contact_a,
        accepted_on=_working_days_ago(2),
        received_on=today - dt.timedelta(days=10),
        status="issuing",
    )
    application(school_a, contact_a, status="awaiting_file")
    log_in(client, reviewer)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert _rows(response) == [first, second, issuing]
    page = response.content.decode()
    assert first.letter_number in page
    assert school_a.name in page


def test_it_shows_the_due_date_and_working_days_left(client, reviewer, school_a, contact_a):
    accepted_on = _working_days_ago(2)
    app = _queued(school_a, contact_a, accepted_on=accepted_on, received_on=accepted_on, valid=30)
    log_in(client, reviewer)
    response = client.get(DASHBOARD)
    item = response.context["items"][0]
    assert item.deadline.due_on == app.due_on
    assert item.deadline.left == 8
    assert item.deadline.badge == "good"
    assert item.deadline.text == "8 working days left"
    assert item.submission.valid == 30
    page = response.content.decode()
    assert app.due_on.isoformat() in page
    assert accepted_on.isoformat() in page
    assert "8 working days left" in page
    assert "2 already hold a card" in page


def test_it_warns_from_working_day_seven(client, reviewer, school_a, contact_a):
    _queued(school_a, contact_a, accepted_on=_working_days_ago(6), received_on=_working_days_ago(6))
    log_in(client, reviewer)
    assert client.get(DASHBOARD).context["items"][0].deadline.badge == "good"
    _queued(school_a, contact_a, accepted_on=_working_days_ago(7), received_on=_working_days_ago(7))
    response = client.get(DASHBOARD)
    deadline = response.context["items"][0].deadline
    assert deadline.badge == "warn"
    assert deadline.text == "3 working days left"
    assert 'class="badge warn"' in response.content.decode()


def test_it_marks_an_application_past_its_due_date_late(client, reviewer, school_a, contact_a):
    accepted_on = _working_days_ago(12)
    _queued(school_a, contact_a, accepted_on=accepted_on, received_on=accepted_on)
    log_in(client, reviewer)
    response = client.get(DASHBOARD)
    deadline = response.context["items"][0].deadline
    assert deadline.badge == "late"
    assert deadline.text == "2 working days late"
    assert 'class="badge late"' in response.content.decode()


def test_it_says_when_the_calendar_does_not_know_the_year(
    client, settings, reviewer, school_a, contact_a
):
    accepted_on = _working_days_ago(2)
    _queued(school_a, contact_a, accepted_on=accepted_on, received_on=accepted_on)
    settings.LIBCARD_CALENDAR_LAST_YEAR = timezone.localdate().year - 1
    log_in(client, reviewer)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    deadline = response.context["items"][0].deadline
    assert deadline.left is None
    assert "does not know this year" in deadline.text


def test_it_counts_applications_per_state_with_links(client, reviewer, school_a, contact_a):
    application(school_a, contact_a, status="received")
    application(school_a, contact_a, status="received")
    application(school_a, contact_a, status="rejected")
    log_in(client, reviewer)
    response = client.get(DASHBOARD)
    counts = {value: count for value, _label, count in response.context["state_counts"]}
    assert counts["received"] == 2
    assert counts["rejected"] == 1
    assert counts["queued"] == 0
    assert reverse("staff:applications") + "?status=received" in response.content.decode()


def test_it_says_when_the_queue_is_empty(client, reviewer):
    log_in(client, reviewer)
    response = client.get(DASHBOARD)
    assert "The queue is empty." in response.content.decode()


def test_the_queue_costs_the_same_queries_for_many_applications(
    client, reviewer, django_assert_max_num_queries
):
    log_in(client, reviewer)
    today = timezone.localdate()
    for index in range(3):
        school = institution(f"學校{index}", f"{index:06d}")
        contact = school.contacts.create(name="聯絡人", email=f"c{index}@example.edu.tw")
        _queued(school, contact, accepted_on=_working_days_ago(1), received_on=today)
    with django_assert_max_num_queries(12) as few:
        client.get(DASHBOARD)
    for index in range(3, 30):
        school = institution(f"學校{index}", f"{index:06d}")
        contact = school.contacts.create(name="聯絡人", email=f"c{index}@example.edu.tw")
        _queued(school, contact, accepted_on=_working_days_ago(1), received_on=today)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(DASHBOARD)
    assert len(response.context["items"]) == 30


def test_a_long_queue_comes_in_pages_of_a_hundred(client, reviewer, school_a, contact_a):
    """Found by the staff-pages benchmark: a queue of thousands rendered at once took 450 ms."""
    import datetime as dt

    from django.utils import timezone

    from tests.staff import log_in
    from tests.support.factories import application

    for _ in range(105):
        application(
            school_a,
            contact_a,
            status="queued",
            file_accepted_at=timezone.now(),
            due_on=timezone.localdate() + dt.timedelta(days=14),
        )
    log_in(client, reviewer)
    first = client.get("/staff/")
    assert first.content.decode().count('data-testid="queue-row"') == 100
    assert "105" in first.content.decode()
    second = client.get("/staff/?page=2")
    assert second.content.decode().count('data-testid="queue-row"') == 5
