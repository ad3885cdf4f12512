"""Citizen Digital Certificate (自然人憑證, MOICA) signatures over a nonce.

The page asks the reader's local HiPKI service to sign our nonce with the card
and posts back a base64 PKCS#7 SignedData. Here we decide whether to believe it:
one signer, our nonce, a good signature, a chain to a pinned anchor, in its
validity, allowed to sign, and not revoked — revocation checked with OCSP when
the certificate names a responder and with CRLs otherwise, failing closed when
neither answers. The rules are in ``shared/spec/identity.md``.

pyhanko-certvalidator does the certificate work (path building and validation,
revocation with ``revocation_mode="require"``, key usage, the signature
primitives). pyHanko's own CMS helpers live in the full ``pyhanko`` package,
which is not a dependency, so the few CMS integrity checks of RFC 5652 §5.4/§5.6
are done here with asn1crypto.

Plain Python, no Django, so the CLI and the tests can use it directly.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hashlib
import hmac
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from asn1crypto import algos, cms, core, crl, pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.registry import CertificateRegistry
from pyhanko_certvalidator.sig_validate import (
    DefaultSignatureValidator,
    SignatureValidationContext,
)
from pyhanko_certvalidator.validate import validate_usage

from libcard.identity.numbers import normalise_id

logger = logging.getLogger(__name__)

# MOICA puts the last four digits of the holder's ID number in this attribute
# of the subjectDirectoryAttributes extension (2.5.29.9).
LAST4_ATTRIBUTE_OID = "2.16.886.1.100.2.51"

# A HiPKI signature with the holder certificate is ~3 KB of base64; anything
# far larger is not one, and parsing it would only cost us.
MAX_INPUT_CHARS = 64 * 1024

# SHA-1 and MD5 signatures are forgeable; MOICA signs with SHA-256.
ALLOWED_DIGESTS = frozenset({"sha256", "sha384", "sha512"})

# Below 128 bits a nonce could be guessed; a caller passing less has a bug.
MIN_NONCE_BYTES = 16

DEFAULT_FETCH_TIMEOUT = 10.0  # seconds per OCSP/CRL request
DEFAULT_TOTAL_TIMEOUT = 30.0  # seconds for the whole chain and revocation check

_SIGNATURE_VALIDATOR = DefaultSignatureValidator()
# Which signature mechanisms a public key may legitimately produce; a mismatch
# would otherwise surface as an assertion deep inside the validator.
_MECHANISMS_FOR_KEY = {
    "rsa": frozenset({"rsassa_pkcs1v15", "rsassa_pss"}),
    "rsassa_pss": frozenset({"rsassa_pss"}),
    "ec": frozenset({"ecdsa"}),
}
# Middle dots people and registries use interchangeably in transliterated and
# indigenous names (瓦歷斯·諾幹, 瓦歷斯‧諾幹); NFKC leaves them distinct.
_MIDDLE_DOTS = str.maketrans(dict.fromkeys("\u2027\u30fb\u2022\u2219\u22c5", "\u00b7"))
_WHITESPACE = re.compile(r"\s+")


class Refusal(StrEnum):
    """Why a signature or a certificate was not accepted; one code per reason."""

    MALFORMED = "cert.malformed"
    SIGNERS = "cert.signers"
    BAD_SIGNATURE = "cert.bad_signature"
    NOT_OUR_NONCE = "cert.not_our_nonce"
    KEY_USAGE = "cert.key_usage"
    UNTRUSTED = "cert.untrusted"
    EXPIRED = "cert.expired"
    NOT_YET_VALID = "cert.not_yet_valid"
    REVOKED = "cert.revoked"
    REVOCATION_UNAVAILABLE = "cert.revocation_unavailable"
    NAME_MISMATCH = "cert.name_mismatch"
    ID_MISMATCH = "cert.id_mismatch"


class CertificateRefused(Exception):
    """The signature or the certificate is not accepted.

    ``code`` is a :class:`Refusal` (a ``str``), for the page to pick a message;
    ``detail`` is for the log and never carries the holder's name or number.
    """

    def __init__(self, code: Refusal, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SignerIdentity:
    """What we keep of a verified certificate: enough to name it, not its contents."""

    name: str  # subject CN as issued
    id_last4: str | None  # from attribute 2.16.886.1.100.2.51; None when absent
    issuer: str  # RFC 4514
    serial_hex: str  # upper-case, no separators, as MOICA's own look-up pages print it
    sha256_fingerprint: str  # lower-case hex of the DER certificate
    not_before: datetime
    not_after: datetime


def load_trust_anchors(paths: Sequence[Path]) -> list[bytes]:
    """DER certificates from PEM (one or many per file) or DER files.

    A bad file is a configuration error and raises ``ValueError`` naming it;
    we would rather not start than run with a silently shorter trust list.
    """
    anchors: list[bytes] = []
    for path in paths:
        data = Path(path).read_bytes()
        try:
            if pem.detect(data):
                blocks = [
                    der
                    for kind, _headers, der in pem.unarmor(data, multiple=True)
                    if kind == "CERTIFICATE"
                ]
            else:
                blocks = [data]
            for der in blocks:
                # Touching the subject forces a parse, so a broken file fails here.
                asn1_x509.Certificate.load(der, strict=True).subject.native  # noqa: B018
                anchors.append(der)
        except ValueError as exc:
            raise ValueError(f"{path}: not a certificate file ({exc})") from exc
        if not blocks:
            raise ValueError(f"{path}: no certificate in file")
    return anchors


def verify_nonce_signature(
    pkcs7_b64: str,
    *,
    nonce: bytes,
    trust_anchors: Sequence[bytes],
    crl_cache_dir: Path | None = None,
    allow_fetching: bool = True,
    moment: datetime | None = None,
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
) -> SignerIdentity:
    """Synchronous :func:`averify_nonce_signature`, for views and commands.

    Runs its own event loop — in a helper thread when this thread already runs one
    (an ASGI server, a test harness), since asyncio.run() cannot nest.
    """

    def run() -> SignerIdentity:
        return asyncio.run(
            averify_nonce_signature(
                pkcs7_b64,
                nonce=nonce,
                trust_anchors=trust_anchors,
                crl_cache_dir=crl_cache_dir,
                allow_fetching=allow_fetching,
                moment=moment,
                fetch_timeout=fetch_timeout,
                total_timeout=total_timeout,
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


async def averify_nonce_signature(
    pkcs7_b64: str,
    *,
    nonce: bytes,
    trust_anchors: Sequence[bytes],
    crl_cache_dir: Path | None = None,
    allow_fetching: bool = True,
    moment: datetime | None = None,
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
) -> SignerIdentity:
    """Accept a base64 PKCS#7 SignedData over ``nonce`` or raise :class:`CertificateRefused`.

    ``nonce`` is exactly the bytes the card signed: with HiPKI's
    ``tbsEncoding="NONE"`` that is the UTF-8 of the ``tbs`` string the page sent.
    Attached content must equal it; detached content is taken to be it.

    ``trust_anchors`` are the pinned certificates (DER or PEM), loaded from
    files and never fetched: the self-signed roots (GRCA) the chain must end
    at, and the issuing CAs under them (MOICA G2/G3) the chain must pass
    through. Pinning the issuing CAs keeps out the other CAs under the same
    root (government, business and organisation certificates); with roots
    alone any CA under them is accepted. HiPKI embeds only the holder's
    certificate, so the issuing CAs also complete the chain; missing issuers
    are never fetched from the network.

    Revocation: OCSP when the certificate names a responder, CRLs otherwise or
    when OCSP does not answer. CRLs come from ``crl_cache_dir`` while fresh,
    else from the distribution point (when ``allow_fetching``), and fetched ones
    are cached there. No usable answer for any certificate in the chain refuses
    with ``cert.revocation_unavailable``.

    ``moment`` validates at another time than now (for tests and re-checks).
    Anything wrong with the input itself refuses with ``cert.malformed``; no
    other exception escapes for bad input. Configuration mistakes (no anchors,
    a short nonce) raise ``ValueError``.
    """
    if not isinstance(nonce, bytes) or len(nonce) < MIN_NONCE_BYTES:
        raise ValueError(f"nonce must be at least {MIN_NONCE_BYTES} bytes")
    roots, pinned_cas = _split_anchors(trust_anchors)

    try:
        signed_data = _parse_signed_data(_decode_base64(pkcs7_b64))
        signer_cert, embedded = _check_signed_content(signed_data, nonce)
        for cert in embedded:
            # Parse the certificates now so damage in them reads as malformed input.
            cert.native  # noqa: B018
        _check_key_usage(signer_cert)
        identity = _identity_of(signer_cert)
    except CertificateRefused:
        raise
    except Exception as exc:
        # Hostile input reaches asn1crypto's lazy parser in ways no list of
        # checks anticipates; whatever breaks, the answer is the same.
        logger.info("CMS input refused as malformed: %s", type(exc).__name__)
        raise CertificateRefused(Refusal.MALFORMED, type(exc).__name__) from exc

    await _validate_chain(
        signer_cert,
        other_certs=[*pinned_cas, *embedded],
        roots=roots,
        pinned_cas=pinned_cas,
        crl_cache_dir=crl_cache_dir,
        allow_fetching=allow_fetching,
        moment=moment,
        fetch_timeout=fetch_timeout,
        total_timeout=total_timeout,
    )
    return identity


def match_applicant(signer: SignerIdentity, *, name: str, national_id: str) -> None:
    """Refuse unless the certificate belongs to this applicant.

    The CN must equal the applicant's name (NFKC, trimmed, whitespace collapsed,
    case-folded for Latin names, middle dots unified) and the four digits in the
    certificate must equal the last four of the normalised ID number.
    """
    wanted = normalise_name(name)
    if not wanted or normalise_name(signer.name) != wanted:
        raise CertificateRefused(Refusal.NAME_MISMATCH)
    number = normalise_id(national_id)
    if (
        signer.id_last4 is None
        or len(number) < 4
        or not hmac.compare_digest(number[-4:], signer.id_last4)
    ):
        raise CertificateRefused(Refusal.ID_MISMATCH)


def normalise_name(raw: str) -> str:
    """The form in which a certificate CN and a typed name are compared."""
    text = unicodedata.normalize("NFKC", raw or "").translate(_MIDDLE_DOTS)
    return _WHITESPACE.sub(" ", text).strip().casefold()


# --- parsing and CMS integrity -------------------------------------------------------


def _decode_base64(pkcs7_b64: object) -> bytes:
    if isinstance(pkcs7_b64, bytes | bytearray):
        try:
            pkcs7_b64 = bytes(pkcs7_b64).decode("ascii")
        except UnicodeDecodeError as exc:
            raise CertificateRefused(Refusal.MALFORMED, "not ASCII") from exc
    if not isinstance(pkcs7_b64, str):
        raise CertificateRefused(Refusal.MALFORMED, "not text")
    if len(pkcs7_b64) > MAX_INPUT_CHARS:
        raise CertificateRefused(Refusal.MALFORMED, "too long")
    text = pkcs7_b64.strip()
    if text.startswith("-----BEGIN"):
        # Some tools hand out PEM ("-----BEGIN PKCS7-----"); the body is the same base64.
        text = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    compact = _WHITESPACE.sub("", text)
    try:
        der = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateRefused(Refusal.MALFORMED, "not base64") from exc
    if not der:
        raise CertificateRefused(Refusal.MALFORMED, "empty")
    return der


def _parse_signed_data(der: bytes) -> cms.SignedData:
    info = cms.ContentInfo.load(der, strict=True)
    if info["content_type"].native != "signed_data":
        raise CertificateRefused(Refusal.MALFORMED, "not SignedData")
    signed_data = info["content"]
    # asn1crypto parses lazily; walk the structure now so broken encodings are
    # found here rather than halfway through the checks.
    signed_data["encap_content_info"].native  # noqa: B018
    signed_data["signer_infos"].native  # noqa: B018
    return signed_data


def _check_signed_content(
    signed_data: cms.SignedData, nonce: bytes
) -> tuple[asn1_x509.Certificate, list[asn1_x509.Certificate]]:
    """Signer count, signature and nonce; returns the signer's and all embedded certificates."""
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise CertificateRefused(Refusal.SIGNERS, f"{len(signer_infos)} signers")
    signer_info = signer_infos[0]

    embedded = _embedded_certificates(signed_data)
    signer_cert = _find_signer(embedded, signer_info["sid"])

    encap = signed_data["encap_content_info"]
    content_type = encap["content_type"].native
    if content_type != "data":
        raise CertificateRefused(Refusal.MALFORMED, f"content type {content_type}")
    attached: bytes | None = encap["content"].native
    # HiPKI attaches the signed text; a detached signature is checked against our nonce.
    content = nonce if attached is None else attached

    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in ALLOWED_DIGESTS:
        raise CertificateRefused(Refusal.BAD_SIGNATURE, f"digest {digest_name}")
    signature = signer_info["signature"].native
    signature_algorithm = signer_info["signature_algorithm"]

    signed_attrs = signer_info["signed_attrs"]
    if signed_attrs.native is None:
        # Without signed attributes the signature covers the content itself.
        _verify_signature(signature, content, signer_cert, signature_algorithm, digest_name)
    else:
        content_type_attr = _single_attribute(signed_attrs, "content_type")
        digest_attr = _single_attribute(signed_attrs, "message_digest")
        # RFC 5652 §5.3: both are mandatory once there are signed attributes.
        if content_type_attr is None or digest_attr is None:
            raise CertificateRefused(Refusal.MALFORMED, "signed attributes incomplete")
        if content_type_attr.native != content_type:
            raise CertificateRefused(Refusal.BAD_SIGNATURE, "content type attribute differs")
        # The signature covers the DER SET OF, not the [0] IMPLICIT form in the message.
        _verify_signature(
            signature,
            signed_attrs.untag().dump(),
            signer_cert,
            signature_algorithm,
            digest_name,
        )
        if not hmac.compare_digest(hashlib.new(digest_name, content).digest(), digest_attr.native):
            # A sound signature over some other content: for detached content
            # that means another nonce; attached content must have been altered.
            code = Refusal.NOT_OUR_NONCE if attached is None else Refusal.BAD_SIGNATURE
            raise CertificateRefused(code, "message digest differs")

    if attached is not None and not hmac.compare_digest(attached, nonce):
        raise CertificateRefused(Refusal.NOT_OUR_NONCE)
    return signer_cert, embedded


