"""The blank template (xlsx and ods) that contact persons download."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from libcard.readerfile.columns import COLUMNS, HEADER_ALIASES, REQUIRED_KEYS, header_key
from libcard.readerfile.dates import parse_birth_date
from libcard.readerfile.template import (
    DATA_SHEET,
    DATE_FORMS_GREGORIAN,
    DATE_FORMS_ROC,
    INSTRUCTIONS_SHEET,
    PREFORMATTED_ROWS,
    template_ods,
    template_xlsx,
)

HEADERS = [c.header for c in COLUMNS]
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice missing")
# LibreOffice runs one at a time (same xdist worker): several at once on two cores time out.
one_office_at_a_time = pytest.mark.xdist_group("libreoffice")


def _xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own output, not an upload


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


@pytest.fixture(scope="module")
def xlsx_bytes() -> bytes:
    return template_xlsx()


@pytest.fixture(scope="module")
def ods_bytes() -> bytes:
    return template_ods()


@pytest.fixture(scope="module")
def content(ods_bytes: bytes) -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(ods_bytes)) as archive:
        return _xml(archive.read("content.xml"))


def _calamine(data: bytes) -> CalamineWorkbook:
    return CalamineWorkbook.from_filelike(io.BytesIO(data))


def _ods_table(content: ET.Element, name: str) -> ET.Element:
    for table in content.iter(_q("table:table")):
        if table.get(_q("table:name")) == name:
            return table
    raise AssertionError(f"no table {name}")


def _ods_cell_text(cell: ET.Element) -> str:
    return "\n".join("".join(p.itertext()) for p in cell.findall(_q("text:p")))


def _soffice(tmp_path: Path, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """Run LibreOffice with its own profile (another instance may be running) and kill its
    whole process group on a hang, since soffice forks soffice.bin."""
    profile = (tmp_path / "lo-profile").as_uri()
    command = ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


# --- both formats --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_it_has_the_instructions_first_then_the_data_sheet(kind, xlsx_bytes, ods_bytes):
    book = _calamine(xlsx_bytes if kind == "xlsx" else ods_bytes)
    assert book.sheet_names == [INSTRUCTIONS_SHEET, DATA_SHEET]


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_the_header_row_is_the_column_list_and_nothing_follows(kind, xlsx_bytes, ods_bytes):
    book = _calamine(xlsx_bytes if kind == "xlsx" else ods_bytes)
    rows = book.get_sheet_by_name(DATA_SHEET).to_python()
    assert rows[0] == HEADERS
    # Hints live in notes and validation messages: every later row must be empty, or the
    # reader would judge it as a reader.
    assert all(value in ("", None) for row in rows[1:] for value in row)


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_the_instructions_cannot_be_taken_for_the_data_sheet(kind, xlsx_bytes, ods_bytes):
    book = _calamine(xlsx_bytes if kind == "xlsx" else ods_bytes)
    for row in book.get_sheet_by_name(INSTRUCTIONS_SHEET).to_python():
        keys = {HEADER_ALIASES.get(header_key(value)) for value in row}
        assert not set(REQUIRED_KEYS) <= keys, row


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_the_instructions_cover_every_column_and_the_rules(kind, xlsx_bytes, ods_bytes):
    book = _calamine(xlsx_bytes if kind == "xlsx" else ods_bytes)
    rows = book.get_sheet_by_name(INSTRUCTIONS_SHEET).to_python()
    text = "\n".join(str(v) for row in rows for v in row if v not in ("", None))
    by_header = {str(row[1]): row for row in rows if len(row) > 5 and row[1] in HEADERS}
    for column in COLUMNS:
        row = by_header[column.header]
        assert row[2] == ("必填" if column.required else "選填")
        assert column.hint in row[3]
        assert all(choice in row[3] for choice in column.choices)
        assert row[4] == column.example
    for needle in ("教職員及學生", "中華民國國民", "居留證", "第 1 列", ".xlsx", ".ods", "6 個月"):
        assert needle in text
    for form in DATE_FORMS_ROC + DATE_FORMS_GREGORIAN:
        assert form in text


def test_the_date_forms_shown_are_the_ones_the_reader_accepts():
    for form in DATE_FORMS_ROC + DATE_FORMS_GREGORIAN:
        assert parse_birth_date(form).isoformat() == "1996-03-12", form


def test_the_output_is_deterministic(xlsx_bytes, ods_bytes):
    assert template_xlsx() == xlsx_bytes
    assert template_ods() == ods_bytes
    for data in (xlsx_bytes, ods_bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# --- xlsx ----------------------------------------------------------------------------


def test_xlsx_header_is_bold_frozen_and_carries_the_hints(xlsx_bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes))[DATA_SHEET]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        assert cell.font.b
        assert column.hint in cell.comment.text
        assert column.example in cell.comment.text


def test_xlsx_closed_columns_offer_their_choices(xlsx_bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes))[DATA_SHEET]
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    for index, column in enumerate(COLUMNS):
        letter = openpyxl.utils.get_column_letter(index + 1)
        validation = validations[f"{letter}2:{letter}{PREFORMATTED_ROWS + 1}"]
        assert column.hint in validation.prompt  # the input message shown on selection
        if column.choices:
            assert validation.type == "list"
            assert validation.formula1 == '"' + ",".join(column.choices) + '"'
            assert validation.showErrorMessage
        else:
            assert validation.type is None  # "any value": there only for the input message


def test_xlsx_text_columns_are_formatted_as_text(xlsx_bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes))[DATA_SHEET]
    assert [c.text_format for c in COLUMNS].count(True) >= 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        expected = "@" if column.text_format else "General"
        assert sheet.cell(row=2, column=index).number_format == expected
        assert sheet.cell(row=PREFORMATTED_ROWS + 1, column=index).number_format == expected
        assert sheet.column_dimensions[letter].width == pytest.approx(column.width, abs=1)
    assert sheet.cell(row=2, column=HEADERS.index("身分證統一編號") + 1).number_format == "@"


def test_xlsx_filled_with_the_examples_reads_back_unchanged(xlsx_bytes, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes))
    for index, column in enumerate(COLUMNS, start=1):
        book[DATA_SHEET].cell(row=2, column=index, value=column.example)
    book.save(tmp_path / "filled.xlsx")
    rows = CalamineWorkbook.from_path(str(tmp_path / "filled.xlsx")).get_sheet_by_name(DATA_SHEET)
    assert rows.to_python()[1] == [c.example for c in COLUMNS]


# --- ods -----------------------------------------------------------------------------


def test_ods_package_is_well_formed(ods_bytes):
    with zipfile.ZipFile(io.BytesIO(ods_bytes)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert ods_bytes[30:38] == b"mimetype"  # where file(1) and ODF readers sniff it
        manifest = _xml(archive.read("META-INF/manifest.xml"))
        listed = {e.get(_q("manifest:full-path")) for e in manifest}
        for name in archive.namelist():
            if name.endswith(".xml") and not name.startswith("META-INF"):
                _xml(archive.read(name))  # parses
                assert name in listed


def test_ods_header_carries_the_hints_and_is_frozen(ods_bytes, content):
    table = _ods_table(content, DATA_SHEET)
    header = table.find(f"{_q('table:table-header-rows')}/{_q('table:table-row')}")
    cells = header.findall(_q("table:table-cell"))
    assert [_ods_cell_text(c) for c in cells] == HEADERS
    for cell, column in zip(cells, COLUMNS, strict=True):
        note = "".join(cell.find(_q("office:annotation")).itertext())
        assert column.hint in note
        assert column.example in note
    with zipfile.ZipFile(io.BytesIO(ods_bytes)) as archive:
        settings = _xml(archive.read("settings.xml"))
    entries = {
        e.get(_q("config:name")): {i.get(_q("config:name")): i.text for i in e}
        for e in settings.iter(_q("config:config-item-map-entry"))
    }
    assert entries[DATA_SHEET]["VerticalSplitMode"] == "2"
    assert entries[DATA_SHEET]["VerticalSplitPosition"] == "1"


def _ods_data_cells(content: ET.Element) -> list[ET.Element]:
    table = _ods_table(content, DATA_SHEET)
    row = table.find(_q("table:table-row"))  # the pre-formatted rows, after the header rows
    assert row.get(_q("table:number-rows-repeated")) == str(PREFORMATTED_ROWS)
    return row.findall(_q("table:table-cell"))


def test_ods_closed_columns_offer_their_choices(content):
    validations = {v.get(_q("table:name")): v for v in content.iter(_q("table:content-validation"))}
    for cell, column in zip(_ods_data_cells(content), COLUMNS, strict=True):
        validation = validations[cell.get(_q("table:content-validation-name"))]
        help_text = "".join(validation.find(_q("table:help-message")).itertext())
        assert column.hint in help_text
        condition = validation.get(_q("table:condition"))
        if column.choices:
            items = ";".join(f'"{c}"' for c in column.choices)
            assert condition == f"of:cell-content-is-in-list({items})"
            assert validation.get(_q("table:display-list")) == "unsorted"
        else:
            assert condition is None


def test_ods_text_columns_are_formatted_as_text(content):
    text_styles = {
        s.get(_q("style:name"))
        for s in content.iter(_q("number:text-style"))
        if s.find(_q("number:text-content")) is not None
    }
    cell_styles = {
        s.get(_q("style:name")): s.get(_q("style:data-style-name"))
        for s in content.iter(_q("style:style"))
        if s.get(_q("style:family")) == "table-cell"
    }
    table = _ods_table(content, DATA_SHEET)
    columns = table.findall(_q("table:table-column"))
    for cell, col, column in zip(_ods_data_cells(content), columns, COLUMNS, strict=True):
        for style in (
            cell.get(_q("table:style-name")),
            col.get(_q("table:default-cell-style-name")),
        ):
            assert (cell_styles[style] in text_styles) is column.text_format, column.key


# --- LibreOffice ---------------------------------------------------------------------


@needs_soffice
@one_office_at_a_time
@pytest.mark.slow
def test_libreoffice_converts_both_to_csv(xlsx_bytes, ods_bytes, tmp_path):
    (tmp_path / "t.xlsx").write_bytes(xlsx_bytes)
    (tmp_path / "t2.ods").write_bytes(ods_bytes)
    # Field options: comma, double quote, UTF-8, … and -1 = every sheet to its own file.
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    out = tmp_path / "out"
    result = _soffice(
        tmp_path,
        "--convert-to",
        csv_filter,
        "--outdir",
        str(out),
        *(str(tmp_path / n) for n in ("t.xlsx", "t2.ods")),
    )
    assert result.returncode == 0, result.stderr
    for stem in ("t", "t2"):
        data = (out / f"{stem}-{DATA_SHEET}.csv").read_text("utf-8")
        assert next(csv.reader(io.StringIO(data))) == HEADERS
        assert (out / f"{stem}-{INSTRUCTIONS_SHEET}.csv").stat().st_size > 0


# Types the examples into the template the way a person does (through LibreOffice's input
# line, which honours the cell's number format), then saves it. setFormula() through the
# API would skip the format and so prove nothing about leading zeros.
_UNO_TYPIST = r"""
import json, os, signal, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

