"""Three working days from the e-mail confirmation; the "it will take longer" e-mail, once;
retention of the documents after the decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from libcard.core import retention
from libcard.core.audit import Actor
from libcard.core.files import file_exists
from libcard.core.models import AuditEntry, Closure
from libcard.individual import tasks
from libcard.individual.selectors import deadline_of, queue
from libcard.individual.services import (
    application_approve,
    application_reject,
    applications_notify_delayed,
)
from tests.individual import REVIEWER, fresh, national_id, submitted

pytestmark = pytest.mark.django_db
D = dt.date


def taipei(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# -- the due date ---------------------------------------------------------------------------------
def test_an_ordinary_week():
    # Tue 2 July 2024 → Wed 3, Thu 4, Fri 5.
    assert submitted(now=taipei(D(2024, 7, 2))).due_on == D(2024, 7, 5)


def test_the_weekend_and_the_closing_monday_do_not_count():
    # Thu 4 July 2024 → Fri 5, (Sat, Sun, closed Monday), Tue 9, Wed 10.
    assert submitted(now=taipei(D(2024, 7, 4))).due_on == D(2024, 7, 10)


def test_lunar_new_year_and_its_make_up_saturday():
    # Wed 7 Feb 2024: 8–14 February off; Thu 15, Fri 16 and the make-up Saturday 17 count.
    assert submitted(now=taipei(D(2024, 2, 7))).due_on == D(2024, 2, 17)


def test_make_up_saturdays_can_be_left_out(settings):
    settings.WORKDAYS_MAKEUP_SATURDAYS_COUNT = False
    # Thu 15, Fri 16, (Sat 17 not counted, Sun, closed Monday 19), Tue 20.
    assert submitted(now=taipei(D(2024, 2, 7))).due_on == D(2024, 2, 20)


def test_a_typhoon_closure_moves_the_due_date():
    Closure.objects.create(day=D(2024, 7, 25), reason="颱風停班")
    # Tue 23 July 2024 → Wed 24, (typhoon Thu 25), Fri 26, (weekend, Monday), Tue 30.
    assert submitted(now=taipei(D(2024, 7, 23))).due_on == D(2024, 7, 30)


def test_the_clock_starts_at_the_confirmation_not_the_form():
    from libcard.individual.services import application_confirm_email

    application = submitted(confirm=False, now=taipei(D(2024, 7, 1)))
    application = application_confirm_email(
        actor=REVIEWER, application=application, now=taipei(D(2024, 7, 4), 18)
    )
    assert application.due_on == D(2024, 7, 10)


def test_an_unknown_year_leaves_the_due_date_to_people(settings):
    settings.LIBCARD_CALENDAR_LAST_YEAR = 2023
    application = submitted(now=taipei(D(2024, 7, 2)))
    assert application.status == "submitted" and application.due_on is None
    assert not deadline_of(application).known


def test_the_queue_counts_working_days_left():
    application = submitted(now=taipei(D(2024, 7, 2)))  # due Fri 5 July
    [row] = queue(today=D(2024, 7, 3))
    assert row.application == application and row.deadline.left == 2
    [row] = queue(today=D(2024, 7, 5))
    assert row.deadline.due_today
    [row] = queue(today=D(2024, 7, 10))  # Tue 9, Wed 10 after Fri 5
    assert row.deadline.late and row.deadline.late_by == 2


# -- "it will take longer", once --------------------------------------------------------------------
def test_the_delay_e_mail_goes_out_once(mailoutbox, django_capture_on_commit_callbacks):
    application = submitted(now=taipei(D(2024, 7, 2)))  # due Fri 5 July

    with django_capture_on_commit_callbacks(execute=True):
        assert applications_notify_delayed(now=taipei(D(2024, 7, 4), 16)) == 0  # not yet due
        assert applications_notify_delayed(now=taipei(D(2024, 7, 5), 9)) == 0  # morning: time left
        assert applications_notify_delayed(now=taipei(D(2024, 7, 5), 15)) == 1
        assert applications_notify_delayed(now=taipei(D(2024, 7, 5), 16)) == 0
        assert applications_notify_delayed(now=taipei(D(2024, 7, 9), 10)) == 0

    [mail] = mailoutbox
    assert mail.to == [application.email]
    assert application.reference in mail.subject and application.reference in mail.body
    assert "/apply/status/" in mail.body
    assert fresh(application).delay_notified_at == taipei(D(2024, 7, 5), 15)
    assert AuditEntry.objects.filter(action="individual.delay_notice").count() == 1


def test_decided_and_unconfirmed_applications_get_no_delay_e_mail(mailoutbox):
    approved = submitted(now=taipei(D(2024, 7, 2)))
    application_approve(actor=REVIEWER, application=approved)
    submitted(confirm=False, now=taipei(D(2024, 7, 2)), number="M162773050")

    assert applications_notify_delayed(now=taipei(D(2024, 7, 9))) == 0


def test_the_periodic_job_reports_what_it_did():
    submitted(now=taipei(D(2024, 7, 2)))
    assert tasks.notify_delayed() == "1 delay notices"
    assert tasks.notify_delayed() == "0 delay notices"


# -- retention ------------------------------------------------------------------------------------
def test_documents_go_30_days_after_the_decision_and_the_decision_stays(settings):
    now = timezone.now()
    decided = submitted(now=now - dt.timedelta(days=40))
    application_reject(
        actor=REVIEWER,
        application=decided,
        reason="unclear_image",
        now=now - dt.timedelta(days=31),
    )
    recent = submitted(number="M162773050", now=now - dt.timedelta(days=10))
    application_approve(actor=REVIEWER, application=recent, now=now - dt.timedelta(days=5))
    waiting = submitted(number=national_id(3), now=now - dt.timedelta(days=60))
    lapsed = submitted(number="F131104093", confirm=False)
    submitted(number="F131104093", confirm=False)  # replaces it: the old one's images go at once

    now = timezone.now()
    items = retention.plan(now)

    mine = [item for item in items if item.kind == "identity image"]
    assert len(mine) == 4  # two of the rejected one, two of the replaced one
    keys = [document.file_key for document in decided.documents.all()]
    retention.apply(items, actor=Actor.system())
    decided = fresh(decided)
    assert decided.status == "rejected" and decided.decided_by == "reviewer"
    assert all(not file_exists(key) for key in keys)
    assert all(d.file_key == "" and d.deleted_at for d in decided.documents.all())
    assert all(d.file_key for d in recent.documents.all())
    assert all(d.file_key for d in waiting.documents.all())
    assert all(d.file_key == "" for d in lapsed.documents.all())
    assert AuditEntry.objects.filter(action="retention.delete").count() == 4
    assert all(item.kind != "identity image" for item in retention.plan(now))


def test_a_closure_entered_after_submission_moves_the_due_date(django_capture_on_commit_callbacks):
    from libcard.core.services import closure_add

    application = submitted(now=taipei(D(2024, 7, 23)))
    assert application.due_on == D(2024, 7, 26)
    with django_capture_on_commit_callbacks(execute=True):
        closure_add(actor=REVIEWER, day=D(2024, 7, 25), reason="颱風停班")
    application.refresh_from_db()
    assert application.due_on == D(2024, 7, 30)