def _embedded_certificates(signed_data: cms.SignedData) -> list[asn1_x509.Certificate]:
    field = signed_data["certificates"]
    if isinstance(field, core.Void):
        return []
    return [choice.chosen for choice in field if choice.name == "certificate"]


def _find_signer(
    certificates: Iterable[asn1_x509.Certificate], sid: cms.SignerIdentifier
) -> asn1_x509.Certificate:
    for cert in certificates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                cert.serial_number == wanted["serial_number"].native
                and cert.issuer == wanted["issuer"]
            ):
                return cert
        elif sid.name == "subject_key_identifier":
            if cert.key_identifier == sid.chosen.native:
                return cert
    raise CertificateRefused(Refusal.MALFORMED, "signer certificate not included")


def _single_attribute(attrs: cms.CMSAttributes, name: str) -> core.Asn1Value | None:
    found = [attr for attr in attrs if attr["type"].native == name]
    if not found:
        return None
    # RFC 5652 §11: one instance, one value — several would make "the" digest ambiguous.
    if len(found) > 1 or len(found[0]["values"]) != 1:
        raise CertificateRefused(Refusal.MALFORMED, f"{name} attribute repeated")
    return found[0]["values"][0]


def _verify_signature(
    signature: bytes,
    data: bytes,
    cert: asn1_x509.Certificate,
    algorithm: algos.SignedDigestAlgorithm,
    digest_name: str,
) -> None:
    public_key = cert.public_key
    try:
        mechanism = algorithm.signature_algo
    except ValueError as exc:
        raise CertificateRefused(Refusal.BAD_SIGNATURE, "unknown signature algorithm") from exc
    if mechanism not in _MECHANISMS_FOR_KEY.get(public_key.algorithm, frozenset()):
        raise CertificateRefused(
            Refusal.BAD_SIGNATURE, f"{mechanism} with a {public_key.algorithm} key"
        )
    try:
        hash_name = algorithm.hash_algo
    except ValueError:
        # Plain rsaEncryption (what HiPKI writes) names no hash; the digest algorithm does.
        hash_name = digest_name
    if hash_name not in ALLOWED_DIGESTS:
        raise CertificateRefused(Refusal.BAD_SIGNATURE, f"signature hash {hash_name}")
    try:
        _SIGNATURE_VALIDATOR.validate_signature(
            signature,
            data,
            public_key,
            algorithm,
            SignatureValidationContext(contextual_md_algorithm=digest_name),
        )
    except InvalidSignature as exc:
        raise CertificateRefused(Refusal.BAD_SIGNATURE) from exc


