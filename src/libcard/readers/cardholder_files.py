"""Reading a cardholder list (web upload and `libcard cardholders load`): a CSV/TXT or a
spreadsheet of ID numbers or of their keyed hashes, in the first column or in a column
headed like an ID. Spreadsheets pass the same zip-bomb and size checks as reader files."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence

import python_calamine
from django.utils.translation import gettext as _

from libcard.readerfile.container import Limits, inspect
from libcard.readerfile.model import FileRefused
from libcard.textcatalog import django_translator

MAX_BYTES = 50 * 1024 * 1024
# A spreadsheet cannot hold more rows than this anyway.
MAX_ROWS = 1_048_576
TEXT_EXTENSIONS = (".csv", ".txt")
SHEET_EXTENSIONS = (".xlsx", ".ods", ".xls")
# A header cell naming the ID column (any of these inside it, case-insensitive).
ID_HEADER_WORDS = (
    "身分證",
    "身份證",
    "統一編號",
    "統編",
    "證號",
    "居留證",
    "id",
    "hash",
    "雜湊",
)


class ListUnreadable(Exception):
    """The upload cannot be read as a list; the message says why, for the person uploading."""


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp950"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ListUnreadable(_("The text file is neither UTF-8 nor Big5; please save it as UTF-8."))


def _text_rows(data: bytes) -> Iterator[Sequence[object]]:
    if b"\x00" in data[:65536]:
        raise ListUnreadable(_("This is not a text file; please save the list as CSV."))
    text = _decode(data)
    sample = text[:4096]
    delimiter = ","
    if sample.count("\t") > sample.count(","):
        delimiter = "\t"
    elif sample.count(";") > sample.count(","):
        delimiter = ";"
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise ListUnreadable(_("The CSV file cannot be read; please save it again.")) from None


def _sheet_rows(data: bytes, filename: str) -> Iterator[Sequence[object]]:
    """The first worksheet's rows, after the same zip-bomb and size checks as reader files."""
    limits = Limits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_inflated=10 * MAX_BYTES)
    try:
        inspect(data, filename, limits, django_translator())
    except FileRefused as refused:
        raise ListUnreadable(refused.message) from None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [
            meta.name
            for meta in book.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not names:
            return
        yield from book.get_sheet_by_name(names[0]).iter_rows()
    except python_calamine.PasswordError:
        raise ListUnreadable(
            _("The file is protected with a password; please save a copy without one.")
        ) from None
    except Exception:  # calamine raises several kinds; each means the same to the user
        raise ListUnreadable(_("The file is damaged and cannot be opened.")) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _looks_like_header(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ID_HEADER_WORDS)


def list_values(data: bytes, filename: str) -> list[str]:
    """The values of the ID column: the first column, or one whose header names an ID."""
    extension = os.path.splitext(filename)[1].lower()
    if not data:
        raise ListUnreadable(_("The file is empty."))
    if extension in TEXT_EXTENSIONS:
        rows = _text_rows(data)
    elif extension in SHEET_EXTENSIONS:
        rows = _sheet_rows(data, filename)
    else:
        raise ListUnreadable(_("Please upload a .csv, .txt, .xlsx, .ods or .xls file."))
    column: int | None = None
    values: list[str] = []
    for row in rows:
        cells = [_cell_text(cell) for cell in row]
        if column is None:
            if not any(cells):
                continue
            headed = next(
                (index for index, cell in enumerate(cells) if _looks_like_header(cell)), None
            )
            column = headed if headed is not None else 0
            if headed is not None:
                continue  # the header row itself
        if column < len(cells) and cells[column]:
            values.append(cells[column])
    return values
