"""What a file really is, and whether it is safe to hand to a spreadsheet parser.

Everything here runs *before* any cell is read: the size limit, the zip's
entry count and inflated size (declared, then actually counted while inflating,
so a header that lies does not help), encryption, content against extension,
and how many rows and columns the sheets span — a parser builds a dense grid,
so one stray cell at XFD1048576 would otherwise cost gigabytes.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass

from libcard.readerfile.messages import CONTENT_NAMES, FILE_MESSAGES
from libcard.readerfile.model import FileRefused
from libcard.textcatalog import Translate

EXTENSIONS = (".xlsx", ".ods", ".xls", ".csv")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_CHUNK = 1 << 20
# Everything zipfile raises for a damaged or hostile archive (NotImplementedError, a
# RuntimeError, for "zip file version 9.2" or an unknown compression, among them).
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, zlib.error)


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_inflated: int = 200 * 1024 * 1024
    max_rows: int = 50_000
    max_entries: int = 2_000
    max_columns: int = 256
    header_search_rows: int = 20
    # Rows a sheet may span beyond max_rows: the title rows above the header and blank rows.
    row_slack: int = 1_000
    # What the parser may take beyond the process it starts from, and how long.
    max_memory: int = 1024 * 1024 * 1024
    timeout: float = 120.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        environ = os.environ if environ is None else environ

        def number(name: str, default: int) -> int:
            try:
                return int(environ.get(name, "") or default)
            except ValueError:
                return default

        defaults = cls()
        return cls(
            max_bytes=number("READERFILE_MAX_BYTES", defaults.max_bytes),
            max_inflated=number("READERFILE_MAX_INFLATED", defaults.max_inflated),
            max_rows=number("READERFILE_MAX_ROWS", defaults.max_rows),
        )

    @property
    def max_span(self) -> int:
        return self.max_rows + self.row_slack


def refuse(t: Translate, code: str, **params: object) -> FileRefused:
    return FileRefused(code, t(FILE_MESSAGES[code]).format(**params))


def _content_name(t: Translate, key: str) -> str:
    return t(CONTENT_NAMES[key])


def extension_of(filename: str) -> str:
    return os.path.splitext(filename)[1].lower()


def sniff(data: bytes) -> str:
    """A coarse guess of what the bytes are, from magic numbers only."""
    head = data[:8]
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head == OLE_MAGIC:
        return "ole"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "image"
    return "other"


def _zip_kind(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if "mimetype" in names:
        with archive.open("mimetype") as handle:
            if handle.read(200).strip() == ODS_MIMETYPE:
                return "ods"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    return "zip"


def _ole_encrypted(data: bytes) -> bool:
    # An encrypted OOXML package is an OLE file with these streams (MS-OFFCRYPTO).
    return "EncryptedPackage".encode("utf-16-le") in data or (
        "EncryptionInfo".encode("utf-16-le") in data
    )


def inspect(data: bytes, filename: str, limits: Limits, t: Translate, *, deep: bool = True) -> str:
    """The kind to read ("xlsx", "ods", "xls", "csv"), or FileRefused.

    ``deep=False`` does only what is instant (magic numbers, the zip's directory,
    encryption); ``deep_scan`` then inflates and measures the sheets.
    """
    ext = extension_of(filename)
    if ext not in EXTENSIONS:
        raise refuse(t, "file.unsupported_extension", ext=ext or filename)
    if not data:
        raise refuse(t, "file.empty")
    if len(data) > limits.max_bytes:
        raise refuse(t, "file.too_large", limit=limits.max_bytes // (1024 * 1024))
    magic = sniff(data)
    wanted = ext[1:]
    if magic == "zip":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except ZIP_ERRORS:
            raise refuse(t, "file.truncated_or_corrupt") from None
        with archive:
            try:
                kind = _zip_kind(archive)
            except ZIP_ERRORS:
                raise refuse(t, "file.truncated_or_corrupt") from None
            if kind != wanted:
                actual = _content_name(t, kind)
                raise refuse(t, "file.wrong_type", ext=ext, actual=actual)
            _check_zip(archive, kind, limits, t)
            if deep:
                _scan_zip(archive, kind, limits, t)
        return kind
    if magic == "ole":
        if wanted in ("xlsx", "ods") and _ole_encrypted(data):
            raise refuse(t, "file.encrypted")
        if wanted == "xls":
            if _ole_encrypted(data):
                raise refuse(t, "file.encrypted")
            return "xls"
        raise refuse(t, "file.wrong_type", ext=ext, actual=_content_name(t, "ole"))
    if wanted == "csv":
        if magic != "other" or b"\x00" in data[:65536]:
            raise refuse(t, "file.wrong_type", ext=ext, actual=_content_name(t, magic_name(magic)))
        return "csv"
    if magic == "other" and ext in (".xlsx", ".ods") and data[:4].startswith(b"PK"):
        raise refuse(t, "file.truncated_or_corrupt")
    if magic == "other" and _looks_like_text(data):
        raise refuse(t, "file.wrong_type", ext=ext, actual=_content_name(t, "text"))
    if magic == "other":
        raise refuse(t, "file.truncated_or_corrupt")
    raise refuse(t, "file.wrong_type", ext=ext, actual=_content_name(t, magic_name(magic)))


def magic_name(magic: str) -> str:
    return magic if magic in CONTENT_NAMES else "binary"


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8", "cp950"):
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sample's end is still text.
            if exc.start >= len(sample) - 3:
                return True
    return False


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _check_zip(archive: zipfile.ZipFile, kind: str, limits: Limits, t: Translate) -> None:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise refuse(t, "file.too_many_entries")
    limit_mb = limits.max_inflated // (1024 * 1024)
    if sum(info.file_size for info in infos) > limits.max_inflated:
        raise refuse(t, "file.too_large_inflated", limit=limit_mb)
    if kind == "ods":
        manifest = _read_capped(archive, "META-INF/manifest.xml", 1 << 20, t)
        if b"encryption-data" in manifest:
            raise refuse(t, "file.encrypted")


def deep_scan(data: bytes, kind: str, limits: Limits, t: Translate) -> None:
    """Inflate every part, counting real bytes, and measure the sheets' rows and columns."""
    if kind not in ("xlsx", "ods"):
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        raise refuse(t, "file.truncated_or_corrupt") from None
    with archive:
        _scan_zip(archive, kind, limits, t)