def _check_key_usage(cert: asn1_x509.Certificate) -> None:
    # A missing keyUsage extension counts as "not allowed": MOICA always sets
    # it, and its encryption certificate must not pass for the signing one.
    try:
        validate_usage(cert, {"digital_signature"}, set(), True)
    except ValidationError as exc:
        raise CertificateRefused(Refusal.KEY_USAGE) from exc


# --- what we keep ------------------------------------------------------------------


def _identity_of(cert: asn1_x509.Certificate) -> SignerIdentity:
    validity = cert["tbs_certificate"]["validity"]
    return SignerIdentity(
        name=_common_name(cert.subject),
        id_last4=_id_last4(cert),
        issuer=_rfc4514(cert.issuer),
        serial_hex=format(cert.serial_number, "X"),
        sha256_fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
    )


def _common_name(name: asn1_x509.Name) -> str:
    for rdn in name.chosen:
        for attribute in rdn:
            if attribute["type"].native == "common_name":
                return str(attribute["value"].native)
    return ""


def _id_last4(cert: asn1_x509.Certificate) -> str | None:
    for extension in cert["tbs_certificate"]["extensions"]:
        if extension["extn_id"].dotted != "2.5.29.9":
            continue
        # asn1crypto's own spec for this extension cannot hold attribute types
        # it does not know, so read it as plain X.509 attributes.
        attributes = asn1_x509.Attributes.load(extension["extn_value"].contents)
        for attribute in attributes:
            if attribute["type"].dotted != LAST4_ATTRIBUTE_OID:
                continue
            for value in attribute["values"]:
                text = _attribute_text(value.parsed)
                if text is not None and re.fullmatch(r"[0-9]{4}", text.strip()):
                    return text.strip()
    return None


