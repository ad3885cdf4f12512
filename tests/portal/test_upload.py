"""Upload → preview → send, the annotated copy and the contact's own file back."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from libcard.groups.models import Submission
from tests.portal import XLSX, audits, awaiting
from tests.support import factories
from tests.support.factories import reader_file_xlsx, reader_rows


@pytest.fixture
def application(school_a, contact_a):
    return awaiting(school_a, contact_a)


@pytest.fixture
def logged_in(client, contact_a):
    client.force_login(contact_a.user)
    return client


def _upload(client, application, data: bytes, name: str):
    return client.post(
        reverse("portal:upload", args=[application.pk]),
        {"file": SimpleUploadedFile(name, data)},
    )


def _messy(fixtures_dir) -> bytes:
    return (fixtures_dir / "readerfile" / "messy.xlsx").read_bytes()


def test_a_messy_file_shows_its_bad_rows_before_it_is_sent(logged_in, application, fixtures_dir):
    response = _upload(logged_in, application, _messy(fixtures_dir), "messy.xlsx")
    submission = Submission.objects.get(application=application)
    preview = reverse("portal:submission", args=[application.pk, submission.pk])
    assert response.status_code == 302
    assert response["Location"] == preview
    assert submission.state == Submission.State.PREVIEW

    page = logged_in.get(preview).content.decode()
    application.refresh_from_db()
    assert application.status == "awaiting_file"  # nothing is sent yet
    assert 'data-testid="issues"' in page
    for issue in submission.report["issues"]:
        assert f"<td>{issue['row']}</td>" in page
        assert escape(issue["message"]) in page
    assert 'data-testid="will-return"' in page
    assert "it will be returned for correction" in page
    assert reverse("portal:submission_annotated", args=[application.pk, submission.pk]) in page


def test_the_annotated_copy_downloads_and_opens(logged_in, application, fixtures_dir):
    _upload(logged_in, application, _messy(fixtures_dir), "messy.xlsx")
    submission = Submission.objects.get(application=application)
    response = logged_in.get(
        reverse("portal:submission_annotated", args=[application.pk, submission.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) >= 2
    [entry] = audits("submission.download")
    assert entry.details["kind"] == "annotated"
    assert entry.object_id == str(application.pk)


def test_a_clean_file_has_no_annotated_copy(logged_in, application):
    _upload(logged_in, application, reader_file_xlsx(reader_rows(5)), "readers.xlsx")
    submission = Submission.objects.get(application=application)
    url = reverse("portal:submission_annotated", args=[application.pk, submission.pk])
    assert logged_in.get(url).status_code == 404


def test_the_own_file_comes_back_as_it_was(logged_in, application, fixtures_dir):
    data = _messy(fixtures_dir)
    _upload(logged_in, application, data, "班級名單 messy.xlsx")
    submission = Submission.objects.get(application=application)
    response = logged_in.get(
        reverse("portal:submission_file", args=[application.pk, submission.pk])
    )
    assert response.status_code == 200
    assert response.content == data
    assert "filename*=UTF-8''%E7%8F%AD" in response["Content-Disposition"]
    assert audits("submission.download")[0].details["kind"] == "original"


def test_sending_a_messy_file_returns_it(logged_in, application, fixtures_dir):
    _upload(logged_in, application, _messy(fixtures_dir), "messy.xlsx")
    submission = Submission.objects.get(application=application)
    response = logged_in.post(
        reverse("portal:submission_submit", args=[application.pk, submission.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application", args=[application.pk])
    application.refresh_from_db()
    submission.refresh_from_db()
    assert application.status == "returned"
    assert submission.state == Submission.State.RETURNED
    page = logged_in.get(response["Location"]).content.decode()
    assert "sent back to you for correction" in page
    assert 'data-testid="issues"' in page  # the latest version's findings stay on the page
    assert 'id="upload"' in page  # and a corrected file can be uploaded


def test_a_clean_file_is_queued_with_a_due_date(logged_in, application):
    response = _upload(logged_in, application, reader_file_xlsx(reader_rows(5)), "readers.xlsx")
    preview = logged_in.get(response["Location"]).content.decode()
    assert "Send this file to the library" in preview
    assert 'data-testid="will-return"' not in preview
    submission = Submission.objects.get(application=application)
    response = logged_in.post(
        reverse("portal:submission_submit", args=[application.pk, submission.pk]), follow=True
    )
    application.refresh_from_db()
    assert application.status == "queued"
    assert application.due_on is not None
    page = response.content.decode()
    assert application.due_on.isoformat() in page
    assert 'data-testid="due"' in page


def test_a_corrected_file_after_a_return_is_queued(logged_in, application, fixtures_dir):
    _upload(logged_in, application, _messy(fixtures_dir), "messy.xlsx")
    first = Submission.objects.get(application=application)
    logged_in.post(reverse("portal:submission_submit", args=[application.pk, first.pk]))
    response = _upload(logged_in, application, reader_file_xlsx(reader_rows(5)), "fixed.xlsx")
    second = Submission.objects.exclude(pk=first.pk).get()
    assert response["Location"] == reverse("portal:submission", args=[application.pk, second.pk])
    logged_in.post(reverse("portal:submission_submit", args=[application.pk, second.pk]))
    application.refresh_from_db()
    first.refresh_from_db()
    assert application.status == "queued"
    assert first.state == Submission.State.SUPERSEDED
    page = logged_in.get(reverse("portal:application", args=[application.pk])).content.decode()
    assert 'data-testid="versions"' in page
    assert "fixed.xlsx" in page


def test_only_the_newest_version_can_be_sent(logged_in, application):
    _upload(logged_in, application, reader_file_xlsx(reader_rows(5)), "one.xlsx")
    _upload(logged_in, application, reader_file_xlsx(reader_rows(6)), "two.xlsx")
    older = Submission.objects.get(application=application, version=1)
    page = logged_in.get(reverse("portal:submission", args=[application.pk, older.pk]))
    assert b'data-testid="submit"' not in page.content
    response = logged_in.post(
        reverse("portal:submission_submit", args=[application.pk, older.pk]), follow=True
    )
    assert response.status_code == 200
    assert b"A newer version has been uploaded" in response.content
    application.refresh_from_db()
    assert application.status == "awaiting_file"


def test_sending_twice_is_a_message_not_an_error(logged_in, application):
    _upload(logged_in, application, reader_file_xlsx(reader_rows(5)), "readers.xlsx")
    submission = Submission.objects.get()
    url = reverse("portal:submission_submit", args=[application.pk, submission.pk])
    logged_in.post(url)
    response = logged_in.post(url, follow=True)
    assert response.status_code == 200
    assert b"already been submitted" in response.content
    assert logged_in.get(url).status_code == 405


def test_an_upload_after_the_deadline_is_refused(logged_in, school_a, contact_a):
    late = awaiting(school_a, contact_a, letter_date=timezone.localdate() - dt.timedelta(days=200))
    page = logged_in.get(reverse("portal:application", args=[late.pk])).content.decode()
    assert 'enctype="multipart/form-data"' not in page
    assert "new" in page and "official letter" in page
    response = _upload(logged_in, late, reader_file_xlsx(reader_rows(5)), "readers.xlsx")
    assert response.status_code == 409
    assert b'data-testid="upload-error"' in response.content
    assert b"deadline" in response.content
    assert not Submission.objects.filter(application=late).exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_and_nothing_changes(logged_in, application):
    response = _upload(logged_in, application, b"%PDF-1.4 not a spreadsheet", "readers.xlsx")
    submission = Submission.objects.get(application=application)
    assert submission.refused_message
    page = logged_in.get(response["Location"]).content.decode()
    assert 'data-testid="refused"' in page
    assert escape(submission.refused_message) in page
    application.refresh_from_db()
    assert application.status == "awaiting_file"

    response = _upload(logged_in, application, b"just some notes", "notes.txt")
    page = logged_in.get(response["Location"]).content.decode()
    assert 'data-testid="refused"' in page
    application.refresh_from_db()
    assert application.status == "awaiting_file"


def test_a_too_large_file_is_a_form_error_and_is_not_stored(logged_in, application, settings):
    settings.READERFILE_MAX_BYTES = 1024 * 1024
    data = reader_file_xlsx(reader_rows(5)) + b"\0" * (1024 * 1024)
    response = _upload(logged_in, application, data, "big.xlsx")
    assert response.status_code == 400
    assert b"larger than 1 MB" in response.content
    assert not Submission.objects.exists()


def test_no_file_is_a_form_error(logged_in, application):
    response = logged_in.post(reverse("portal:upload", args=[application.pk]), {})
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_a_letter_not_yet_approved_takes_no_file(logged_in, school_a, contact_a):
    received = factories.application(school_a, contact_a)
    page = logged_in.get(reverse("portal:application", args=[received.pk])).content.decode()
    assert 'enctype="multipart/form-data"' not in page
    response = _upload(logged_in, received, reader_file_xlsx(reader_rows(5)), "readers.xlsx")
    assert response.status_code == 409
    assert not Submission.objects.exists()


def test_the_page_shows_masked_ids_only(logged_in, application, fixtures_dir):
    from libcard.readerfile.reader import check_file

    data = _messy(fixtures_dir)
    _upload(logged_in, application, data, "messy.xlsx")
    submission = Submission.objects.get()
    numbers = {row.national_id for row in check_file(data, "messy.xlsx", collect=True).readers}
    for url in (
        reverse("portal:submission", args=[application.pk, submission.pk]),
        reverse("portal:application", args=[application.pk]),
    ):
        page = logged_in.get(url).content.decode()
        assert not [number for number in numbers if number in page]


def _cardholders(*numbers: str) -> None:
    from libcard.core.crypto import cardholder_hash
    from libcard.readers.models import CardholderEntry, CardholderList

    source = CardholderList.objects.create(source="市立圖書館", entries_count=len(numbers))
    CardholderEntry.objects.bulk_create(
        [CardholderEntry(cardholder_list=source, id_hash=cardholder_hash(n)) for n in numbers]
    )


def test_readers_who_already_hold_a_card_are_listed_masked(logged_in, application):
    from libcard.identity.numbers import mask_id

    rows = reader_rows(5)
    holder = str(rows[1][2])
    _cardholders(holder)
    response = _upload(logged_in, application, reader_file_xlsx(rows), "readers.xlsx")
    page = logged_in.get(response["Location"]).content.decode()
    assert 'data-testid="existing"' in page
    assert mask_id(holder) in page
    assert holder not in page
    assert "Send this file to the library" in page


def test_a_file_of_cardholders_only_would_be_returned(logged_in, application):
    rows = reader_rows(2)
    _cardholders(*(str(row[2]) for row in rows))
    response = _upload(logged_in, application, reader_file_xlsx(rows), "readers.xlsx")
    page = logged_in.get(response["Location"]).content.decode()
    assert "No reader in this file needs a new card" in page
    assert 'data-testid="will-return"' in page


def test_a_queued_application_takes_a_replacement_with_a_warning(logged_in, application):
    _upload(logged_in, application, reader_file_xlsx(reader_rows(5)), "one.xlsx")
    first = Submission.objects.get()
    logged_in.post(reverse("portal:submission_submit", args=[application.pk, first.pk]))
    page = logged_in.get(reverse("portal:application", args=[application.pk])).content.decode()
    assert "already has a valid file" in page
    response = _upload(logged_in, application, reader_file_xlsx(reader_rows(6)), "two.xlsx")
    preview = logged_in.get(response["Location"]).content.decode()
    assert "replaces the file the library already has" in preview
    second = Submission.objects.get(version=2)
    logged_in.post(reverse("portal:submission_submit", args=[application.pk, second.pk]))
    application.refresh_from_db()
    first.refresh_from_db()
    assert application.status == "queued"
    assert first.state == Submission.State.SUPERSEDED


def test_uploading_needs_a_post(logged_in, application):
    assert logged_in.get(reverse("portal:upload", args=[application.pk])).status_code == 405
