"""The whole group application as people do it, in a real browser, with the real worker process.

Staff register a letter and approve it → the contact person follows the e-mailed link,
uploads a messy file, sees the findings, downloads the annotated copy, uploads the
corrected file → staff issue the cards (the worker issues them) → the contact person
downloads the roster. A contact person of another school gets 403/404 on each of those URLs.
"""

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from libcard.groups.models import GroupApplication
from libcard.groups.states import Status
from tests.browser.a11y import assert_accessible, track, unchecked
from tests.support import processes
from tests.support.factories import PASSWORD, reader_file_xlsx, reader_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "readerfile"
CONTACT_EMAIL = "teacher.lin@school-a.example.edu.tw"
CONTACT_PASSWORD = "a school clerk's passphrase 1"


@pytest.fixture
def database_tasks(settings):
    """Tasks go to the database and a separate worker process runs them, as in production."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def staff_login(page, user):
    page.goto("/staff/login/")
    assert_accessible(page)
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/staff/")
    assert_accessible(page)


def click_and_download(page, locator, path: Path) -> Path:
    with page.expect_download() as info:
        locator.click()
    info.value.save_as(path)
    return path


def link(text: str, pattern: str) -> str:
    match = re.search(rf"https?://[^\s]*{pattern}[^\s]*", text)
    assert match, text
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def test_a_school_from_letter_to_roster(
    page, browser, live_server, group_staff, school_b, contact_b, database_tasks, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    with processes.worker(tmp_path, SITE_URL=live_server.url):
        # -- staff register the letter and approve it ---------------------------------------
        staff_login(page, group_staff)
        page.goto("/staff/applications/new/")
        assert_accessible(page)
        page.fill("input[name=new_name]", "臺中市立丙國民小學")
        page.fill("input[name=new_code]", "193999")
        page.fill("input[name=contact_name]", "林老師")
        page.fill("input[name=contact_email]", CONTACT_EMAIL)
        page.fill("input[name=letter_number]", "中市丙國小字第1130000123號")
        letter_date = timezone.localdate() - dt.timedelta(days=7)
        page.fill("input[name=letter_date]", letter_date.isoformat())
        page.fill("input[name=received_on]", (letter_date + dt.timedelta(days=2)).isoformat())
        pdf = tmp_path / "申請單.pdf"
        pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        page.set_input_files("input[name=form_files]", str(pdf))
        page.get_by_role("button", name=re.compile("Register|登錄")).click()
        page.get_by_test_id("approve").wait_for()
        assert_accessible(page)
        page.get_by_test_id("approve").click()
        page.get_by_test_id("status").wait_for()
        assert_accessible(page)
        application_url = page.url

        mail = processes.wait_for(
            lambda: [m for m in processes.mails(tmp_path) if CONTACT_EMAIL in m]
        )[-1]
        signup = link(mail, "/portal/signup/")

        # -- the contact person signs up and sends a messy file -----------------------------
        contact = browser.new_context(base_url=live_server.url, accept_downloads=True)
        school = contact.new_page()
        track(school)
        school.goto(signup)
        assert_accessible(school)
        school.fill("input[name=new_password1]", CONTACT_PASSWORD)
        school.fill("input[name=new_password2]", CONTACT_PASSWORD)
        school.locator("form.card button[type=submit]").click()
        school.wait_for_url("**/portal/")
        assert_accessible(school)
        school.locator("a[href*='/portal/applications/']").first.click()
        portal_application = school.url
        assert_accessible(school)
        school.set_input_files("input[type=file]", str(FIXTURES / "messy.xlsx"))
        school.locator("form[action*='/upload/'] button[type=submit]").click()
        issues = school.get_by_test_id("issues")
        issues.wait_for()
        assert "24" in issues.inner_text()
        assert_accessible(school)
        annotated = click_and_download(
            school, school.get_by_test_id("annotated"), tmp_path / "annotated.xlsx"
        )
        marked = openpyxl.load_workbook(io.BytesIO(annotated.read_bytes()))
        assert marked.sheetnames[0] == "檢查結果"
        preview_url = school.url
        school.get_by_test_id("submit").click()  # sent anyway: returned for correction
        school.wait_for_load_state()
        assert_accessible(school)

        # -- the corrected file ----------------------------------------------------------
        corrected = tmp_path / "讀者資料-修正.xlsx"
        corrected.write_bytes(reader_file_xlsx(reader_rows(8), title="丙國小讀者資料"))
        school.goto(portal_application)
        school.set_input_files("input[type=file]", str(corrected))
        school.locator("form[action*='/upload/'] button[type=submit]").click()
        school.get_by_test_id("submit").wait_for()
        assert_accessible(school)
        school.get_by_test_id("submit").click()
        school.goto(portal_application)
        assert school.get_by_test_id("due").is_visible()
        assert_accessible(school)

        # -- staff issue; the worker does it -------------------------------------------------
        page.goto(application_url)
        assert_accessible(page)
        page.get_by_test_id("issue").click()
        processes.wait_for(
            lambda: GroupApplication.objects.filter(status=Status.COMPLETED).exists(), timeout=90
        )
        issued_mail = processes.mails(tmp_path)[-1]
        assert CONTACT_EMAIL in issued_mail and "/portal/applications/" in issued_mail
        page.reload()
        assert page.get_by_test_id("issue-counts").is_visible()
        assert_accessible(page)

        # -- the contact person downloads the roster ---------------------------------------
        school.goto(portal_application)
        assert_accessible(school)
        roster = click_and_download(
            school, school.get_by_test_id("roster-xlsx"), tmp_path / "roster.xlsx"
        )
        sheet = openpyxl.load_workbook(io.BytesIO(roster.read_bytes()))["帳號密碼"]
        assert sheet.max_row == 9  # header + 8 readers
        pdf_roster = click_and_download(
            school, school.get_by_test_id("roster-pdf"), tmp_path / "roster.pdf"
        )
        assert pdf_roster.read_bytes().startswith(b"%PDF")

        # -- another school's contact person gets nothing of it -----------------------------
        other = browser.new_context(base_url=live_server.url)
        stranger = other.new_page()
        stranger.goto("/portal/login/")
        stranger.fill("input[name=username]", contact_b.email)
        stranger.fill("input[name=password]", PASSWORD)
        stranger.locator("form.card button[type=submit]").click()
        stranger.wait_for_url("**/portal/")
        path = portal_application.replace(live_server.url, "")
        for url in (
            path,
            preview_url.replace(live_server.url, ""),
            preview_url.replace(live_server.url, "") + "annotated.xlsx",
            preview_url.replace(live_server.url, "") + "file",
            path + "roster.xlsx",
            path + "roster.pdf",
            application_url.replace(live_server.url, ""),
        ):
            response = stranger.request.get(url, max_redirects=0)
            assert response.status in (302, 403, 404), (url, response.status)
            if response.status == 302:
                assert "/login/" in response.headers["location"]
        other.close()
        assert not unchecked(school), unchecked(school)
        contact.close()
