"""The application page: facts, history, attachments, file versions and their findings."""

from __future__ import annotations

import pytest

from libcard.core.audit import Actor
from libcard.core.models import AuditEntry
from libcard.groups.services import (
    AttachmentUpload,
    attachment_add,
    submission_submit,
    submission_upload,
)
from tests.staff import fresh, log_in, queued_application
from tests.support.factories import application, national_id, reader_file_xlsx, reader_rows


def _url(app, rest=""):
    return f"/staff/applications/{app.pk}/{rest}"


@pytest.fixture
def returned(school_a, contact_a):
    """An application whose file came back with one bad ID number (row 3)."""
    app = application(school_a, contact_a, status="awaiting_file")
    rows = reader_rows(3)
    rows[1][2] = "A123456788"  # wrong check digit
    data = reader_file_xlsx(rows)
    actor = Actor("contact", "", contact_a.email, channel="web")
    submission = submission_upload(actor=actor, application=app, filename="名單.xlsx", data=data)
    submission_submit(actor=actor, submission=submission)
    app = fresh(app)
    assert app.status == "returned"
    return app, submission, data


def test_it_shows_the_facts_of_the_application(client, reviewer, school_a, contact_a):
    app = application(school_a, contact_a, batch_label="二年級")
    log_in(client, reviewer)
    response = client.get(_url(app))
    page = response.content.decode()
    assert response.status_code == 200
    for text in [
        school_a.name,
        app.letter_number,
        app.letter_date.isoformat(),
        app.received_on.isoformat(),
        app.deadline.isoformat(),
        "二年級",
        contact_a.name,
        contact_a.email,
        "Letter received",
    ]:
        assert text in page


def test_it_shows_the_state_history(client, group_staff, school_a, contact_a):
    app = queued_application(school_a, contact_a)
    log_in(client, group_staff)
    client.post(_url(app, "return/"), {"reason": "請補上班級"})
    response = client.get(_url(app))
    history = response.context["history"]
    assert [row.entry.action for row in history] == [
        "application.accept_file",
        "application.reopen",
    ]
    last = history[-1]
    assert (last.from_label, last.to_label) == ("In the queue", "Returned for correction")
    assert last.entry.actor_label == "group-staff"
    assert "請補上班級" in response.content.decode()


def test_reviewers_may_download_attachments_too(client, reviewer, school_a, contact_a):
    app = application(school_a, contact_a)
    attachment = attachment_add(
        actor=Actor.system("test"),
        application=app,
        upload=AttachmentUpload("form", "申請單.pdf", b"%PDF-1.4 form", "application/pdf"),
    )
    log_in(client, reviewer)
    response = client.get(_url(app, f"attachments/{attachment.pk}/"))
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 form"
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''%E7%94%B3%E8%AB%8B%E5%96%AE.pdf" in response["Content-Disposition"]
    entry = AuditEntry.objects.get(action="attachment.download")
    assert entry.actor_label == "reviewer"
    assert entry.details["attachment"] == attachment.pk


def test_it_serves_the_original_file_to_group_staff_and_audits_it(client, group_staff, returned):
    app, submission, data = returned
    log_in(client, group_staff)
    response = client.get(_url(app, f"files/{submission.pk}/original/"))
    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    entry = AuditEntry.objects.get(action="submission.download")
    assert entry.details["copy"] == "original"
    assert entry.details["version"] == 1


def test_reviewers_may_not_download_reader_data_files(client, reviewer, returned):
    app, submission, _data = returned
    log_in(client, reviewer)
    assert client.get(_url(app, f"files/{submission.pk}/original/")).status_code == 403
    assert client.get(_url(app, f"files/{submission.pk}/annotated/")).status_code == 403
    page = client.get(_url(app)).content.decode()
    assert "/original/" not in page
    assert not AuditEntry.objects.filter(action="submission.download").exists()


def test_it_serves_the_annotated_copy(client, group_staff, returned):
    app, submission, _data = returned
    log_in(client, group_staff)
    response = client.get(_url(app, f"files/{submission.pk}/annotated/"))
    assert response.status_code == 200
    assert response.content.startswith(b"PK")
    assert AuditEntry.objects.get(action="submission.download").details["copy"] == "annotated"


def test_it_has_no_annotated_copy_for_a_clean_file(client, group_staff, school_a, contact_a):
    app = queued_application(school_a, contact_a)
    submission = app.submissions.get()
    log_in(client, group_staff)
    assert client.get(_url(app, f"files/{submission.pk}/annotated/")).status_code == 404


def test_it_says_when_retention_removed_the_file(client, group_staff, returned):
    app, submission, _data = returned
    submission.file_key = ""
    submission.save(update_fields=["file_key"])
    log_in(client, group_staff)
    assert client.get(_url(app, f"files/{submission.pk}/original/")).status_code == 404
    assert "Removed by the retention rule" in client.get(_url(app)).content.decode()


def test_the_findings_page_lists_problems_with_masked_ids_only(client, reviewer, returned):
    app, submission, _data = returned
    log_in(client, reviewer)
    response = client.get(_url(app, f"files/{submission.pk}/"))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["issues"]
    assert "3 rows: 2 valid, 1 to correct" in page
    for index in range(3):
        assert national_id(index) not in page
    assert "A123456788" not in page


def test_the_application_page_never_shows_a_full_id(client, group_staff, returned):
    app, _submission, _data = returned
    log_in(client, group_staff)
    page = client.get(_url(app)).content.decode()
    for index in range(3):
        assert national_id(index) not in page


def test_it_answers_404_for_a_file_of_another_application(
    client, group_staff, returned, school_b, contact_b
):
    _app, submission, _data = returned
    other = application(school_b, contact_b)
    log_in(client, group_staff)
    assert client.get(_url(other, f"files/{submission.pk}/")).status_code == 404
    assert client.get(_url(other, f"files/{submission.pk}/original/")).status_code == 404
