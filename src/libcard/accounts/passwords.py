"""Readers' own passwords: argon2id, checked against common passwords, the ID and the birth date.

Parameters are OWASP's first recommendation for argon2id (46 MiB, 1 pass, 1 lane):
tens of milliseconds a verification, deliberately; settings can change them, and a
hash made with other parameters is renewed at the reader's next login.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_LENGTH = 8


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    return _hasher(
        settings.READER_ARGON2_TIME_COST,
        settings.READER_ARGON2_MEMORY_KIB,
        settings.READER_ARGON2_PARALLELISM,
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def needs_rehash(stored: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def verify_password(stored: str, password: str) -> bool:
    try:
        return hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return hash_password("libcard: no such reader, but the same work")


def burn_time(password: str) -> None:
    """The cost of one verification, for an unknown account: the same answer and time."""
    verify_password(_dummy_hash(), password)


def password_problems(password: str, *, number: str, birth_date: dt.date | None) -> list[str]:
    """Why a reader's chosen password is not acceptable (empty when it is)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(n)d characters.") % {"n": MIN_LENGTH})
    try:
        CommonPasswordValidator().validate(password)
    except ValidationError:
        problems.append(_("This password is too common; choose one that is harder to guess."))
    folded = "".join(password.split()).upper()
    if number and number.upper() in folded:
        problems.append(_("The password must not contain your ID number."))
    if birth_date is not None:
        roc = birth_date.year - 1911
        forms = {
            birth_date.strftime("%Y%m%d"),
            birth_date.strftime("%Y-%m-%d"),
            birth_date.strftime("%Y/%m/%d"),
            f"{roc:03d}{birth_date:%m%d}",
            f"{roc}{birth_date:%m%d}",
            birth_date.strftime("%m%d%Y"),
            f"{roc}/{birth_date:%m/%d}",
        }
        compact = password.replace("-", "").replace("/", "")
        if any(
            form in password or form.replace("-", "").replace("/", "") in compact for form in forms
        ):
            problems.append(_("The password must not contain your birth date."))
    return problems
