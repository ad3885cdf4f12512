"""Reading a cardholder list: a spreadsheet or text file of ID numbers or their keyed hashes."""

from __future__ import annotations

import io
import re

import python_calamine

from libcard.readerfile.columns import HEADER_ALIASES, header_key

MAX_BYTES = 50 * 1024 * 1024
_VALUE = re.compile(r"^\s*([A-Za-z][A-Da-d0-9][0-9]{8}|[0-9a-fA-F]{64})\s*$")


class CardholderFileError(Exception):
    pass


def _from_rows(rows: list[list[object]]) -> list[str]:
    """The ID column: the one headed like an ID (身分證字號 …), else the first column."""
    column = 0
    for index, value in enumerate(rows[0] if rows else []):
        if HEADER_ALIASES.get(header_key(value)) == "national_id":
            column = index
            break
    return [str(row[column]) for row in rows if len(row) > column and row[column] not in ("", None)]


def values_from_file(data: bytes, filename: str) -> list[str]:
    if len(data) > MAX_BYTES:
        raise CardholderFileError("檔案超過 50 MB / the file is larger than 50 MB")
    name = filename.lower()
    if name.endswith((".xlsx", ".xls", ".ods")):
        try:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception:  # any parser failure is "not a spreadsheet" here
            raise CardholderFileError("無法讀取試算表 / the spreadsheet cannot be read") from None
        return _from_rows(rows)
    for encoding in ("utf-8-sig", "cp950"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CardholderFileError("不是 UTF-8 或 Big5 文字 / not UTF-8 or Big5 text")
    rows = [re.split(r"[,\t;]", line) for line in text.splitlines() if line.strip()]
    return [value for value in _from_rows(rows) if _VALUE.match(value) or value.strip()]
