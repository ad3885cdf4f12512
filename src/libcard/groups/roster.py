"""The credentials roster (帳號密碼名冊) of an issued group application, as xlsx and PDF.

The contact person downloads it after the cards are issued and passes each reader their
account and initial password: the xlsx for their own records or a mail merge, the PDF to
print and cut into one slip per reader, grouped by unit/class so a class teacher gets one
bundle. Pure Python with no Django import, so it runs in a worker and in tests alike, and
the same roster always gives the same bytes (tests compare, an HTTP cache may too).

The Chinese text of the PDF uses the Adobe-CNS1 font MSung-Light, which every PDF viewer
provides without a font file in the repository. Reportlab pairs that font with the
Simplified Chinese CMap (UniGB-UCS2-H), which no viewer accepts for a CNS1 font: poppler
draws no Chinese at all then. ``_CnsFont`` pairs it with UniCNS-UTF16-H instead, the
predefined CMap that also reaches the CJK extension B characters outside the BMP that
some Taiwanese names use (reportlab already writes the text as UTF-16).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial
from typing import TypeVar

import xlsxwriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import CIDFontInfo, UnicodeCIDFont, structToPDF
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFDocument, PDFInfo, PDFName, PDFString
from reportlab.pdfgen.canvas import Canvas
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A reader whose card was issued."""

    row: int  # row in the school's file
    unit: str  # 單位/班級, may be ""
    name: str
    account: str  # the full national ID number (the account name)
    password: str  # the initial password
    role: str  # "學生" / "教職員" / ""


@dataclass(frozen=True, slots=True)
class ExistingEntry:
    """Already held a card: nothing new was issued."""

    row: int
    unit: str
    name: str
    id_masked: str  # e.g. "A12****789"


@dataclass(frozen=True, slots=True)
class RefusedEntry:
    row: int
    unit: str
    name: str
    id_masked: str
    reason: str


@dataclass(frozen=True, slots=True)
class Roster:
    library_name: str  # e.g. "國立公共資訊圖書館"
    institution: str  # e.g. "臺中市○○區○○國民小學"
    letter_number: str  # 發文字號
    batch_label: str  # may be ""
    issued_on: date
    password_expires_on: date  # initial passwords stop working after this day
    login_url: str  # where readers log in and change the password
    help_contact: str  # e-mail or phone of the library for questions
    entries: Sequence[RosterEntry]
    existing: Sequence[ExistingEntry]
    refused: Sequence[RefusedEntry]


INSTRUCTIONS_SHEET = "說明"
CREDENTIALS_SHEET = "帳號密碼"
EXISTING_SHEET = "已持有借閱證"
REFUSED_SHEET = "未能辦理"

CREDENTIALS_HEADERS = ("單位/班級", "姓名", "身分別", "帳號（身分證字號）", "預設密碼", "原檔列號")
EXISTING_HEADERS = ("單位/班級", "姓名", "身分證字號（部分遮蔽）", "原檔列號")
REFUSED_HEADERS = ("單位/班級", "姓名", "身分證字號（部分遮蔽）", "未能辦理原因", "原檔列號")

SLIPS_PER_PAGE = 8  # 2 columns x 4 rows on A4 portrait
NO_UNIT = "（未填單位）"

RULE_PERSONAL = "數位借閱證限本人使用，不得轉借或讓與他人。"
RULE_DIGITAL_ONLY = (
    "數位借閱證僅限使用數位資源（電子書、數位影音、數位學習、數位典藏、電子資料庫），"
    "不能借閱或預約實體資料；需要時請攜帶身分證件至總館或分館櫃檯辦理實體借閱證。"
)
RULES_SHORT = "限本人使用，不得轉借；僅限數位資源，不能借閱實體資料"
EXISTING_NOTE = "已持有借閱證者，請直接以原帳號使用數位資源，本次未另行發證"

_T = TypeVar("_T", RosterEntry, ExistingEntry, RefusedEntry)


def _iso(day: date) -> str:
    return day.strftime("%Y-%m-%d")


def _first_login_note(roster: Roster) -> str:
    return f"首次登入請立即變更密碼；預設密碼於 {_iso(roster.password_expires_on)} 後失效"


# ---------------------------------------------------------------------------------------
# Order: by unit in natural order (2年9班 before 2年10班, 二年九班 before 二年十班), the
# readers without a unit last, then by row in the school's file.

_NUMBER_OR_TEXT = re.compile(r"(\d+)|([〇零一二兩三四五六七八九十百千]+)|([甲乙丙丁戊己庚辛壬癸])")
_CHINESE_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CHINESE_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000}
# Classes named 甲班, 乙班, 丙班… are numbered by the heavenly stems, not by code point
# (which would put 丙 before 乙 before 甲).
_STEMS = "甲乙丙丁戊己庚辛壬癸"

_Chunk = tuple[int, int, str]  # (0, number, "") or (1, 0, text): always comparable


def _chinese_number(numeral: str) -> int:
    if not any(ch in _CHINESE_MULTIPLIERS for ch in numeral):
        # Read digit by digit, as in 一〇一班.
        return int("".join(str(_CHINESE_DIGITS[ch]) for ch in numeral))
    total = 0
    digit = 0
    for ch in numeral:
        if ch in _CHINESE_MULTIPLIERS:
            total += (digit or 1) * _CHINESE_MULTIPLIERS[ch]
            digit = 0
        else:
            digit = _CHINESE_DIGITS[ch]
    return total + digit