def _attribute_text(value: core.Asn1Value) -> str | None:
    # Public MOICA readers take the value as a string without naming its type;
    # accept every ASN.1 string type rather than guess which one.
    if isinstance(value, core.AbstractString):
        return str(value.native)
    if isinstance(value, core.OctetString):
        try:
            return value.native.decode("ascii")
        except UnicodeDecodeError:
            return None
    return None


def _rfc4514(name: asn1_x509.Name) -> str:
    """RFC 4514 text of an asn1crypto name, formatted by ``cryptography``.

    cryptography's certificate parser is stricter than asn1crypto's; building
    only the ``Name`` keeps its formatting without betting on its parser
    accepting every certificate MOICA ever issued.
    """
    rdns = []
    for rdn in name.chosen:
        attributes = []
        for attribute in rdn:
            value = attribute["value"].native
            if not isinstance(value, str):
                value = attribute["value"].dump().hex()
            attributes.append(
                crypto_x509.NameAttribute(
                    crypto_x509.ObjectIdentifier(attribute["type"].dotted),
                    value,
                )
            )
        rdns.append(crypto_x509.RelativeDistinguishedName(attributes))
    return crypto_x509.Name(rdns).rfc4514_string()


# --- chain, validity, revocation -----------------------------------------------------


def _split_anchors(
    trust_anchors: Sequence[bytes],
) -> tuple[list[asn1_x509.Certificate], list[asn1_x509.Certificate]]:
    """Self-signed roots to validate against, and the issuing CAs pinned under them."""
    anchors = [_load_certificate(item) for item in trust_anchors]
    roots = [cert for cert in anchors if cert.self_issued]
    pinned_cas = [cert for cert in anchors if not cert.self_issued]
    # Without roots pyhanko-certvalidator would fall back to the system TLS
    # store. An issuing CA as the anchor is no way out either: its own CRLs
    # then cannot be validated, and revocation must be checked.
    if not roots:
        raise ValueError("trust anchors must include the self-signed root (GRCA)")
    return roots, pinned_cas


