"""Citizen Digital Certificate signatures, checked against a local MOICA-like PKI."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libcard.identity.certificate import (
    CertificateRefused,
    Refusal,
    SignerIdentity,
    load_trust_anchors,
    match_applicant,
    normalise_name,
    verify_nonce_signature,
)
from tests.support.pki import Holder, LocalPKI, running_pki, tamper_signature


@pytest.fixture(scope="session")
def pki() -> Iterator[LocalPKI]:
    with running_pki() as local:
        yield local


@pytest.fixture(scope="session")
def rsa_pki() -> Iterator[LocalPKI]:
    with running_pki(key_kind="rsa") as local:
        yield local


@pytest.fixture
def nonce() -> bytes:
    # What the page sends as HiPKI's tbs (tbsEncoding NONE): URL-safe text, 256 bits.
    return secrets.token_urlsafe(32).encode("ascii")


def verify(pki: LocalPKI, pkcs7_b64: str, nonce: bytes, **options: Any) -> SignerIdentity:
    options.setdefault("trust_anchors", pki.trust_anchors)
    return verify_nonce_signature(pkcs7_b64, nonce=nonce, **options)


def refusal(pki: LocalPKI, pkcs7_b64: object, nonce: bytes, **options: Any) -> Refusal:
    with pytest.raises(CertificateRefused) as caught:
        verify(pki, pkcs7_b64, nonce, **options)  # type: ignore[arg-type]
    return caught.value.code


# --- accepted ------------------------------------------------------------------------


def test_it_accepts_a_valid_signature(pki: LocalPKI, nonce: bytes) -> None:
    holder = pki.valid_holder(name="王小明", national_id="A123456789")

    signer = verify(pki, pki.sign_nonce(holder, nonce), nonce)

    assert signer.name == "王小明"
    assert signer.id_last4 == "6789"
    assert signer.issuer == "OU=內政部憑證管理中心 TEST,O=行政院,C=TW"
    assert signer.serial_hex == holder.serial_hex
    assert signer.sha256_fingerprint == hashlib.sha256(holder.der).hexdigest()
    assert signer.not_before == holder.certificate.not_valid_before_utc
    assert signer.not_after == holder.certificate.not_valid_after_utc


def test_it_accepts_what_the_hipki_service_returns(pki: LocalPKI) -> None:
    tbs = secrets.token_urlsafe(32)  # the page sends the nonce as text
    response = pki.hipki_sign_response(pki.valid_holder(), tbs)

    signer = verify(pki, response["signature"], tbs.encode("utf-8"))

    assert (
        signer.sha256_fingerprint
        == hashlib.sha256(base64.b64decode(response["certb64"])).hexdigest()
    )


def test_it_accepts_detached_content_when_the_nonce_is_ours(pki: LocalPKI, nonce: bytes) -> None:
    holder = pki.valid_holder()

    signer = verify(pki, pki.sign_nonce(holder, nonce, detached=True), nonce)

    assert signer.serial_hex == holder.serial_hex


def test_it_accepts_a_signature_without_signed_attributes(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce, signed_attributes=False)

    assert verify(pki, pkcs7_b64, nonce)


def test_it_accepts_rsa_keys_like_moica(rsa_pki: LocalPKI, nonce: bytes) -> None:
    holder = rsa_pki.valid_holder(name="林美華", national_id="M162773050")

    signer = verify(rsa_pki, rsa_pki.sign_nonce(holder, nonce), nonce)

    assert (signer.name, signer.id_last4) == ("林美華", "3050")


def test_it_completes_the_chain_from_the_message(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce, include_chain=True)

    assert verify(pki, pkcs7_b64, nonce, trust_anchors=[pki.root.der])


def test_it_accepts_anchors_loaded_from_pem_files(
    pki: LocalPKI, nonce: bytes, tmp_path: Path
) -> None:
    root_file, moica_file = pki.write_trust_files(tmp_path)
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(root_file.read_bytes() + moica_file.read_bytes())

    anchors = load_trust_anchors([bundle])

    assert anchors == [pki.root.der, pki.intermediate.der]
    assert verify(pki, pki.sign_nonce(pki.valid_holder(), nonce), nonce, trust_anchors=anchors)


def test_it_accepts_a_der_anchor_file(pki: LocalPKI, tmp_path: Path) -> None:
    path = tmp_path / "grca.cer"
    path.write_bytes(pki.root.der)

    assert load_trust_anchors([path]) == [pki.root.der]


def test_it_rejects_a_broken_anchor_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")

    with pytest.raises(ValueError, match=r"broken\.pem"):
        load_trust_anchors([path])


# --- refused: the message ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("detached", "signed_attributes"),
    [(False, True), (True, True), (False, False)],
    ids=["attached", "detached", "no-attributes"],
)
def test_it_refuses_a_signature_over_another_nonce(
    pki: LocalPKI, nonce: bytes, detached: bool, signed_attributes: bool
) -> None:
    old_nonce = secrets.token_urlsafe(32).encode("ascii")
    replayed = pki.sign_nonce(
        pki.valid_holder(), old_nonce, detached=detached, signed_attributes=signed_attributes
    )

    assert refusal(pki, replayed, nonce) == Refusal.NOT_OUR_NONCE


def test_it_refuses_a_tampered_signature(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = tamper_signature(pki.sign_nonce(pki.valid_holder(), nonce))

    assert refusal(pki, pkcs7_b64, nonce) == Refusal.BAD_SIGNATURE


def test_it_refuses_two_signers(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce, co_signers=[pki.valid_holder()])

    assert refusal(pki, pkcs7_b64, nonce) == Refusal.SIGNERS


@pytest.mark.parametrize("garbage", [None, 42, "", "   ", "not base64!", "QUJD", "-----BEGIN"])
def test_it_refuses_garbage_as_malformed(pki: LocalPKI, nonce: bytes, garbage: object) -> None:
    assert refusal(pki, garbage, nonce) == Refusal.MALFORMED


def test_it_refuses_an_oversized_message(pki: LocalPKI, nonce: bytes) -> None:
    assert refusal(pki, "A" * 100_000, nonce) == Refusal.MALFORMED


def test_it_accepts_the_message_wrapped_as_pem(pki: LocalPKI, nonce: bytes) -> None:
    body = pki.sign_nonce(pki.valid_holder(), nonce)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    wrapped = "\n".join(["-----BEGIN PKCS7-----", *lines, "-----END PKCS7-----"])

    assert verify(pki, wrapped, nonce)


# --- refused: the certificate -------------------------------------------------------------


def test_it_refuses_a_revoked_certificate(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.revoked_holder(), nonce)

    assert refusal(pki, pkcs7_b64, nonce) == Refusal.REVOKED


def test_it_refuses_an_expired_certificate(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.expired_holder(), nonce)

    assert refusal(pki, pkcs7_b64, nonce) == Refusal.EXPIRED


def test_it_refuses_a_certificate_not_yet_valid(pki: LocalPKI, nonce: bytes) -> None:
    holder = pki.issue_holder(not_before=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))

    assert refusal(pki, pki.sign_nonce(holder, nonce), nonce) == Refusal.NOT_YET_VALID


@pytest.mark.parametrize("impostor", [False, True], ids=["foreign-name", "same-name"])
def test_it_refuses_a_certificate_from_a_foreign_ca(
    pki: LocalPKI, nonce: bytes, impostor: bool
) -> None:
    holder = pki.foreign_holder(impostor=impostor)
    pkcs7_b64 = pki.sign_nonce(holder, nonce, include_chain=True)

    assert refusal(pki, pkcs7_b64, nonce) == Refusal.UNTRUSTED


def test_it_refuses_a_certificate_without_digital_signature(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.encryption_holder(), nonce)

    assert refusal(pki, pkcs7_b64, nonce) == Refusal.KEY_USAGE


def test_it_refuses_when_the_issuing_ca_is_neither_pinned_nor_sent(
    pki: LocalPKI, nonce: bytes
) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)

    assert refusal(pki, pkcs7_b64, nonce, trust_anchors=[pki.root.der]) == Refusal.UNTRUSTED


def test_it_refuses_another_ca_under_the_same_root(pki: LocalPKI, nonce: bytes) -> None:
    # GRCA also issues, through other CAs, agency and business certificates.
    pkcs7_b64 = pki.sign_nonce(pki.sibling_holder(), nonce, include_chain=True)

    assert refusal(pki, pkcs7_b64, nonce) == Refusal.UNTRUSTED


def test_it_accepts_any_ca_under_a_root_pinned_alone(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.sibling_holder(), nonce, include_chain=True)

    assert verify(pki, pkcs7_b64, nonce, trust_anchors=[pki.root.der])


# --- revocation: CRLs and their cache ------------------------------------------------------


def test_it_fails_closed_when_the_crl_server_is_down(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)
    assert pki.server is not None

    with pki.server.stopped():
        assert refusal(pki, pkcs7_b64, nonce) == Refusal.REVOCATION_UNAVAILABLE


def test_it_fails_closed_offline_without_a_cache(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)

    assert refusal(pki, pkcs7_b64, nonce, allow_fetching=False) == Refusal.REVOCATION_UNAVAILABLE


def test_it_caches_fetched_crls_and_uses_them_while_the_server_is_down(
    pki: LocalPKI, nonce: bytes, tmp_path: Path
) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)
    assert pki.server is not None

    verify(pki, pkcs7_b64, nonce, crl_cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.crl"))) == 2  # the root's and the issuing CA's

    with pki.server.stopped():
        assert verify(pki, pkcs7_b64, nonce, crl_cache_dir=tmp_path)


def test_it_uses_a_fresh_cached_crl_without_fetching(
    pki: LocalPKI, nonce: bytes, tmp_path: Path
) -> None:
    pki.write_crl_cache(tmp_path)
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)
    assert pki.server is not None
    asked_before = len(pki.server.requests)

    assert verify(pki, pkcs7_b64, nonce, crl_cache_dir=tmp_path)
    assert len(pki.server.requests) == asked_before


def test_it_finds_a_revocation_in_the_cached_crl_offline(
    pki: LocalPKI, nonce: bytes, tmp_path: Path
) -> None:
    holder = pki.revoked_holder()
    pki.write_crl_cache(tmp_path)

    code = refusal(
        pki, pki.sign_nonce(holder, nonce), nonce, crl_cache_dir=tmp_path, allow_fetching=False
    )

    assert code == Refusal.REVOKED


def test_it_fails_closed_on_a_stale_cached_crl_while_the_server_is_down(
    pki: LocalPKI, nonce: bytes, tmp_path: Path
) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    pki.write_crl_cache(tmp_path, this_update=long_ago, next_update=long_ago + dt.timedelta(days=1))
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)
    assert pki.server is not None

    with pki.server.stopped():
        code = refusal(pki, pkcs7_b64, nonce, crl_cache_dir=tmp_path)

    assert code == Refusal.REVOCATION_UNAVAILABLE


def test_it_replaces_a_stale_cached_crl_with_a_fetched_one(
    pki: LocalPKI, nonce: bytes, tmp_path: Path
) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    pki.write_crl_cache(tmp_path, this_update=long_ago, next_update=long_ago + dt.timedelta(days=1))
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)
    assert pki.server is not None

    verify(pki, pkcs7_b64, nonce, crl_cache_dir=tmp_path)
    with pki.server.stopped():
        assert verify(pki, pkcs7_b64, nonce, crl_cache_dir=tmp_path)


def test_it_ignores_damaged_cache_files(pki: LocalPKI, nonce: bytes, tmp_path: Path) -> None:
    (tmp_path / "junk.crl").write_bytes(b"\x30\x03junk")

    assert verify(pki, pki.sign_nonce(pki.valid_holder(), nonce), nonce, crl_cache_dir=tmp_path)


# --- revocation: OCSP first when the certificate names a responder ----------------------------


def test_it_asks_the_ocsp_responder_the_certificate_names(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(with_ocsp=True), nonce)
    assert pki.server is not None

    with pki.server.outage("crl:moica"):
        assert verify(pki, pkcs7_b64, nonce)


def test_it_falls_back_to_the_crl_when_ocsp_does_not_answer(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(with_ocsp=True), nonce)
    assert pki.server is not None

    with pki.server.outage("ocsp"):
        assert verify(pki, pkcs7_b64, nonce)


def test_it_refuses_a_certificate_revoked_according_to_ocsp(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.revoked_holder(with_ocsp=True), nonce)
    assert pki.server is not None

    with pki.server.outage("crl:moica"):
        assert refusal(pki, pkcs7_b64, nonce) == Refusal.REVOKED


def test_it_fails_closed_when_neither_ocsp_nor_crl_answers(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(with_ocsp=True), nonce)
    assert pki.server is not None

    with pki.server.outage("ocsp", "crl:moica"):
        assert refusal(pki, pkcs7_b64, nonce) == Refusal.REVOCATION_UNAVAILABLE


# --- configuration mistakes are not refusals ----------------------------------------------------


def test_it_will_not_run_without_trust_anchors(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)

    with pytest.raises(ValueError, match="root"):
        verify(pki, pkcs7_b64, nonce, trust_anchors=[])


def test_it_will_not_run_without_a_root_among_the_anchors(pki: LocalPKI, nonce: bytes) -> None:
    pkcs7_b64 = pki.sign_nonce(pki.valid_holder(), nonce)

    with pytest.raises(ValueError, match="root"):
        verify(pki, pkcs7_b64, nonce, trust_anchors=[pki.intermediate.der])


def test_it_will_not_check_against_a_short_nonce(pki: LocalPKI) -> None:
    with pytest.raises(ValueError, match="nonce"):
        verify(pki, pki.sign_nonce(pki.valid_holder(), b"short"), b"short")


# --- linking the certificate to the applicant -----------------------------------------------------


@pytest.fixture(scope="session")
def signer(pki: LocalPKI) -> SignerIdentity:
    nonce = secrets.token_urlsafe(32).encode("ascii")
    holder = pki.valid_holder(name="王小明", national_id="A123456789")
    return verify(pki, pki.sign_nonce(holder, nonce), nonce)


@pytest.mark.parametrize(
    ("name", "national_id"),
    [
        ("王小明", "A123456789"),
        ("　王小明 ", "a123456789"),  # full-width space and lower case, as typed
        ("王小明", "Ａ１２３４５６７８９"),  # full-width digits from an IME
        ("王小明", "A12-345-6789"),
    ],
)
def test_it_matches_the_applicant(signer: SignerIdentity, name: str, national_id: str) -> None:
    match_applicant(signer, name=name, national_id=national_id)


def test_it_refuses_another_name(signer: SignerIdentity) -> None:
    with pytest.raises(CertificateRefused) as caught:
        match_applicant(signer, name="王小民", national_id="A123456789")

    assert caught.value.code == Refusal.NAME_MISMATCH


def test_it_refuses_an_empty_name(signer: SignerIdentity) -> None:
    with pytest.raises(CertificateRefused) as caught:
        match_applicant(signer, name="  ", national_id="A123456789")

    assert caught.value.code == Refusal.NAME_MISMATCH


def test_it_refuses_other_last_four_digits(signer: SignerIdentity) -> None:
    with pytest.raises(CertificateRefused) as caught:
        match_applicant(signer, name="王小明", national_id="M162773050")

    assert caught.value.code == Refusal.ID_MISMATCH


def test_it_refuses_a_certificate_without_id_digits(pki: LocalPKI, nonce: bytes) -> None:
    signer = verify(pki, pki.sign_nonce(pki.valid_holder(last4=None), nonce), nonce)
    assert signer.id_last4 is None

    with pytest.raises(CertificateRefused) as caught:
        match_applicant(signer, name=signer.name, national_id="A123456789")

    assert caught.value.code == Refusal.ID_MISMATCH


def test_it_compares_names_in_a_normal_form() -> None:
    assert normalise_name(" 瓦歷斯‧諾幹 ") == normalise_name("瓦歷斯·諾幹")
    assert normalise_name("John  SMITH") == normalise_name("john smith")
    assert normalise_name("王小明") != normalise_name("王小民")


# --- hostile input never escapes as anything but a refusal ----------------------------------------

FIXED_NONCE = b"hypothesis-nonce-0123456789abcdef"


@pytest.fixture(scope="session")
def fixed_holder(pki: LocalPKI) -> Holder:
    return pki.valid_holder()


@pytest.fixture(scope="session")
def valid_der(pki: LocalPKI, fixed_holder: Holder) -> bytes:
    return base64.b64decode(pki.sign_nonce(fixed_holder, FIXED_NONCE))


@settings(max_examples=200, deadline=None)
@given(garbage=st.one_of(st.text(), st.binary().map(lambda raw: base64.b64encode(raw).decode())))
def test_it_calls_any_garbage_malformed(pki: LocalPKI, garbage: str) -> None:
    assert refusal(pki, garbage, FIXED_NONCE) == Refusal.MALFORMED


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_it_calls_a_truncated_message_malformed(
    pki: LocalPKI, valid_der: bytes, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(valid_der) - 1))
    truncated = base64.b64encode(valid_der[:cut]).decode()

    assert refusal(pki, truncated, FIXED_NONCE) == Refusal.MALFORMED


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_it_only_ever_refuses_or_accepts_a_mangled_message(
    pki: LocalPKI, fixed_holder: Holder, valid_der: bytes, data: st.DataObject
) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(valid_der) - 1))
    value = data.draw(st.integers(min_value=0, max_value=255))
    mangled = bytearray(valid_der)
    mangled[position] = value

    try:
        signer = verify(pki, base64.b64encode(bytes(mangled)).decode(), FIXED_NONCE)
    except CertificateRefused:
        return
    # Bytes outside what is signed (the outer digest list, say) may change harmlessly,
    # but whatever is accepted is still our holder's signature over our nonce.
    assert signer.sha256_fingerprint == hashlib.sha256(fixed_holder.der).hexdigest()


def test_the_sync_wrapper_works_inside_a_running_event_loop(pki):
    """An ASGI server or a test harness may already run a loop in this thread."""
    import asyncio

    holder = pki.valid_holder(name="王小明", national_id="A123456789")
    nonce = b"n" * 32
    signature = pki.sign_nonce(holder, nonce)

    async def inside() -> object:
        return verify_nonce_signature(signature, nonce=nonce, trust_anchors=pki.trust_anchors)

    assert asyncio.run(inside()).name == "王小明"
