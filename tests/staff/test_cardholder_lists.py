"""Existing-cardholder lists: the list of loads and loading a file of IDs or keyed hashes."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from libcard.core.crypto import cardholder_hash
from libcard.core.models import AuditEntry
from libcard.readers import staff_views
from libcard.readers.models import CardholderEntry, CardholderList
from libcard.readers.services import cardholders_among
from tests.staff import log_in, messages_of
from tests.support.factories import national_id

PAGE = "/staff/cardholder-lists/"


@pytest.fixture
def admin_client(client, admin_staff):
    return log_in(client, admin_staff)


def _xlsx(rows) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("名單")
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    book.close()
    return buffer.getvalue()


def _upload(client, name, data, source="ILS 匯出"):
    return client.post(
        PAGE, {"source": source, "file": SimpleUploadedFile(name, data)}, follow=True
    )


def test_it_loads_a_csv_of_ids_and_hashes(admin_client):
    ids = [national_id(index) for index in range(3)]
    hashed = cardholder_hash(national_id(10))
    text = "\n".join([*ids, hashed.upper(), "not an id", "", ids[0]]) + "\n"
    response = _upload(admin_client, "list.csv", text.encode())
    assert response.redirect_chain[-1][0] == PAGE
    assert (
        "List loaded. Cardholders: 4. Lines skipped (neither an ID number nor a keyed hash): 1."
        in messages_of(response)
    )
    loaded = CardholderList.objects.get()
    assert (loaded.source, loaded.entries_count, loaded.loaded_by) == ("ILS 匯出", 4, "admin-staff")
    assert cardholders_among([*ids, national_id(10)]) == {*ids, national_id(10)}
    # Only keyed hashes are kept, and the page shows counts, never an ID.
    stored = set(CardholderEntry.objects.values_list("id_hash", flat=True))
    assert not any(number in value for value in stored for number in ids)
    page = response.content.decode()
    assert all(number not in page for number in ids)
    assert "ILS 匯出" in page
    entry = AuditEntry.objects.get(action="cardholders.load")
    assert entry.details["loaded"] == 4
    assert all(number not in str(entry.details) for number in ids)


def test_it_reads_the_column_headed_like_an_id_in_a_spreadsheet(admin_client):
    rows = [["姓名", "身分證統一編號"], ["甲", national_id(1)], ["乙", national_id(2)]]
    response = _upload(admin_client, "list.xlsx", _xlsx(rows))
    assert (
        "Cardholders: 2. Lines skipped (neither an ID number nor a keyed hash): 0."
        in messages_of(response)[0]
    )
    assert cardholders_among([national_id(1), national_id(2)]) == {national_id(1), national_id(2)}


def test_it_reads_the_first_column_of_a_spreadsheet_without_a_header(admin_client):
    response = _upload(admin_client, "list.xlsx", _xlsx([[national_id(5), "x"], [national_id(6)]]))
    assert "Cardholders: 2." in messages_of(response)[0]


def test_it_reads_a_big5_text_file_with_a_header(admin_client):
    text = "身分證字號\r\n" + national_id(7) + "\r\n"
    response = _upload(admin_client, "list.txt", text.encode("cp950"))
    assert (
        "Cardholders: 1. Lines skipped (neither an ID number nor a keyed hash): 0."
        in messages_of(response)[0]
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "list.docx",
            b"PK\x03\x04 something",
            "Please upload a .csv, .txt, .xlsx, .ods or .xls file.",
        ),
        ("list.csv", b"", "The submitted file is empty."),
        (
            "list.csv",
            b"\x00\x01\x02binary",
            "This is not a text file; please save the list as CSV.",
        ),
        ("list.xlsx", b"PK\x03\x04 broken zip", "damaged"),
        ("list.csv", b"\n\n ,\n", "The file has no ID numbers in it."),
        ("list.csv", b"abc\ndef\n", "Nothing was loaded: none of the 2 values"),
    ],
)
def test_it_refuses_a_file_it_cannot_use_and_loads_nothing(admin_client, name, data, message):
    response = _upload(admin_client, name, data)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors
    assert CardholderList.objects.count() == 0
    assert CardholderEntry.objects.count() == 0
    assert not AuditEntry.objects.filter(action="cardholders.load").exists()


def test_it_refuses_a_file_over_the_limit(admin_client, monkeypatch):
    monkeypatch.setattr(staff_views, "MAX_BYTES", 100)
    response = _upload(admin_client, "list.csv", (national_id(1) + "\n").encode() * 20)
    assert "larger than" in response.context["form"].errors["file"][0]
    assert CardholderList.objects.count() == 0


def test_it_needs_a_source(admin_client):
    response = admin_client.post(
        PAGE, {"source": "", "file": SimpleUploadedFile("l.csv", national_id(1).encode())}
    )
    assert "source" in response.context["form"].errors
    assert CardholderList.objects.count() == 0


def test_it_lists_the_loaded_lists(admin_client):
    CardholderList.objects.create(source="市圖一證通", loaded_by="someone", entries_count=12345)
    response = admin_client.get(PAGE)
    page = response.content.decode()
    assert "市圖一證通" in page
    assert "12345" in page
    assert 'enctype="multipart/form-data"' in page