async def _validate_chain(
    cert: asn1_x509.Certificate,
    *,
    other_certs: Sequence[asn1_x509.Certificate],
    roots: Sequence[asn1_x509.Certificate],
    pinned_cas: Sequence[asn1_x509.Certificate],
    crl_cache_dir: Path | None,
    allow_fetching: bool,
    moment: datetime | None,
    fetch_timeout: float,
    total_timeout: float,
) -> None:
    cached = _load_cached_crls(crl_cache_dir) if crl_cache_dir else []
    backend = AIOHttpFetcherBackend(per_request_timeout=fetch_timeout) if allow_fetching else None
    context: ValidationContext | None = None
    path: ValidationPath | None = None
    try:
        try:
            context = ValidationContext(
                trust_roots=list(roots),
                # A registry without a fetcher: issuers come from the message and
                # our files, never from caIssuers URLs chosen by the certificate.
                certificate_registry=CertificateRegistry.build(other_certs),
                allow_fetching=allow_fetching,
                fetcher_backend=backend,
                # A list, even empty, so an offline check without cache refuses
                # below instead of raising in the constructor.
                crls=cached,
                ocsps=[],
                revocation_mode="require",
                moment=moment,
            )
            validator = CertificateValidator(cert, validation_context=context)
            async with asyncio.timeout(total_timeout):
                path = await validator.async_validate_path()
        except RevokedError as exc:
            path = exc.original_path
            raise CertificateRefused(Refusal.REVOKED) from exc
        except ExpiredError as exc:
            raise CertificateRefused(Refusal.EXPIRED) from exc
        except NotYetValidError as exc:
            raise CertificateRefused(Refusal.NOT_YET_VALID) from exc
        except InsufficientRevinfoError as exc:
            raise CertificateRefused(Refusal.REVOCATION_UNAVAILABLE) from exc
        except TimeoutError as exc:
            # Only the OCSP and CRL requests take time; fail closed like any silence.
            raise CertificateRefused(Refusal.REVOCATION_UNAVAILABLE, "timed out") from exc
        except PathBuildingError as exc:
            raise CertificateRefused(Refusal.UNTRUSTED, "no path to a trust anchor") from exc
        except (PathError, ValidationError) as exc:
            raise CertificateRefused(Refusal.UNTRUSTED, type(exc).__name__) from exc
        except Exception as exc:
            logger.exception("certificate path validation failed unexpectedly")
            raise CertificateRefused(Refusal.UNTRUSTED, type(exc).__name__) from exc
        finally:
            if crl_cache_dir is not None and context is not None and path is not None:
                _store_fetched_crls(crl_cache_dir, context.crls, cached, path)
    finally:
        if backend is not None:
            await backend.close()
    if path is None or (pinned_cas and not _passes_through(path, pinned_cas)):
        raise CertificateRefused(Refusal.UNTRUSTED, "not issued under a pinned CA")


