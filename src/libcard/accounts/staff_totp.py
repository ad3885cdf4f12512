"""The staff second factor: TOTP (RFC 6238: 30-second steps, 6 digits, SHA-1 as every app does).

A code is accepted in the step it was made for or one step either side (clocks
drift), and only once: the device remembers the last step it accepted, and a
conditional UPDATE makes two requests with the same code race to a single winner.
The secret is kept encrypted (StaffDevice.secret) and never logged; the audit log
records enrolments, failures and resets, never a code.

Throttle keys for staff logins are keyed hashes of the username, like the SIP2
login's, so the throttle table holds neither raw usernames (which are sometimes a
mistyped password) nor anything a reader could collide with.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from typing import Any

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from libcard.accounts import throttle
from libcard.accounts.models import StaffDevice
from libcard.core.audit import Actor, audit
from libcard.core.crypto import keyring

STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # one step before and after the current one
LOGIN_KEY_PREFIX = "staff-"
CODE_KEY_PREFIX = "totp-"
_CODE = re.compile(r"[0-9]{6}")
_CODE_DROP = str.maketrans("", "", " \t-\u3000")


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


# -- throttle keys ----------------------------------------------------------------------------
def _username_hash(purpose: str, username: str) -> str:
    return keyring().keyed_hash(purpose, username.strip().lower())[:40]


def password_account_key(username: str) -> str:
    return LOGIN_KEY_PREFIX + _username_hash("staff-login", username)


def code_account_key(username: str) -> str:
    return CODE_KEY_PREFIX + _username_hash("staff-totp", username)


def password_counters(username: str, address: str) -> list[throttle.Counter]:
    return throttle.counters(account_index=password_account_key(username), address=address)


def code_counters(username: str, address: str) -> list[throttle.Counter]:
    """Separate from the password's: a right password must not reset the code's count."""
    return throttle.counters(account_index=code_account_key(username), address=address)


# -- devices ----------------------------------------------------------------------------------
def confirmed_device(user: Any) -> StaffDevice | None:
    return StaffDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


class AlreadyEnrolled(Exception):
    """The user has a confirmed device; only an admin's reset makes room for a new one."""


@transaction.atomic
def device_for_enrolment(user: Any) -> StaffDevice:
    """The user's unconfirmed device, made with a fresh secret when there is none.

    Reloading the page keeps the secret, so an app that has already scanned it still works.
    """
    device = StaffDevice.objects.select_for_update().filter(user=user).first()
    if device is not None:
        if device.confirmed_at is not None:
            raise AlreadyEnrolled
        return device
    return StaffDevice.objects.create(user=user, secret=pyotp.random_base32())


def provisioning_uri(device: StaffDevice) -> str:
    issuer = f"{settings.LIBRARY_NAME} libcard".replace(":", " ")
    return _totp(device.secret).provisioning_uri(
        name=device.user.get_username(), issuer_name=issuer
    )


def qr_svg(uri: str) -> SafeString:
    """The otpauth:// URI as an inline SVG (no script, no style element: fits the CSP)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=4)
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the URI is encoded as path data


def secret_for_typing(secret: str) -> str:
    """The secret in groups of four, for apps that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def clean_code(raw: object) -> str | None:
    code = str(raw or "").translate(_CODE_DROP)
    return code if _CODE.fullmatch(code) else None


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    replayed: bool = False


def code_check(device: StaffDevice, raw_code: object, now: dt.datetime | None = None) -> CodeCheck:
    """Accept a code once: the step it matches must be later than the last one accepted."""
    code = clean_code(raw_code)
    if code is None:
        return CodeCheck(False)
    totp = _totp(device.secret)
    current = totp.timecode(now or timezone.now())
    matched = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Compare every candidate, so that the time taken does not tell which one matched.
        if hmac.compare_digest(totp.generate_otp(step), code) and matched is None:
            matched = step
    if matched is None:
        return CodeCheck(False)
    won = StaffDevice.objects.filter(pk=device.pk, last_counter__lt=matched).update(
        last_counter=matched
    )
    if not won:
        return CodeCheck(False, replayed=True)
    device.last_counter = matched
    return CodeCheck(True)


def device_confirm(*, actor: Actor, device: StaffDevice, code: object) -> CodeCheck:
    """The first code from the new app proves it holds the secret; then the device counts."""
    check = code_check(device, code)
    if check.ok:
        now = timezone.now()
        StaffDevice.objects.filter(pk=device.pk, confirmed_at__isnull=True).update(confirmed_at=now)
        device.confirmed_at = now
        audit(actor, "totp.enrol", device.user)
    return check


@transaction.atomic
def device_reset(*, actor: Actor, user: Any) -> bool:
    """Remove a staff member's authenticator (lost phone): they enrol again at the next login."""
    deleted, _ = StaffDevice.objects.filter(user=user).delete()
    if deleted:
        audit(actor, "totp.reset", user, username=user.get_username())
    return bool(deleted)
