"""The Citizen Digital Certificate path in a real browser.

The reader's HiPKI service on http://localhost:61161 is played by a Playwright route
that serves a /popupForm speaking HiPKI's postMessage protocol and answering with a
signature from the test PKI; so the page script (moica.js) runs for real. A refused
certificate is posted the way the page would post it, by filling the signature field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from django.core import mail

from libcard.core.models import AuditEntry
from libcard.readers.models import Card, Reader
from tests.browser.a11y import assert_accessible
from tests.support.pki import LocalPKI, running_pki

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NAME = "王小明"
NATIONAL_ID = "A123456789"
PIN = "123456"
PASSWORD = "reading is my superpower 42"

# What HiPKI's popup does, reduced to the protocol: ask the opener for the signing
# request, check it, answer with the signature, close. (Its own page, so inline script
# is fine: our CSP does not govern it.)
POPUP = """<!DOCTYPE html><html><body>HiPKI (test)<script>
var answer = %(answer)s;
var expected = %(expected)s;
window.addEventListener("message", function (event) {
  var request = JSON.parse(event.data);
  var ok = request.func === "MakeSignature" && request.signatureType === "PKCS7"
    && request.tbs === expected.tbs && request.tbsEncoding === "NONE"
    && request.hashAlgorithm === "SHA256" && decodeURIComponent(request.pin) === expected.pin;
  var reply = ok ? answer : {func: "sign", ret_code: 1979711489, last_error: 0};
  window.opener.postMessage(JSON.stringify(reply), "*");
  window.close();
});
window.opener.postMessage(JSON.stringify({func: "getTbs"}), "*");
</script></body></html>"""


@pytest.fixture(scope="module")
def pki() -> Iterator[LocalPKI]:
    with running_pki() as local:
        yield local


@pytest.fixture
def moica(pki, settings, tmp_path, live_server):
    settings.MOICA_TRUST_ANCHORS = [str(path) for path in pki.write_trust_files(tmp_path / "moica")]
    settings.MOICA_CRL_CACHE_DIR = str(tmp_path / "crl-cache")
    settings.SITE_URL = live_server.url
    return pki


def fill_form(page) -> str:
    page.goto("/apply/")
    assert_accessible(page)
    page.get_by_test_id("apply-certificate").click()
    page.wait_for_url("**/apply/certificate/")
    assert_accessible(page)
    page.fill("input[name=name]", NAME)
    page.fill("input[name=national_id]", NATIONAL_ID)
    page.fill("input[name=birth_date]", "1990-03-12")
    page.fill("input[name=email]", "xiaoming@example.com")
    page.fill("input[name=mobile]", "0912345678")
    page.fill("input[name=address]", "臺中市西區五權西路一段2號")
    page.check("input[name=consent]")
    return page.locator("input[data-moica-nonce]").input_value()


def test_the_card_opens_at_once_with_the_card_reader(page, moica):
    mail.outbox.clear()
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    nonce = fill_form(page)
    answer = moica.hipki_sign_response(holder, nonce)
    html = POPUP % {
        "answer": json.dumps(answer),
        "expected": json.dumps({"tbs": nonce, "pin": PIN}),
    }
    page.context.route(
        "http://localhost:61161/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )

    page.fill("#moica-pin", PIN)
    page.locator("[data-moica-sign]").click()

    page.wait_for_url("**/apply/certificate/done/")
    assert "A12****789" in page.content()
    assert_accessible(page)
    card = Card.objects.get()
    assert (card.source, card.reader.national_id) == ("individual", NATIONAL_ID)

    # The e-mail's link sets the password; then the reader logs in.
    link = re.search(r"https?://[^/\s]+(/account/reset/\S+)", mail.outbox[-1].body).group(1)
    page.goto(link)
    assert_accessible(page)
    page.fill("input[name=new_password]", PASSWORD)
    page.fill("input[name=new_password_again]", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/account/login/")
    assert_accessible(page)
    page.fill("input[name=account]", NATIONAL_ID)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/account/")
    assert "A12****789" in page.get_by_test_id("card").inner_text()
    assert_accessible(page)


def test_without_the_hipki_service_the_page_says_so(page, moica):
    fill_form(page)
    page.context.route("http://localhost:61161/**", lambda route: route.abort())
    # Half a second instead of five for the handshake that never comes.
    page.locator("form[data-moica]").evaluate(
        "form => form.setAttribute('data-handshake-ms', '500')"
    )

    page.locator("[data-moica-sign]").click()  # no PIN yet
    assert page.get_by_test_id("moica-status").get_attribute("data-state") == "no-pin"
    page.fill("#moica-pin", PIN)
    page.locator("[data-moica-sign]").click()

    page.locator("[data-testid=moica-status][data-state=no-service]").wait_for()
    assert_accessible(page)
    assert page.url.endswith("/apply/certificate/")
    assert page.locator("input[data-moica-signature]").input_value() == ""
    assert not Reader.objects.exists()


def test_a_revoked_certificate_is_refused_in_the_page(page, moica):
    holder = moica.revoked_holder(name=NAME, national_id=NATIONAL_ID)
    nonce = fill_form(page)
    signature = moica.sign_nonce(holder, nonce.encode())
    # What moica.js does with HiPKI's answer, done by hand.
    page.locator("input[data-moica-signature]").evaluate(
        "(field, value) => { field.value = value; }", signature
    )
    page.locator("[data-moica-sign]").click()

    page.get_by_test_id("form-error").wait_for()
    assert_accessible(page)
    assert page.get_by_test_id("form-error").get_attribute("data-refusal") == "cert.revoked"
    assert not Reader.objects.exists() and not Card.objects.exists()
    assert AuditEntry.objects.filter(action="individual.certificate_refused").count() == 1
    # A fresh nonce to sign again, and an empty signature field.
    assert page.locator("input[data-moica-nonce]").input_value() != nonce
    assert page.locator("input[data-moica-signature]").input_value() == ""
