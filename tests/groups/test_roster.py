"""The credentials roster (xlsx and PDF) that a school's contact person downloads."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import date

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from libcard.groups.roster import (
    CREDENTIALS_HEADERS,
    CREDENTIALS_SHEET,
    EXISTING_SHEET,
    INSTRUCTIONS_SHEET,
    REFUSED_SHEET,
    SLIPS_PER_PAGE,
    ExistingEntry,
    RefusedEntry,
    Roster,
    RosterEntry,
    roster_pdf,
    roster_xlsx,
)

INJECTED = "=cmd|' /C calc'!A0"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
# The units as the school typed them, and the order the roster must give them: numbers
# compared as numbers (also in Chinese numerals), a full-width "２年９班" is 2年9班, and
# readers without a unit come last.
UNIT_ORDER = ["1年2班", "2年9班", "二年九班", "2年10班", "二年十班", "教務處", ""]
UNIT_SIZES = {
    "1年2班": 1,
    "2年9班": 10,
    "二年九班": 2,
    "2年10班": 3,
    "二年十班": 1,
    "教務處": 2,
    "": 2,
}
RARE_NAMES = ["林堃", "張喆", "王犇", "陳峯", "李綉", "黃𡘙"]  # 𡘙: CJK extension B


def _password(n: int) -> str:
    return "".join(random.Random(n).choices(ALPHABET, k=10))


def _entries() -> list[RosterEntry]:
    entries: list[RosterEntry] = []
    n = 0
    # Scrambled row numbers: within a unit the roster orders by row.
    for unit in reversed(UNIT_ORDER):
        for _ in range(UNIT_SIZES[unit]):
            n += 1
            written = "２年９班" if unit == "2年9班" and n % 4 == 0 else unit
            entries.append(
                RosterEntry(
                    row=(n * 37) % 101 + 2,
                    unit=written,
                    name=RARE_NAMES[n % len(RARE_NAMES)] + f"{n:02d}",
                    account=f"A1{n:08d}",
                    password=_password(n),
                    role="教職員" if unit == "教務處" else "學生",
                )
            )
    entries[0] = replace(entries[0], name=INJECTED)
    return entries


EXISTING_FULL_IDS = ["B123456789", "C234567890", "D198765432"]


def _mask(number: str) -> str:
    return number[:3] + "****" + number[-3:]


def _roster(**changes: object) -> Roster:
    roster = Roster(
        library_name="國立公共資訊圖書館",
        institution="臺中市○○區○○國民小學",
        letter_number="中市○小字第1130001234號",
        batch_label="第1批",
        issued_on=date(2024, 5, 20),
        password_expires_on=date(2024, 6, 19),
        login_url="https://ecard.nlpi.edu.tw/login",
        help_contact="ecard@nlpi.edu.tw",
        entries=_entries(),
        existing=[
            ExistingEntry(row=200 - i, unit=unit, name=f"舊卡{i}", id_masked=_mask(number))
            for i, (unit, number) in enumerate(
                zip(["2年10班", "2年9班", ""], EXISTING_FULL_IDS, strict=True)
            )
        ],
        refused=[
            RefusedEntry(
                row=150, unit="2年9班", name="退件甲", id_masked="E12****345", reason="非本機關學生"
            ),
            RefusedEntry(
                row=151,
                unit="1年2班",
                name="退件乙",
                id_masked="F23****456",
                reason="已在本館另一批集體辦證申請中",
            ),
        ],
    )
    return replace(roster, **changes)


def _unit_rank(unit: str) -> int:
    return UNIT_ORDER.index("2年9班" if unit == "２年９班" else unit)


@pytest.fixture(scope="module")
def roster() -> Roster:
    return _roster()


@pytest.fixture(scope="module")
def workbook(roster: Roster) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(roster_xlsx(roster)))


@pytest.fixture(scope="module")
def pdf(roster: Roster) -> bytes:
    return roster_pdf(roster)


def _pages(pdf: bytes, *, layout: bool = False) -> list[str]:
    """The text of each page, as poppler extracts it."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    command = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    result = subprocess.run(command, input=pdf, capture_output=True, check=True)
    return result.stdout.decode("utf-8").split("\f")[:-1]