job = json.loads(sys.argv[1])
pipe = "libcard%d" % os.getpid()
office = subprocess.Popen(
    ["soffice", "-env:UserInstallation=" + job["profile"], "--headless", "--invisible",
     "--norestore", "--accept=pipe,name=%s;urp;" % pipe],
    start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(300):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.2)
    else:
        sys.exit("LibreOffice did not answer")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    typist = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
    for source, target, filter_name in job["files"]:
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
        controller = doc.getCurrentController()
        sheet = doc.Sheets.getByName(job["sheet"])
        controller.setActiveSheet(sheet)
        for col, value in enumerate(job["values"]):
            controller.select(sheet.getCellByPosition(col, 1))
            typist.executeDispatch(
                controller.getFrame(), ".uno:EnterString", "", 0, (prop("StringName", value),))
        doc.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", filter_name),))
        doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
    office.wait(timeout=30)
finally:
    try:
        os.killpg(office.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""


def _python_with_uno() -> str | None:
    for candidate in ("/usr/bin/python3", "/usr/lib/libreoffice/program/python"):
        if Path(candidate).exists():
            probe = subprocess.run(
                [candidate, "-c", "import uno"], capture_output=True, check=False
            )
            if probe.returncode == 0:
                return candidate
    return None


@needs_soffice
@one_office_at_a_time
@pytest.mark.slow
def test_examples_typed_into_the_template_read_back_unchanged(xlsx_bytes, ods_bytes, tmp_path):
    python = _python_with_uno()
    if python is None:
        pytest.skip("no Python with LibreOffice's uno module")
    (tmp_path / "t.xlsx").write_bytes(xlsx_bytes)
    (tmp_path / "t.ods").write_bytes(ods_bytes)
    examples = [c.example for c in COLUMNS]
    job = {
        "profile": (tmp_path / "lo-profile").as_uri(),
        "sheet": DATA_SHEET,
        "values": examples,
        "files": [
            [str(tmp_path / "t.xlsx"), str(tmp_path / "typed.xlsx"), "Calc MS Excel 2007 XML"],
            [str(tmp_path / "t.ods"), str(tmp_path / "typed.ods"), "calc8"],
        ],
    }
    process = subprocess.Popen(
        [python, "-c", _UNO_TYPIST, json.dumps(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, err = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, err
    for name in ("typed.xlsx", "typed.ods"):
        row = CalamineWorkbook.from_path(str(tmp_path / name)).get_sheet_by_name(DATA_SHEET)
        typed = row.to_python()[1]
        _assert_examples_kept(typed, examples)


def _assert_examples_kept(typed: Sequence[object], examples: Sequence[str]) -> None:
    for value, column in zip(typed, COLUMNS, strict=True):
        if column.text_format:
            # "0912345678" and "85/03/12" stay text: no lost zero, no date conversion.
            assert value == column.example, column.key
        elif column.example.isdigit():
            # A number typed into a General cell becomes a number; only the serial does this.
            assert value == float(column.example), column.key
        else:
            assert value == column.example, column.key
    assert len(typed) == len(examples)


def test_text_columns_include_the_id_and_the_mobile():
    # The two values that lose a leading zero or a letter when a spreadsheet sees a number.
    text_columns = {c.key for c in COLUMNS if c.text_format}
    assert {"national_id", "mobile", "birth_date"} <= text_columns
