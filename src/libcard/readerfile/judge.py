"""Find the header row and judge every data row by the library's rules.

Pure Python and fast: a 100,000-row file must be judged in about the time it
takes to read it, so the per-row work is table look-ups, memoised parses of
values that repeat (dates, roles) and no work at all for what is absent.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from libcard.identity.numbers import LETTER_CODES, IdKind, check_id, mask_id
from libcard.readerfile.columns import (
    COLUMNS,
    COLUMNS_BY_KEY,
    HEADER_ALIASES,
    NAME_MAX,
    REQUIRED_KEYS,
    ROLE_ALIASES,
    SEX_VALUES,
    UNIT_MAX,
    header_key,
)
from libcard.readerfile.container import Limits, refuse
from libcard.readerfile.dates import BadDate, parse_birth_date
from libcard.readerfile.messages import ROW_MESSAGES
from libcard.readerfile.model import FileRefused, Issue, Report
from libcard.textcatalog import Translate

TAIPEI = ZoneInfo("Asia/Taipei")
MAX_AGE_YEARS = 120

_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?=.{1,253}$)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_MOBILE = re.compile(r"09\d{8}")
_MOBILE_DROP = str.maketrans("", "", " \t\u3000-()\u2010\u2011\u2012\u2013\u2014")
_PLAIN_NATIONAL = re.compile(r"[A-Z][12]\d{8}")
_TRIM = " \t\r\n\u3000\u00a0"


def _id_table() -> list[dict[str, int]]:
    """Per position of a national ID, each character's weighted contribution to the sum."""
    first = {letter: code // 10 + (code % 10) * 9 for letter, code in LETTER_CODES.items()}
    return [first] + [{str(d): w * d for d in range(10)} for w in (8, 7, 6, 5, 4, 3, 2, 1, 1)]


_ID_TABLE = _id_table()


def _by_column(issue: Issue) -> int:
    return -1 if issue.col_index is None else issue.col_index


@dataclass(frozen=True, slots=True)
class ReaderRow:
    """A valid row, normalised: what issuing a card needs."""

    row: int
    name: str
    national_id: str
    birth_date: dt.date
    role: str
    sex: str | None
    email: str
    mobile: str
    unit: str


@dataclass(slots=True)
class Table:
    sheet: str
    header_row: int  # as the office program shows it
    columns: dict[str, tuple[str, int]]  # key → (header as written, 0-based column)
    ignored: list[str]


def today_in_taiwan() -> dt.date:
    return dt.datetime.now(TAIPEI).date()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip(_TRIM)
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).strip(_TRIM)


def find_header(
    sheet: str, rows: Sequence[Sequence[object]], limits: Limits
) -> tuple[Table | None, tuple[int, dict[str, tuple[str, int]]] | None]:
    """The header row of one sheet, or the best partial match (to name what is missing)."""
    best: tuple[int, dict[str, tuple[str, int]]] | None = None
    for index, cells in enumerate(rows[: limits.header_search_rows]):
        columns: dict[str, tuple[str, int]] = {}
        ignored: list[str] = []
        for col, value in enumerate(cells):
            text = _cell_text(value)
            if not text:
                continue
            key = HEADER_ALIASES.get(header_key(text))
            if key is None or key in columns:
                ignored.append(text)
            else:
                columns[key] = (text, col)
        found_required = sum(1 for key in REQUIRED_KEYS if key in columns)
        if found_required == len(REQUIRED_KEYS):
            return Table(sheet, index + 1, columns, ignored), None
        if found_required >= 2 and (best is None or len(best[1]) < len(columns)):
            best = (index + 1, columns)
    return None, best


def missing_column_error(
    sheet: str, partial: tuple[int, dict[str, tuple[str, int]]], t: Translate
) -> FileRefused:
    row, columns = partial
    missing = next(COLUMNS_BY_KEY[key] for key in REQUIRED_KEYS if key not in columns)
    return refuse(
        t,
        "file.missing_column",
        sheet=sheet,
        row=row,
        column=missing.header,
        aliases="、".join(missing.aliases),
    )


