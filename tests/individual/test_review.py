"""The reviewers' pages: who gets in, the queue, the documents, approve and reject."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from libcard.core.files import load_file
from libcard.core.models import AuditEntry
from libcard.individual.models import IndividualApplication
from libcard.individual.services import application_approve
from libcard.individual.states import TransitionNotAllowed
from libcard.readers.models import Card, Reader
from tests.individual import REVIEWER, fresh, submitted
from tests.staff import log_in, messages_of
from tests.support.readers import make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_client(client, reviewer):
    return log_in(client, reviewer)


@pytest.fixture
def waiting():
    return submitted("national")


def url(application=None, action: str = "") -> str:
    if application is None:
        return "/staff/review/"
    return f"/staff/review/{application.pk}/" + (f"{action}/" if action else "")


# -- who gets in -----------------------------------------------------------------------------------
def test_a_stranger_is_sent_to_the_staff_login(client, waiting):
    for target in (url(), url(waiting), url(waiting, f"documents/{waiting.documents.first().pk}")):
        response = client.get(target)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_staff_without_the_reviewer_role_are_refused(client, group_staff, waiting):
    log_in(client, group_staff)
    assert client.get(url()).status_code == 403
    assert client.get(url(waiting)).status_code == 403
    assert client.post(url(waiting, "approve")).status_code == 403
    assert fresh(waiting).status == "submitted"


def test_a_logged_in_reader_is_no_reviewer(client, waiting):
    from libcard.accounts.reader_session import READER_KEY

    session = client.session
    session[READER_KEY] = make_reader("M162773050").pk
    session.save()
    response = client.get(url(waiting))
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


# -- the queue ----------------------------------------------------------------------------------
def test_the_queue_lists_confirmed_applications_in_order_of_submission(reviewer_client):
    now = timezone.now()
    later = submitted("national", now=now - dt.timedelta(hours=1))
    earlier = submitted("foreign", now=now - dt.timedelta(hours=5))
    submitted("child", confirm=False)  # not confirmed: not in the queue

    response = reviewer_client.get(url())

    rows = [row.application for row in response.context["rows"]]
    assert rows == [earlier, later]
    page = response.content.decode()
    assert page.index(earlier.reference) < page.index(later.reference)
    assert "working days left" in page or "working day left" in page or "due today" in page
    assert earlier.national_id not in page and later.national_id not in page


# -- the application page -----------------------------------------------------------------------
def test_the_page_shows_the_documents_beside_the_data(reviewer_client):
    application = submitted("foreign")
    response = reviewer_client.get(url(application))
    page = response.content.decode()
    assert application.name in page
    assert application.id_masked in page and application.national_id not in page
    assert application.birth_date.isoformat() in page
    assert application.resident_expires_on.isoformat() in page
    for document in application.documents.all():
        assert f'src="/staff/review/{application.pk}/documents/{document.pk}/"' in page


def test_an_image_is_served_inline_and_never_cached(reviewer_client, waiting):
    document = waiting.documents.first()
    response = reviewer_client.get(url(waiting, f"documents/{document.pk}"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline;")
    assert "no-store" in response["Cache-Control"]
    assert response.content == load_file(document.file_key)
    assert AuditEntry.objects.filter(action="individual.document_view").count() == 1


def test_a_pdf_is_a_download(reviewer_client, waiting):
    from libcard.core.files import store_file
    from tests.individual import pdf_bytes

    document = waiting.documents.first()
    document.file_key = store_file(pdf_bytes(), folder="identity-documents")
    document.content_type = "application/pdf"
    document.save()
    response = reviewer_client.get(url(waiting, f"documents/{document.pk}"))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"


def test_a_document_of_another_application_is_not_found(reviewer_client, waiting):
    other = submitted("foreign")
    document = other.documents.first()
    assert reviewer_client.get(url(waiting, f"documents/{document.pk}")).status_code == 404


def test_revealing_the_full_number_needs_a_reason_and_is_audited(reviewer_client, waiting):
    response = reviewer_client.post(url(waiting, "reveal"), {"reason": ""})
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="individual.reveal").exists()

    response = reviewer_client.post(url(waiting, "reveal"), {"reason": "號碼與證件比對"})
    assert waiting.national_id in response.content.decode()
    entry = AuditEntry.objects.get(action="individual.reveal")
    assert (entry.reason, entry.actor_label) == ("號碼與證件比對", "reviewer")


# -- approve ------------------------------------------------------------------------------------
def test_approving_issues_a_digital_card_and_mails_a_set_password_link(
    reviewer_client, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(url(waiting, "approve"), follow=True)

    application = fresh(waiting)
    assert application.status == "approved"
    assert application.decided_by == "reviewer"
    reader = Reader.objects.get()
    assert (reader.name, reader.national_id, reader.email_verified) == (
        "王小明",
        waiting.national_id,
        True,
    )
    assert reader.notice_accepted_at == application.consented_at
    card = Card.objects.get(reader=reader)
    assert (card.type, card.source, card.status, card.expires_on) == (
        "digital",
        "individual",
        "active",
        None,
    )
    assert application.card == card
    assert any(message.startswith("Approved") for message in messages_of(response))
    [mail] = mailoutbox
    assert re.search(r"/account/reset/\S+/", mail.body)
    assert reader.id_masked in mail.body and reader.national_id not in mail.body
    assert "/account/login/" in mail.body and application.reference in mail.subject
    entry = AuditEntry.objects.get(action="individual.approve")
    assert (entry.from_state, entry.to_state, entry.actor_label) == (
        "submitted",
        "approved",
        "reviewer",
    )


def test_a_resident_s_card_expires_with_the_certificate(reviewer_client):
    application = submitted("foreign")
    reviewer_client.post(url(application, "approve"))
    card = Card.objects.get()
    assert card.expires_on == application.resident_expires_on
    assert card.reader.id_kind == "resident_new"


def test_a_second_approve_gets_a_friendly_message(reviewer_client, waiting):
    reviewer_client.post(url(waiting, "approve"))
    response = reviewer_client.post(url(waiting, "approve"), follow=True)
    assert response.status_code == 200
    assert any(message.startswith("Nothing was changed") for message in messages_of(response))
    assert Reader.objects.count() == 1 and Card.objects.count() == 1
    assert AuditEntry.objects.filter(action="individual.approve").count() == 1


def test_someone_who_got_a_card_meanwhile_is_not_issued_a_second(reviewer_client, waiting):
    make_reader(waiting.national_id)
    response = reviewer_client.get(url(waiting))
    assert b'data-testid="cardholder-now"' in response.content
    response = reviewer_client.post(url(waiting, "approve"), follow=True)
    assert fresh(waiting).status == "submitted"
    assert Reader.objects.count() == 1
    assert any("already holds a card" in m for m in messages_of(response))


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_the_same_moment_issue_one_card(reviewer):
    application = submitted("national")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click() -> None:
        try:
            barrier.wait()
            application_approve(actor=REVIEWER, application=application)
            outcomes.append("approved")
        except TransitionNotAllowed:
            outcomes.append("too late")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["approved", "too late"]
    assert Reader.objects.count() == 1 and Card.objects.count() == 1


# -- reject -------------------------------------------------------------------------------------
def test_rejecting_sends_the_reason(
    reviewer_client, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            url(waiting, "reject"),
            {"reason": "data_mismatch", "note": "出生日期與身分證不符"},
            follow=True,
        )
    application = fresh(waiting)
    assert (application.status, application.reject_reason) == ("rejected", "data_mismatch")
    assert not Reader.objects.exists()
    [mail] = mailoutbox
    assert "出生日期與身分證不符" in mail.body and application.reference in mail.subject
    assert "/apply/" in mail.body
    entry = AuditEntry.objects.get(action="individual.reject")
    assert entry.reason == "data_mismatch: 出生日期與身分證不符"
    assert any(message.startswith("Rejected") for message in messages_of(response))


def test_other_needs_an_explanation(reviewer_client, waiting):
    response = reviewer_client.post(url(waiting, "reject"), {"reason": "other", "note": " "})
    assert response.status_code == 200
    assert fresh(waiting).status == "submitted"


def test_a_reason_must_come_from_the_list(reviewer_client, waiting):
    response = reviewer_client.post(url(waiting, "reject"), {"reason": "i just don't like it"})
    assert response.status_code == 200
    assert fresh(waiting).status == "submitted"


def test_after_a_rejection_the_person_may_apply_again(reviewer_client, waiting):
    reviewer_client.post(url(waiting, "reject"), {"reason": "unclear_image"})
    again = submitted("national")
    assert again.status == "submitted"
    assert IndividualApplication.objects.count() == 2