def _unit_normal(unit: str) -> str:
    # Full-width digits, stray spaces and letter case do not make another class.
    return "".join(unicodedata.normalize("NFKC", unit).split()).casefold()


def _natural_chunks(text: str) -> tuple[_Chunk, ...]:
    chunks: list[_Chunk] = []
    position = 0
    for match in _NUMBER_OR_TEXT.finditer(text):
        if match.start() > position:
            chunks.append((1, 0, text[position : match.start()]))
        arabic, chinese, stem = match.groups()
        if arabic is not None:
            chunks.append((0, int(arabic), ""))
        elif chinese is not None:
            chunks.append((0, _chinese_number(chinese), ""))
        else:
            chunks.append((0, _STEMS.index(stem) + 1, ""))
        position = match.end()
    if position < len(text):
        chunks.append((1, 0, text[position:]))
    return tuple(chunks)


_UnitKey = tuple[bool, tuple[_Chunk, ...], str]


def _unit_key(unit: str, cache: dict[str, _UnitKey]) -> _UnitKey:
    key = cache.get(unit)
    if key is None:
        normal = _unit_normal(unit)
        key = (not normal, _natural_chunks(normal), normal)
        cache[unit] = key
    return key


def _sorted(items: Iterable[_T]) -> list[_T]:
    cache: dict[str, _UnitKey] = {}
    return sorted(items, key=lambda item: (_unit_key(item.unit, cache), item.row))


def _by_unit(items: Sequence[_T]) -> list[tuple[str, list[_T]]]:
    """Sorted items in runs of one unit each, labelled with the unit as first written."""
    cache: dict[str, _UnitKey] = {}
    groups: list[tuple[str, list[_T]]] = []
    previous: _UnitKey | None = None
    for item in _sorted(items):
        key = _unit_key(item.unit, cache)
        if key != previous:
            groups.append((item.unit.strip() or NO_UNIT, []))
            previous = key
        groups[-1][1].append(item)
    return groups


# ---------------------------------------------------------------------------------------
# xlsx

# Text an office program would evaluate when the cell is edited; written with Excel's quote
# prefix so that it stays text even after a double click (security.md, exports).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MAX_WIDTH = 80  # wide enough for a refusal reason; printing fits the sheet to the page
_HEADER_FOOTER_MAX = 60  # characters of the institution in a page header (Excel allows 255)


def _looks_like_formula(text: str) -> bool:
    return text.startswith(_FORMULA_STARTS)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _header_text(text: str) -> str:
    # "&" starts a control code in Excel's page headers.
    return text[:_HEADER_FOOTER_MAX].replace("&", "&&")


class _Cells:
    """Writes every value as a string or a number, never a formula, with formats reused."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[bool, bool, bool], Format] = {}

    def format(self, *, text: bool = False, quote: bool = False, bold: bool = False) -> Format:
        key = (text, quote, bold)
        if key not in self._cache:
            properties: dict[str, object] = {"valign": "top"}
            if text:
                # What readers type: text, so that Excel keeps it as written, and in a
                # monospace face, in which look-alike characters stand apart.
                properties |= {"num_format": "@", "font_name": "Courier New"}
            if quote:
                properties["quote_prefix"] = True
            if bold:
                properties["bold"] = True
            self._cache[key] = self._workbook.add_format(properties)
        return self._cache[key]

    def string(
        self, sheet: Worksheet, row: int, col: int, value: str, *, text: bool = False
    ) -> None:
        quote = _looks_like_formula(value)
        if value or text:
            sheet.write_string(row, col, value, self.format(text=text, quote=quote))


def roster_xlsx(roster: Roster) -> bytes:
    """The roster as an Excel workbook: 說明, 帳號密碼, 已持有借閱證 and, when any row was
    refused, 未能辦理."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            # in_memory: the initial passwords never touch the disk in temp files, and every
            # zip entry is stamped 1980-01-01. 100,000 readers take about 250 MB.
            "in_memory": True,
            # Belt and braces: write() is never used, but if it were it must not turn text
            # into formulas, numbers or links.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties(
        {
            "title": f"數位借閱證帳號密碼名冊－{roster.institution}",
            "subject": "集體辦理數位借閱證",
            "created": datetime.combine(roster.issued_on, time()),
        }
    )
    cells = _Cells(workbook)
    _xlsx_instructions(workbook, roster)
    _xlsx_table(
        workbook,
        cells,
        roster,
        name=CREDENTIALS_SHEET,
        note=None,
        headers=CREDENTIALS_HEADERS,
        text_columns={3, 4},
        rows=(
            (e.unit, e.name, e.role, e.account, e.password, e.row) for e in _sorted(roster.entries)
        ),
    )
    _xlsx_table(
        workbook,
        cells,
        roster,
        name=EXISTING_SHEET,
        note=f"{EXISTING_NOTE}。" if roster.existing else f"{EXISTING_NOTE}。（本次無）",
        headers=EXISTING_HEADERS,
        text_columns={2},
        rows=((e.unit, e.name, e.id_masked, e.row) for e in _sorted(roster.existing)),
    )
    if roster.refused:
        _xlsx_table(
            workbook,
            cells,
            roster,
            name=REFUSED_SHEET,
            note=f"下列資料本次未能辦理數位借閱證，原因如下；如有疑問請洽 {roster.help_contact}。",
            headers=REFUSED_HEADERS,
            text_columns={2},
            rows=((e.unit, e.name, e.id_masked, e.reason, e.row) for e in _sorted(roster.refused)),
        )
    workbook.close()
    return output.getvalue()