def _scan_zip(archive: zipfile.ZipFile, kind: str, limits: Limits, t: Translate) -> None:
    infos = archive.infolist()
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        is_sheet = kind == "xlsx" and info.filename.startswith("xl/worksheets/")
        is_content = kind == "ods" and info.filename == "content.xml"
        scanner = _SheetSpan() if is_sheet else _OdsSpan() if is_content else None
        total = _inflate_counting(archive, info, total, limits, t, scanner)
        if scanner is not None:
            scanner.check(limits, t)


def _read_capped(archive: zipfile.ZipFile, name: str, cap: int, t: Translate) -> bytes:
    try:
        with archive.open(name) as handle:
            return handle.read(cap)
    except KeyError:
        return b""
    except ZIP_ERRORS:
        raise refuse(t, "file.truncated_or_corrupt") from None


def _inflate_counting(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    total: int,
    limits: Limits,
    t: Translate,
    scanner: _SheetSpan | _OdsSpan | None,
) -> int:
    """Inflate one entry in chunks, counting real bytes; zipfile stops at the declared size
    and then fails the CRC, so a lying header ends here as a damaged file."""
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                total += len(chunk)
                if total > limits.max_inflated:
                    raise refuse(
                        t, "file.too_large_inflated", limit=limits.max_inflated // (1024 * 1024)
                    )
                if scanner is not None:
                    scanner.feed(chunk)
    except FileRefused:
        raise
    except ZIP_ERRORS:
        if _inflates_beyond_declared(archive, info, limits):
            limit = limits.max_inflated // (1024 * 1024)
            raise refuse(t, "file.too_large_inflated", limit=limit) from None
        raise refuse(t, "file.truncated_or_corrupt") from None
    return total