class Judge:
    """Judges the rows of one table; keeps what it needs for duplicates across rows."""

    def __init__(
        self,
        table: Table,
        *,
        t: Translate,
        today: dt.date | None = None,
        collect: bool = False,
    ) -> None:
        self.table = table
        self.t = t
        self.today = today or today_in_taiwan()
        try:
            self.oldest = self.today.replace(year=self.today.year - MAX_AGE_YEARS)
        except ValueError:  # 29 February
            self.oldest = self.today.replace(year=self.today.year - MAX_AGE_YEARS, day=28)
        self.collect = collect
        self.readers: list[ReaderRow] = []
        self.report = Report(
            file="",
            sheet=table.sheet,
            header_row=table.header_row,
            ignored_columns=list(table.ignored),
            columns=dict(table.columns),
        )
        self._seen_ids: dict[str, int] = {}
        self._dates: dict[object, dt.date | None] = {}
        self._templates = {code: t(text) for code, text in ROW_MESSAGES.items()}

    # -- messages -------------------------------------------------------------------------
    def _issue(self, issues: list[Issue], row: int, key: str, code: str, **params: object) -> None:
        header, col = self.table.columns[key]
        severity = "warning" if code == "email.missing" else "error"
        message = self._templates[code].format(row=row, column=header, **params)
        issues.append(Issue(row, header, code, severity, message, col))

    # -- the rows -------------------------------------------------------------------------
    def judge_rows(self, rows: Iterable[tuple[int, Sequence[object]]]) -> None:
        """Every check on every row. The common case (clean text, clean ID, a date cell)
        takes a straight path of dictionary look-ups; anything unusual goes to a helper."""
        columns = self.table.columns
        idx = {key: columns[key][1] for key in columns}
        content_cols = [col for key, col in idx.items() if key != "serial"]
        need = max(idx.values()) + 1
        c_name, c_id, c_birth, c_role = (idx[k] for k in REQUIRED_KEYS)
        c_sex, c_email = idx.get("sex"), idx.get("email")
        c_mobile, c_unit = idx.get("mobile"), idx.get("unit")
        report, issues_all, collect, readers = self.report, self.report.issues, self.collect, []
        seen, dates, today, oldest = self._seen_ids, self._dates, self.today, self.oldest
        issue, check_id_slow, check_birth_slow = self._issue, self._check_id, self._check_birth
        id_table, plain_national = _ID_TABLE, _PLAIN_NATIONAL.fullmatch
        roles, sexes, email_ok = ROLE_ALIASES, SEX_VALUES, _EMAIL.fullmatch
        date_type, trim = dt.date, _TRIM
        for row, cells in rows:
            if len(cells) < need:
                cells = [*cells, *([""] * (need - len(cells)))]
            for col in content_cols:
                value = cells[col]
                if (
                    value != ""
                    and value is not None
                    and (type(value) is not str or value.strip(trim))
                ):
                    break
            else:
                continue  # an empty row (perhaps pre-numbered): skipped and not counted
            report.rows += 1
            issues: list[Issue] = []

            value = cells[c_name]
            name = value.strip(trim) if type(value) is str else _cell_text(value)
            if not name:
                issue(issues, row, "name", "name.missing")
            elif len(name) > NAME_MAX:
                issue(issues, row, "name", "name.too_long", length=len(name), limit=NAME_MAX)

            value = cells[c_id]
            number = ""
            id_sex: str | None = None
            if type(value) is str and plain_national(value):
                # id_table[i][c] is character c's weighted contribution at position i.
                total = 0
                for position, char in enumerate(value):
                    total += id_table[position][char]
                if total % 10 == 0:
                    number, id_sex = value, "M" if value[1] == "1" else "F"
            if not number:
                number, id_sex = check_id_slow(issues, row, value)

            value = cells[c_birth]
            birth = value if type(value) is date_type else dates.get(value) if value else None
            if birth is None or not oldest <= birth <= today:
                birth = check_birth_slow(issues, row, value)

            value = cells[c_role]
            role = roles.get(value) if type(value) is str else None
            if role is None:
                role = self._check_role(issues, row, value)

            sex = None
            if c_sex is not None:
                value = cells[c_sex]
                if value != "" and value is not None:
                    sex = sexes.get(value) if type(value) is str else None
                    if sex is None:
                        sex = self._check_sex(issues, row, value)
                    if sex is not None and id_sex is not None and sex != id_sex:
                        issue(
                            issues,
                            row,
                            "sex",
                            "sex.mismatch",
                            value=_cell_text(value),
                            masked=mask_id(number),
                        )

            email = ""
            if c_email is not None:
                value = cells[c_email]
                email = value.strip(trim) if type(value) is str else _cell_text(value)
                if not email:
                    issue(issues, row, "email", "email.missing")
                elif not email_ok(email):
                    issue(issues, row, "email", "email.invalid", value=_shorten(email))
                    email = ""

            mobile = ""
            if c_mobile is not None:
                value = cells[c_mobile]
                if value != "" and value is not None:
                    mobile = _cell_text(value)
                    if not (len(mobile) == 10 and mobile.startswith("09") and mobile.isdigit()):
                        mobile = _normalise_mobile(mobile)
                        if not _MOBILE.fullmatch(mobile):
                            issue(
                                issues,
                                row,
                                "mobile",
                                "mobile.invalid",
                                value=_shorten(_cell_text(value)),
                            )
                            mobile = ""

            unit = ""
            if c_unit is not None:
                value = cells[c_unit]
                unit = value.strip(trim) if type(value) is str else _cell_text(value)
                if len(unit) > UNIT_MAX:
                    issue(issues, row, "unit", "unit.too_long", length=len(unit), limit=UNIT_MAX)

            if number:
                first = seen.setdefault(number, row)
                if first != row:
                    issue(
                        issues,
                        row,
                        "national_id",
                        "id.duplicate",
                        masked=mask_id(number),
                        first_row=first,
                    )

            if issues:
                issues.sort(key=_by_column)
                issues_all.extend(issues)
                if any(item.severity == "error" for item in issues):
                    report.invalid += 1
                    continue
            report.valid += 1
            if collect:
                readers.append(ReaderRow(row, name, number, birth, role, sex, email, mobile, unit))  # type: ignore[arg-type]
        self.readers.extend(readers)

    def _check_role(self, issues: list[Issue], row: int, raw: object) -> str | None:
        text = _cell_text(raw)
        if not text:
            self._issue(issues, row, "role", "role.missing")
            return None
        role = ROLE_ALIASES.get(unicodedata.normalize("NFKC", text).replace(" ", ""))
        if role is None:
            self._issue(issues, row, "role", "role.invalid", value=_shorten(text))
        return role

    def _check_sex(self, issues: list[Issue], row: int, raw: object) -> str | None:
        text = _cell_text(raw)
        if not text:
            return None
        sex = SEX_VALUES.get(unicodedata.normalize("NFKC", text).replace(" ", "").upper())
        if sex is None:
            self._issue(issues, row, "sex", "sex.invalid", value=_shorten(text))
        return sex

    def _check_id(self, issues: list[Issue], row: int, raw: object) -> tuple[str, str | None]:
        """The normalised number ("" when absent) and the sex it encodes (None when invalid)."""
        # Fast path: most cells already hold a clean national ID.
        if type(raw) is str and _PLAIN_NATIONAL.fullmatch(raw):
            code = LETTER_CODES[raw[0]]
            total = code // 10 + (code % 10) * 9
            for weight, digit in zip((8, 7, 6, 5, 4, 3, 2, 1, 1), raw[1:], strict=True):
                total += weight * (ord(digit) - 48)
            if total % 10 == 0:
                return raw, "M" if raw[1] == "1" else "F"
        result = check_id(_cell_text(raw))
        if result.problem is None:
            if result.kind is not IdKind.NATIONAL:
                self._issue(
                    issues, row, "national_id", "id.resident", masked=mask_id(result.number)
                )
                return result.number, None
            return result.number, result.sex
        if result.problem == "missing":
            self._issue(issues, row, "national_id", "id.missing")
        elif result.problem == "checksum":
            self._issue(issues, row, "national_id", "id.checksum", masked=mask_id(result.number))
        else:
            self._issue(issues, row, "national_id", "id.format", masked=mask_id(result.number))
        return result.number, None

    def _check_birth(self, issues: list[Issue], row: int, raw: object) -> dt.date | None:
        try:
            parsed = self._dates[raw]
        except KeyError:
            parsed = self._dates[raw] = _parse_or_none(raw)
        except TypeError:  # unhashable: never from a spreadsheet, but stay safe
            parsed = _parse_or_none(raw)
        if parsed is None:
            text = _cell_text(raw)
            if not text:
                self._issue(issues, row, "birth_date", "birth.missing")
            else:
                self._issue(issues, row, "birth_date", "birth.format", value=_shorten(text))
            return None
        if parsed > self.today:
            self._issue(issues, row, "birth_date", "birth.future", value=parsed.isoformat())
        elif parsed < self.oldest:
            self._issue(
                issues,
                row,
                "birth_date",
                "birth.too_old",
                value=parsed.isoformat(),
                limit=MAX_AGE_YEARS,
            )
        return parsed


def _parse_or_none(raw: object) -> dt.date | None:
    if raw is None or raw == "":
        return None
    try:
        return parse_birth_date(raw)
    except BadDate:
        return None


def _normalise_mobile(text: str) -> str:
    mobile = unicodedata.normalize("NFKC", text).translate(_MOBILE_DROP)
    if mobile.startswith("+886"):
        mobile = "0" + mobile[4:].lstrip("0")
    elif len(mobile) == 9 and mobile.startswith("9"):
        mobile = "0" + mobile  # a number cell lost the leading zero
    return mobile


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["COLUMNS", "Judge", "ReaderRow", "Table", "find_header", "missing_column_error"]
