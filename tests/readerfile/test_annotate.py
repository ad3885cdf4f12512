"""The annotated copy that goes back to the contact person."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import signal
import subprocess
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from libcard.readerfile.annotate import SUMMARY_SHEET, annotated_copy, excel_sheet_name
from libcard.readerfile.model import Issue, Report

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice missing")
# LibreOffice runs one at a time (same xdist worker): several at once on two cores time out.
one_office_at_a_time = pytest.mark.xdist_group("libreoffice")
ERROR_FILL = "FFFFC7CE"
WARNING_FILL = "FFFFEB9C"
INJECTED = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "\r=y", '=HYPERLINK("http://x")']

ROWS: list[tuple[int, list[object]]] = [
    (1, ["113 學年度讀者名單"]),
    (3, ["序號", "姓名", "身分證字號", "出生日期", "身分別", "電子郵件", "備註"]),
    (4, [1, "王小明", "A123456789", dt.date(1996, 3, 12), "學生", "a@example.edu.tw", 3.5]),
    (5, [2, "陳大文", "A12345678X", "85/02/30", "家長", None, ""]),
    (6, [3, *INJECTED[:5]]),
    (7, [4, INJECTED[5], INJECTED[6], dt.datetime(1990, 1, 2, 3, 4, 5), "學生", "", True]),
    # row 8 is empty in the source and not yielded; an issue on it is still marked
    (9, [5, "林小華", "B123456789", dt.datetime(2001, 7, 8), "教職員", "", dt.time(8, 30)]),
]
ISSUES = [
    Issue(5, "身分證字號", "id.checksum", "error", "身分證字號 A12****78X 的檢查碼不正確。", 2),
    Issue(5, "出生日期", "birth.format", "error", "出生日期 85/02/30 不存在，例如 85/03/12。", 3),
    Issue(5, "出生日期", "birth.extra", "error", "第二個出生日期問題。", 3),
    Issue(5, "身分別", "role.invalid", "error", "身分別只能填學生或教職員。", 4),
    Issue(5, "電子郵件", "email.missing", "warning", "未填電子郵件，無法收到重設密碼信。", 5),
    Issue(6, "", "row.bad", "error", "這一列有問題。", None),
    Issue(8, "姓名", "name.missing", "error", "請填寫姓名。", 1),
    Issue(9, "電子郵件", "email.missing", "warning", "未填電子郵件。", 5),
]


def _report(sheet: str = "讀者資料") -> Report:
    return Report(
        file="113學年度.xlsx",
        sheet=sheet,
        header_row=3,
        rows=6,
        valid=2,
        invalid=4,
        issues=list(ISSUES),
        ignored_columns=["備註"],
        columns={
            "serial": ("序號", 0),
            "name": ("姓名", 1),
            "national_id": ("身分證字號", 2),
            "birth_date": ("出生日期", 3),
            "role": ("身分別", 4),
            "email": ("電子郵件", 5),
        },
    )


@pytest.fixture(scope="module")
def annotated() -> bytes:
    return annotated_copy(rows=iter(ROWS), sheet_name="讀者資料", report=_report())


@pytest.fixture(scope="module")
def book(annotated: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(annotated))


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


def test_the_summary_comes_first_with_the_counts(book):
    assert book.sheetnames == [SUMMARY_SHEET, "讀者資料"]
    summary = book[SUMMARY_SHEET]
    facts = {row[0]: row[1] for row in summary.iter_rows(min_row=2, max_row=9, values_only=True)}
    assert facts["檔案"] == "113學年度.xlsx"
    assert facts["工作表"] == "讀者資料"
    assert facts["標題列"] == 3
    assert (facts["資料列數"], facts["正確列數"], facts["有誤列數"]) == (6, 2, 4)
    assert facts["略過的欄位"] == "備註"


def test_the_summary_lists_every_issue_linked_to_its_cell(book):
    summary = book[SUMMARY_SHEET]
    rows = list(summary.iter_rows())
    head = next(i for i, row in enumerate(rows) if row[0].value == "位置")
    assert [c.value for c in rows[head]] == ["位置", "列", "欄位", "類別", "說明"]
    listed = rows[head + 1 :]
    assert len(listed) == len(ISSUES)
    for row, issue in zip(listed, ISSUES, strict=True):
        location, number, column, severity, message = row
        assert number.value == issue.row
        assert column.value == (issue.column or "（整列）")
        assert severity.value == {"error": "錯誤", "warning": "提醒"}[issue.severity]
        assert message.value == issue.message
        letter = "ABCDEFG"[issue.col_index or 0]
        assert location.value == f"{letter}{issue.row}"
        assert location.hyperlink.location == f"'讀者資料'!{letter}{issue.row}"


def test_the_data_sheet_keeps_every_value_at_its_position(book, annotated):
    sheet = book["讀者資料"]
    assert sheet["A1"].value == "113 學年度讀者名單"
    assert [c.value for c in sheet[3]] == ROWS[1][1]
    assert sheet["A4"].value == 1
    assert sheet["G4"].value == 3.5
    assert sheet["D4"].value == dt.datetime(1996, 3, 12)  # a real date cell
    assert sheet["D4"].is_date
    assert sheet["D4"].number_format == "yyyy-mm-dd"
    assert sheet["D7"].value == dt.datetime(1990, 1, 2, 3, 4, 5)
    assert sheet["G7"].value is True
    assert sheet["A9"].value == 5
    assert all(c.value is None for c in sheet[2])
    # calamine, which the rest of libcard reads with, sees the same
    rows = CalamineWorkbook.from_filelike(io.BytesIO(annotated)).get_sheet_by_name("讀者資料")
    data = rows.to_python()
    assert data[3][3] == dt.date(1996, 3, 12)
    assert data[4][:5] == [2.0, "陳大文", "A12345678X", "85/02/30", "家長"]
    assert data[8][3] == dt.date(2001, 7, 8)


def test_the_named_cells_are_filled_and_commented(book):
    sheet = book["讀者資料"]
    for issue in ISSUES:
        cell = sheet.cell(row=issue.row, column=(issue.col_index or 0) + 1)
        expected = ERROR_FILL if issue.severity == "error" else WARNING_FILL
        assert cell.fill.fgColor.rgb == expected, cell.coordinate
        assert issue.message in cell.comment.text, cell.coordinate
    # every message of a cell is in its one comment
    assert "第二個出生日期問題" in sheet["D5"].comment.text
    assert "85/02/30 不存在" in sheet["D5"].comment.text
    # a row problem marks the row's first cell; an empty row the source skipped is marked too
    assert sheet["A6"].value == 3
    assert sheet["B8"].fill.fgColor.rgb == ERROR_FILL
    # unmarked cells stay plain
    assert sheet["B4"].fill.fill_type is None
    assert sheet["B4"].comment is None


def test_injected_formulas_stay_text(book, annotated):
    sheet = book["讀者資料"]
    cells = [sheet[f"{c}6"] for c in "BCDEF"] + [sheet["B7"], sheet["C7"]]
    for cell in cells:
        assert cell.data_type == "s", cell.coordinate
        assert cell.quotePrefix, cell.coordinate  # stays text even when edited in Excel
    assert [c.value for c in cells[:5]] == INJECTED[:5]
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(annotated)).get_sheet_by_name("讀者資料")
    data = calamine.to_python()
    assert data[5][1:6] == INJECTED[:5]
    assert data[6][1:3] == INJECTED[5:]  # openpyxl leaves CR as _x000D_; calamine decodes it
    with zipfile.ZipFile(io.BytesIO(annotated)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def test_text_from_the_file_name_and_headers_is_never_a_formula():
    report = _report()
    report.file = "=cmd|' /C calc'!A0.xlsx"
    report.issues = [Issue(4, "=SUM(1)", "x.y", "error", "-見說明", 1)]
    summary = openpyxl.load_workbook(
        io.BytesIO(annotated_copy(rows=iter(ROWS[:3]), sheet_name="x", report=report))
    )[SUMMARY_SHEET]
    texts = [c for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value == report.file for c in texts)
    assert all(c.data_type == "s" for c in texts)


@needs_soffice
@one_office_at_a_time
@pytest.mark.slow
def test_libreoffice_shows_injected_text_literally(annotated, tmp_path):
    (tmp_path / "a.xlsx").write_bytes(annotated)
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    out = tmp_path / "out"
    result = _soffice(
        tmp_path, "--convert-to", csv_filter, "--outdir", str(out), str(tmp_path / "a.xlsx")
    )
    assert result.returncode == 0, result.stderr
    with open(out / "a-讀者資料.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[5][1:6] == INJECTED[:5]
    assert rows[6][1:3] == INJECTED[5:]
    assert rows[3][3] == "1996-03-12"


@needs_soffice
@one_office_at_a_time
@pytest.mark.slow
def test_libreoffice_converts_it_to_pdf(annotated, tmp_path):
    (tmp_path / "annotated.xlsx").write_bytes(annotated)
    out = tmp_path / "out"
    result = _soffice(
        tmp_path, "--convert-to", "pdf", "--outdir", str(out), str(tmp_path / "annotated.xlsx")
    )
    assert result.returncode == 0, result.stderr
    assert (out / "annotated.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("讀者資料", "讀者資料"),
        ("Bob's [list]: 2024/25?", "Bob's _list__ 2024_25_"),
        ("'quoted'", "quoted"),
        ("", "讀者資料"),
        ("   ", "讀者資料"),
        ("檢查結果", "檢查結果 (2)"),
        ("History", "History (2)"),
        ("a" * 40, "a" * 31),
        ("表" * 40, "表" * 31),
        ("😀" * 20, "😀" * 15),  # 2 UTF-16 units each: Excel counts those
        ("tab\there", "tab_here"),
    ],
)
def test_sheet_names_are_made_safe_for_excel(name, expected):
    assert excel_sheet_name(name, taken=[SUMMARY_SHEET]) == expected


def test_an_odd_sheet_name_still_links_from_the_summary():
    data = annotated_copy(rows=iter(ROWS), sheet_name="O'Brien: 名單/2024", report=_report())
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [SUMMARY_SHEET, "O'Brien_ 名單_2024"]
    links = [
        c.hyperlink.location for row in book[SUMMARY_SHEET].iter_rows() for c in row if c.hyperlink
    ]
    assert links[0] == "'O''Brien_ 名單_2024'!C5"


def test_other_cell_types_are_written_as_what_they_are():
    rows = [
        (1, ["a", "b", "c", "d", "e", "f"]),
        (2, [dt.timedelta(hours=30), float("nan"), dt.date(1899, 12, 1), False, -7, 10**20]),
    ]
    report = Report(file="f.xlsx", sheet="s", header_row=1)
    sheet = openpyxl.load_workbook(
        io.BytesIO(annotated_copy(rows=iter(rows), sheet_name="s", report=report))
    )["s"]
    assert sheet["A2"].value == dt.timedelta(hours=30)
    assert sheet["B2"].value == "nan"  # Excel has no NaN
    assert sheet["C2"].value == "1899-12-01"  # before Excel's first date
    assert sheet["D2"].value is False
    assert sheet["E2"].value == -7
    assert sheet["F2"].value == 10**20


def test_rows_out_of_order_are_refused():
    rows = [(3, ["a"]), (2, ["b"])]
    with pytest.raises(ValueError, match="increasing"):
        annotated_copy(rows=iter(rows), sheet_name="s", report=_report())


@pytest.mark.slow
def test_memory_stays_bounded_for_a_large_file():
    def rows(count: int):
        yield 1, ["序號", "姓名", "身分證字號", "出生日期", "身分別"]
        for i in range(count):
            yield i + 2, [i + 1, f"讀者{i}", f"A1{i:08d}", dt.date(1996, 3, 12), "學生"]

    def peak(count: int) -> int:
        report = _report()
        report.issues = [
            Issue(r, "身分證字號", "id.checksum", "error", "檢查碼不正確。", 2)
            for r in range(2, count + 2, count // 80)
        ]
        tracemalloc.start()
        annotated_copy(rows=rows(count), sheet_name="s", report=report)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(2_000), peak(20_000)
    # Ten times the rows, the same number of issues: the rows must not be held in memory
    # (without constant_memory this ratio is about 8); what grows is the finished file.
    assert large < small * 3, (small, large)