def _passes_through(path: ValidationPath, pinned_cas: Sequence[asn1_x509.Certificate]) -> bool:
    pinned = {cert.sha256 for cert in pinned_cas}
    return any(cert.sha256 in pinned for cert in path.iter_certs(include_root=False))


def _load_certificate(item: bytes) -> asn1_x509.Certificate:
    data = bytes(item)
    if pem.detect(data):
        _kind, _headers, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def _load_cached_crls(cache_dir: Path) -> list[crl.CertificateList]:
    if not cache_dir.is_dir():
        return []
    loaded = []
    for path in sorted(cache_dir.glob("*.crl")):
        try:
            certificate_list = crl.CertificateList.load(path.read_bytes(), strict=True)
            certificate_list["tbs_cert_list"].native  # noqa: B018  (parse it now)
        except (OSError, ValueError) as exc:
            # A damaged cache entry is skipped, never trusted; a fetch replaces it.
            logger.warning("ignoring unreadable cached CRL %s: %s", path.name, exc)
            continue
        loaded.append(certificate_list)
    return loaded


def _store_fetched_crls(
    cache_dir: Path,
    current: Iterable[crl.CertificateList],
    cached: Sequence[crl.CertificateList],
    path: ValidationPath,
) -> None:
    """Keep freshly fetched CRLs that a CA on the validated path signed.

    Checking the signature against the path (not against certificates from
    the message) keeps an attacker's CRL, fetched from a URL in their own
    certificate, from displacing a good cache entry.
    """
    known = {item.dump() for item in cached}
    authorities = list(path.iter_authorities())
    for certificate_list in current:
        if certificate_list.dump() in known:
            continue
        try:
            if not _signed_by_any(certificate_list, authorities):
                continue
            _write_crl(cache_dir, certificate_list)
        except (OSError, ValueError) as exc:
            # The cache is a fallback for the next outage, not a reason to refuse now.
            logger.warning("could not cache CRL: %s", exc)


