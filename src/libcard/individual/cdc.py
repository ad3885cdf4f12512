"""The Citizen Digital Certificate (自然人憑證) on our side: nonces and verification settings.

The page gets a random nonce (256 bits) that we keep only as a hash, bound to a
random value in the visitor's session, for five minutes and one use. The page
script (static/libcard/moica.js) has the reader's HiPKI service sign it and posts
the base64 PKCS#7 back; libcard.identity.certificate decides whether to believe
it, with the trust anchors from files named in the settings (never fetched) and
the CRL cache folder from the settings, failing closed on revocation.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libcard.identity.certificate import (
    Refusal,
    SignerIdentity,
    load_trust_anchors,
    verify_nonce_signature,
)
from libcard.individual.models import CertificateNonce

NONCE_BYTES = 32  # ≥128 bits (identity.md); 256 costs nothing
NONCE_LIFETIME = dt.timedelta(minutes=5)
SESSION_BINDING_KEY = "individual_cdc_binding"
HIPKI_ORIGIN = "http://localhost:61161"

# What the applicant reads for each refusal: what happened and what to do.
REFUSAL_MESSAGES = {
    Refusal.MALFORMED: _("The signature could not be read. Please sign again."),
    Refusal.SIGNERS: _("The signature is not valid. Please sign again."),
    Refusal.BAD_SIGNATURE: _("The signature is not valid. Please sign again."),
    Refusal.NOT_OUR_NONCE: _(
        "The signature was not made for this page (it may be an old one). Please sign again."
    ),
    Refusal.KEY_USAGE: _("This certificate cannot be used for signing."),
    Refusal.UNTRUSTED: _(
        "This is not a Citizen Digital Certificate we can accept. Please use your own "
        "Citizen Digital Certificate, or apply with images of your ID card."
    ),
    Refusal.EXPIRED: _(
        "Your Citizen Digital Certificate has expired. Renew it at a household registration "
        "office, or apply with images of your ID card."
    ),
    Refusal.NOT_YET_VALID: _("Your Citizen Digital Certificate is not valid yet."),
    Refusal.REVOKED: _(
        "Your Citizen Digital Certificate has been revoked or suspended. Apply with images of "
        "your ID card instead."
    ),
    Refusal.REVOCATION_UNAVAILABLE: _(
        "We cannot check right now whether your certificate is still valid. Please try again "
        "later, or apply with images of your ID card."
    ),
    Refusal.NAME_MISMATCH: _(
        "The name in the certificate is not the name you entered. Write your name exactly as "
        "on your ID card."
    ),
    Refusal.ID_MISMATCH: _(
        "The certificate does not belong to the ID number you entered. Please check the number."
    ),
}
NONCE_REFUSED = _("This signing request has expired or was already used. Please sign again.")


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _session_binding(request: HttpRequest) -> str:
    """A random value kept in the session (the session key itself changes on login)."""
    binding = request.session.get(SESSION_BINDING_KEY)
    if not isinstance(binding, str) or len(binding) < 32:
        binding = secrets.token_urlsafe(32)
        request.session[SESSION_BINDING_KEY] = binding
    return _hash(binding)


def nonce_issue(request: HttpRequest, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    value = secrets.token_urlsafe(NONCE_BYTES)
    CertificateNonce.objects.create(
        value_hash=_hash(value),
        session_binding=_session_binding(request),
        created_at=now,
        expires_at=now + NONCE_LIFETIME,
    )
    return value


def nonce_consume(request: HttpRequest, value: str, *, now: dt.datetime | None = None) -> bool:
    """True once for a nonce this session got less than five minutes ago; False ever after."""
    now = now or timezone.now()
    if not value or len(value) > 100:
        return False
    claimed = CertificateNonce.objects.filter(
        value_hash=_hash(value),
        session_binding=_session_binding(request),
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    return claimed == 1


def nonces_purge(*, now: dt.datetime | None = None) -> int:
    """The periodic job: nonces are worth nothing once expired."""
    now = now or timezone.now()
    deleted, _count = CertificateNonce.objects.filter(expires_at__lt=now).delete()
    return deleted


def anchor_paths() -> tuple[str, ...]:
    paths = getattr(settings, "MOICA_TRUST_ANCHORS", ()) or ()
    if isinstance(paths, str):
        paths = [item for item in paths.split(",") if item.strip()]
    return tuple(str(path).strip() for path in paths)


def certificate_available() -> bool:
    """The path is offered only when the operator configured the trust anchors."""
    return bool(anchor_paths())


@functools.cache
def _anchors(paths: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(load_trust_anchors([Path(path) for path in paths]))


def trust_anchors_check() -> str | None:
    """None when every configured file holds certificates and a self-signed root is among them."""
    try:
        anchors = _anchors(anchor_paths())
    except (OSError, ValueError) as exc:
        return str(exc)
    from asn1crypto import x509

    if not any(x509.Certificate.load(der).self_issued for der in anchors):
        return "no self-signed root (GRCA) among the certificates"
    return None


def signer_verify(pkcs7_b64: str, nonce: str) -> SignerIdentity:
    """verify_nonce_signature with our settings; raises CertificateRefused."""
    cache_dir = getattr(settings, "MOICA_CRL_CACHE_DIR", "") or ""
    return verify_nonce_signature(
        pkcs7_b64,
        nonce=nonce.encode("utf-8"),
        trust_anchors=list(_anchors(anchor_paths())),
        crl_cache_dir=Path(cache_dir) if cache_dir else None,
        allow_fetching=bool(getattr(settings, "MOICA_ALLOW_FETCHING", True)),
    )


def page_csp() -> str:
    """The default policy, opened to the local HiPKI service for this page only."""
    from libcard.core.middleware import DEFAULT_CSP

    return (
        DEFAULT_CSP.replace("connect-src 'self'", f"connect-src 'self' {HIPKI_ORIGIN}")
        + f"; frame-src {HIPKI_ORIGIN}"
    )
