"""The annotated copy of a reader data file: the contact person's sheet with each bad cell
marked, behind a summary sheet that lists every problem.

Written with xlsxwriter in constant_memory mode: each row goes to a temp file as soon as the
next one starts, so memory stays bounded by the number of issues, not by the size of the
file. Comments, formats and hyperlinks all work in that mode as long as every sheet is
written top to bottom, which is why ``rows`` must come in increasing row order.

Nothing written here is ever a formula: every text goes through ``write_string``, and text
that an office program would take for a formula when the cell is edited (``= + - @``, tab,
CR) also gets Excel's quote prefix, so that it stays text even after a double click.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from .columns import COLUMNS_BY_KEY
from .model import Issue, Report, Severity

SUMMARY_SHEET = "檢查結果"
FALLBACK_SHEET = "讀者資料"
SEVERITY_LABELS: dict[str, str] = {"error": "錯誤", "warning": "提醒"}

# Excel's built-in "Bad" and "Neutral" cell styles, which Excel users already read as
# "wrong" and "look at this"; the border keeps the mark visible on a grey-scale printout.
_ERROR_STYLE = {
    "bg_color": "#FFC7CE",
    "font_color": "#9C0006",
    "border": 2,
    "border_color": "#C00000",
}
_WARNING_STYLE = {
    "bg_color": "#FFEB9C",
    "font_color": "#9C5700",
    "border": 2,
    "border_color": "#BF8F00",
}
_DATE = "yyyy-mm-dd"
_DATETIME = "yyyy-mm-dd hh:mm:ss"
_TIME = "hh:mm:ss"
_DURATION = "[h]:mm:ss"
_FIRST_EXCEL_DATE = dt.date(1900, 1, 1)  # Excel cannot show an earlier date
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_MAX_ROW = 1_048_576
_EXCEL_MAX_HYPERLINKS = 65_530  # per worksheet; Excel refuses a file with more
_SHEET_NAME_MAX = 31  # in UTF-16 code units
_FORBIDDEN_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_DEFAULT_WIDTH = 12
_DATETIME_WIDTH = 20


@dataclass(slots=True)
class _Mark:
    severity: Severity = "warning"
    messages: list[str] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        if issue.severity == "error":
            self.severity = "error"
        self.messages.append(f"{SEVERITY_LABELS[issue.severity]}：{issue.message}")


def _marks(issues: Iterable[Issue]) -> dict[int, dict[int, _Mark]]:
    """Issues by row and 0-based column; a problem of the whole row marks its first cell."""
    marks: dict[int, dict[int, _Mark]] = {}
    for issue in issues:
        if not 1 <= issue.row <= _EXCEL_MAX_ROW:
            continue
        col = issue.col_index if issue.col_index is not None else 0
        marks.setdefault(issue.row, {}).setdefault(col, _Mark()).add(issue)
    return marks


def _truncate_utf16(text: str, limit: int) -> str:
    # Excel counts UTF-16 units; cut by whole characters so that none outside the BMP is split.
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def excel_sheet_name(name: str, *, taken: Iterable[str] = ()) -> str:
    """``name`` made acceptable to Excel: no []:*?/\\ or control characters, no apostrophe
    at either end, at most 31 characters, not "History", and not one of ``taken``."""
    cleaned = _FORBIDDEN_IN_SHEET_NAME.sub("_", unicodedata.normalize("NFC", name or ""))
    cleaned = _truncate_utf16(cleaned.strip().strip("'"), _SHEET_NAME_MAX).strip().strip("'")
    if not cleaned:
        cleaned = FALLBACK_SHEET
    used = {t.casefold() for t in taken} | {"history"}  # Excel reserves "History"
    candidate = cleaned
    number = 2
    while candidate.casefold() in used:
        suffix = f" ({number})"
        candidate = _truncate_utf16(cleaned, _SHEET_NAME_MAX - len(suffix)).rstrip("'") + suffix
        number += 1
    return candidate


def _looks_like_formula(text: str) -> bool:
    return text.startswith(_FORMULA_STARTS)


def _comment_size(messages: Sequence[str]) -> dict[str, int]:
    # Roughly 20 CJK characters per line in a 320-pixel box; sized so nothing is cut off.
    lines = sum(max(1, math.ceil(len(m) / 20)) for m in messages)
    return {"width": 320, "height": min(600, 24 + 18 * lines)}


class _Formats:
    """Formats made on first use: a workbook keeps every format it is given."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[str | None, Severity | None, bool, bool], Format] = {}

    def get(
        self,
        num_format: str | None = None,
        severity: Severity | None = None,
        *,
        bold: bool = False,
        quote: bool = False,
    ) -> Format | None:
        key = (num_format, severity, bold, quote)
        if key == (None, None, False, False):
            return None
        if key not in self._cache:
            properties: dict[str, object] = {}
            if num_format:
                properties["num_format"] = num_format
            if severity == "error":
                properties |= _ERROR_STYLE
            elif severity == "warning":
                properties |= _WARNING_STYLE
            if bold:
                properties["bold"] = True
            if quote:
                properties["quote_prefix"] = True
            self._cache[key] = self._workbook.add_format(properties)
        return self._cache[key]


