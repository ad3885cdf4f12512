"""A reader from a school's group application uses their account, in a real browser."""

import re

import pytest
from django.core import mail

from libcard.core.audit import Actor
from libcard.groups import issuance, services
from libcard.groups.selectors import roster_rows
from tests.browser.a11y import assert_accessible
from tests.support.factories import application, reader_file_xlsx, reader_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STAFF = Actor("staff", "1", "group-staff")
NEW_PASSWORD = "reading is my superpower 42"
LATER_PASSWORD = "another long passphrase 7"


@pytest.fixture
def issued_reader(school_a, contact_a):
    app = services.application_approve(actor=STAFF, application=application(school_a, contact_a))
    rows = reader_rows(3)
    submission = services.submission_upload(
        actor=STAFF, application=app, filename="readers.xlsx", data=reader_file_xlsx(rows)
    )
    services.submission_submit(actor=STAFF, submission=submission)
    services.application_issue(actor=STAFF, application=app)
    issuance.cards_issue(application_id=app.pk)
    issued, secret = next((row, secret) for row, secret in roster_rows(app) if secret)
    return issued.reader, secret["a"], secret["p"]


def link_in_last_mail(pattern: str) -> str:
    body = mail.outbox[-1].body
    match = re.search(rf"https?://\S+{pattern}\S+", body)
    assert match, body
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def login(page, account, password):
    page.goto("/account/login/")
    assert_accessible(page)
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", password)
    page.locator("form.card button[type=submit]").click()


def test_first_login_to_forgotten_password(page, issued_reader, settings):
    settings.SITE_URL = "http://testserver"
    reader, account, initial = issued_reader
    mail.outbox.clear()

    login(page, account.lower(), initial)
    page.wait_for_url("**/account/first-password/")
    assert_accessible(page)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=new_password_again]", NEW_PASSWORD)
    page.locator("form.card button[type=submit]").click()

    page.wait_for_url("**/account/notice/")
    assert_accessible(page)
    assert reader.institution.name in page.content()
    page.check("input[name=accept]")
    page.locator("form.card button[type=submit]").click()

    page.wait_for_url("**/account/")
    card = page.get_by_test_id("card").inner_text()
    assert_accessible(page)
    assert reader.id_masked in card and account not in card

    page.goto("/account/contact/")
    assert_accessible(page)
    page.fill("input[name=email]", "new.address@example.com")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/account/contact/")
    assert mail.outbox[-1].to == ["new.address@example.com"]
    page.goto(link_in_last_mail("/account/email/"))
    page.get_by_test_id("email-confirmed").wait_for()
    assert_accessible(page)

    page.goto("/account/")
    page.locator("form[action='/account/logout/'] button").click()
    page.wait_for_url("**/account/login/")

    page.goto("/account/forgot/")
    assert_accessible(page)
    page.fill("input[name=account]", account)
    page.locator("form.card button[type=submit]").click()
    page.get_by_test_id("forgot-sent").wait_for()
    assert_accessible(page)
    assert mail.outbox[-1].to == ["new.address@example.com"]
    reset_link = link_in_last_mail("/account/reset/")
    page.goto(reset_link)
    assert_accessible(page)
    page.fill("input[name=new_password]", LATER_PASSWORD)
    page.fill("input[name=new_password_again]", LATER_PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/account/login/")

    page.goto(reset_link)  # single use
    assert page.locator("p.error").count() == 1
    assert_accessible(page)

    login(page, account, NEW_PASSWORD)  # the old one no longer works
    page.get_by_test_id("login-error").wait_for()
    assert_accessible(page)
    login(page, account, LATER_PASSWORD)
    page.wait_for_url("**/account/")
    page.get_by_test_id("card").wait_for()
