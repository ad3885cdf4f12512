"""Platform clients: registration, credentials, pseudonyms, and the answer about a reader."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from libcard.accounts.passwords import hash_password, verify_password
from libcard.core.audit import Actor, audit
from libcard.core.crypto import keyring
from libcard.platforms.models import Platform, PlatformReader
from libcard.readers.models import Card, Reader
from libcard.readers.services import card_active

KEY_PREFIX = "lck_"


class PlatformError(Exception):
    pass


def _key_hash(key: str) -> str:
    return keyring().keyed_hash("platform-api-key", key)


def validate_networks(text: str) -> list[str]:
    """The networks as written, or PlatformError naming the first that is not one."""
    networks = []
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise PlatformError(part) from None
    return networks


@dataclass
class Registration:
    platform: Platform
    api_key: str | None  # shown once


@transaction.atomic
def platform_register(
    *,
    actor: Actor,
    name: str,
    api: bool = False,
    sip2_user: str = "",
    sip2_password: str = "",
    allow: list[str] | None = None,
    may: dict[str, bool] | None = None,
    sip2_encoding: str = "utf-8",
) -> Registration:
    networks = validate_networks(",".join(allow or []))
    if Platform.objects.filter(name=name).exists():
        raise PlatformError(name)
    platform = Platform(
        name=name,
        allowed_networks="\n".join(networks),
        sip2_encoding=sip2_encoding,
        created_by=actor.label,
        **{f"may_{k}": v for k, v in (may or {}).items()},
    )
    key = None
    if api:
        key = _new_key(platform)
    if sip2_user:
        if len(sip2_password) < 12:
            raise PlatformError("sip2 password")
        platform.sip2_user = sip2_user
        platform.sip2_password_hash = hash_password(sip2_password)
    try:
        platform.save()
    except IntegrityError:
        raise PlatformError(sip2_user or name) from None
    audit(actor, "platform.register", platform, api=api, sip2=bool(sip2_user), networks=networks)
    return Registration(platform, key)


def _new_key(platform: Platform) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    platform.api_enabled = True
    platform.api_key_prefix = key[: len(KEY_PREFIX) + 8]
    platform.api_key_hash = _key_hash(key)
    return key


@transaction.atomic
def platform_new_api_key(*, actor: Actor, platform: Platform) -> str:
    key = _new_key(platform)
    platform.save(update_fields=["api_enabled", "api_key_prefix", "api_key_hash"])
    audit(actor, "platform.new_api_key", platform)
    return key


@transaction.atomic
def platform_set_sip2(*, actor: Actor, platform: Platform, user: str, password: str) -> None:
    if len(password) < 12:
        raise PlatformError("sip2 password")
    platform.sip2_user = user
    platform.sip2_password_hash = hash_password(password)
    try:
        with transaction.atomic():
            platform.save(update_fields=["sip2_user", "sip2_password_hash"])
    except IntegrityError:
        raise PlatformError(user) from None
    audit(actor, "platform.set_sip2", platform, user=user)


def platform_by_api_key(key: str) -> Platform | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    expected = _key_hash(key)
    for platform in Platform.objects.filter(
        api_key_prefix=key[: len(KEY_PREFIX) + 8], api_enabled=True, active=True
    ):
        if hmac.compare_digest(platform.api_key_hash, expected):
            return platform
    return None


def platform_by_sip2_login(user: str, password: str) -> Platform | None:
    platform = Platform.objects.filter(sip2_user=user, active=True).first() if user else None
    if platform is None or not platform.sip2_password_hash:
        from libcard.accounts.passwords import burn_time

        burn_time(password)
        return None
    return platform if verify_password(platform.sip2_password_hash, password) else None


def pseudonym_for(platform: Platform, reader: Reader) -> str:
    """Stable per platform and reader; two platforms cannot join their data on it.

    Recorded once, so that GET /readers/<pseudonym> can find the reader; after that a
    single indexed look-up, and no transaction.
    """
    value = keyring().keyed_hash("pseudonym", f"{platform.pk}:{reader.pk}")[:32]
    if not PlatformReader.objects.filter(pseudonym=value).exists():
        try:
            with transaction.atomic():
                PlatformReader.objects.create(platform=platform, reader=reader, pseudonym=value)
        except IntegrityError:
            pass  # recorded meanwhile by another process
    return value


def reader_by_pseudonym(platform: Platform, pseudonym: str) -> Reader | None:
    link = (
        PlatformReader.objects.filter(platform=platform, pseudonym=pseudonym)
        .select_related("reader")
        .first()
    )
    return link.reader if link else None


def card_view(platform: Platform, reader: Reader) -> tuple[bool, dict[str, Any], list[str]]:
    """(card valid today, the card as this platform may see it, what it allows)."""
    card = card_active(reader) or reader.cards.order_by("-issued_at").first()
    today = timezone.localdate()
    if card is None:
        return False, {"type": None, "status": "none", "expires": None}, []
    status = card.status
    if status == Card.Status.ACTIVE and card.expires_on is not None and card.expires_on < today:
        status = Card.Status.EXPIRED
    valid = status == Card.Status.ACTIVE
    view: dict[str, Any] = {"status": status}
    view["type"] = card.type if platform.may_card_type else None
    view["expires"] = (
        card.expires_on.isoformat() if (platform.may_expiry and card.expires_on) else None
    )
    return valid, view, card.allows if valid else []


def reader_attributes(platform: Platform, reader: Reader) -> dict[str, str]:
    attributes = {}
    if platform.may_name:
        attributes["name"] = reader.name
    if platform.may_email and reader.email_verified:
        attributes["email"] = reader.email
    return attributes
