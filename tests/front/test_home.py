"""The public home page and the templates it links to."""

import io

import openpyxl
import pytest
import python_calamine
from django.urls import reverse

from libcard.readerfile.columns import COLUMNS


@pytest.mark.django_db
def test_home_explains_the_card_and_links_both_templates(client):
    response = client.get(reverse("front:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("front:template", args=["xlsx"]) in page
    assert reverse("front:template", args=["ods"]) in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "<script>" not in page  # no inline script: the CSP would block it


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_templates_download_with_the_header_row(client, fmt):
    response = client.get(reverse("front:template", args=[fmt]))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names[:2] == ["填寫說明", "讀者資料"]
    header = book.get_sheet_by_name("讀者資料").to_python()[0]
    assert header[: len(COLUMNS)] == [column.header for column in COLUMNS]


@pytest.mark.django_db
def test_an_unknown_template_format_is_404(client):
    assert client.get("/templates/reader-file.pdf").status_code == 404


@pytest.mark.django_db
def test_the_xlsx_template_has_dropdowns(client):
    response = client.get(reverse("front:template", args=["xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["讀者資料"]
    assert sheet.data_validations.dataValidation
