"""National ID numbers (身分證統一編號) and resident certificate numbers (居留證統一證號).

No well-kept package covers the national ID and both resident formats, so the
validator is ours. The rules are in ``shared/spec/identity.md``.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

# Area letters and their two-digit codes; the order is not alphabetical for I, O, W, X, Y, Z.
LETTER_CODES: dict[str, int] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17,
    "I": 34, "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23,
    "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}  # fmt: skip
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)

_NATIONAL = re.compile(r"[A-Z][12][0-9]{8}")
_RESIDENT_NEW = re.compile(r"[A-Z][89][0-9]{8}")
_RESIDENT_OLD = re.compile(r"[A-Z][A-D][0-9]{8}")
# Spaces of every width and the hyphens people type or paste from Word.
_DROP = str.maketrans("", "", " \t\u3000\u00a0-\u2010\u2011\u2012\u2013\u2014\u2212")


class IdKind(enum.StrEnum):
    NATIONAL = "national"
    RESIDENT_NEW = "resident_new"
    RESIDENT_OLD = "resident_old"


class IdProblem(enum.StrEnum):
    MISSING = "missing"
    FORMAT = "format"
    CHECKSUM = "checksum"


@dataclass(frozen=True, slots=True)
class IdResult:
    number: str  # normalised
    kind: IdKind | None  # None when the format is not one of the three
    problem: IdProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def is_national(self) -> bool:
        return self.kind is IdKind.NATIONAL

    @property
    def sex(self) -> str | None:
        """ "M" or "F" as the number encodes it, or None when it does not."""
        if self.kind is None or len(self.number) != 10:
            return None
        second = self.number[1]
        if second in "18AC":
            return "M"
        if second in "29BD":
            return "F"
        return None


def normalise_id(raw: object) -> str:
    """NFKC (full-width to half-width), drop spaces and hyphens, upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return text.translate(_DROP).strip().upper()


def _weighted_sum(letter: str, digits: str) -> int:
    code = LETTER_CODES[letter]
    values = (code // 10, code % 10, *(int(d) for d in digits))
    return sum(w * v for w, v in zip(WEIGHTS, values, strict=True))


def classify_id(number: str) -> IdKind | None:
    """Which of the three formats a normalised number has, ignoring its check digit."""
    if _NATIONAL.fullmatch(number):
        return IdKind.NATIONAL
    if _RESIDENT_NEW.fullmatch(number):
        return IdKind.RESIDENT_NEW
    if _RESIDENT_OLD.fullmatch(number):
        return IdKind.RESIDENT_OLD
    return None


def checksum_ok(number: str, kind: IdKind) -> bool:
    if kind is IdKind.RESIDENT_OLD:
        # The second letter counts only as the last digit of its code (A→0 … D→3).
        digits = str(LETTER_CODES[number[1]] % 10) + number[2:]
    else:
        digits = number[1:]
    return _weighted_sum(number[0], digits) % 10 == 0


def check_id(raw: object) -> IdResult:
    number = normalise_id(raw)
    if not number:
        return IdResult(number, None, IdProblem.MISSING)
    kind = classify_id(number)
    if kind is None:
        return IdResult(number, None, IdProblem.FORMAT)
    if not checksum_ok(number, kind):
        return IdResult(number, kind, IdProblem.CHECKSUM)
    return IdResult(number, kind, None)


def check_digit_for(first_nine: str) -> str:
    """The tenth character that makes a national or new-format resident number valid."""
    partial = _weighted_sum(first_nine[0], first_nine[1:] + "0")
    return str((10 - partial % 10) % 10)


def mask_id(raw: object) -> str:
    """``A12****789``: the first three and last three characters, never the whole number.

    Short or odd input is masked harder rather than shown.
    """
    number = normalise_id(raw)
    if len(number) >= 8:
        return number[:3] + "*" * (len(number) - 6) + number[-3:]
    if len(number) >= 4:
        return number[:1] + "*" * (len(number) - 1)
    return "*" * len(number)