def _instruction_lines(roster: Roster) -> list[tuple[str, str]]:
    """(label, text) rows of the 說明 sheet: a fact, a heading (label alone), a numbered
    item (label "1."), or a blank row."""
    expires = _iso(roster.password_expires_on)
    facts = [
        ("申請機關（學校）", roster.institution),
        ("發文字號", roster.letter_number),
    ]
    if roster.batch_label:
        facts.append(("批次", roster.batch_label))
    facts += [
        ("開通日期", _iso(roster.issued_on)),
        ("預設密碼失效日", f"{expires} 之後"),
        ("登入網址", roster.login_url),
        ("問題洽詢", roster.help_contact),
        ("本次開通", f"{len(roster.entries)} 人（「{CREDENTIALS_SHEET}」工作表）"),
        ("已持有借閱證", f"{len(roster.existing)} 人（「{EXISTING_SHEET}」工作表）"),
        (
            "未能辦理",
            f"{len(roster.refused)} 人（「{REFUSED_SHEET}」工作表）" if roster.refused else "0 人",
        ),
    ]
    return [
        *facts,
        ("", ""),
        ("一、本檔內容", ""),
        (
            "1.",
            f"本館已依貴機關來文（{roster.letter_number}）集體辦理數位借閱證，"
            f"「{CREDENTIALS_SHEET}」工作表列出本次開通的每位讀者的帳號與預設密碼，"
            "請逐一轉交讀者本人。",
        ),
        ("2.", f"「{EXISTING_SHEET}」工作表列出{EXISTING_NOTE}。"),
        ("3.", f"「{REFUSED_SHEET}」工作表列出未能辦理者及原因（本次皆已辦理時不附）。"),
        ("4.", "另附可列印的 PDF 通知單，每位讀者一張，依單位/班級分頁，沿虛線剪下即可發放。"),
        ("", ""),
        ("二、使用規則", ""),
        ("1.", RULE_PERSONAL),
        ("2.", RULE_DIGITAL_ONLY),
        ("", ""),
        ("三、首次登入", ""),
        ("1.", f"請至 {roster.login_url}，以帳號（身分證字號）及預設密碼登入。"),
        ("2.", "首次登入時須立即設定新密碼，之後請以新密碼登入；預設密碼的英文字母須區分大小寫。"),
        (
            "3.",
            f"預設密碼於 {expires} 之後失效，請儘早轉交讀者；"
            f"逾期未變更者，請洽本館（{roster.help_contact}）。",
        ),
        ("", ""),
        ("四、個人資料保護", ""),
        (
            "1.",
            "本檔含讀者的身分證字號及密碼等個人資料，請妥善保管，勿轉寄、張貼或上傳至公開處所。",
        ),
        ("2.", "發放完畢後，請刪除本檔，並銷毀多餘的列印資料。"),
    ]


# Display columns per line of the 說明 sheet (a CJK character counts two): what fits in
# column B, so that the text shows without wrapping, which LibreOffice does not size rows
# for, and prints on A4.
_INSTRUCTION_WIDTH = 96
_NO_LINE_START = set("，。、；：）」』？！")


