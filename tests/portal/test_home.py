"""The portal's home: the institution, its contact, its applications and what to do next."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.portal import awaiting, issued
from tests.support import factories


@pytest.fixture
def logged_in(client, contact_a):
    client.force_login(contact_a.user)
    return client


def test_it_lists_the_institutions_applications_only(logged_in, school_a, contact_a, contact_b):
    mine = awaiting(school_a, contact_a, letter_number="中市教字第1130000001號")
    done = issued(school_a, contact_a)
    theirs = awaiting(contact_b.institution, contact_b, letter_number="新北教字第1130000009號")
    page = logged_in.get(reverse("portal:home")).content.decode()
    assert school_a.name in page
    assert contact_a.name in page
    assert mine.letter_number in page
    assert done.letter_number in page
    assert theirs.letter_number not in page
    assert reverse("portal:application", args=[mine.pk]) in page
    assert "Waiting for the reader data file" in page  # the state's label, not its code
    assert reverse("front:template", args=["xlsx"]) in page
    assert reverse("front:template", args=["ods"]) in page


def test_it_counts_the_days_left_in_calendar_days(logged_in, school_a, contact_a):
    letter = timezone.localdate() - dt.timedelta(days=30)
    application = awaiting(school_a, contact_a, letter_date=letter)
    days = (application.deadline - timezone.localdate()).days
    page = logged_in.get(reverse("portal:home")).content.decode()
    assert f"{days} days left" in page
    assert application.deadline.isoformat() in page


def test_it_says_what_to_do_for_each_state(logged_in, school_a, contact_a):
    factories.application(school_a, contact_a, letter_number="A-1")
    factories.application(
        school_a, contact_a, letter_number="A-2", status="rejected", decision_reason="缺少用印"
    )
    factories.application(
        school_a,
        contact_a,
        letter_number="A-3",
        status="expired",
        letter_date=timezone.localdate() - dt.timedelta(days=200),
    )
    page = logged_in.get(reverse("portal:home")).content.decode()
    assert "checking the letter" in page
    assert "缺少用印" in page
    assert "new official letter" in page


def test_it_points_at_a_file_not_sent_yet(logged_in, school_a, contact_a):
    from tests.support.factories import reader_file_xlsx, reader_rows

    application = awaiting(school_a, contact_a)
    logged_in.post(
        reverse("portal:upload", args=[application.pk]),
        {"file": SimpleUploadedFile("r.xlsx", reader_file_xlsx(reader_rows(3)))},
    )
    page = logged_in.get(reverse("portal:home")).content.decode()
    assert "not sent to the library yet" in page


def test_an_ended_contact_is_refused(client, contact_a):
    client.force_login(contact_a.user)
    contact_a.ended_on = timezone.localdate()
    contact_a.save()
    assert client.get(reverse("portal:home")).status_code == 403
