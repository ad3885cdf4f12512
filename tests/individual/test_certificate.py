"""The Citizen Digital Certificate path on a local MOICA-like PKI with CRL distribution points:
a valid signature opens the card at once; anything else is refused and issues nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from libcard.core.models import AuditEntry
from libcard.individual.models import CertificateNonce, IndividualApplication
from libcard.readers.models import Card, Reader
from tests.individual import NATIONAL_ID, form_data
from tests.support.pki import LocalPKI
from tests.support.readers import make_reader

pytestmark = pytest.mark.django_db
URL = "/apply/certificate/"
NAME = "王小明"


def new_nonce(client: Client) -> str:
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.context["nonce"]


def post(client: Client, nonce: str, signature: str, **overrides: object):
    data = {**form_data("national", name=NAME, national_id=NATIONAL_ID), **overrides}
    data.update(nonce=nonce, signature=signature)
    return client.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")


def error_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(str(error) for error in response.context["form"].non_field_errors())


@pytest.fixture
def counts():
    def current() -> tuple[int, int, int]:
        return Reader.objects.count(), Card.objects.count(), IndividualApplication.objects.count()

    return current


# -- accepted ---------------------------------------------------------------------------------------
def test_a_valid_signature_opens_the_card_at_once(
    client, moica: LocalPKI, mailoutbox, django_capture_on_commit_callbacks
):
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    nonce = new_nonce(client)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, nonce, moica.sign_nonce(holder, nonce.encode()))

    assert response.status_code == 302 and response["Location"] == "/apply/certificate/done/"
    application = IndividualApplication.objects.get()
    assert (application.status, application.method) == ("approved", "certificate")
    assert application.certificate_serial == holder.serial_hex
    assert application.certificate_sha256 == hashlib.sha256(holder.der).hexdigest()
    assert "內政部憑證管理中心 TEST" in application.certificate_issuer
    assert not application.documents.exists()
    card = Card.objects.get()
    assert (card.source, card.type, card.expires_on) == ("individual", "digital", None)
    assert card.reader.national_id == NATIONAL_ID and application.card == card
    [mail] = mailoutbox
    assert "/account/reset/" in mail.body and NATIONAL_ID not in mail.body
    entry = AuditEntry.objects.get(action="individual.certificate")
    assert (entry.from_state, entry.to_state) == ("", "approved")
    page = client.get("/apply/certificate/done/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A12****789" in page and NATIONAL_ID not in page


def test_the_page_lets_only_itself_talk_to_the_local_hipki_service(client, moica):
    response = client.get(URL)
    csp = response["Content-Security-Policy"]
    assert "connect-src 'self' http://localhost:61161" in csp
    assert "frame-src http://localhost:61161" in csp
    assert "script-src 'self';" in csp  # still no inline script
    assert response["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups"
    assert b"libcard/moica.js" in response.content
    # The PIN field has no name: the form never sends it to us.
    assert b'id="moica-pin"' in response.content and b'name="pin"' not in response.content
    # Every other page keeps the strict policy.
    assert "61161" not in client.get("/apply/")["Content-Security-Policy"]


def test_the_nonce_is_random_long_and_kept_only_as_a_hash(client, moica):
    first, second = new_nonce(client), new_nonce(client)
    assert first != second and len(first) >= 43  # 256 bits, URL-safe base64
    stored = CertificateNonce.objects.values_list("value_hash", flat=True)
    assert first not in stored and hashlib.sha256(first.encode()).hexdigest() in stored
    row = CertificateNonce.objects.get(value_hash=hashlib.sha256(first.encode()).hexdigest())
    assert dt.timedelta(minutes=4) < row.expires_at - row.created_at <= dt.timedelta(minutes=5)


# -- refused, nothing issued ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make_holder", "message"),
    [
        (lambda pki: pki.revoked_holder(name=NAME, national_id=NATIONAL_ID), "revoked"),
        (lambda pki: pki.expired_holder(name=NAME, national_id=NATIONAL_ID), "expired"),
        (
            lambda pki: pki.foreign_holder(name=NAME, national_id=NATIONAL_ID),
            "not a Citizen Digital Certificate we can accept",
        ),
        (
            lambda pki: pki.foreign_holder(impostor=True, name=NAME, national_id=NATIONAL_ID),
            "not a Citizen Digital Certificate we can accept",
        ),
        (lambda pki: pki.valid_holder(name="王小民", national_id=NATIONAL_ID), "name"),
        (lambda pki: pki.valid_holder(name=NAME, national_id="A123450000"), "ID number"),
    ],
    ids=["revoked", "expired", "foreign-ca", "impostor-ca", "name-mismatch", "last-four-mismatch"],
)
def test_a_bad_certificate_is_refused_and_nothing_is_issued(
    client, moica, counts, mailoutbox, make_holder, message
):
    holder = make_holder(moica)
    nonce = new_nonce(client)
    before = counts()

    response = post(client, nonce, moica.sign_nonce(holder, nonce.encode(), include_chain=True))

    assert message in error_of(response)
    assert counts() == before
    assert not mailoutbox
    assert AuditEntry.objects.filter(action="individual.certificate_refused").count() == 1
    assert response.context["nonce"] != nonce  # a fresh one to sign again


def test_a_replayed_nonce_is_refused(client, moica, counts):
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    nonce = new_nonce(client)
    signature = moica.sign_nonce(holder, nonce.encode())
    post(client, nonce, signature, name="王小民")  # refused (name), and the nonce is spent
    before = counts()

    response = post(client, nonce, signature)

    assert "expired or was already used" in error_of(response)
    assert counts() == before


def test_a_signature_over_an_old_nonce_is_refused(client, moica, counts):
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    old = new_nonce(client)
    signature = moica.sign_nonce(holder, old.encode())
    current = new_nonce(client)
    before = counts()

    response = post(client, current, signature)

    assert "not made for this page" in error_of(response)
    assert counts() == before


def test_a_nonce_works_only_in_the_session_it_was_given_to(client, moica, counts):
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    stolen = new_nonce(Client())
    response = post(client, stolen, moica.sign_nonce(holder, stolen.encode()))
    assert "expired or was already used" in error_of(response)
    assert counts() == (0, 0, 0)


def test_a_nonce_expires_after_five_minutes(client, moica, counts):
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    nonce = new_nonce(client)
    CertificateNonce.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = post(client, nonce, moica.sign_nonce(holder, nonce.encode()))
    assert "expired or was already used" in error_of(response)
    assert counts() == (0, 0, 0)


def test_revocation_is_checked_fail_closed(client, moica, counts):
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    nonce = new_nonce(client)
    with moica.server.stopped():
        response = post(client, nonce, moica.sign_nonce(holder, nonce.encode()))
    assert "cannot check right now" in error_of(response)
    assert counts() == (0, 0, 0)


def test_garbage_instead_of_a_signature_is_refused(client, moica, counts):
    response = post(client, new_nonce(client), "this is not PKCS#7")
    assert "could not be read" in error_of(response)
    assert counts() == (0, 0, 0)


def test_no_signature_no_card(client, moica, counts):
    response = post(client, new_nonce(client), "")
    assert "sign with your card first" in error_of(response)
    assert counts() == (0, 0, 0)


def test_a_cardholder_is_told_so_even_with_a_certificate(client, moica):
    make_reader(NATIONAL_ID)
    holder = moica.valid_holder(name=NAME, national_id=NATIONAL_ID)
    nonce = new_nonce(client)
    response = post(client, nonce, moica.sign_nonce(holder, nonce.encode()))
    assert "existing card" in error_of(response)
    assert Reader.objects.count() == 1 and Card.objects.count() == 1


def test_residents_use_documents(client, moica):
    nonce = new_nonce(client)
    response = post(client, nonce, "x", national_id="A800000014")
    assert response.status_code == 200
    assert response.context["form"].errors["national_id"]
    assert CertificateNonce.objects.filter(used_at__isnull=False).count() == 0


def test_without_trust_anchors_the_path_is_not_offered(client, settings):
    settings.MOICA_TRUST_ANCHORS = []
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert b"not available" in response.content
    assert b"moica.js" not in response.content


def test_a_broken_anchor_file_stops_the_start(settings, tmp_path, moica):
    from libcard.individual.checks import moica_trust_anchors

    assert moica_trust_anchors() == []
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    settings.MOICA_TRUST_ANCHORS = [str(broken)]
    [error] = moica_trust_anchors()
    assert error.id == "individual.E001" and "broken.pem" in error.msg
    settings.MOICA_TRUST_ANCHORS = [str(tmp_path / "missing.pem")]
    assert moica_trust_anchors()[0].id == "individual.E001"
    settings.MOICA_TRUST_ANCHORS = [str(tmp_path / "moica" / "moica.pem")]  # no root
    assert "root" in moica_trust_anchors()[0].msg
