"""The public "check your reader data file" page: findings, annotated copy, nothing stored."""

import base64
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from libcard.core.models import AuditEntry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "readerfile"


def upload(client, name: str, data: bytes | None = None, **extra):
    data = (FIXTURES / name).read_bytes() if data is None else data
    return client.post(reverse("front:check"), {"file": SimpleUploadedFile(name, data)}, **extra)


def annotated_from(response) -> bytes:
    match = re.search(rb'href="data:[^;]+;base64,([A-Za-z0-9+/=]+)"', response.content)
    assert match, "no annotated copy on the page"
    return base64.b64decode(match.group(1))


@pytest.mark.django_db
def test_the_page_offers_a_file_input(client):
    response = client.get(reverse("front:check"))
    assert response.status_code == 200
    assert b'type="file"' in response.content


@pytest.mark.django_db
def test_a_messy_file_shows_every_bad_row_and_an_annotated_copy(client):
    response = upload(client, "messy.xlsx")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="issues"' in page
    for row in (20, 24, 27, 33):
        assert f"<td>{row}</td>" in page
    assert "A12" not in page or "****" in page
    workbook = openpyxl.load_workbook(io.BytesIO(annotated_from(response)))
    assert workbook.sheetnames[0] == "檢查結果"
    assert "讀者資料" in workbook.sheetnames


@pytest.mark.django_db
def test_a_clean_file_says_it_can_be_sent(client):
    response = upload(client, "template-like.xlsx")
    assert response.status_code == 200
    assert b'data-testid="issues"' not in response.content
    assert b'class="ok"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["text.xlsx", "encrypted.xlsx", "zipbomb.xlsx", "pdf-named.xlsx"])
def test_an_unusable_file_gets_one_clear_message(client, name):
    response = upload(client, name)
    assert response.status_code == 200
    assert b'data-testid="refused"' in response.content


@pytest.mark.django_db
def test_nothing_is_stored(client, settings, tmp_path):
    before = AuditEntry.objects.count()
    upload(client, "messy.xlsx")
    upload(client, "text.xlsx")
    private = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    assert not private.exists() or not any(private.rglob("*"))
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_without_reading_it_all(client, settings):
    settings.READERFILE_MAX_BYTES = 1024
    response = upload(client, "big.xlsx", b"PK\x03\x04" + b"\x00" * 5000)
    assert b'data-testid="refused"' in response.content


@pytest.mark.django_db
def test_each_address_has_a_quota(client, settings):
    settings.CHECK_PAGE_RATE = 3
    for _ in range(3):
        assert upload(client, "template-like.xlsx").status_code == 200
    assert upload(client, "template-like.xlsx").status_code == 429
    # another address is not affected
    assert upload(client, "template-like.xlsx", REMOTE_ADDR="192.0.2.9").status_code == 200


@pytest.mark.django_db
def test_bad_form_posts_change_nothing(client):
    response = client.post(reverse("front:check"), {})
    assert response.status_code == 200
    assert b"error" in response.content
