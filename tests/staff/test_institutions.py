"""Institutions: list and search, the institution page, recording a new contact person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from libcard.core.models import AuditEntry
from libcard.groups.models import ContactPerson
from tests.staff import log_in, messages_of
from tests.support.factories import application, institution

LIST = "/staff/institutions/"


@pytest.fixture
def staff_client(client, group_staff):
    return log_in(client, group_staff)


def test_it_lists_institutions_with_their_contact_person(staff_client, contact_a, contact_b):
    application(contact_a.institution, contact_a)
    response = staff_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert contact_a.institution.name in page
    assert contact_b.name in page
    counts = {i.name: i.applications_count for i in response.context["page"].object_list}
    assert counts[contact_a.institution.name] == 1


def test_it_searches_by_name_or_code(staff_client, school_a, school_b):
    by_name = staff_client.get(LIST, {"q": "甲國民"}).context["page"].object_list
    assert list(by_name) == [school_a]
    by_code = staff_client.get(LIST, {"q": school_b.code}).context["page"].object_list
    assert list(by_code) == [school_b]


def test_the_list_costs_the_same_queries_for_many_institutions(
    staff_client, django_assert_max_num_queries
):
    institution("一校", "100001").contacts.create(name="甲", email="a@x.tw")
    with django_assert_max_num_queries(12) as few:
        staff_client.get(LIST)
    for index in range(30):
        institution(f"校{index}", f"2{index:05d}").contacts.create(name="乙", email=f"{index}@x.tw")
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(LIST)


def test_the_page_shows_the_contact_history_current_first(staff_client, school_a, contact_a):
    contact_a.started_on = timezone.localdate() - dt.timedelta(days=400)
    contact_a.save()
    older = ContactPerson.objects.create(
        institution=school_a,
        name="前任聯絡人",
        email="old@school-a.example.edu.tw",
        started_on=timezone.localdate() - dt.timedelta(days=900),
        ended_on=timezone.localdate() - dt.timedelta(days=401),
    )
    app = application(school_a, contact_a)
    response = staff_client.get(f"/staff/institutions/{school_a.pk}/")
    assert response.status_code == 200
    assert response.context["contacts"] == [contact_a, older]
    page = response.content.decode()
    assert older.ended_on.isoformat() in page
    assert app.letter_number in page
    assert f"/staff/applications/new/?institution={school_a.pk}" in page


def test_it_records_a_new_contact_person(staff_client, school_a, contact_a):
    contact_a.started_on = timezone.localdate() - dt.timedelta(days=100)
    contact_a.save(update_fields=["started_on"])
    started = timezone.localdate() - dt.timedelta(days=3)
    response = staff_client.post(
        f"/staff/institutions/{school_a.pk}/contact/",
        {
            "name": "李新任",
            "title": "設備組長",
            "phone": "04-22222222",
            "email": "lee@school-a.example.edu.tw",
            "started_on": started.isoformat(),
            "note": "依來函異動",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/staff/institutions/{school_a.pk}/"
    assert any("李新任 is recorded as the contact person" in m for m in messages_of(response))
    current = school_a.current_contact
    assert current.name == "李新任"
    assert current.recorded_by == "group-staff"
    assert current.note == "依來函異動"
    contact_a.refresh_from_db()
    assert contact_a.ended_on == started - dt.timedelta(days=1)
    contact_a.user.refresh_from_db()
    assert contact_a.user.is_active is False  # the old contact's portal account stops
    assert AuditEntry.objects.filter(action="contact.change", actor_label="group-staff").exists()


def test_it_refuses_a_contact_change_without_an_email(staff_client, school_a, contact_a):
    response = staff_client.post(
        f"/staff/institutions/{school_a.pk}/contact/",
        {"name": "李新任", "email": "", "started_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert school_a.current_contact == contact_a
    assert ContactPerson.objects.count() == 1


def test_it_answers_404_for_an_unknown_institution(staff_client):
    assert staff_client.get("/staff/institutions/999999/").status_code == 404
    assert staff_client.post("/staff/institutions/999999/contact/").status_code == 404
