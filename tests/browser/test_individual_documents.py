"""An individual applies with document images, in a real browser, for each applicant type:
the form, the uploads, the e-mail confirmation, a reviewer's decision, and the login."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from libcard.individual.models import IndividualApplication
from libcard.readers.models import Card, Reader
from tests.browser.a11y import assert_accessible
from tests.individual import jpeg_bytes, pdf_bytes, png_bytes, years_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "reading is my superpower 42"
EXPIRY = (timezone.localdate() + dt.timedelta(days=500)).isoformat()

APPLICANTS = {
    "national": {
        "fields": {"name": "王小明", "national_id": "a123456789", "birth_date": "1990-03-12"},
        "files": {"id_front": ("front.jpg", jpeg_bytes), "id_back": ("back.png", png_bytes)},
    },
    "national_no_card": {
        "fields": {"name": "林美華", "national_id": "M162773050", "birth_date": "2012-05-20"},
        "files": {"household": ("household.pdf", pdf_bytes)},
    },
    "child": {
        "fields": {
            "name": "陳小寶",
            "guardian_name": "陳大寶",
            "national_id": "A223456781",
            "birth_date": years_ago(7).isoformat(),
        },
        "files": {
            "guardian_id_front": ("guardian-front.jpg", jpeg_bytes),
            "guardian_id_back": ("guardian-back.jpg", jpeg_bytes),
            "household": ("household.png", png_bytes),
        },
    },
    "foreign": {
        "fields": {
            "name": "SMITH JOHN",
            "national_id": "A800000014",
            "birth_date": "1985-11-02",
            "resident_expires_on": EXPIRY,
        },
        "files": {
            "resident_front": ("arc-front.jpg", jpeg_bytes),
            "resident_back": ("arc-back.jpg", jpeg_bytes),
        },
    },
}
MIME = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}


def link_in_mail(message, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({path}\S+)", message.body)
    assert match, message.body
    return match.group(1)


def fill_application(page, applicant_type: str, email: str) -> None:
    spec = APPLICANTS[applicant_type]
    page.goto("/apply/")
    assert_accessible(page)
    page.get_by_test_id(f"type-{applicant_type}").click()
    page.wait_for_url(f"**/apply/form/{applicant_type}/")
    assert_accessible(page)
    for name, value in spec["fields"].items():
        page.fill(f"input[name={name}]", value)
    page.fill("input[name=email]", email)
    page.fill("input[name=mobile]", "0912 345 678")
    page.fill("input[name=address]", "臺中市西區五權西路一段2號")
    for kind, (filename, make) in spec["files"].items():
        page.set_input_files(
            f"input[name=doc_{kind}]",
            files=[{"name": filename, "mimeType": MIME[filename[-3:]], "buffer": make()}],
        )
    page.check("input[name=consent]")
    page.locator("form[data-testid=application-form] button[type=submit]").click()
    page.get_by_test_id("sent").wait_for()
    assert_accessible(page)


def as_reviewer(page, live_server, reviewer) -> None:
    """The reviewer's browser session (the second factor already passed)."""
    client = Client()
    client.force_login(reviewer)
    session = client.session
    session["staff_2fa_ok"] = True
    session.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.parametrize(
    ("applicant_type", "decision"),
    [
        ("national", "approve"),
        ("national_no_card", "approve"),
        ("child", "reject"),
        ("foreign", "approve"),
    ],
)
def test_an_individual_applies_with_documents(
    page, live_server, settings, reviewer, applicant_type, decision
):
    settings.SITE_URL = live_server.url
    email = f"{applicant_type}@example.com"
    mail.outbox.clear()

    # The applicant fills in the form on their phone or computer.
    fill_application(page, applicant_type, email)
    application = IndividualApplication.objects.get()
    assert application.status == "unconfirmed"
    [confirmation] = mail.outbox
    assert confirmation.to == [email]

    # Following the link puts it in the queue.
    page.goto(link_in_mail(confirmation, "/apply/confirm/"))
    page.wait_for_url("**/apply/status/**")
    assert page.get_by_test_id("status").get_attribute("data-status") == "submitted"
    status_link = page.url
    assert_accessible(page)

    # A reviewer sees it in the queue, with the documents beside the data.
    as_reviewer(page, live_server, reviewer)
    page.goto("/staff/review/")
    assert_accessible(page)
    page.get_by_test_id("queue-row").get_by_role("link", name=application.reference).click()
    page.wait_for_url(f"**/staff/review/{application.pk}/")
    assert_accessible(page)
    data = page.get_by_test_id("applicant-data").inner_text()
    assert application.name in data and application.id_masked in data
    images = page.locator("[data-testid=document] img")
    for index in range(images.count()):
        images.nth(index).wait_for()
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    if applicant_type == "national_no_card":
        assert page.get_by_test_id("document-download").count() == 1
    if decision == "approve":
        page.get_by_test_id("approve").click()
    else:
        page.select_option("select[name=reason]", "documents_missing")
        page.fill("textarea[name=note]", "請補上戶口名簿完整頁面")
        page.get_by_test_id("reject").click()
    page.wait_for_url(f"**/staff/review/{application.pk}/")
    page.get_by_test_id("decision").wait_for()
    assert_accessible(page)
    page.context.clear_cookies()

    result = mail.outbox[-1]
    assert result.to == [email]
    assert application.national_id not in result.body
    if decision == "reject":
        assert "請補上戶口名簿完整頁面" in result.body
        page.goto(status_link)
        assert page.get_by_test_id("status").get_attribute("data-status") == "rejected"
        assert "請補上戶口名簿完整頁面" in page.get_by_test_id("status").inner_text()
        assert_accessible(page)
        assert not Reader.objects.exists()
        return

    # Approved: the applicant chooses a password through the link and logs in.
    page.goto(link_in_mail(result, "/account/reset/"))
    assert_accessible(page)
    page.fill("input[name=new_password]", PASSWORD)
    page.fill("input[name=new_password_again]", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/account/login/")
    assert_accessible(page)
    page.fill("input[name=account]", application.national_id.lower())
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/account/")
    card_text = page.get_by_test_id("card").inner_text()
    assert_accessible(page)
    assert application.id_masked in card_text
    card = Card.objects.get(reader__id_index=Reader.objects.get().id_index)
    assert card.source == "individual"
    if applicant_type == "foreign":
        assert card.expires_on.isoformat() == EXPIRY
        assert EXPIRY in card_text
    else:
        assert card.expires_on is None
