"""A local, MOICA-shaped PKI for tests: root → issuing CA → card holders.

Nothing here is trusted anywhere: every name carries "TEST" and the keys live
in memory for one test process. Shape of the real thing (GRCA → MOICA →
自然人憑證), which the verifier depends on:

- holder subject ``C=TW, CN=<name in Chinese>, serialNumber=<16 digits>``;
- key usage digitalSignature + nonRepudiation for the signing certificate,
  keyEncipherment + dataEncipherment for the encryption one;
- subjectDirectoryAttributes (2.5.29.9) with attribute 2.16.886.1.100.2.51
  holding the last four digits of the ID number. Public MOICA readers take the
  value as a plain string without naming its ASN.1 type; we write a
  PrintableString, and the verifier accepts any string type;
- CRL distribution points on every certificate below the root, optionally an
  OCSP responder (MOICA names one), all served by :class:`PKIServer` on
  127.0.0.1;
- the signature a card makes through HiPKI's ``/sign`` call with
  ``signatureType="PKCS7"``: SignedData, SHA-256, the nonce attached as
  ``data``, signed attributes contentType / signingTime / messageDigest, the
  holder certificate alone embedded, signer by issuer and serial.

Usage::

    with running_pki() as pki:                      # starts the HTTP server
        holder = pki.valid_holder(name="王小明", national_id="A123456789")
        pkcs7_b64 = pki.sign_nonce(holder, nonce)
        verify_nonce_signature(pkcs7_b64, nonce=nonce, trust_anchors=pki.trust_anchors)
        pki.revoke(holder)                          # the next CRL/OCSP answer lists it
        with pki.server.stopped(): ...              # connection refused meanwhile
        with pki.server.outage("ocsp"): ...         # HTTP 503 from the responder

Keys are generated once per process and role (EC P-256 by default, RSA 2048
like MOICA with ``key_kind="rsa"``); certificates are cheap and made per call.
Two ``LocalPKI`` of the same key kind therefore share CA names and keys and
accept each other's holders; the foreign and impostor CAs are the untrusted ones.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

KeyKind = Literal["ec", "rsa"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Service = Literal["crl", "ocsp", "ca"]

LAST4_OID = "2.16.886.1.100.2.51"
SUBJECT_DIRECTORY_ATTRIBUTES = x509.ObjectIdentifier("2.5.29.9")

DEFAULT_NAME = "王小明"
DEFAULT_NATIONAL_ID = "A123456789"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@functools.cache
def _private_key(kind: KeyKind, role: str) -> PrivateKey:
    # One key per role and process: RSA generation is the slow part of a test run.
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(eq=False)
class CA:
    """A certification authority of the test PKI, with its own revocation state."""

    slug: str  # URL path component: /crl/<slug>.crl, /ocsp/<slug>, /ca/<slug>.cer
    name: x509.Name
    key: PrivateKey
    certificate: x509.Certificate
    parent: CA | None
    issued: dict[int, x509.Certificate] = field(default_factory=dict)
    revoked: dict[int, dt.datetime] = field(default_factory=dict)
    crl_number: int = 0

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True, eq=False)
class Holder:
    """A card holder: the signing certificate and the key the card would keep."""

    name: str
    national_id: str
    certificate: x509.Certificate
    key: PrivateKey
    issuer: CA

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "X")


class LocalPKI:
    """Root ("GRCA-like") → issuing CA ("MOICA-like") → holders, plus CAs we do not trust.

    URLs in the certificates point at ``base_url``; serve them with
    :class:`PKIServer` (or use :func:`running_pki`, which does both).
    """

    def __init__(self, *, base_url: str, key_kind: KeyKind = "ec") -> None:
        self.base_url = base_url.rstrip("/")
        self.key_kind: KeyKind = key_kind
        self.server: PKIServer | None = None
        self._lock = threading.Lock()  # the HTTP server reads revocation state from threads
        self.root = self._make_ca(
            "grca",
            _ca_name("Government Root Certification Authority - TEST", ou=None),
            parent=None,
        )
        self.intermediate = self._make_ca(
            "moica",
            _ca_name("行政院", ou="內政部憑證管理中心 TEST"),
            parent=self.root,
        )

    # --- what the verifier is configured with ---------------------------------------

    @property
    def trust_anchors(self) -> list[bytes]:
        """What the verifier is configured with: the root and the issuing CA under it."""
        return [self.root.der, self.intermediate.der]

    def write_trust_files(self, directory: Path) -> list[Path]:
        """PEM files as an operator would configure them: the root, then the issuing CA."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for ca in (self.root, self.intermediate):
            path = directory / f"{ca.slug}.pem"
            path.write_bytes(ca.pem)
            paths.append(path)
        return paths

    # --- CAs outside the trusted hierarchy --------------------------------------------

    @functools.cached_property
    def foreign_root(self) -> CA:
        return self._make_ca("foreign-root", _ca_name("Foreign Root CA - TEST", ou=None), None)

    @functools.cached_property
    def foreign_ca(self) -> CA:
        """An issuing CA under a root we do not pin."""
        return self._make_ca(
            "foreign-ca", _ca_name("Foreign Issuing CA - TEST", ou=None), self.foreign_root
        )

    @functools.cached_property
    def sibling_ca(self) -> CA:
        """Another CA under our root ("GCA-like"), whose certificates are not 自然人憑證."""
        return self._make_ca("gca", _ca_name("行政院", ou="政府憑證管理中心 TEST"), self.root)

    @functools.cached_property
    def impostor_ca(self) -> CA:
        """A CA with exactly our issuing CA's name but its own key, under the foreign root."""
        return self._make_ca("impostor", self.intermediate.name, self.foreign_root)

    # --- holders ------------------------------------------------------------------

    def issue_holder(
        self,
        *,
        name: str = DEFAULT_NAME,
        national_id: str = DEFAULT_NATIONAL_ID,
        issuer: CA | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        signing: bool = True,
        with_ocsp: bool = False,
        last4: str | None = "from-id",
    ) -> Holder:
        """Issue a holder certificate; the keyword arguments make the odd cases.

        ``signing=False`` gives the card's encryption certificate (no
        digitalSignature). ``with_ocsp=True`` names the issuer's OCSP responder.
        ``last4=None`` leaves the ID digits out; any other string is written as is.
        """
        issuer = issuer or self.intermediate
        now = _now()
        digits = national_id[-4:] if last4 == "from-id" else last4
        key = _private_key(self.key_kind, "holder")
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, f"{secrets.randbelow(10**16):016d}"),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=1))
            .not_valid_after(not_after or now + dt.timedelta(days=5 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=signing), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                critical=False,
            )
            .add_extension(self._distribution_points(issuer), critical=False)
            .add_extension(self._authority_access(issuer, with_ocsp=with_ocsp), critical=False)
        )
        if digits is not None:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(SUBJECT_DIRECTORY_ATTRIBUTES, _last4_value(digits)),
                critical=False,
            )
        certificate = builder.sign(issuer.key, hashes.SHA256())
        with self._lock:
            issuer.issued[certificate.serial_number] = certificate
        return Holder(name, national_id, certificate, key, issuer)

    def valid_holder(self, **options: Any) -> Holder:
        return self.issue_holder(**options)

    def revoked_holder(self, **options: Any) -> Holder:
        holder = self.issue_holder(**options)
        self.revoke(holder)
        return holder

    def expired_holder(self, **options: Any) -> Holder:
        now = _now()
        return self.issue_holder(
            not_before=now - dt.timedelta(days=5 * 365),
            not_after=now - dt.timedelta(days=1),
            **options,
        )

    def foreign_holder(self, *, impostor: bool = False, **options: Any) -> Holder:
        """A holder whose chain does not reach our root.

        ``impostor=True`` issues it from a CA that copies our issuing CA's name,
        so only the signatures tell the chains apart.
        """
        issuer = self.impostor_ca if impostor else self.foreign_ca
        return self.issue_holder(issuer=issuer, **options)

    def sibling_holder(self, **options: Any) -> Holder:
        """A holder from the other CA under our root: chains to the root, not to MOICA."""
        return self.issue_holder(issuer=self.sibling_ca, **options)

    def encryption_holder(self, **options: Any) -> Holder:
        """The card's other certificate: no digitalSignature key usage."""
        return self.issue_holder(signing=False, **options)

    def revoke(self, holder: Holder, *, at: dt.datetime | None = None) -> None:
        """List the holder in the issuer's next CRL and OCSP answers (revoked a minute ago)."""
        when = at or _now() - dt.timedelta(minutes=1)
        with self._lock:
            holder.issuer.revoked[holder.certificate.serial_number] = when

    # --- what the card and the HiPKI service produce ----------------------------------

    def sign_nonce(
        self,
        holder: Holder,
        nonce: bytes,
        *,
        detached: bool = False,
        include_chain: bool = False,
        co_signers: Sequence[Holder] = (),
        signed_attributes: bool = True,
    ) -> str:
        """Base64 PKCS#7 SignedData over ``nonce``, as HiPKI's ``/sign`` returns it.

        The keywords make what HiPKI does not: detached content, the issuing CA
        embedded too, more than one signer, no signed attributes.
        """
        builder = pkcs7.PKCS7SignatureBuilder().set_data(nonce)
        for signer in (holder, *co_signers):
            builder = builder.add_signer(signer.certificate, signer.key, hashes.SHA256())
        if include_chain:
            builder = builder.add_certificate(holder.issuer.certificate)
        # HiPKI's signed attributes are contentType, signingTime and messageDigest:
        # OpenSSL's set without its S/MIME capabilities.
        options = [
            pkcs7.PKCS7Options.Binary,
            pkcs7.PKCS7Options.NoCapabilities
            if signed_attributes
            else pkcs7.PKCS7Options.NoAttributes,
        ]
        if detached:
            options.append(pkcs7.PKCS7Options.DetachedSignature)
        return base64.b64encode(builder.sign(serialization.Encoding.DER, options)).decode("ascii")

    def hipki_sign_response(self, holder: Holder, tbs: str, *, ret_code: int = 0) -> dict[str, Any]:
        """The JSON body HiPKI's ``/sign`` answers with, for faking the local service.

        Field names as public HiPKI pages read them: ``ret_code`` 0 is success,
        ``signature`` the base64 PKCS#7 over the UTF-8 of ``tbs``
        (``tbsEncoding="NONE"``), ``certb64`` the signer's certificate.
        """
        if ret_code != 0:
            return {"func": "sign", "ret_code": ret_code, "last_error": 0}
        return {
            "func": "sign",
            "ret_code": 0,
            "last_error": 0,
            "signature": self.sign_nonce(holder, tbs.encode("utf-8")),
            "certb64": base64.b64encode(holder.der).decode("ascii"),
        }

    # --- revocation answers -------------------------------------------------------

    def crl_der(
        self,
        ca: CA,
        *,
        this_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
    ) -> bytes:
        """The CA's current CRL; pass times in the past to make a stale one."""
        now = _now()
        this_update = this_update or now - dt.timedelta(minutes=5)
        with self._lock:
            ca.crl_number += 1
            revoked = dict(ca.revoked)
            number = ca.crl_number
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca.name)
            .last_update(this_update)
            .next_update(next_update or this_update + dt.timedelta(days=1))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                critical=False,
            )
        )
        for serial, when in revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(when)
                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
                .build()
            )
        return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_response_der(self, ca: CA, request_der: bytes) -> bytes:
        """Answer an OCSP request as the issuing CA itself (no delegated responder)."""
        request = ocsp.load_der_ocsp_request(request_der)
        with self._lock:
            certificate = ca.issued.get(request.serial_number)
            revoked_at = ca.revoked.get(request.serial_number)
        if certificate is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        now = _now()
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=certificate,
                issuer=ca.certificate,
                algorithm=request.hash_algorithm,
                cert_status=(
                    ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD
                ),
                this_update=now - dt.timedelta(minutes=1),
                next_update=now + dt.timedelta(hours=1),
                revocation_time=revoked_at,
                revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate)
        )
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
            builder = builder.add_extension(nonce, critical=False)
        except x509.ExtensionNotFound:
            pass
        return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def write_crl_cache(self, directory: Path, **times: dt.datetime) -> None:
        """Put this PKI's CRLs (root's and issuing CA's) where the verifier caches them."""
        directory.mkdir(parents=True, exist_ok=True)
        for ca in (self.root, self.intermediate):
            (directory / f"{ca.slug}.crl").write_bytes(self.crl_der(ca, **times))

    def ca_by_slug(self, slug: str) -> CA | None:
        # Only CAs already made: looking one up must not create it.
        lazy = ("foreign_root", "foreign_ca", "sibling_ca", "impostor_ca")
        made = [self.__dict__.get(name) for name in lazy]
        cas = [self.root, self.intermediate, *(ca for ca in made if ca is not None)]
        return next((ca for ca in cas if ca.slug == slug), None)

    # --- internals ----------------------------------------------------------------

    def _make_ca(self, slug: str, name: x509.Name, parent: CA | None) -> CA:
        key = _private_key(self.key_kind, slug)
        issuer_key = parent.key if parent else key
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(parent.name if parent else name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=365))
            .not_valid_after(now + dt.timedelta(days=10 * 365))
            .add_extension(
                x509.BasicConstraints(ca=True, path_length=0 if parent else None), critical=True
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
        )
        if parent:
            builder = (
                builder.add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()),
                    critical=False,
                )
                .add_extension(self._distribution_points(parent), critical=False)
                .add_extension(self._authority_access(parent, with_ocsp=False), critical=False)
            )
        certificate = builder.sign(issuer_key, hashes.SHA256())
        ca = CA(slug, name, key, certificate, parent)
        if parent:
            parent.issued[certificate.serial_number] = certificate
        return ca

    def _distribution_points(self, issuer: CA) -> x509.CRLDistributionPoints:
        url = f"{self.base_url}/crl/{issuer.slug}.crl"
        return x509.CRLDistributionPoints(
            [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)]
        )

    def _authority_access(self, issuer: CA, *, with_ocsp: bool) -> x509.AuthorityInformationAccess:
        descriptions = [
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(f"{self.base_url}/ca/{issuer.slug}.cer"),
            )
        ]
        if with_ocsp:
            descriptions.append(
                x509.AccessDescription(
                    x509.AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(f"{self.base_url}/ocsp/{issuer.slug}"),
                )
            )
        return x509.AuthorityInformationAccess(descriptions)


