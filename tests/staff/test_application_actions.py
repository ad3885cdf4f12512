"""The actions on an application page: approve, reject, return, issue, resume, add attachments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from libcard.core.models import AuditEntry
from libcard.groups import staff_views
from libcard.groups.models import Attachment, IssuedRow
from libcard.readers.models import Card, Reader
from tests.staff import fresh, log_in, messages_of, queued_application
from tests.support.factories import application, national_id


def _url(app, action=""):
    return f"/staff/applications/{app.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def staff_client(client, group_staff):
    return log_in(client, group_staff)


@pytest.fixture
def received(school_a, contact_a):
    return application(school_a, contact_a)


# -- approve ---------------------------------------------------------------------------------
def test_it_approves_and_mails_the_contact_person(
    staff_client, received, contact_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url(received, "approve"), follow=True)
    assert response.redirect_chain[-1][0] == _url(received)
    assert fresh(received).status == "awaiting_file"
    assert any(m.startswith("Approved.") for m in messages_of(response))
    assert [mail.to for mail in mailoutbox] == [[contact_a.email]]
    entry = AuditEntry.objects.get(action="application.approve")
    assert (entry.from_state, entry.to_state, entry.actor_label) == (
        "received",
        "awaiting_file",
        "group-staff",
    )


def test_a_second_approve_gets_a_friendly_message(staff_client, received):
    staff_client.post(_url(received, "approve"))
    response = staff_client.post(_url(received, "approve"), follow=True)
    assert response.status_code == 200
    assert any(m.startswith("Nothing was changed") for m in messages_of(response))
    assert AuditEntry.objects.filter(action="application.approve").count() == 1


# -- reject ----------------------------------------------------------------------------------
def test_it_rejects_with_a_reason(
    staff_client, received, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _url(received, "reject"), {"reason": "申請單未用印"}, follow=True
        )
    app = fresh(received)
    assert app.status == "rejected"
    assert app.decision_reason == "申請單未用印"
    assert any(m.startswith("Rejected.") for m in messages_of(response))
    assert "申請單未用印" in mailoutbox[0].body
    assert AuditEntry.objects.get(action="application.reject").reason == "申請單未用印"
    # The history on the page shows who, from → to, and why.
    page = response.content.decode()
    assert "申請單未用印" in page
    assert "Rejected" in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_does_not_reject_without_a_reason(staff_client, received, reason):
    response = staff_client.post(_url(received, "reject"), {"reason": reason}, follow=True)
    assert fresh(received).status == "received"
    assert "A rejection needs a reason for the contact person." in messages_of(response)
    assert not AuditEntry.objects.filter(action="application.reject").exists()


def test_it_cannot_reject_an_approved_application(staff_client, received):
    staff_client.post(_url(received, "approve"))
    response = staff_client.post(_url(received, "reject"), {"reason": "late"}, follow=True)
    assert fresh(received).status == "awaiting_file"
    assert any("is now “Waiting for the reader data file”" in m for m in messages_of(response))


# -- return ----------------------------------------------------------------------------------
def test_it_returns_a_queued_file_with_a_reason(
    staff_client, school_a, contact_a, mailoutbox, django_capture_on_commit_callbacks
):
    app = queued_application(school_a, contact_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _url(app, "return"), {"reason": "班級欄位全部空白"}, follow=True
        )
    app = fresh(app)
    assert app.status == "returned"
    assert app.due_on is None
    assert app.submissions.get().state == "returned"
    assert any(m.startswith("The file is returned.") for m in messages_of(response))
    assert "班級欄位全部空白" in mailoutbox[0].body
    entry = AuditEntry.objects.get(action="application.reopen")
    assert (entry.from_state, entry.to_state, entry.reason) == (
        "queued",
        "returned",
        "班級欄位全部空白",
    )


def test_it_does_not_return_without_a_reason(staff_client, school_a, contact_a):
    app = queued_application(school_a, contact_a)
    response = staff_client.post(_url(app, "return"), {"reason": ""}, follow=True)
    assert fresh(app).status == "queued"
    assert "Returning a file needs a reason for the contact person." in messages_of(response)


def test_it_does_not_return_a_file_that_is_not_queued(staff_client, received):
    response = staff_client.post(_url(received, "return"), {"reason": "x"}, follow=True)
    assert fresh(received).status == "received"
    assert any(m.startswith("Nothing was changed") for m in messages_of(response))


# -- issue -----------------------------------------------------------------------------------
def test_it_issues_the_cards_of_a_queued_application(
    staff_client, school_a, contact_a, mailoutbox, django_capture_on_commit_callbacks
):
    app = queued_application(school_a, contact_a, rows=4)
    page = staff_client.get(_url(app)).content.decode()
    assert 'data-confirm="' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url(app, "issue"), follow=True)
    assert any(m.startswith("Issuing has started") for m in messages_of(response))
    app = fresh(app)
    assert app.status == "completed"
    assert app.issued_count == 4
    assert Reader.objects.count() == 4
    assert Card.objects.filter(group_application=app).count() == 4
    assert AuditEntry.objects.get(action="application.start_issue").actor_label == "group-staff"
    # The page shows the counts and the rows, with masked IDs only.
    response = staff_client.get(_url(app))
    page = response.content.decode()
    assert list(response.context["issued_rows"].object_list)
    for index in range(4):
        number = national_id(index)
        assert number not in page
        assert f"{number[:3]}****{number[-3:]}" in page
    assert mailoutbox  # the contact person heard that the cards are issued


def test_a_second_issue_click_changes_nothing(staff_client, school_a, contact_a):
    app = queued_application(school_a, contact_a)
    staff_client.post(_url(app, "issue"))  # the worker job waits for the commit
    response = staff_client.post(_url(app, "issue"), follow=True)
    assert fresh(app).status == "issuing"
    assert any(m.startswith("Nothing was changed") for m in messages_of(response))
    assert AuditEntry.objects.filter(action="application.start_issue").count() == 1


def test_it_does_not_issue_an_application_that_is_not_queued(staff_client, received):
    response = staff_client.post(_url(received, "issue"), follow=True)
    assert response.status_code == 200
    assert fresh(received).status == "received"
    assert IssuedRow.objects.count() == 0


def test_the_issued_rows_are_paged(staff_client, school_a, contact_a, monkeypatch):
    monkeypatch.setattr(staff_views, "ISSUED_ROWS_PAGE_SIZE", 2)
    app = application(school_a, contact_a, status="completed", issued_count=5)
    IssuedRow.objects.bulk_create(
        [
            IssuedRow(application=app, row=row, outcome="issued", name=f"n{row}", id_masked="A12")
            for row in range(2, 7)
        ]
    )
    first = staff_client.get(_url(app))
    assert len(first.context["issued_rows"].object_list) == 2
    assert "?rows=2" in first.content.decode()
    last = staff_client.get(_url(app), {"rows": 3})
    assert [row.row for row in last.context["issued_rows"].object_list] == [6]


# -- resume ----------------------------------------------------------------------------------
def test_it_resumes_an_application_stuck_in_issuing(
    staff_client, school_a, contact_a, monkeypatch, django_capture_on_commit_callbacks
):
    app = queued_application(school_a, contact_a, rows=3)
    staff_client.post(_url(app, "issue"))  # started, but the job never ran
    assert fresh(app).status == "issuing"
    response = staff_client.post(_url(app, "resume"), follow=True)
    assert any("may still be running" in m for m in messages_of(response))
    assert fresh(app).status == "issuing"

    monkeypatch.setattr(staff_views, "RESUME_AFTER", dt.timedelta(0))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url(app, "resume"), follow=True)
    assert any(m.startswith("Issuing is handed to the worker") for m in messages_of(response))
    app = fresh(app)
    assert app.status == "completed"
    assert app.issued_count == 3
    assert AuditEntry.objects.filter(action="application.resume_issue").count() == 1


def test_it_does_not_resume_an_application_that_is_not_issuing(staff_client, received):
    response = staff_client.post(_url(received, "resume"), follow=True)
    assert any(m.startswith("Nothing was changed") for m in messages_of(response))
    assert not AuditEntry.objects.filter(action="application.resume_issue").exists()


# -- attachments -----------------------------------------------------------------------------
def test_it_adds_attachments_later(staff_client, received):
    response = staff_client.post(
        _url(received, "attachments"),
        {
            "kind": "consent",
            "files": [
                SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"),
                SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\nb"),
            ],
        },
        follow=True,
    )
    assert "2 files added." in messages_of(response)
    assert received.attachments.filter(kind="consent").count() == 2
    assert AuditEntry.objects.filter(action="attachment.add").count() == 2


def test_it_adds_no_attachment_when_one_file_is_bad(staff_client, received):
    response = staff_client.post(
        _url(received, "attachments"),
        {
            "kind": "other",
            "files": [
                SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"),
                SimpleUploadedFile("b.docx", b"PK\x03\x04 word"),
            ],
        },
        follow=True,
    )
    assert "Files: “b.docx” is not a PDF, PNG or JPEG file." in messages_of(response)
    assert Attachment.objects.count() == 0


def test_the_action_buttons_are_only_for_group_staff(client, reviewer, received):
    log_in(client, reviewer)
    response = client.get(_url(received))
    assert response.status_code == 200
    assert b'data-testid="approve"' not in response.content
    assert b"/approve/" not in response.content


def test_group_staff_see_the_actions_that_fit_the_state(staff_client, received):
    page = staff_client.get(_url(received)).content.decode()
    assert 'data-testid="approve"' in page
    assert 'data-testid="reject"' in page
    assert 'data-testid="issue"' not in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_actions_need_the_csrf_token(group_staff, received):
    from django.test import Client

    strict = log_in(Client(enforce_csrf_checks=True), group_staff)
    assert strict.post(_url(received, "approve")).status_code == 403
    assert fresh(received).status == "received"


def test_the_page_says_what_the_application_waits_for(staff_client, school_a, contact_a):
    app = application(school_a, contact_a, status="awaiting_file")
    response = staff_client.get(_url(app))
    assert (
        "Waiting for the contact person to send the reader data file"
        in response.context["next_step"]
    )
    assert b'id="actions-heading"' not in response.content
