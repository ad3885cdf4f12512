"""The authentication API for platforms: /api/v1/… (integration.md).

JSON in and out; a platform authenticates with its API key (Authorization:
Bearer or X-API-Key) from an allowed address. Every refusal is a JSON error
with a fixed shape; nothing a platform sends can produce a server error.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from libcard.accounts.services import Outcome, reader_authenticate
from libcard.core.audit import Actor, audit
from libcard.core.http import client_ip
from libcard.platforms.models import Platform
from libcard.platforms.services import (
    card_view,
    platform_by_api_key,
    pseudonym_for,
    reader_attributes,
    reader_by_pseudonym,
)

OPENAPI = Path(__file__).with_name("openapi.json")
MAX_BODY = 4096


def error(status: int, code: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": code, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def not_allowed(allow: str) -> JsonResponse:
    response = error(405, "method_not_allowed")
    response["Allow"] = allow
    return response


def platform_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = client_ip(request)
        header = request.headers.get("Authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else ""
        key = key or request.headers.get("X-API-Key", "").strip()
        platform = platform_by_api_key(key) if key else None
        if platform is None:
            audit(Actor("anonymous", "", "", channel="api", ip=address), "api.unauthorized")
            return error(401, "unauthorized")
        if not platform.allows_address(address):
            audit(
                Actor("platform", str(platform.pk), platform.name, channel="api", ip=address),
                "api.address_refused",
                platform,
            )
            return error(403, "address_not_allowed")
        request.platform = platform  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _card_payload(platform: Platform, reader: Any) -> tuple[bool, dict[str, Any]]:
    valid, card, may = card_view(platform, reader)
    payload: dict[str, Any] = {
        "reader": pseudonym_for(platform, reader),
        "card": card,
        "may": may,
    }
    payload.update(reader_attributes(platform, reader))
    return valid, payload


def _parse_verify(request: HttpRequest) -> dict[str, str] | JsonResponse:
    if request.content_type != "application/json":
        return error(415, "expected_json")
    if len(request.body) > MAX_BODY:
        return error(413, "too_large")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return error(400, "invalid_json")
    if not isinstance(data, dict):
        return error(400, "invalid_request")
    allowed = {"account", "password", "client_address"}
    if set(data) - allowed:
        return error(400, "invalid_request", unknown=sorted(set(data) - allowed)[:5])
    account, password = data.get("account"), data.get("password")
    client_address = data.get("client_address")
    if not isinstance(account, str) or not isinstance(password, str):
        return error(400, "invalid_request")
    if not 1 <= len(account) <= 64 or not 1 <= len(password) <= 256:
        return error(400, "invalid_request")
    if "client_address" in data:
        if not isinstance(client_address, str):
            return error(400, "invalid_request")
        try:
            client_address = str(ipaddress.ip_address(client_address))
        except (ValueError, TypeError):
            return error(400, "invalid_request")
    return {"account": account, "password": password, "client_address": client_address or ""}


@platform_required
def verify(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return not_allowed("POST")
    parsed = _parse_verify(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    platform: Platform = request.platform  # type: ignore[attr-defined]
    # Throttle per reader's own address when the platform tells it, else per platform.
    address = parsed["client_address"] or f"platform:{platform.pk}"
    result = reader_authenticate(
        account=parsed["account"],
        password=parsed["password"],
        channel="api",
        address=address,
        actor_label=platform.name,
    )
    if result.outcome is Outcome.THROTTLED:
        response = error(429, "too_many_attempts", valid=False, retry_after=result.retry_after)
        response["Retry-After"] = str(result.retry_after)
        return response
    if result.outcome is Outcome.INVALID or result.reader is None:
        return _json({"valid": False})
    card_valid, payload = _card_payload(platform, result.reader)
    if result.outcome is Outcome.OK and card_valid:
        return _json({"valid": True, **payload})
    reason = {
        Outcome.MUST_CHANGE: "password_change_required",
        Outcome.INITIAL_EXPIRED: "initial_password_expired",
    }.get(result.outcome, "card_not_valid")
    return _json({"valid": False, "reason": reason, **payload})


@platform_required
def reader_status(request: HttpRequest, pseudonym: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return not_allowed("GET, HEAD")
    platform: Platform = request.platform  # type: ignore[attr-defined]
    reader = reader_by_pseudonym(platform, pseudonym[:64])
    if reader is None:
        return error(404, "not_found")
    valid, payload = _card_payload(platform, reader)
    return _json({"valid": valid, **payload})


def openapi(request: HttpRequest) -> HttpResponse:
    return HttpResponse(OPENAPI.read_bytes(), content_type="application/json")


def _json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response