def _ca_name(organization: str, *, ou: str | None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
    ]
    if ou:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    return x509.Name(attributes)


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=not signing,
        data_encipherment=not signing,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _last4_value(digits: str) -> bytes:
    """DER of SubjectDirectoryAttributes with the ID's last four digits."""
    attributes = asn1_x509.Attributes(
        [{"type": LAST4_OID, "values": [asn1_core.PrintableString(digits)]}]
    )
    return attributes.dump()


# --- message surgery for the negative tests ---------------------------------------------


def tamper_signature(pkcs7_b64: str) -> str:
    """The same message with one bit of the (first) signer's signature flipped."""
    der = base64.b64decode(pkcs7_b64)
    info = asn1_cms.ContentInfo.load(der)
    signature = info["content"]["signer_infos"][0]["signature"].native
    flipped = signature[:-1] + bytes([signature[-1] ^ 0x01])
    # Byte surgery rather than re-encoding keeps every other byte as signed.
    assert der.count(signature) == 1
    return base64.b64encode(der.replace(signature, flipped)).decode("ascii")


# --- the HTTP side: CRLs, OCSP, CA certificates ---------------------------------------------


class PKIServer:
    """Serves a :class:`LocalPKI`'s CRLs, OCSP answers and CA certificates on 127.0.0.1.

    Binds a free port at construction (so certificates can name it before the
    server starts). ``stopped()`` closes the port for a while (connection
    refused, like a server that is down); ``outage(...)`` answers 503 for some
    services only. ``requests`` records the paths asked for.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.pki: LocalPKI | None = None
        self.requests: list[str] = []
        self._failing: set[str] = set()
        self._httpd: ThreadingHTTPServer | None = ThreadingHTTPServer(
            (host, 0), self._handler_class()
        )
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        if self._httpd is None:
            self._httpd = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"pki-server-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None:
            return
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd = None

    def __enter__(self) -> PKIServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """Nothing listens on the port inside the block; the same port serves again after."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    @contextmanager
    def outage(self, *services: str) -> Iterator[None]:
        """HTTP 503 inside the block for the named services.

        A service is "crl", "ocsp" or "ca" for every CA, or "crl:moica" and the
        like for one CA only (the root's CRL still answering, say).
        """
        self._failing.update(services)
        try:
            yield
        finally:
            self._failing.difference_update(services)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                parts = self.path.strip("/").split("/")
                if len(parts) == 2 and parts[0] == "crl" and parts[1].endswith(".crl"):
                    self._answer("crl", parts[1].removesuffix(".crl"), "application/pkix-crl")
                elif len(parts) == 2 and parts[0] == "ca" and parts[1].endswith(".cer"):
                    self._answer("ca", parts[1].removesuffix(".cer"), "application/pkix-cert")
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                server.requests.append(self.path)
                parts = self.path.strip("/").split("/")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(parts) == 2 and parts[0] == "ocsp":
                    self._answer("ocsp", parts[1], "application/ocsp-response", body)
                else:
                    self.send_error(404)

            def _answer(
                self, service: Service, slug: str, content_type: str, body: bytes = b""
            ) -> None:
                pki = server.pki
                ca = pki.ca_by_slug(slug) if pki else None
                if {service, f"{service}:{slug}"} & server._failing:
                    self.send_error(503)
                    return
                if pki is None or ca is None:
                    self.send_error(404)
                    return
                if service == "crl":
                    payload = pki.crl_der(ca)
                elif service == "ca":
                    payload = ca.der
                else:
                    payload = pki.ocsp_response_der(ca, body)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean; ``server.requests`` has the paths

        return Handler


@contextmanager
def running_pki(*, key_kind: KeyKind = "ec") -> Iterator[LocalPKI]:
    """A :class:`LocalPKI` with its :class:`PKIServer` serving, for a fixture or a ``with``."""
    server = PKIServer()
    pki = LocalPKI(base_url=server.base_url, key_kind=key_kind)
    pki.server = server
    server.pki = pki
    with server:
        yield pki
