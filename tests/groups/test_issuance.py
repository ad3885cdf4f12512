"""Issuing cards: idempotent, one pass, existing cardholders reported, initial passwords."""

import json

import pytest

from libcard.core.audit import Actor
from libcard.groups import issuance, services
from libcard.groups.models import IssuedRow
from libcard.groups.states import Status
from libcard.readers.models import Card, Reader
from libcard.readers.services import (
    cardholder_list_load,
    initial_password_hash,
)
from tests.support.factories import application, national_id, reader_file_xlsx, reader_rows

STAFF = Actor("staff", "1", "group-staff")


@pytest.fixture
def queued(school_a, contact_a):
    app = services.application_approve(actor=STAFF, application=application(school_a, contact_a))
    submission = services.submission_upload(
        actor=STAFF, application=app, filename="x.xlsx", data=reader_file_xlsx(reader_rows(12))
    )
    return services.submission_submit(actor=STAFF, submission=submission)


def start(app):
    # The immediate task backend runs the job when the transaction commits.
    return services.application_issue(actor=STAFF, application=app)


def test_issuing_creates_readers_cards_and_the_roster(
    queued, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(queued)
    queued.refresh_from_db()
    assert queued.status == Status.COMPLETED
    assert (queued.issued_count, queued.existing_count) == (12, 0)
    assert Reader.objects.count() == 12 and Card.objects.filter(type="digital").count() == 12
    row = IssuedRow.objects.filter(outcome="issued").first()
    secret = json.loads(row.roster_secret)
    reader = row.reader
    assert secret["a"] == reader.national_id
    assert reader.initial_secret_hash == initial_password_hash(secret["p"])
    assert reader.password == ""  # the reader chooses one at first login
    assert any("issued" in m.subject or "完成" in m.subject for m in mailoutbox)


def test_existing_cardholders_get_nothing_new(queued, django_capture_on_commit_callbacks):
    cardholder_list_load(actor=STAFF, source="ILS", values=[national_id(0), national_id(5)])
    with django_capture_on_commit_callbacks(execute=True):
        start(queued)
    queued.refresh_from_db()
    assert (queued.issued_count, queued.existing_count) == (10, 2)
    existing = IssuedRow.objects.filter(outcome="existing")
    assert {r.row for r in existing} == {2, 7}
    assert all(r.roster_secret is None for r in existing)


def test_running_the_job_again_after_a_crash_creates_nothing_twice(queued, monkeypatch):
    services.application_issue(actor=STAFF, application=queued)  # not run: no on_commit here
    calls = {"n": 0}
    real_batch = issuance._issue_batch

    def crash_on_second_batch(app, rows, now):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real_batch(app, rows, now)

    monkeypatch.setattr(issuance, "BATCH", 5)
    monkeypatch.setattr(issuance, "_issue_batch", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        issuance.cards_issue(application_id=queued.pk)
    assert Reader.objects.count() == 5
    monkeypatch.setattr(issuance, "_issue_batch", real_batch)
    issuance.cards_issue(application_id=queued.pk)
    issuance.cards_issue(application_id=queued.pk)  # and once more: nothing to do
    assert Reader.objects.count() == 12
    assert IssuedRow.objects.count() == 12
    queued.refresh_from_db()
    assert queued.status in (Status.ISSUED, Status.COMPLETED)


def test_a_second_issue_click_is_refused(queued):
    services.application_issue(actor=STAFF, application=queued)
    from libcard.groups.states import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        services.application_issue(actor=STAFF, application=queued)


def test_rosters_are_purged_after_their_period(queued, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        start(queued)
    assert issuance.rosters_purge(now=timezone.now()) == 0
    assert issuance.rosters_purge(now=timezone.now() + dt.timedelta(days=15)) == 12
    assert not IssuedRow.objects.filter(roster_secret__isnull=False).exists()