def annotated_copy(
    *,
    rows: Iterable[tuple[int, Sequence[object]]],
    sheet_name: str,
    report: Report,
) -> bytes:
    """An xlsx for the contact person: the summary sheet first, then their own sheet.

    ``rows`` yields (row number as the office program shows it, the row's cells from
    column A), in increasing row order; it is read once, so it may be a generator over
    a large file.
    """
    data_sheet = excel_sheet_name(sheet_name, taken=[SUMMARY_SHEET])
    output = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="libcard-annotate-") as tmpdir:
        workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                "tmpdir": tmpdir,
                # Belt and braces: write() is never used, but if it were it must not
                # turn text into formulas, numbers or links.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "remove_timezone": True,
            },
        )
        workbook.set_properties({"title": "讀者資料檢查結果", "author": "libcard"})
        formats = _Formats(workbook)
        try:
            _write_summary(workbook, formats, report, data_sheet)
            _write_data(workbook, formats, rows, report, data_sheet)
        except BaseException:
            # Close anyway so that xlsxwriter lets go of its temp files; the half-written
            # file is dropped.
            with contextlib.suppress(Exception):
                workbook.close()
            raise
        workbook.close()
    return output.getvalue()


def _write_text(
    sheet: Worksheet,
    row: int,
    col: int,
    text: str,
    formats: _Formats,
    *,
    severity: Severity | None = None,
    bold: bool = False,
) -> None:
    cell_format = formats.get(None, severity, bold=bold, quote=_looks_like_formula(text))
    sheet.write_string(row, col, text, cell_format)


