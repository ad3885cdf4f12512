"""Open a reader data file of any accepted kind and judge it: the one entry point.

``check_file`` is what the CLI, the public check page and the institution
portal call; it returns the report (and, on request, the valid rows) or raises
FileRefused with one sentence for the contact person.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import python_calamine

from libcard.readerfile.container import Limits, deep_scan, inspect, refuse
from libcard.readerfile.isolation import CAN_FORK, Child, ChildFailed
from libcard.readerfile.judge import Judge, ReaderRow, Table, find_header, missing_column_error
from libcard.readerfile.model import FileRefused, Report
from libcard.textcatalog import Translate, translator

Rows = Sequence[Sequence[object]]
_CALAMINE_ERRORS = (
    python_calamine.CalamineError,
    python_calamine.XmlError,
    python_calamine.ZipError,
    ValueError,
    OSError,
    RuntimeError,
    TypeError,
    OverflowError,
    UnicodeError,
)


@dataclass(slots=True)
class CheckResult:
    report: Report
    kind: str
    readers: list[ReaderRow] = field(default_factory=list)


def _decode_csv(data: bytes, t: Translate) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # cp950 is Big5 as Windows writes it, with Microsoft's extra characters.
        return data.decode("cp950")
    except UnicodeDecodeError:
        raise refuse(t, "file.csv_encoding") from None


def _csv_rows(data: bytes, limits: Limits, t: Translate) -> list[list[object]]:
    text = _decode_csv(data, t)
    sample = text[:4096]
    delimiter = ","
    if sample.count("\t") > sample.count(",") and sample.count("\t") > sample.count(";"):
        delimiter = "\t"
    elif sample.count(";") > sample.count(","):
        delimiter = ";"
    rows: list[list[object]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for record in reader:
            rows.append(record)
            if len(rows) > limits.max_span:
                raise refuse(t, "file.too_many_rows", limit=limits.max_rows)
            if len(record) > limits.max_columns:
                raise refuse(t, "file.too_wide", limit=limits.max_columns)
    except csv.Error as exc:
        raise refuse(t, "file.unreadable", detail=str(exc)) from None
    return rows


class Workbook:
    """The sheets of one file, each loaded only when asked for."""

    def __init__(self, data: bytes, kind: str, limits: Limits, t: Translate) -> None:
        self.kind = kind
        self._t = t
        self._limits = limits
        self._csv: list[list[object]] | None = None
        self._book: python_calamine.CalamineWorkbook | None = None
        if kind == "csv":
            self._csv = _csv_rows(data, limits, t)
            self.sheet_names = [""]
            return
        try:
            self._book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            self.sheet_names = [
                meta.name
                for meta in self._book.sheets_metadata
                if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
            ]
        except python_calamine.PasswordError:
            raise refuse(t, "file.encrypted") from None
        except _CALAMINE_ERRORS:
            raise refuse(t, "file.truncated_or_corrupt") from None

    def rows(self, name: str) -> Rows:
        """All rows of a sheet from A1, so that index + 1 is the row the user sees."""
        if self._csv is not None:
            return self._csv
        assert self._book is not None
        try:
            sheet = self._book.get_sheet_by_name(name)
            if sheet.total_height > self._limits.max_span:
                raise refuse(self._t, "file.too_many_rows", limit=self._limits.max_rows)
            if sheet.total_width > self._limits.max_columns:
                raise refuse(self._t, "file.too_wide", limit=self._limits.max_columns)
            return sheet.to_python(skip_empty_area=False)
        except FileRefused:
            raise
        except python_calamine.PasswordError:
            raise refuse(self._t, "file.encrypted") from None
        except _CALAMINE_ERRORS:
            raise refuse(self._t, "file.truncated_or_corrupt") from None


def numbered(
    rows: Rows, first_index: int = 0, end: int | None = None
) -> Iterator[tuple[int, Sequence[object]]]:
    for index in range(first_index, len(rows) if end is None else end):
        yield index + 1, rows[index]


# Large files are judged in two processes, one half each (two cores on a small server).
SPLIT_ROWS = 20_000


def _judge_rows(
    judge: Judge, rows: Rows, first: int, limits: Limits, t: Translate, today: dt.date | None
) -> None:
    if not CAN_FORK or len(rows) - first < SPLIT_ROWS:
        judge.judge_rows(numbered(rows, first))
        return
    middle = first + (len(rows) - first) // 2

    def later_half() -> object:
        part = Judge(judge.table, t=t, today=judge.today, collect=judge.collect)
        part.judge_rows(numbered(rows, middle))
        return part.outcome()

    child = Child(later_half, memory_bytes=limits.max_memory, timeout=limits.timeout)
    try:
        judge.judge_rows(numbered(rows, first, middle))
    except BaseException:
        child.kill()
        raise
    try:
        judge.merge(child.result())
    except ChildFailed:  # judge it here instead; slower, same answer
        part = Judge(judge.table, t=t, today=judge.today, collect=judge.collect)
        part.judge_rows(numbered(rows, middle))
        judge.merge(part.outcome())


def locate_table(book: Workbook, limits: Limits, t: Translate) -> tuple[Table, Rows]:
    partial: tuple[str, tuple[int, dict[str, tuple[str, int]]]] | None = None
    for name in book.sheet_names:
        rows = book.rows(name)
        table, best = find_header(name, rows, limits)
        if table is not None:
            return table, rows
        if best is not None and partial is None:
            partial = (name, best)
    if partial is not None:
        raise missing_column_error(partial[0], partial[1], t)
    from libcard.readerfile.columns import COLUMNS

    required = "、".join(c.header for c in COLUMNS if c.required)
    raise refuse(t, "file.no_header", required=required, limit=limits.header_search_rows)


def _judge(
    data: bytes,
    filename: str,
    kind: str,
    limits: Limits,
    t: Translate,
    today: dt.date | None,
    collect: bool,
) -> CheckResult:
    book = Workbook(data, kind, limits, t)
    table, rows = locate_table(book, limits, t)
    judge = Judge(table, t=t, today=today, collect=collect)
    _judge_rows(judge, rows, table.header_row, limits, t, today)
    report = judge.report
    report.file = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if report.rows == 0:
        raise refuse(t, "file.no_data", sheet=table.sheet, row=table.header_row)
    if report.rows > limits.max_rows:
        raise refuse(t, "file.too_many_rows", limit=limits.max_rows)
    return CheckResult(report=report, kind=kind, readers=judge.readers)


def check_file(
    data: bytes,
    filename: str,
    *,
    limits: Limits | None = None,
    t: Translate | None = None,
    today: dt.date | None = None,
    collect: bool = False,
) -> CheckResult:
    """Judge a reader data file. Raises FileRefused when it cannot be used at all.

    Spreadsheets are parsed and judged in a forked child under a memory and time
    limit while this process inflates and measures the same file; the child's
    answer counts only when the measurement passes.
    """
    limits = limits or Limits()
    t = t or translator()
    kind = inspect(data, filename, limits, t, deep=False)
    if kind == "csv" or not CAN_FORK:
        deep_scan(data, kind, limits, t)
        return _judge(data, filename, kind, limits, t, today, collect)
    child = Child(
        lambda: _judge(data, filename, kind, limits, t, today, collect),
        memory_bytes=limits.max_memory,
        timeout=limits.timeout,
    )
    try:
        deep_scan(data, kind, limits, t)
    except BaseException:
        child.kill()
        raise
    try:
        return child.result()
    except ChildFailed as failed:
        raise refuse(t, "file.too_complex") from failed


def sheet_rows(
    data: bytes, filename: str, sheet: str, *, limits: Limits | None = None
) -> Iterator[tuple[int, Sequence[object]]]:
    """The rows of one sheet again (for the annotated copy), numbered as the user sees them."""
    limits = limits or Limits()
    t = translator()
    kind = inspect(data, filename, limits, t)
    book = Workbook(data, kind, limits, t)
    return numbered(book.rows(sheet))
