"""The rules for single values, shared by the reader-file judge and the online forms.

The judge inlines the common cases of these for speed; anything unusual, and
every form field, goes through the functions here, so one rule holds everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from libcard.readerfile.columns import NAME_MAX, UNIT_MAX
from libcard.readerfile.dates import BadDate, parse_birth_date

MAX_AGE_YEARS = 120
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}")
_EMAIL_DOMAIN = re.compile(
    r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_MOBILE = re.compile(r"09\d{8}")
_MOBILE_DROP = str.maketrans("", "", " \t\u3000-()\u2010\u2011\u2012\u2013\u2014")
_TRIM = " \t\r\n\u3000\u00a0"


def clean_name(text: str) -> tuple[str, str | None]:
    """(trimmed name, None) or (name, "name.missing" / "name.too_long")."""
    name = (text or "").strip(_TRIM)
    if not name:
        return name, "name.missing"
    if len(name) > NAME_MAX:
        return name, "name.too_long"
    return name, None


def oldest_birth_date(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - MAX_AGE_YEARS, day=28)


def clean_birth_date(value: object, today: dt.date) -> tuple[dt.date | None, str | None]:
    """(date, None) or (date or None, "birth.missing" / "birth.format" / "birth.future" / "birth.too_old")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "birth.missing"
    try:
        day = parse_birth_date(value)
    except BadDate:
        return None, "birth.format"
    if day > today:
        return day, "birth.future"
    if day < oldest_birth_date(today):
        return day, "birth.too_old"
    return day, None


def email_ok(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and _EMAIL_LOCAL.fullmatch(local) and _EMAIL_DOMAIN.fullmatch(domain))


def normalise_mobile(text: str) -> str:
    """Spaces, hyphens and a leading +886 dropped; a number cell's lost leading zero restored."""
    mobile = unicodedata.normalize("NFKC", text).translate(_MOBILE_DROP)
    if mobile.startswith("+886"):
        mobile = "0" + mobile[4:].lstrip("0")
    elif len(mobile) == 9 and mobile.startswith("9"):
        mobile = "0" + mobile
    return mobile


def clean_mobile(text: str) -> tuple[str, str | None]:
    if not (text or "").strip():
        return "", None
    mobile = normalise_mobile(text)
    return (mobile, None) if _MOBILE.fullmatch(mobile) else (mobile, "mobile.invalid")


def clean_unit(text: str) -> tuple[str, str | None]:
    unit = (text or "").strip(_TRIM)
    return unit, ("unit.too_long" if len(unit) > UNIT_MAX else None)