def _sheet_text(sheet) -> str:
    return "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)


# ---------------------------------------------------------------------------------------
# xlsx


def test_xlsx_sheets_come_in_order(workbook):
    assert workbook.sheetnames == [
        INSTRUCTIONS_SHEET,
        CREDENTIALS_SHEET,
        EXISTING_SHEET,
        REFUSED_SHEET,
    ]
    assert workbook.sheetnames == ["說明", "帳號密碼", "已持有借閱證", "未能辦理"]


def test_xlsx_leaves_out_the_refused_sheet_when_nothing_was_refused():
    workbook = openpyxl.load_workbook(io.BytesIO(roster_xlsx(_roster(refused=[]))))
    assert workbook.sheetnames == ["說明", "帳號密碼", "已持有借閱證"]


def test_xlsx_lists_every_reader_by_unit_in_natural_order_then_row(workbook, roster):
    sheet = workbook[CREDENTIALS_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == CREDENTIALS_HEADERS
    assert rows[0] == ("單位/班級", "姓名", "身分別", "帳號（身分證字號）", "預設密碼", "原檔列號")
    data = [tuple("" if v is None else v for v in row) for row in rows[1:]]
    assert len(data) == len(roster.entries)
    expected = sorted(
        ((e.unit, e.name, e.role, e.account, e.password, e.row) for e in roster.entries),
        key=lambda r: (_unit_rank(r[0]), r[5]),
    )
    assert data == expected
    units = [row[0].replace("２年９班", "2年9班") for row in data]
    assert list(dict.fromkeys(units)) == UNIT_ORDER


def test_xlsx_orders_classes_named_by_heavenly_stems_and_chinese_numerals():
    units = ["一〇一班", "三年丙班", "九十九班", "三年甲班", "三年乙班", "3年乙班 "]
    entries = [
        RosterEntry(row=i, unit=u, name=f"讀者{i}", account=f"A1{i:08d}", password="x", role="")
        for i, u in enumerate(units)
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(roster_xlsx(_roster(entries=entries))))
    got = [row[0] for row in workbook[CREDENTIALS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert got == ["三年甲班", "3年乙班 ", "三年乙班", "三年丙班", "九十九班", "一〇一班"]


def test_xlsx_keeps_account_and_password_as_text(workbook):
    sheet = workbook[CREDENTIALS_SHEET]
    for row in sheet.iter_rows(min_row=2):
        account, password, number = row[3], row[4], row[5]
        assert account.data_type == "s" and account.number_format == "@"
        assert password.data_type == "s" and password.number_format == "@"
        assert isinstance(number.value, int)


def test_xlsx_writes_an_injected_formula_as_inert_text(workbook):
    sheet = workbook[CREDENTIALS_SHEET]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == INJECTED)
    assert cell.data_type == "s"
    assert cell.quotePrefix  # stays text even when the cell is edited


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_xlsx_never_writes_a_formula(start):
    value = f"{start}SUM(1,2)"
    entry = RosterEntry(
        row=2, unit=value, name=value, account="A100000001", password=value, role=value
    )
    data = roster_xlsx(
        _roster(
            entries=[entry],
            existing=[ExistingEntry(row=3, unit=value, name=value, id_masked="A10****002")],
            refused=[RefusedEntry(row=4, unit=value, name=value, id_masked=value, reason=value)],
            institution=value,
            help_contact=value,
        )
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook[CREDENTIALS_SHEET]
    # openpyxl leaves a control character in Excel's escaped form (_x000D_).
    assert [unescape(c.value) for c in sheet[2][:5]] == [value] * 3 + ["A100000001", value]
    for title in workbook.sheetnames:
        for row in workbook[title].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and unescape(cell.value).startswith(start):
                    assert cell.data_type == "s" and cell.quotePrefix, (title, cell.coordinate)


def test_xlsx_existing_sheet_gives_masked_ids_and_the_instruction(workbook, roster):
    sheet = workbook[EXISTING_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert "請直接以原帳號使用數位資源，本次未另行發證" in rows[0][0]
    assert rows[1] == ("單位/班級", "姓名", "身分證字號（部分遮蔽）", "原檔列號")
    assert [(r[0] or "", r[1], r[2], r[3]) for r in rows[2:]] == [
        ("2年9班", "舊卡1", "C23****890", 199),
        ("2年10班", "舊卡0", "B12****789", 200),
        ("", "舊卡2", "D19****432", 198),
    ]
    text = _sheet_text(sheet)
    assert not any(number in text for number in EXISTING_FULL_IDS)


def test_xlsx_refused_sheet_gives_the_reasons(workbook):
    rows = list(workbook[REFUSED_SHEET].iter_rows(values_only=True))
    assert rows[1] == ("單位/班級", "姓名", "身分證字號（部分遮蔽）", "未能辦理原因", "原檔列號")
    assert rows[2:] == [
        ("1年2班", "退件乙", "F23****456", "已在本館另一批集體辦證申請中", 151),
        ("2年9班", "退件甲", "E12****345", "非本機關學生", 150),
    ]


def test_xlsx_tables_have_a_bold_frozen_header_and_print_on_landscape_a4(workbook):
    for title, header_row in ((CREDENTIALS_SHEET, 1), (EXISTING_SHEET, 2), (REFUSED_SHEET, 2)):
        sheet = workbook[title]
        assert sheet.freeze_panes == f"A{header_row + 1}"
        assert all(cell.font.b for cell in sheet[header_row])
        assert sheet.print_title_rows == f"${header_row}:${header_row}"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.paperSize == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        # One page wide (1 is the default, which xlsxwriter leaves out), as long as needed.
        assert sheet.page_setup.fitToWidth in (None, 1)
        assert sheet.page_setup.fitToHeight == 0
    widths = workbook[CREDENTIALS_SHEET].column_dimensions
    assert widths["D"].width >= 18 and widths["E"].width >= 10


def test_xlsx_instructions_tell_the_rules_login_and_data_protection(workbook, roster):
    # Long items run over several rows; read them as one text.
    text = re.sub(r"\n\s*", "", _sheet_text(workbook[INSTRUCTIONS_SHEET]))
    for phrase in (
        "限本人使用，不得轉借或讓與",
        "電子書、數位影音、數位學習、數位典藏、電子資料庫",
        "不能借閱或預約實體資料",
        "攜帶身分證件至總館或分館櫃檯辦理實體借閱證",
        roster.login_url,
        "身分證字號",
        "首次登入時須立即設定新密碼",
        "2024-06-19 之後失效",
        "請刪除本檔",
        "個人資料",
        roster.institution,
        roster.letter_number,
        roster.help_contact,
    ):
        assert phrase in text, phrase
    assert workbook.active.title == INSTRUCTIONS_SHEET


def test_xlsx_is_deterministic(roster):
    assert roster_xlsx(roster) == roster_xlsx(_roster())


# ---------------------------------------------------------------------------------------
# PDF


def _slip_pages(pages: list[str], roster: Roster) -> list[list[RosterEntry]]:
    """The entries whose account is on each page, for the pages that hold slips."""
    by_page = [[e for e in roster.entries if e.account in page] for page in pages]
    return [entries for entries in by_page if entries]


def test_pdf_holds_every_name_account_and_password(pdf, roster):
    text = "\n".join(_pages(pdf))
    for entry in roster.entries:
        assert entry.name in text
        assert text.count(entry.account) == 1
        assert text.count(entry.password) == 1
        assert entry.password in text.split()  # one word: copy and paste gets it whole
    for name in RARE_NAMES:
        assert name in text


def test_pdf_puts_at_most_eight_slips_on_a_page_and_each_unit_on_its_own_pages(pdf, roster):
    pages = _pages(pdf)
    slip_pages = _slip_pages(pages, roster)
    assert SLIPS_PER_PAGE == 8
    assert all(len(entries) <= 8 for entries in slip_pages)
    # One unit per page, units in natural order, rows in order within a unit.
    ranks = [{_unit_rank(e.unit) for e in entries} for entries in slip_pages]
    assert all(len(r) == 1 for r in ranks)
    order = [r.pop() for r in ranks]
    assert order == sorted(order)
    # 2年9班 (ten readers, one of them written ２年９班) fills one page and starts another.
    assert [len(e) for e in slip_pages] == [1, 8, 2, 2, 3, 1, 2, 2]
    # Slips run left to right, then down: the reading order of the physical layout.
    laid_out = [
        page for page in _pages(pdf, layout=True) if any(e.account in page for e in roster.entries)
    ]
    order_in_pdf = [
        (_unit_rank(e.unit), e.row)
        for page in laid_out
        for e in sorted(
            (e for e in roster.entries if e.account in page), key=lambda e: page.index(e.account)
        )
    ]
    assert order_in_pdf == sorted(order_in_pdf)
    # Each page names its institution and unit in its header, and its number in the footer.
    for number, page in enumerate(pages, start=1):
        assert roster.institution in page
        assert re.search(rf"第\s*{number}\s*頁", page)
    assert "2年9班" in pages[1] and "（續）" in pages[2]
    assert "（未填單位）" in pages[len(slip_pages) - 1]


def test_pdf_slip_tells_how_to_start_and_the_rules(pdf, roster):
    first = _pages(pdf)[0]
    for phrase in (
        "國立公共資訊圖書館",
        "數位借閱證開通通知",
        roster.login_url,
        "首次登入請立即變更密碼；預設密碼於 2024-06-19 後失效",
        "限本人使用，不得轉借；僅限數位資源，不能借閱實體資料",
    ):
        assert phrase in first, phrase


def test_pdf_lists_existing_cardholders_masked_and_refused_rows_with_reasons(pdf, roster):
    pages = _pages(pdf)
    after = "\n".join(pages[len(_slip_pages(pages, roster)) :])
    assert "已持有借閱證者，請直接以原帳號使用數位資源，本次未另行發證" in after
    for entry in roster.existing:
        assert entry.id_masked in after and entry.name in after
    for entry in roster.refused:
        assert entry.reason in after and entry.name in after and entry.id_masked in after
    whole = "\n".join(pages)
    assert not any(number in whole for number in EXISTING_FULL_IDS)
    assert not any(number.encode() in pdf for number in EXISTING_FULL_IDS)


def test_pdf_with_nothing_issued_still_reports_the_result():
    empty = _roster(entries=[], refused=[])
    pages = _pages(roster_pdf(empty))
    assert len(pages) == 1
    assert "本次開通 0 人" in pages[0] and "舊卡0" in pages[0]


def test_pdf_has_a_title_and_no_author_and_is_deterministic(pdf, roster):
    assert b"/Title" in pdf
    assert b"/Author" not in pdf
    assert b"/CreationDate (D:20240520" in pdf  # the day of issue, not the day of making
    assert roster_pdf(_roster()) == pdf


def test_pdf_uses_the_traditional_chinese_cmap():
    # reportlab pairs MSung-Light with the Simplified Chinese CMap, which viewers refuse
    # for a CNS1 font: poppler then shows no Chinese at all.
    pdf = roster_pdf(_roster(entries=_entries()[:1]))
    assert re.search(rb"/Encoding\s*/UniCNS-UTF16-H", pdf)
    assert b"UniGB" not in pdf


def test_pdf_and_a_stock_msung_light_in_the_same_process_leave_each_other_alone(pdf):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import CIDFontInfo, UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont("MSung-Light"))
    other = Canvas(io.BytesIO())
    other.setFont("MSung-Light", 10)
    other.drawString(10, 10, "別的文件")
    other.save()
    shared = dict(CIDFontInfo["MSung-Light"])
    assert roster_pdf(_roster()) == pdf
    # reportlab's own font table is shared by every PDF in the process (and thread).
    assert CIDFontInfo["MSung-Light"] == shared


def test_pdf_shows_what_no_font_has_as_a_box_and_drops_invisible_characters():
    entries = [
        replace(_entries()[1], name="林\ue000明"),  # private use: a school's own 造字
        replace(_entries()[2], name="王\u200b小明"),  # zero-width space
        replace(_entries()[3], name="葉\ufe00小華"),  # variation selector
        replace(_entries()[4], name="陳\t大\n文"),
    ]
    text = "\n".join(_pages(roster_pdf(_roster(entries=entries))))
    for name in ("林□明", "王小明", "葉小華"):
        assert name in text
    assert re.search(r"陳\s*大\s*文", text)  # pdftotext drops a narrow space between CJK
