"""Reader data files for the benchmarks: valid national IDs, mixed date forms, some bad rows.

``python -m bench.generate OUT_DIR [ROWS]`` writes readers-<ROWS>.xlsx and .ods.
The ods is written as plain ODF XML (as LibreOffice would store it) so that no
office program is needed on the machine that runs the benchmark.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

from libcard.identity.numbers import check_digit_for
from libcard.readerfile.columns import COLUMNS

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高"
GIVEN = "家豪志明俊傑建宏淑芬美玲雅婷怡君宗翰承恩宥廷品妍詠晴子涵柏宇"
LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"


def national_id(rng: random.Random, serial: int) -> str:
    """Unique per serial (random ones would collide a few times in 100,000)."""
    first = rng.choice(LETTERS) + rng.choice("12") + f"{serial:07d}"
    return first + check_digit_for(first)


def rows(count: int, seed: int = 20261125, *, with_errors: bool = True) -> Iterator[list[object]]:
    """Data rows; with errors, about 4% carry a mistake a school would make."""
    rng = random.Random(seed)
    for serial in range(1, count + 1):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        roc = birth.year - 1911
        form = serial % 4
        if form == 0:
            birth_cell: object = birth
        elif form == 1:
            birth_cell = f"{roc}/{birth.month:02d}/{birth.day:02d}"
        elif form == 2:
            birth_cell = birth.isoformat()
        else:
            birth_cell = f"{roc:03d}{birth.month:02d}{birth.day:02d}"
        number = national_id(rng, serial)
        sex = "男" if number[1] == "1" else "女"
        role = "學生" if rng.random() < 0.9 else "教職員"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        email = f"s{serial}@school.example.edu.tw"
        mobile = f"09{rng.randrange(10**8):08d}"
        unit = f"{rng.randrange(1, 7)}年{rng.randrange(1, 12)}班"
        if not with_errors:
            pass
        elif serial % 100 == 7:
            number = number[:-1] + str((int(number[-1]) + 1) % 10)  # wrong check digit
        elif serial % 100 == 31:
            birth_cell = "85/02/30"
        elif serial % 100 == 57:
            role = "家長"
        elif serial % 100 == 83:
            email = "no-at-sign.example"
        yield [serial, name, number, birth_cell, role, sex, email, mobile, unit]


def write_xlsx(path: Path, count: int, *, with_errors: bool = True) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("讀者資料")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, [c.header for c in COLUMNS])
    for index, values in enumerate(rows(count, with_errors=with_errors), start=1):
        for col, value in enumerate(values):
            if isinstance(value, dt.date):
                sheet.write_datetime(index, col, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, int):
                sheet.write_number(index, col, value)
            else:
                sheet.write_string(index, col, value)
    book.close()


_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
    '<office:body><office:spreadsheet><table:table table:name="讀者資料">'
)
_ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _ods_cell(value: object) -> str:
    if isinstance(value, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    if isinstance(value, int):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    text = escape(str(value))
    return (
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


def write_ods(path: Path, count: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        with archive.open("content.xml", "w") as content:
            content.write(_ODS_HEAD.encode())
            header = "".join(_ods_cell(c.header) for c in COLUMNS)
            content.write(f"<table:table-row>{header}</table:table-row>".encode())
            batch: list[str] = []
            for values in rows(count):
                batch.append(
                    "<table:table-row>" + "".join(map(_ods_cell, values)) + "</table:table-row>"
                )
                if len(batch) >= 1000:
                    content.write("".join(batch).encode())
                    batch.clear()
            content.write("".join(batch).encode())
            content.write(_ODS_TAIL.encode())


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path("var/bench")
    count = int(argv[1]) if len(argv) > 1 else 100_000
    out.mkdir(parents=True, exist_ok=True)
    for suffix, writer in ((".xlsx", write_xlsx), (".ods", write_ods)):
        path = out / f"readers-{count}{suffix}"
        if not path.exists():
            writer(path, count)
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
