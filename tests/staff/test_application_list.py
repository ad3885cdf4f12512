"""The list of group applications: filter by state, search, pages, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from libcard.core.workdays import add_months
from libcard.groups.models import ContactPerson, GroupApplication, Institution
from tests.staff import log_in
from tests.support.factories import application

LIST = "/staff/applications/"


def _many(
    count: int, *, institutions: int = 5, status: str = "received", prefix: str = "9"
) -> None:
    """``count`` applications spread over a few institutions, created in bulk."""
    today = timezone.localdate()
    schools = [
        Institution.objects.create(name=f"測試國小{index}", code=f"{prefix}{index:05d}")
        for index in range(institutions)
    ]
    contacts = [
        ContactPerson.objects.create(institution=school, name="聯絡人", email=f"c{i}@x.edu.tw")
        for i, school in enumerate(schools)
    ]
    letter_date = today - dt.timedelta(days=20)
    GroupApplication.objects.bulk_create(
        [
            GroupApplication(
                institution=schools[index % institutions],
                contact=contacts[index % institutions],
                letter_number=f"教字第{index:07d}號",
                letter_date=letter_date,
                received_on=letter_date + dt.timedelta(days=index % 10),
                deadline=add_months(letter_date, 6),
                status=status,
            )
            for index in range(count)
        ]
    )


def test_it_lists_applications_newest_first(client, reviewer, school_a, contact_a):
    older = application(school_a, contact_a, letter_date=timezone.localdate() - dt.timedelta(30))
    newer = application(school_a, contact_a, letter_date=timezone.localdate() - dt.timedelta(3))
    log_in(client, reviewer)
    response = client.get(LIST)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    assert older.letter_number in response.content.decode()


def test_it_filters_by_state_oldest_first_for_open_work(client, reviewer, school_a, contact_a):
    older = application(school_a, contact_a, letter_date=timezone.localdate() - dt.timedelta(30))
    newer = application(school_a, contact_a, letter_date=timezone.localdate() - dt.timedelta(3))
    application(school_a, contact_a, status="rejected")
    log_in(client, reviewer)
    response = client.get(LIST, {"status": "received"})
    assert list(response.context["page"].object_list) == [older, newer]
    assert "Oldest first" in response.content.decode()


def test_it_searches_by_institution_name_and_letter_number(
    client, reviewer, school_a, contact_a, school_b, contact_b
):
    a = application(school_a, contact_a, letter_number="府教字第1130000001號")
    b = application(school_b, contact_b, letter_number="北教字第1130000002號")
    log_in(client, reviewer)
    by_name = client.get(LIST, {"q": "乙國民"}).context["page"].object_list
    assert list(by_name) == [b]
    by_letter = client.get(LIST, {"q": "1130000001"}).context["page"].object_list
    assert list(by_letter) == [a]


def test_it_ignores_an_unknown_state(client, reviewer, school_a, contact_a):
    application(school_a, contact_a)
    log_in(client, reviewer)
    response = client.get(LIST, {"status": "nonsense"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1


def test_it_pages_by_fifty(client, reviewer):
    _many(120)
    log_in(client, reviewer)
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 50
    assert "page=2" in first.content.decode()
    last = client.get(LIST, {"page": 3})
    assert len(last.context["page"].object_list) == 20
    assert client.get(LIST, {"page": "999"}).status_code == 200
    assert client.get(LIST, {"page": "x"}).status_code == 200


def test_it_keeps_the_filter_on_the_next_page(client, reviewer):
    _many(60, status="queued")
    log_in(client, reviewer)
    page = client.get(LIST, {"status": "queued"}).content.decode()
    assert "?status=queued&amp;page=2" in page


def test_it_uses_the_same_few_queries_for_a_full_page(
    client, reviewer, django_assert_max_num_queries
):
    _many(5)
    log_in(client, reviewer)
    with django_assert_max_num_queries(10) as small:
        client.get(LIST)
    GroupApplication.objects.all().delete()
    _many(200, institutions=40, prefix="8")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(LIST, {"q": "測試"})
    assert len(response.context["page"].object_list) == 50
