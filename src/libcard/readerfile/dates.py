"""Birth dates as Taiwanese offices write them: real date cells, Gregorian and ROC (民國) text.

Ambiguity rule (reader-file.md): a 6- or 7-digit number is ROC, an 8-digit
number is Gregorian. A date that does not exist is an error, never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

ROC_OFFSET = 1911

_SEP = r"[-/.]"
_GREGORIAN = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})")
_ROC = re.compile(rf"(\d{{1,3}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})")
_CJK = re.compile(r"(民國)?(\d{1,4})年(\d{1,2})月(\d{1,2})日?")
# A trailing time that spreadsheets or exports add ("1996-03-12 00:00:00").
_TIME_TAIL = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


class BadDate(ValueError):
    """The value is not a date in any accepted form (or names a day that does not exist)."""


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadDate from None


def _roc(year: int, month: int, day: int) -> dt.date:
    if year < 1:
        raise BadDate
    return _make(year + ROC_OFFSET, month, day)


def _from_digits(digits: str) -> dt.date:
    if len(digits) == 8:
        return _make(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    if len(digits) in (6, 7):
        return _roc(int(digits[:-4]), int(digits[-4:-2]), int(digits[-2:]))
    raise BadDate


def parse_birth_date(value: object) -> dt.date:
    """The date a cell means, or BadDate. Empty cells are the caller's business."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise BadDate
    if isinstance(value, int | float):
        # A number cell: ROC compact dates lose their leading zero (0850312 → 850312).
        if not math.isfinite(value) or value < 0 or value != int(value):
            raise BadDate
        return _from_digits(str(int(value)))
    if not isinstance(value, str):
        raise BadDate
    text = _TIME_TAIL.sub("", unicodedata.normalize("NFKC", value).strip())
    text = text.replace(" ", "")
    if text.isdigit():
        return _from_digits(text)
    if match := _GREGORIAN.fullmatch(text):
        return _make(int(match[1]), int(match[2]), int(match[3]))
    if match := _ROC.fullmatch(text):
        return _roc(int(match[1]), int(match[2]), int(match[3]))
    if match := _CJK.fullmatch(text):
        year = int(match[2])
        if match[1] or len(match[2]) <= 3:
            return _roc(year, int(match[3]), int(match[4]))
        return _make(year, int(match[3]), int(match[4]))
    raise BadDate
