"""Find the header row and judge every data row by the library's rules.

Pure Python and fast: a 100,000-row file must be judged in about the time it
takes to read it, so the per-row work is table look-ups, memoised parses of
values that repeat (dates, roles) and no work at all for what is absent.
"""

from __future__ import annotations

import datetime as dt
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
from libcard.readerfile.fields import (
    _EMAIL_DOMAIN,
    _EMAIL_LOCAL,
    _MOBILE,
    _TRIM,
    MAX_AGE_YEARS,
    oldest_birth_date,
)
from libcard.readerfile.fields import normalise_mobile as _normalise_mobile
from libcard.readerfile.messages import ROW_MESSAGES
from libcard.readerfile.model import FileRefused, Issue, Report
from libcard.textcatalog import Translate

TAIPEI = ZoneInfo("Asia/Taipei")


def _id_table() -> list[dict[str, int]]:
    """Per position of a national ID, each character's weighted contribution to the sum."""
    first = {letter: code // 10 + (code % 10) * 9 for letter, code in LETTER_CODES.items()}
    sex = {"1": 8, "2": 16}  # only 1 and 2 make a national ID
    return [first, sex] + [{str(d): w * d for d in range(10)} for w in (7, 6, 5, 4, 3, 2, 1, 1)]


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
class PartOutcome:
    report: Report
    readers: list[ReaderRow]
    seen: dict[str, int]  # number → first row in this part
    duplicates: list[tuple[int, str]]


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
        self.oldest = oldest_birth_date(self.today)
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
        self._duplicates: list[tuple[int, str]] = []  # (row, number) of each later occurrence
        self._dates: dict[object, dt.date | None] = {}
        self._templates = {code: t(text) for code, text in ROW_MESSAGES.items()}

    # -- judging in parts ------------------------------------------------------------------
    def outcome(self) -> PartOutcome:
        """What another process needs to merge this part in (picklable)."""
        return PartOutcome(self.report, self.readers, self._seen_ids, self._duplicates)

    def merge(self, later: PartOutcome) -> None:
        """Append a part judged elsewhere that holds the rows after ours.

        Only duplicates cross the cut: a number the later part saw first may already
        be in our rows, and its later occurrences must name our row, the first one.
        """
        ours = self._seen_ids
        template = self._templates["id.duplicate"]
        header, col = self.table.columns["national_id"]
        later_first = {number: row for number, row in later.seen.items() if number in ours}
        renamed = {row: number for row, number in later.duplicates if number in later_first}
        issues: list[Issue] = []
        newly_invalid: set[int] = set()
        error_rows = {issue.row for issue in later.report.issues if issue.severity == "error"}
        for issue in later.report.issues:
            if issue.code == "id.duplicate" and issue.row in renamed:
                number = renamed[issue.row]
                issue = Issue(
                    issue.row,
                    issue.column,
                    issue.code,
                    issue.severity,
                    template.format(
                        row=issue.row, column=header, masked=mask_id(number), first_row=ours[number]
                    ),
                    issue.col_index,
                )
            issues.append(issue)
        for number, row in later_first.items():
            issues.append(
                Issue(
                    row,
                    header,
                    "id.duplicate",
                    "error",
                    template.format(
                        row=row, column=header, masked=mask_id(number), first_row=ours[number]
                    ),
                    col,
                )
            )
            if row not in error_rows:
                newly_invalid.add(row)
        issues.sort(key=lambda issue: (issue.row, _by_column(issue)))
        report = self.report
        report.issues.extend(issues)
        report.rows += later.report.rows
        report.valid += later.report.valid - len(newly_invalid)
        report.invalid += later.report.invalid + len(newly_invalid)
        self.readers.extend(r for r in later.readers if r.row not in newly_invalid)
        for number, row in later.seen.items():
            ours.setdefault(number, row)
        self._duplicates.extend(later.duplicates)

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
        t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 = _ID_TABLE
        domains: dict[str, bool] = {}
        roles, sexes, local_ok = ROLE_ALIASES, SEX_VALUES, _EMAIL_LOCAL.fullmatch
        date_type, trim = dt.date, _TRIM
        counted = valid = invalid = 0
        duplicates = self._duplicates
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
            counted += 1
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
            if type(value) is str and len(value) == 10:
                # Clean national IDs (most cells) are checked with ten table look-ups;
                # any other character raises KeyError and takes the full path.
                try:
                    total = (
                        t0[value[0]] + t1[value[1]] + t2[value[2]] + t3[value[3]]
                        + t4[value[4]] + t5[value[5]] + t6[value[6]] + t7[value[7]]
                        + t8[value[8]] + t9[value[9]]
                    )  # fmt: skip
                    if total % 10 == 0:
                        number, id_sex = value, "M" if value[1] == "1" else "F"
                except KeyError:
                    pass
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
                else:
                    local, at, domain = email.rpartition("@")
                    domain_ok = domains.get(domain)
                    if domain_ok is None:
                        domain_ok = domains[domain] = bool(_EMAIL_DOMAIN.fullmatch(domain))
                    if not (at and domain_ok and local_ok(local)):
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
                    duplicates.append((row, number))
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
                    invalid += 1
                    continue
            valid += 1
            if collect:
                readers.append(ReaderRow(row, name, number, birth, role, sex, email, mobile, unit))  # type: ignore[arg-type]
        self.readers.extend(readers)
        report.rows += counted
        report.valid += valid
        report.invalid += invalid

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


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["COLUMNS", "Judge", "ReaderRow", "Table", "find_header", "missing_column_error"]