def _signed_by_any(certificate_list: crl.CertificateList, authorities: Sequence[Authority]) -> bool:
    tbs = certificate_list["tbs_cert_list"]
    for authority in authorities:
        if authority.name != tbs["issuer"]:
            continue
        try:
            _SIGNATURE_VALIDATOR.validate_signature(
                certificate_list["signature"].native,
                tbs.dump(),
                authority.public_key,
                certificate_list["signature_algorithm"],
            )
        except (InvalidSignature, ValueError, TypeError, AssertionError):
            continue
        return True
    return False


def _write_crl(cache_dir: Path, certificate_list: crl.CertificateList) -> None:
    tbs = certificate_list["tbs_cert_list"]
    # One file per issuer and partition: a newer CRL replaces the older one.
    key = hashlib.sha256(tbs["issuer"].dump())
    idp = certificate_list.issuing_distribution_point_value
    if idp is not None:
        key.update(idp.dump())
    target = cache_dir / f"{key.hexdigest()[:40]}.crl"
    if target.exists():
        try:
            existing = crl.CertificateList.load(target.read_bytes(), strict=True)
            if existing["tbs_cert_list"]["this_update"].native >= tbs["this_update"].native:
                return
        except ValueError:
            pass  # a damaged entry is simply replaced
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a CRL.
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(certificate_list.dump())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
