"""The group application's state machine, driven through its services."""

import datetime as dt

import pytest
from django.utils import timezone

from libcard.core.audit import Actor
from libcard.core.models import AuditEntry
from libcard.groups import services
from libcard.groups.models import GroupApplication, PendingReader, Submission
from libcard.groups.states import Status, TransitionNotAllowed
from tests.support.factories import application, reader_file_xlsx, reader_rows

STAFF = Actor("staff", "1", "group-staff")
CONTACT = Actor("contact", "2", "contact-a")


@pytest.fixture
def received(school_a, contact_a):
    return application(school_a, contact_a)


@pytest.fixture
def awaiting(received):
    return services.application_approve(actor=STAFF, application=received)


def upload_and_submit(app, rows):
    submission = services.submission_upload(
        actor=CONTACT, application=app, filename="讀者資料.xlsx", data=reader_file_xlsx(rows)
    )
    return services.submission_submit(actor=CONTACT, submission=submission), submission


def test_approve_moves_to_awaiting_file_and_mails_the_signup_link(
    received, mailoutbox, django_capture_on_commit_callbacks
):
    received.contact.user = None
    received.contact.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve(actor=STAFF, application=received)
    received.refresh_from_db()
    assert received.status == Status.AWAITING_FILE
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [received.contact.email]
    assert "/portal/signup/" in mail.body
    assert received.deadline.isoformat() in mail.body
    entry = AuditEntry.objects.get(action="application.approve")
    assert (entry.from_state, entry.to_state, entry.actor_label) == (
        "received",
        "awaiting_file",
        "group-staff",
    )


def test_approving_twice_is_refused_and_changes_nothing(awaiting):
    with pytest.raises(TransitionNotAllowed):
        services.application_approve(actor=STAFF, application=awaiting)
    assert AuditEntry.objects.filter(action="application.approve").count() == 1


def test_reject_needs_a_reason(received):
    with pytest.raises(services.ApplicationError):
        services.application_reject(actor=STAFF, application=received, reason="  ")
    received.refresh_from_db()
    assert received.status == Status.RECEIVED


def test_reject_mails_the_reason(received, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(actor=STAFF, application=received, reason="申請單未用印")
    assert "申請單未用印" in mailoutbox[0].body


def test_a_clean_file_queues_the_application_with_a_due_date(awaiting):
    app, submission = upload_and_submit(awaiting, reader_rows(5))
    assert app.status == Status.QUEUED
    assert app.due_on is not None and app.due_on > timezone.localdate()
    submission.refresh_from_db()
    assert submission.state == Submission.State.ACCEPTED
    assert PendingReader.objects.filter(application=app).count() == 5


def test_a_file_with_errors_returns_the_application(
    awaiting, mailoutbox, django_capture_on_commit_callbacks
):
    rows = reader_rows(4)
    rows[1][3] = "85/02/30"
    with django_capture_on_commit_callbacks(execute=True):
        app, _submission = upload_and_submit(awaiting, rows)
    assert app.status == Status.RETURNED
    assert "85/02/30" in mailoutbox[0].body
    # fixed and sent again: queued
    again, _ = upload_and_submit(app, reader_rows(4))
    assert again.status == Status.QUEUED
    versions = list(again.submissions.order_by("version").values_list("version", "state"))
    assert versions == [(1, "superseded"), (2, "accepted")]


def test_a_reader_in_another_open_batch_is_an_error(awaiting, school_b, contact_b):
    upload_and_submit(awaiting, reader_rows(3))
    other = services.application_approve(actor=STAFF, application=application(school_b, contact_b))
    submission = services.submission_upload(
        actor=CONTACT,
        application=other,
        filename="x.xlsx",
        data=reader_file_xlsx(reader_rows(2, start=2)),  # reader 2 is already in school A's file
    )
    codes = [issue["code"] for issue in submission.report["issues"]]
    assert codes == ["id.other_batch"]
    assert submission.invalid == 1


def test_uploads_after_the_deadline_are_refused(school_a, contact_a):
    old = application(
        school_a,
        contact_a,
        status=Status.AWAITING_FILE,
        letter_date=timezone.localdate() - dt.timedelta(days=200),
    )
    with pytest.raises(services.ApplicationError):
        services.submission_upload(
            actor=CONTACT, application=old, filename="a.xlsx", data=reader_file_xlsx(reader_rows(1))
        )
    assert not old.submissions.exists()


def test_the_periodic_job_expires_applications_past_their_deadline(
    school_a, contact_a, mailoutbox, django_capture_on_commit_callbacks
):
    old = application(
        school_a,
        contact_a,
        status=Status.AWAITING_FILE,
        letter_date=timezone.localdate() - dt.timedelta(days=200),
    )
    fresh = application(school_a, contact_a, status=Status.AWAITING_FILE)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.applications_expire_due() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (Status.EXPIRED, Status.AWAITING_FILE)
    assert "new official letter" in mailoutbox[0].body or "新" in mailoutbox[0].body


def test_a_submitted_version_cannot_be_submitted_again(awaiting):
    _app, submission = upload_and_submit(awaiting, reader_rows(2))
    with pytest.raises(services.ApplicationError):
        services.submission_submit(actor=CONTACT, submission=submission)


def test_only_the_latest_version_can_be_submitted(awaiting):
    first = services.submission_upload(
        actor=CONTACT,
        application=awaiting,
        filename="a.xlsx",
        data=reader_file_xlsx(reader_rows(2)),
    )
    services.submission_upload(
        actor=CONTACT,
        application=awaiting,
        filename="b.xlsx",
        data=reader_file_xlsx(reader_rows(3)),
    )
    with pytest.raises(services.ApplicationError):
        services.submission_submit(actor=CONTACT, submission=first)


def test_issue_is_refused_unless_queued(awaiting):
    with pytest.raises(TransitionNotAllowed):
        services.application_issue(actor=STAFF, application=awaiting)
    assert GroupApplication.objects.get(pk=awaiting.pk).status == Status.AWAITING_FILE


def test_a_change_of_contact_person_keeps_the_history(school_a, contact_a):
    new = services.contact_change(
        actor=STAFF, institution=school_a, name="新聯絡人", email="new@school-a.example.edu.tw"
    )
    contact_a.refresh_from_db()
    assert contact_a.ended_on is not None
    assert school_a.current_contact == new
    contact_a.user.refresh_from_db()
    assert not contact_a.user.is_active  # the former contact loses portal access


def test_signup_tokens_work_once(school_a):
    from tests.support.factories import contact

    person = contact(school_a, "fresh@school-a.example.edu.tw", with_user=False)
    token = services.signup_token(person)
    assert services.contact_from_signup_token(token) == person
    assert services.contact_from_signup_token(token + "x") is None
    from django.contrib.auth import get_user_model

    person.user = get_user_model().objects.create_user(username="fresh", password="x" * 12)
    person.save()
    assert services.contact_from_signup_token(token) is None


def test_a_closure_day_added_later_moves_the_due_date(
    awaiting, admin_staff, django_capture_on_commit_callbacks
):
    from libcard.core.services import closure_add

    app, _submission = upload_and_submit(awaiting, reader_rows(2))
    before = app.due_on
    with django_capture_on_commit_callbacks(execute=True):
        closure_add(actor=STAFF, day=before, reason="颱風停班")
    app.refresh_from_db()
    assert app.due_on > before
