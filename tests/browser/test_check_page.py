"""A school's contact person checks a messy file in a real browser before sending it."""

import io
import re
from pathlib import Path

import openpyxl
import pytest

from tests.browser.a11y import assert_accessible

FIXTURES = Path(__file__).parent.parent / "fixtures" / "readerfile"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checking_a_messy_file_shows_the_bad_rows_and_gives_the_annotated_copy(page, tmp_path):
    page.goto("/")
    page.get_by_role("link", name="檢查讀者資料檔").first.wait_for()
    assert_accessible(page)
    page.locator("a[href='/check/']").first.click()
    page.wait_for_url("**/check/")
    assert_accessible(page)
    page.set_input_files("input[type=file]", str(FIXTURES / "messy.xlsx"))
    page.locator("form.card button[type=submit]").click()

    table = page.get_by_test_id("issues")
    table.wait_for()
    text = table.inner_text()
    for row in ("20", "24", "27", "33"):
        assert f"\n{row}\t" in f"\n{text}" or f"{row}\t" in text
    full_ids = set(re.findall(r"[A-Z][0-9A-D]\d{8}", text)) - {"A123456789"}  # the hint's example
    assert not full_ids  # IDs only masked
    page.screenshot(path=str(tmp_path / "check.png"), full_page=True)
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.locator("#annotated-download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "annotated.xlsx"
    download.save_as(path)
    workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    assert workbook.sheetnames[0] == "檢查結果"
    data = workbook["讀者資料"]
    assert data["C24"].fill.fgColor.rgb.endswith("FFC7CE")  # the bad check digit, marked red
    assert data["C24"].comment is not None


def test_an_unusable_file_gets_a_clear_message(page):
    page.goto("/check/")
    page.set_input_files("input[type=file]", str(FIXTURES / "text.xlsx"))
    page.locator("form.card button[type=submit]").click()
    message = page.get_by_test_id("refused")
    message.wait_for()
    assert ".xlsx" in message.inner_text()
    assert_accessible(page)