def _write_summary(
    workbook: xlsxwriter.Workbook, formats: _Formats, report: Report, data_sheet: str
) -> None:
    sheet = workbook.add_worksheet(SUMMARY_SHEET)
    sheet.activate()
    title = workbook.add_format({"bold": True, "font_size": 14})
    label = formats.get(bold=True)
    head = workbook.add_format({"bold": True, "bg_color": "#EDEDED", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    top = workbook.add_format({"valign": "top"})
    left = workbook.add_format({"align": "left"})
    link = workbook.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"})
    severity_formats = {
        "error": workbook.add_format({**_ERROR_STYLE, "border": 1, "valign": "top"}),
        "warning": workbook.add_format({**_WARNING_STYLE, "border": 1, "valign": "top"}),
    }
    for col, width in enumerate((10, 8, 18, 8, 80)):
        sheet.set_column(col, col, width)

    errors = sum(1 for i in report.issues if i.severity == "error")
    warnings = len(report.issues) - errors
    sheet.write_string(0, 0, "讀者資料檢查結果", title)
    facts: list[tuple[str, str | int]] = [
        ("檔案", report.file),
        ("工作表", report.sheet),
        ("標題列", report.header_row),
        ("資料列數", report.rows),
        ("正確列數", report.valid),
        ("有誤列數", report.invalid),
        ("問題", f"錯誤 {errors} 項、提醒 {warnings} 項"),
        ("略過的欄位", "、".join(report.ignored_columns) or "（無）"),
    ]
    row = 1
    for name, value in facts:
        sheet.write_string(row, 0, name, label)
        if isinstance(value, int):
            sheet.write_number(row, 1, value, left)
        else:
            _write_text(sheet, row, 1, value, formats)
        row += 1
    row += 1
    if not report.issues:
        sheet.write_string(row, 0, "沒有發現問題。")
        return
    sheet.write_string(
        row,
        0,
        f"每一個問題列在下方；點「位置」可跳到「{data_sheet}」工作表的儲存格"
        "（紅色為錯誤，必須修正；黃色為提醒）。",
    )
    row += 1
    table_top = row
    for col, text in enumerate(("位置", "列", "欄位", "類別", "說明")):
        sheet.write_string(row, col, text, head)
    location_prefix = "internal:'" + data_sheet.replace("'", "''") + "'!"
    for links, issue in enumerate(report.issues):
        row += 1
        if row >= _EXCEL_MAX_ROW:
            break
        col = issue.col_index if issue.col_index is not None else 0
        if 1 <= issue.row <= _EXCEL_MAX_ROW:
            cell = xl_rowcol_to_cell(issue.row - 1, col)
            if links < _EXCEL_MAX_HYPERLINKS:
                sheet.write_url(row, 0, location_prefix + cell, link, string=cell)
            else:
                sheet.write_string(row, 0, cell, top)
        sheet.write_number(row, 1, issue.row, top)
        column = issue.column or "（整列）"
        sheet.write_string(row, 2, column, formats.get(None, quote=_looks_like_formula(column)))
        sheet.write_string(
            row, 3, SEVERITY_LABELS[issue.severity], severity_formats[issue.severity]
        )
        sheet.write_string(row, 4, issue.message, wrap)
    sheet.autofilter(table_top, 0, row, 4)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(table_top)


def _write_data(
    workbook: xlsxwriter.Workbook,
    formats: _Formats,
    rows: Iterable[tuple[int, Sequence[object]]],
    report: Report,
    name: str,
) -> None:
    sheet = workbook.add_worksheet(name)
    sheet.set_comments_author("libcard")
    marks = _marks(report.issues)
    pending = sorted(marks)  # marked rows, so that rows the source skipped are marked too
    next_pending = 0
    header_row = report.header_row
    widest = 0
    previous = 0
    date_time_columns: set[int] = set()  # need room for "yyyy-mm-dd hh:mm:ss"

    def write_marks(row_number: int, written: set[int]) -> None:
        for col, mark in marks.get(row_number, {}).items():
            if col not in written:
                sheet.write_blank(row_number - 1, col, None, formats.get(None, mark.severity))
            sheet.write_comment(
                row_number - 1,
                col,
                "\n".join(mark.messages),
                _comment_size(mark.messages),
            )

    for row_number, cells in rows:
        if row_number <= previous:
            raise ValueError(f"rows must come in increasing order: {row_number} after {previous}")
        previous = row_number
        if row_number > _EXCEL_MAX_ROW:
            break
        while next_pending < len(pending) and pending[next_pending] < row_number:
            write_marks(pending[next_pending], set())
            next_pending += 1
        row_marks = marks.get(row_number, {})
        written: set[int] = set()
        for col, value in enumerate(cells):
            mark = row_marks.get(col)
            if _write_value(
                sheet,
                row_number - 1,
                col,
                value,
                formats,
                severity=mark.severity if mark else None,
                bold=row_number == header_row,
            ):
                written.add(col)
                if isinstance(value, dt.datetime | dt.time | dt.timedelta):
                    date_time_columns.add(col)
        widest = max(widest, len(cells))
        write_marks(row_number, written)
        if next_pending < len(pending) and pending[next_pending] == row_number:
            next_pending += 1
    for row_number in pending[next_pending:]:
        if row_number > previous:
            write_marks(row_number, set())

    widths = {index: COLUMNS_BY_KEY[key].width for key, (_, index) in report.columns.items()}
    for col in range(widest):
        width = widths.get(col, _DEFAULT_WIDTH)
        if col in date_time_columns:
            width = max(width, _DATETIME_WIDTH)
        sheet.set_column(col, col, width)
    if 1 <= header_row < _EXCEL_MAX_ROW:
        sheet.freeze_panes(header_row, 0)
        sheet.repeat_rows(header_row - 1)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _write_value(
    sheet: Worksheet,
    row: int,
    col: int,
    value: object,
    formats: _Formats,
    *,
    severity: Severity | None,
    bold: bool,
) -> bool:
    """Write one cell as the type it had; False when there was nothing to write."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):  # before int: bool is an int
        sheet.write_boolean(row, col, value, formats.get(None, severity, bold=bold))
    elif isinstance(value, int | float) and math.isfinite(value):
        sheet.write_number(row, col, value, formats.get(None, severity, bold=bold))
    elif isinstance(value, dt.datetime) and value.date() >= _FIRST_EXCEL_DATE:
        # A date cell read as datetime has no time of day; show it as a plain date then.
        midnight = value.time() == dt.time(0, 0)
        num_format = _DATE if midnight else _DATETIME
        sheet.write_datetime(row, col, value, formats.get(num_format, severity, bold=bold))
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if value < _FIRST_EXCEL_DATE:
            _write_text(sheet, row, col, value.isoformat(), formats, severity=severity, bold=bold)
        else:
            sheet.write_datetime(row, col, value, formats.get(_DATE, severity, bold=bold))
    elif isinstance(value, dt.time):
        sheet.write_datetime(row, col, value, formats.get(_TIME, severity, bold=bold))
    elif isinstance(value, dt.timedelta) and value >= dt.timedelta(0):
        sheet.write_datetime(row, col, value, formats.get(_DURATION, severity, bold=bold))
    else:
        # Text, and whatever Excel cannot hold as its own type (NaN, a date before 1900,
        # a negative duration): shown as the text it is, never evaluated.
        text = value if isinstance(value, str) else str(value)
        _write_text(sheet, row, col, text, formats, severity=severity, bold=bold)
    return True
