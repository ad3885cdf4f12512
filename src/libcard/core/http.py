"""Request helpers shared by every interface."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the one our trusted proxies saw.

    Only the last LIBCARD_TRUSTED_PROXIES hops of X-Forwarded-For are believed;
    anything further left was written by the client and can be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a value, not a bind
    hops = settings.LIBCARD_TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return remote