def _inflates_beyond_declared(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits
) -> bool:
    """After a failed read: does the entry's data inflate to more than its header says?

    zipfile stops at the declared size and reports a bad CRC; a header that lies
    to look small is a zip bomb, not a damaged file, and the user is told so.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED or archive.fp is None:
        return False
    try:
        archive.fp.seek(info.header_offset)
        local = archive.fp.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            return False
        name_length = int.from_bytes(local[26:28], "little")
        extra_length = int.from_bytes(local[28:30], "little")
        archive.fp.seek(info.header_offset + 30 + name_length + extra_length)
        inflater = zlib.decompressobj(-15)
        produced, remaining = 0, info.compress_size
        while remaining > 0 and produced <= info.file_size:
            data = archive.fp.read(min(_CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            produced += len(inflater.decompress(data, limits.max_inflated + 1 - produced))
            while inflater.unconsumed_tail and produced <= info.file_size:
                produced += len(
                    inflater.decompress(
                        inflater.unconsumed_tail, limits.max_inflated + 1 - produced
                    )
                )
        return produced > info.file_size
    except (OSError, ValueError, zlib.error):
        return False


class _SheetSpan:
    """The highest row and widest column of one xlsx worksheet, from its XML as it inflates.

    Every office program writes ``<row r="7">`` and ``<c r="B7">``; that common case is
    read with a few literal searches. Rows or cells without an ``r`` (allowed, rare)
    are counted by position as a parser would place them, chunk by chunk.
    """

    def __init__(self) -> None:
        self.max_row = 0
        self.max_column = 0
        self._patterns: tuple[re.Pattern[bytes], ...] | None = None
        self._buffer = b""
        self._row_end = b"</row>"

    def _compile(self, head: bytes) -> None:
        match = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet\b", head)
        prefix = re.escape(match[1]) if match and match[1] else b""
        self._row_end = b"</" + (match[1] if match and match[1] else b"") + b"row>"
        self._patterns = (
            re.compile(rb"<" + prefix + rb'row r="(\d+)"'),
            re.compile(rb' r="([A-Z]{2,3})\d'),
            re.compile(rb"<" + prefix + rb'(?:c|row)(?:>|/>|\s(?!r="))'),
            re.compile(rb"<" + prefix + rb"row\b([^>]*)>(.*?)(?:</" + prefix + rb"row>|$)", re.S),
            re.compile(rb"<" + prefix + rb"c\b([^>]*?)(/?)>"),
        )

    def feed(self, chunk: bytes) -> None:
        data = self._buffer + chunk
        if self._patterns is None:
            self._compile(data[:4096])
        assert self._patterns is not None
        # Whole rows only: keep the part after the last row end for the next chunk.
        cut = data.rfind(self._row_end)
        if cut < 0:
            self._buffer = data
            if len(data) > 8 * _CHUNK:  # one row of megabytes is not a reader data file
                self.max_column = 1 << 30
            return
        cut += len(self._row_end)
        self._buffer = data[cut:]
        self._scan(data[:cut])

    def _scan(self, data: bytes) -> None:
        assert self._patterns is not None
        rows, wide, irregular, row_blocks, cell_tags = self._patterns
        if irregular.search(data) is None:
            numbers = rows.findall(data)
            if numbers:
                self.max_row = max(self.max_row, *map(int, numbers))
            for letters in wide.findall(data):
                self.max_column = max(self.max_column, _column_number(letters))
            return
        # The general case: place rows and cells as a parser does, counting where "r" is absent.
        for block in row_blocks.finditer(data):
            number = re.search(rb'\br="(\d+)"', block[1])
            self.max_row = int(number[1]) if number else self.max_row + 1
            column = 0
            for cell in cell_tags.finditer(block[2]):
                ref = re.search(rb'\br="([A-Z]{1,3})\d', cell[1])
                column = _column_number(ref[1]) if ref else column + 1
                self.max_column = max(self.max_column, column)

    def check(self, limits: Limits, t: Translate) -> None:
        if self._buffer.strip():
            self._scan(self._buffer)
        if self.max_row > limits.max_span:
            raise refuse(t, "file.too_many_rows", limit=limits.max_rows)
        if self.max_column > limits.max_columns:
            raise refuse(t, "file.too_wide", limit=limits.max_columns)


_ODS_ROW = b"<table:table-row"
_ODS_ROW_END = b"</table:table-row>"
_ODS_TABLE_END = b"</table:table>"
_ODS_VALUE = b"office:value-type="
_ODS_REPEAT_ROWS = re.compile(rb'table:number-rows-repeated="(\d+)"')
# A run of repeated cells that is not the row's trailing filler.
_ODS_INNER_REPEAT_COLS = re.compile(
    rb'table:number-columns-repeated="(\d+)"(?![^>]*/>\s*</table:table-row>)'
)
_ODS_CELL = b"<table:table-cell"


class _OdsSpan:
    """Rows and columns of an ODS content.xml as a parser would lay them out.

    LibreOffice ends every sheet with a row repeated a million times and every row
    with a cell repeated thousands of times; both cost nothing while nothing with a
    value follows them in the same sheet or row. Only a repeat that a value follows
    widens the grid, and only those are added up.
    """

    def __init__(self) -> None:
        self.max_row = 0
        self.max_column = 0
        self._rows = 0  # rows laid out so far in the current table
        self._pending = 0  # repeated rows not yet followed by a value
        self._buffer = b""

    def feed(self, chunk: bytes) -> None:
        data = self._buffer + chunk
        cut = data.rfind(_ODS_ROW_END)
        if cut < 0:
            self._buffer = data
            if len(data) > 8 * _CHUNK:
                self.max_column = 1 << 30
            return
        cut += len(_ODS_ROW_END)
        self._buffer = data[cut:]
        self._scan(data[:cut])

    def _scan(self, data: bytes) -> None:
        # Cut the block at table ends; each part belongs to one table.
        start = 0
        while True:
            end = data.find(_ODS_TABLE_END, start)
            part = data[start:] if end < 0 else data[start:end]
            self._scan_table_part(part)
            if end < 0:
                return
            self._rows = 0
            self._pending = 0
            start = end + len(_ODS_TABLE_END)

    def _scan_table_part(self, part: bytes) -> None:
        position = 0
        for match in _ODS_REPEAT_ROWS.finditer(part):
            self._add_rows(part, position, match.start())
            self._pending += int(match[1]) - 1
            position = match.start()
        self._add_rows(part, position, len(part))
        for match in _ODS_INNER_REPEAT_COLS.finditer(part):
            row_end = part.find(_ODS_ROW_END, match.end())
            row_end = len(part) if row_end < 0 else row_end
            if part.find(_ODS_VALUE, match.end(), row_end) < 0:
                continue
            row_start = part.rfind(_ODS_ROW, 0, match.start())
            self._row_width(part[max(row_start, 0) : row_end])

    def _add_rows(self, part: bytes, start: int, end: int) -> None:
        self._rows += part.count(_ODS_ROW, start, end)
        last_value = part.rfind(_ODS_VALUE, start, end)
        if last_value >= 0:
            # Rows up to the last row holding a value are laid out, repeats included.
            self._rows += self._pending
            self._pending = 0
            self.max_row = max(self.max_row, self._rows - part.count(_ODS_ROW, last_value, end))

    def _row_width(self, row: bytes) -> None:
        width = row.count(_ODS_CELL)
        for match in re.finditer(rb'table:number-columns-repeated="(\d+)"', row):
            if row.find(_ODS_VALUE, match.end()) >= 0:
                width += int(match[1]) - 1
        self.max_column = max(self.max_column, width)

    def check(self, limits: Limits, t: Translate) -> None:
        if self._buffer.strip():
            self._scan(self._buffer)
        if self.max_row > limits.max_span:
            raise refuse(t, "file.too_many_rows", limit=limits.max_rows)
        if self.max_column > limits.max_columns:
            raise refuse(t, "file.too_wide", limit=limits.max_columns)