def _split_display(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns, never starting a line with
    closing punctuation."""
    lines: list[str] = []
    line = ""
    line_width = 0
    for ch in text:
        ch_width = _display_width(ch)
        if line and line_width + ch_width > width and ch not in _NO_LINE_START:
            lines.append(line)
            line, line_width = "", 0
        line += ch
        line_width += ch_width
    lines.append(line)
    return lines


def _xlsx_instructions(workbook: xlsxwriter.Workbook, roster: Roster) -> None:
    sheet = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    title = workbook.add_format({"bold": True, "font_size": 14})
    heading = workbook.add_format({"bold": True, "font_size": 12})
    label = workbook.add_format({"bold": True})
    plain = workbook.add_format({})
    quoted = workbook.add_format({"quote_prefix": True})
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, _INSTRUCTION_WIDTH + 4)
    sheet.write_string(0, 0, f"{roster.library_name} 數位借閱證帳號密碼名冊", title)
    row = 2
    for name, text in _instruction_lines(roster):
        if name and not text:
            sheet.write_string(row, 0, name, heading)
            row += 1
            continue
        numbered = name.endswith(".")
        if name and not numbered:
            sheet.write_string(row, 0, name, label)
        if numbered:
            # Items hang under their number; continuation lines are indented to match.
            lines = _split_display(text, _INSTRUCTION_WIDTH - 4)
            lines = [f"{name} {lines[0]}", *(f"    {line}" for line in lines[1:])]
        else:
            lines = _split_display(text, _INSTRUCTION_WIDTH) if text else []
        for line in lines:
            sheet.write_string(row, 1, line, quoted if _looks_like_formula(line) else plain)
            row += 1
        if not lines:
            row += 1
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.activate()


def _xlsx_table(
    workbook: xlsxwriter.Workbook,
    cells: _Cells,
    roster: Roster,
    *,
    name: str,
    note: str | None,
    headers: Sequence[str],
    text_columns: set[int],
    rows: Iterable[tuple[str | int, ...]],
) -> None:
    sheet = workbook.add_worksheet(name)
    # The credentials table starts in the first row so that a mail merge (Word's 合併列印)
    # takes its headers as field names; the other sheets carry their instruction above.
    header_row = 0
    if note is not None:
        sheet.write_string(0, 0, note, cells.format(bold=True, quote=_looks_like_formula(note)))
        header_row = 1
    head = workbook.add_format(
        {"bold": True, "bg_color": "#EDEDED", "border": 1, "valign": "vcenter"}
    )
    widths = [_display_width(h) for h in headers]
    last_row = header_row
    for row, values in enumerate(rows, start=header_row + 1):
        last_row = row
        for col, value in enumerate(values):
            if isinstance(value, int):
                sheet.write_number(row, col, value)
                continue
            cells.string(sheet, row, col, value, text=col in text_columns)
            widths[col] = max(widths[col], _display_width(value))
    for col, header in enumerate(headers):
        sheet.write_string(header_row, col, header, head)
        default = cells.format(text=True) if col in text_columns else None
        sheet.set_column(col, col, min(widths[col], _MAX_WIDTH) + 2, default)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.autofilter(header_row, 0, last_row, len(headers) - 1)
    sheet.repeat_rows(header_row)
    sheet.hide_gridlines(0)  # print the grid: a printed list is read across its rows
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_header(f"&L{_header_text(roster.institution)}&R{name}（含個人資料，請妥善保管）")
    sheet.set_footer("&C第 &P 頁，共 &N 頁")


# ---------------------------------------------------------------------------------------
# PDF


class _CnsFont(UnicodeCIDFont):
    """MSung-Light with the Traditional Chinese Unicode CMap (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__("MSung-Light")
        self.encodingName = "UniCNS-UTF16-H"
        # Our own registry name, so that a stock UnicodeCIDFont("MSung-Light") registered
        # elsewhere in the process never replaces this one or is replaced by it.
        self.name = self.fontName = _CJK

    def addObjects(self, doc: PDFDocument) -> None:
        # reportlab's version writes the PDF name and CMap into its shared font table
        # before reading it back: a copy keeps two PDFs made at once on two threads (or a
        # stock MSung-Light elsewhere) from ever getting each other's.
        internal_name = f"F{len(doc.fontMapping) + 1}"
        font = dict(CIDFontInfo[self.face.name])
        font["Name"] = "/" + internal_name
        font["Encoding"] = "/" + self.encodingName
        reference = doc.Reference(structToPDF(font), internal_name)
        doc.idToObject["BasicFonts"].dict[internal_name] = reference
        doc.fontMapping[self.name] = "/" + internal_name


class _Info(PDFInfo):
    """Document info with a title and no author (reportlab writes "anonymous" otherwise),
    dated the day the cards were issued rather than the day the file was made, so that the
    same roster always gives the same bytes."""

    def __init__(self, title: str, subject: str, created: date) -> None:
        super().__init__()
        self.title = title
        self.subject = subject
        self.creator = "libcard"
        self.created = f"D:{created:%Y%m%d}000000+08'00'"  # Taiwan has no summer time

    def format(self, document: PDFDocument) -> bytes:
        info = PDFDictionary(
            {
                "Title": PDFString(self.title),
                "Subject": PDFString(self.subject),
                "Creator": PDFString(self.creator),
                "Producer": PDFString(self.producer),
                "CreationDate": PDFString(self.created),
                "Trapped": PDFName(self.trapped),
            }
        )
        return info.format(document)


_CJK = "libcard-MSung-Light-UniCNS"
_MONO = "Courier"
_MONO_BOLD = "Courier-Bold"


def _register_fonts() -> None:
    if _CJK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(_CnsFont())


PAGE_WIDTH, PAGE_HEIGHT = A4
_MARGIN_X = 28.0  # about 1 cm, inside what every office printer can print
_GRID_TOP = PAGE_HEIGHT - 42.0
_GRID_BOTTOM = 40.0
_SLIP_WIDTH = (PAGE_WIDTH - 2 * _MARGIN_X) / 2
_SLIP_HEIGHT = (_GRID_TOP - _GRID_BOTTOM) / 4
_PAD = 12.0
_LABEL_WIDTH = 46.0
_FAKE_BOLD = 2  # text render mode fill + stroke: MSung-Light has no bold face
_GREY = 0.35
_PASSWORD_SIZE = 17.0
_PASSWORD_GAP = 0.08  # of the font size, between two password characters
_PASSWORD_SHADE = 0.85

# Variation selectors pick a glyph variant the non-embedded font may not have; the base
# character is the name.
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _printable(text: str) -> str:
    """``text`` as it can be drawn: line breaks and tabs as spaces, invisible format
    characters dropped, and what no font has (other controls, private use such as a
    school's self-made 造字, unassigned code points, lone surrogates) as a box, so that a
    name is never shown silently shorter."""
    text = _VARIATION_SELECTORS.sub("", text)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" " if ch.isspace() else "□")
        elif category == "Cf":
            continue
        elif category in ("Co", "Cn", "Cs"):
            out.append("□")
        else:
            out.append(ch)  # letters, marks and spaces such as U+3000
    return "".join(out)


def _mono(text: str, *, bold: bool = False) -> str:
    """Courier for what readers type (account, password, URL), where a look-alike costs a
    failed login; the CJK font for whatever Courier cannot show."""
    if text.isascii():
        return _MONO_BOLD if bold else _MONO
    return _CJK


def _bold(canvas: Canvas, x: float, y: float, text: str) -> None:
    """MSung-Light has no bold face: fill and stroke the glyphs with a thin black line."""
    canvas.saveState()
    canvas.setStrokeGray(0)
    canvas.setLineWidth(0.3)
    canvas.drawString(x, y, text, mode=_FAKE_BOLD)
    canvas.restoreState()


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _fit_size(text: str, font: str, size: float, smallest: float, width: float) -> float:
    """The largest size from ``size`` down to ``smallest`` at which ``text`` fits."""
    natural = _width(text, font, size)
    if natural <= width:
        return size
    return max(smallest, size * width / natural)


def _shorten(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit; only for long names and units, never for an
    account or a password."""
    if _width(text, font, size) <= width:
        return text
    while text and _width(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width``, broken between any two characters (Chinese
    has no spaces to break at)."""
    if _width(text, font, size) <= width:
        return [text]  # the usual case, at the cost of one measurement
    lines: list[str] = []
    line = ""
    line_width = 0.0
    for ch in text:
        ch_width = _width(ch, font, size)
        if line and line_width + ch_width > width:
            lines.append(line)
            line, line_width = "", 0.0
        line += ch
        line_width += ch_width
    if line or not lines:
        lines.append(line)
    return lines


_URL_BREAKS = "/?&=#"


def _url_lines(url: str, width: float) -> tuple[str, float, list[str]]:
    """The login URL in one line when it fits at 7 pt or more, else in two or more, broken
    after a "/", "?" or "&" where one is near the end of the line."""
    font = _mono(url)
    size = _fit_size(url, font, 9, 7, width)
    lines: list[str] = []
    rest = url
    while rest:
        line = _wrap(rest, font, size, width)[0]
        if len(line) < len(rest):
            cut = max(line.rfind(ch) for ch in _URL_BREAKS) + 1
            if cut > len(line) // 2:
                line = line[:cut]
        lines.append(line)
        rest = rest[len(line) :]
    return font, size, lines or [""]


def _place(
    canvas: Canvas,
    name: str,
    draw: Callable[[], None],
    box: tuple[float, float, float, float] = (0, 0, PAGE_WIDTH, PAGE_HEIGHT),
) -> None:
    """Draw the form XObject ``name``, made by ``draw`` on first use: what repeats on
    thousands of pages is then written once. Reportlab formats every coordinate in Python,
    so this is what keeps 10,000 slips within seconds."""
    if not canvas.hasForm(name):
        canvas.beginForm(name, *box)
        draw()
        canvas.endForm()
    canvas.doForm(name)


_PRIVACY_NOTE = "含個人資料，請妥善保管"


class _Pages:
    """Page furniture: a header naming the institution and what the page holds, a footer
    with the page number and the institution."""

    def __init__(self, canvas: Canvas, roster: Roster) -> None:
        self.canvas = canvas
        self.institution = _printable(roster.institution)
        self.number = 0

    def _fixed(self) -> None:
        c = self.canvas
        c.setFont(_CJK, 8)
        c.drawRightString(PAGE_WIDTH - _MARGIN_X, PAGE_HEIGHT - 30, _PRIVACY_NOTE)
        c.drawString(_MARGIN_X, 20, _shorten(self.institution, _CJK, 8, PAGE_WIDTH / 2))

    def start(self, title: str) -> None:
        self.number += 1
        c = self.canvas
        c.setFillGray(0)
        _place(c, "furniture", self._fixed)
        c.setFont(_CJK, 10)
        room = PAGE_WIDTH - 2 * _MARGIN_X - _width(_PRIVACY_NOTE, _CJK, 8) - 12
        _bold(
            c, _MARGIN_X, PAGE_HEIGHT - 30, _shorten(f"{self.institution}　{title}", _CJK, 10, room)
        )
        c.setFont(_CJK, 8)
        c.drawRightString(PAGE_WIDTH - _MARGIN_X, 20, f"第 {self.number} 頁")

    def end(self) -> None:
        self.canvas.showPage()


def roster_pdf(roster: Roster) -> bytes:
    """The roster as printable A4 pages: the slips, unit by unit, each unit from a new
    page; then the summary, the existing cardholders and the refused rows."""
    _register_fonts()
    output = io.BytesIO()
    # invariant: a fixed document ID, so that the same roster gives the same bytes.
    canvas = Canvas(
        output,
        pagesize=A4,
        invariant=1,
        pageCompression=1,
        # 1.5: the first version that predefines the UniCNS-UTF16-H CMap.
        pdfVersion=(1, 5),
        lang="zh-TW",
    )
    canvas._doc.info = _Info(  # reportlab has no public way to leave the author out
        title=f"數位借閱證開通通知單－{_printable(roster.institution)}",
        subject=f"{_printable(roster.library_name)} 集體辦理數位借閱證",
        created=roster.issued_on,
    )
    canvas.setLineJoin(1)
    pages = _Pages(canvas, roster)
    slip = _SlipWriter(canvas, roster)
    for unit, entries in _by_unit(roster.entries):
        for first in range(0, len(entries), SLIPS_PER_PAGE):
            on_page = entries[first : first + SLIPS_PER_PAGE]
            more = "（續）" if first else ""
            pages.start(f"{_printable(unit)}{more}　數位借閱證開通通知單 {len(entries)} 張")
            _place(canvas, f"cuts{len(on_page)}", partial(_cut_lines, canvas, len(on_page)))
            for index, entry in enumerate(on_page):
                column, line = index % 2, index // 2
                slip.draw(
                    _MARGIN_X + column * _SLIP_WIDTH,
                    _GRID_TOP - line * _SLIP_HEIGHT,
                    entry,
                )
            pages.end()
    _summary(canvas, pages, roster)
    canvas.save()
    return output.getvalue()


def _cut_lines(canvas: Canvas, slips: int) -> None:
    """Dashed lines around and between the slips on the page."""
    rows = (slips + 1) // 2
    bottom = _GRID_TOP - rows * _SLIP_HEIGHT
    left, middle, right = _MARGIN_X, _MARGIN_X + _SLIP_WIDTH, PAGE_WIDTH - _MARGIN_X
    canvas.saveState()
    canvas.setStrokeGray(0.45)
    canvas.setLineWidth(0.6)
    canvas.setDash(4, 3)
    for line in range(rows + 1):
        y = _GRID_TOP - line * _SLIP_HEIGHT
        # Across the right half only where a right-hand slip lies above or below the line.
        right_above = 0 < line and 2 * (line - 1) + 1 < slips
        right_below = line < rows and 2 * line + 1 < slips
        canvas.line(left, y, right if right_above or right_below else middle, y)
    canvas.line(left, _GRID_TOP, left, bottom)
    canvas.line(middle, _GRID_TOP, middle, bottom)
    if slips > 1:
        full_rows_bottom = _GRID_TOP - (slips // 2) * _SLIP_HEIGHT
        canvas.line(right, _GRID_TOP, right, full_rows_bottom)
    canvas.restoreState()


class _SlipWriter:
    """One cut-out slip: who it is for, the account and password, and how to start.

    What every slip shares (title, labels, URL, rules, the password's cells) is a form
    XObject that each slip places; each slip then adds only its reader's text, in one text
    object.
    """

    def __init__(self, canvas: Canvas, roster: Roster) -> None:
        self.canvas = canvas
        self.inner = _SLIP_WIDTH - 2 * _PAD
        self.value_width = self.inner - _LABEL_WIDTH
        self.roster = roster
        # Baselines, downwards from the top edge of the slip.
        self.title_y = _PAD + 10
        self.name_y = self.title_y + 25
        self.unit_y = self.name_y + 18
        self.account_y = self.unit_y + 23
        self.password_y = self.account_y + 27
        self.url_y = self.password_y + 20
        url = _printable(roster.login_url)
        self.url_font, self.url_size, self.url_lines = _url_lines(url, self.value_width)
        self.first_login_y = self.url_y + (len(self.url_lines) - 1) * (self.url_size + 1.5) + 16
        self.rules_y = self.first_login_y + 12.5
        self.contact_y = self.rules_y + 12.5

    def _fixed(self) -> None:
        """What every slip shows, drawn with the origin at the slip's bottom-left corner."""
        c = self.canvas
        roster = self.roster
        x = _PAD
        value_x = x + _LABEL_WIDTH

        def y(offset: float) -> float:
            return _SLIP_HEIGHT - offset

        title = f"{_printable(roster.library_name)}　數位借閱證開通通知"
        c.setFont(_CJK, _fit_size(title, _CJK, 11.5, 6, self.inner))
        _bold(c, x, y(self.title_y), title)
        c.setLineWidth(0.5)
        c.setStrokeGray(0.6)
        c.line(x, y(self.title_y + 5), x + self.inner, y(self.title_y + 5))

        c.setFillGray(_GREY)
        c.setFont(_CJK, 8.5)
        for label, offset in (
            ("姓名", self.name_y),
            ("單位", self.unit_y),
            ("帳號", self.account_y),
            ("預設密碼", self.password_y),
            ("登入網址", self.url_y),
        ):
            c.drawString(x, y(offset), label)
        c.setFont(_CJK, 7)
        c.drawRightString(x + self.inner, y(self.password_y), "區分大小寫")
        c.setFillGray(0)

        c.setFont(self.url_font, self.url_size)
        for index, line in enumerate(self.url_lines):
            c.drawString(value_x, y(self.url_y + index * (self.url_size + 1.5)), line)

        first_login = _first_login_note(roster)
        c.setFont(_CJK, _fit_size(first_login, _CJK, 8.5, 6, self.inner))
        _bold(c, x, y(self.first_login_y), first_login)
        c.setFont(_CJK, _fit_size(RULES_SHORT, _CJK, 8.5, 6, self.inner))
        c.drawString(x, y(self.rules_y), RULES_SHORT)
        c.setFillGray(_GREY)
        c.setFont(_CJK, 7.5)
        contact = _printable(f"問題請洽：{roster.help_contact}")
        # Leave room on the right for the slip's own "原檔第 N 列".
        room = self.inner - _width("原檔第 1000000 列", _CJK, 7) - 8
        c.drawString(x, y(self.contact_y), _shorten(contact, _CJK, 7.5, room))

    def draw(self, x0: float, top: float, entry: RosterEntry) -> None:
        c = self.canvas
        c.saveState()
        c.translate(x0, top - _SLIP_HEIGHT)
        slip_box = (0, 0, _SLIP_WIDTH, _SLIP_HEIGHT)
        _place(c, "slip", self._fixed, slip_box)
        x = _PAD
        value_x = x + _LABEL_WIDTH

        def y(offset: float) -> float:
            return _SLIP_HEIGHT - offset

        password = _printable(entry.password)
        password_font, password_size, pitch = self._password_metrics(password)
        cells = partial(
            self._password_cells, value_x, y(self.password_y), password_size, pitch, len(password)
        )
        _place(c, f"cells{len(password)}", cells, slip_box)

        text = c.beginText()
        role = _printable(entry.role)
        role_width = _width(role, _CJK, 9) + 6 if role else 0
        name = _printable(entry.name)
        name_room = self.value_width - role_width
        size = _fit_size(name, _CJK, 14, 9, name_room)
        text.setFont(_CJK, size)
        text.setTextOrigin(value_x, y(self.name_y))
        text.textOut(_shorten(name, _CJK, size, name_room))
        if role:
            text.setFont(_CJK, 9)
            text.setTextOrigin(x + self.inner - _width(role, _CJK, 9), y(self.name_y))
            text.textOut(role)

        unit = _printable(entry.unit) or NO_UNIT
        size = _fit_size(unit, _CJK, 10.5, 7, self.value_width)
        text.setFont(_CJK, size)
        text.setTextOrigin(value_x, y(self.unit_y))
        text.textOut(_shorten(unit, _CJK, size, self.value_width))

        account = _printable(entry.account)
        font = _mono(account, bold=True)
        text.setFont(font, _fit_size(account, font, 15, 6, self.value_width))
        text.setTextOrigin(value_x, y(self.account_y))
        text.textOut(account)

        # One string, not one per cell, so that a text extractor, a screen reader and copy
        # and paste see the password as one word.
        gap = _PASSWORD_GAP * password_size
        text.setFont(password_font, password_size)
        text.setCharSpace(gap)
        text.setTextOrigin(value_x + gap / 2, y(self.password_y))
        text.textOut(password)
        text.setCharSpace(0)

        row_note = f"原檔第 {entry.row} 列"
        text.setFont(_CJK, 7)
        text.setFillGray(_GREY)
        text.setTextOrigin(x + self.inner - _width(row_note, _CJK, 7), y(self.contact_y))
        text.textOut(row_note)
        c.drawText(text)
        c.restoreState()

    def _password_metrics(self, password: str) -> tuple[str, float, float]:
        """Font, size and character pitch: as large as fits, up to _PASSWORD_SIZE.

        The gap between characters stays under a tenth of the font size, where pdftotext
        and PDF viewers would start a new word."""
        font = _mono(password, bold=True)
        room = self.value_width - 40  # "區分大小寫" sits on the right
        size = min(_PASSWORD_SIZE, room / max(len(password), 1) / (0.6 + _PASSWORD_GAP))
        return font, size, _width("M", font, size) + _PASSWORD_GAP * size

    def _password_cells(self, x: float, y: float, size: float, pitch: float, length: int) -> None:
        """Every other character on a grey cell: the cells need no edges that a glyph could
        touch, yet each character stands apart, the count shows, and the case of a letter
        (which the password keeps) shows against the cell height."""
        c = self.canvas
        bottom, height = y - 0.3 * size, 1.12 * size
        c.setFillGray(_PASSWORD_SHADE)
        for index in range(0, length, 2):
            c.rect(x + index * pitch, bottom, pitch, height, stroke=0, fill=1)
        c.setFillGray(0)
        c.setLineWidth(0.5)
        c.setStrokeGray(0.55)
        c.rect(x, bottom, length * pitch, height, stroke=1, fill=0)


# ---------------------------------------------------------------------------------------
# After the slips: the summary for the contact person, the existing cardholders and the
# refused rows, as flowing text and tables over as many pages as they need.

_FLOW_TOP = PAGE_HEIGHT - 52.0
_FLOW_BOTTOM = 42.0
_FLOW_WIDTH = PAGE_WIDTH - 2 * _MARGIN_X
_TABLE_SIZE = 9.5
_TABLE_LEADING = 13.0


@dataclass(frozen=True, slots=True)
class _TableColumn:
    header: str
    width: float
    mono: bool = False  # Courier for masked IDs, as on the slips


class _Flow:
    """Text and tables that run over as many pages as they need."""

    def __init__(self, canvas: Canvas, pages: _Pages, title: str) -> None:
        self.canvas = canvas
        self.pages = pages
        self.title = title
        self.y = _FLOW_TOP
        self.open = False
        self.on_new_page: Callable[[], None] | None = None

    def _new_page(self) -> None:
        if self.open:
            self.pages.end()
        self.pages.start(self.title)
        self.open = True
        self.y = _FLOW_TOP
        if self.on_new_page is not None:
            self.on_new_page()

    def room(self, height: float) -> None:
        """A new page unless ``height`` still fits on this one."""
        if not self.open or self.y - height < _FLOW_BOTTOM:
            self._new_page()

    def space(self, height: float) -> None:
        self.y -= height

    def paragraph(
        self,
        text: str,
        *,
        size: float = 10,
        bold: bool = False,
        indent: float = 0,
        hang: str = "",
        keep: float = 0,
    ) -> None:
        """``text`` wrapped to the page width; ``hang`` (such as "1. ") starts the first
        line and the others line up after it; ``keep`` is room needed below the first line
        (a heading is not left alone at the bottom of a page)."""
        c = self.canvas
        leading = size * 1.45
        hang_width = _width(hang, _CJK, size)
        lines = _wrap(_printable(text), _CJK, size, _FLOW_WIDTH - indent - hang_width)
        for index, line in enumerate(lines):
            self.room(leading + (keep if index == 0 else 0))
            self.y -= leading
            c.setFont(_CJK, size)
            if index == 0 and hang:
                c.drawString(_MARGIN_X + indent, self.y, hang)
            x = _MARGIN_X + indent + hang_width
            if bold:
                _bold(c, x, self.y, line)
            else:
                c.drawString(x, self.y, line)

    def field(self, label: str, value: str, *, mono: bool = False, size: float = 10) -> None:
        """``label：value``; ``mono`` for what readers type (the URL), as on the slips."""
        c = self.canvas
        leading = size * 1.45
        label = f"{label}："
        label_width = _width(label, _CJK, size)
        value = _printable(value)
        font = _mono(value) if mono else _CJK
        for index, line in enumerate(_wrap(value, font, size, _FLOW_WIDTH - label_width)):
            self.room(leading)
            self.y -= leading
            if index == 0:
                c.setFont(_CJK, size)
                c.drawString(_MARGIN_X, self.y, label)
            c.setFont(font, size)
            c.drawString(_MARGIN_X + label_width, self.y, line)

    def table(self, columns: Sequence[_TableColumn], rows: Iterable[Sequence[str]]) -> None:
        """Rows under a grey header band that repeats at the top of every page."""
        c = self.canvas
        band = _TABLE_LEADING + 5

        def header() -> None:
            c.setFillGray(0.9)
            c.rect(_MARGIN_X, self.y - band, _FLOW_WIDTH, band, stroke=0, fill=1)
            c.setFillGray(0)
            c.setFont(_CJK, _TABLE_SIZE)
            x = _MARGIN_X
            for column in columns:
                _bold(c, x + 3, self.y - band + 5, column.header)
                x += column.width
            self.y -= band

        self.room(band + 2 * _TABLE_LEADING)
        header()
        self.on_new_page = header
        for values in rows:
            texts = [_printable(value) for value in values]
            fonts = [
                _mono(text) if column.mono else _CJK
                for column, text in zip(columns, texts, strict=True)
            ]
            cells = [
                _wrap(text, font, _TABLE_SIZE, column.width - 6)
                for column, text, font in zip(columns, texts, fonts, strict=True)
            ]
            height = max(len(lines) for lines in cells) * _TABLE_LEADING + 5
            self.room(height)
            x = _MARGIN_X
            for column, lines, font in zip(columns, cells, fonts, strict=True):
                c.setFont(font, _TABLE_SIZE)
                for offset, line in enumerate(lines):
                    c.drawString(x + 3, self.y - _TABLE_LEADING * (offset + 1), line)
                x += column.width
            self.y -= height
            c.setLineWidth(0.3)
            c.setStrokeGray(0.75)
            c.line(_MARGIN_X, self.y, _MARGIN_X + _FLOW_WIDTH, self.y)
        self.on_new_page = None

    def close(self) -> None:
        if self.open:
            self.pages.end()
            self.open = False


def _summary(canvas: Canvas, pages: _Pages, roster: Roster) -> None:
    flow = _Flow(canvas, pages, "辦理結果")
    expires = _iso(roster.password_expires_on)
    heading_keep = 3 * _TABLE_LEADING
    flow.paragraph(f"{roster.library_name} 數位借閱證開通結果", size=15, bold=True)
    flow.space(6)
    flow.field("申請機關（學校）", roster.institution)
    flow.field("發文字號", roster.letter_number)
    if roster.batch_label:
        flow.field("批次", roster.batch_label)
    flow.field("開通日期", _iso(roster.issued_on))
    flow.field("預設密碼失效日", f"{expires} 之後")
    flow.field(
        "辦理結果",
        f"本次開通 {len(roster.entries)} 人、已持有借閱證 {len(roster.existing)} 人、"
        f"未能辦理 {len(roster.refused)} 人",
    )
    flow.field("登入網址", roster.login_url, mono=True)
    flow.field("問題洽詢", roster.help_contact)
    flow.space(10)
    flow.paragraph("給聯絡人", size=11, bold=True, keep=heading_keep)
    for number, line in enumerate(
        (
            "請沿虛線剪下通知單，逐一交給讀者本人；請勿張貼或以群組訊息傳送帳號密碼。",
            f"讀者首次登入時須立即設定新密碼；預設密碼於 {expires} 之後失效，請儘早發放。",
            RULE_PERSONAL,
            RULE_DIGITAL_ONLY,
            "本文件含個人資料，發放完畢後請銷毀多餘的紙本並刪除電子檔。",
        ),
        start=1,
    ):
        flow.paragraph(line, indent=6, hang=f"{number}. ")

    flow.space(14)
    flow.paragraph(
        f"已持有借閱證者（{len(roster.existing)} 人）", size=12, bold=True, keep=heading_keep
    )
    flow.paragraph(f"{EXISTING_NOTE}。")
    if roster.existing:
        flow.space(4)
        flow.table(
            (
                _TableColumn("單位/班級", 160),
                _TableColumn("姓名", 170),
                _TableColumn("身分證字號", 120, mono=True),
                _TableColumn("原檔列號", _FLOW_WIDTH - 450),
            ),
            ((e.unit, e.name, e.id_masked, str(e.row)) for e in _sorted(roster.existing)),
        )
    else:
        flow.paragraph("（本次無）")

    if roster.refused:
        flow.space(14)
        flow.paragraph(
            f"未能辦理（{len(roster.refused)} 人）", size=12, bold=True, keep=heading_keep
        )
        flow.paragraph(f"下列資料本次未能辦理數位借閱證，如有疑問請洽 {roster.help_contact}。")
        flow.space(4)
        flow.table(
            (
                _TableColumn("單位/班級", 110),
                _TableColumn("姓名", 100),
                _TableColumn("身分證字號", 80, mono=True),
                _TableColumn("原因", _FLOW_WIDTH - 340),
                _TableColumn("原檔列號", 50),
            ),
            ((e.unit, e.name, e.id_masked, e.reason, str(e.row)) for e in _sorted(roster.refused)),
        )
    flow.close()
