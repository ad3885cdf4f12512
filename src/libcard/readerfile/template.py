"""The blank reader data file (讀者資料檔) that contact persons download, as xlsx and ods.

Both are generated from COLUMNS, so the template can never ask for something the reader
does not accept. The input hints are cell notes on the header cells and validation input
messages on the data cells (shown when a cell is selected), never a row under the header:
the reader takes every non-empty row after the header as data, so a hint row would come
back as a bad reader.

The ods is written by hand (ODF 1.3) so that no LibreOffice is needed at run time. Both
outputs are byte-for-byte deterministic: fixed timestamps everywhere.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from .columns import COLUMNS, Column

INSTRUCTIONS_SHEET = "填寫說明"
DATA_SHEET = "讀者資料"
# Rows below the header that carry borders, text format and drop-downs; the column's
# default style keeps the text format for rows typed beyond them.
PREFORMATTED_ROWS = 1000
# The same code must give the same bytes (tests compare, and so can an HTTP cache).
FIXED_TIMESTAMP = datetime(2024, 1, 1, 0, 0, 0)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_AUTHOR = "libcard"

# What the date reader accepts (reader-file.md, Dates), shown to the contact person.
DATE_FORMS_ROC = (
    "85/03/12",
    "085/03/12",
    "85-3-12",
    "0850312",
    "850312",
    "民國85年3月12日",
    "85年3月12日",
)
DATE_FORMS_GREGORIAN = ("1996-03-12", "1996/3/12", "1996.03.12", "19960312")

_REQUIRED_FILL = "#FCE4D6"  # light orange: must be filled
_OPTIONAL_FILL = "#EDEDED"  # light grey: may stay empty
_GRID = "#BFBFBF"

LineStyle = Literal["title", "heading", "text", "table_head", "table_cell"]


@dataclass(frozen=True, slots=True)
class _Line:
    """One row of the instructions sheet, from column A; both writers render the same lines."""

    style: LineStyle = "text"
    cells: tuple[str, ...] = ()


# Instructions layout: A holds headings and item numbers, B the text (running over the empty
# cells to its right), B..F the column table.
_INSTRUCTION_WIDTHS = (4, 16, 6, 44, 22, 34)
_TABLE_HEAD = ("欄位標題", "必填", "填寫規則", "範例", "也接受的標題名稱")
# Display columns per text line (a CJK character counts two): what fits over B..F, so the
# text shows without wrapping or merged cells in every office program and on A4 landscape.
_TEXT_WIDTH = 100
_NO_LINE_START = set("，。、；：）」』？！")  # punctuation that must not begin a line


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int = _TEXT_WIDTH) -> list[str]:
    # Latin words and numbers stay whole; CJK text may break between any two characters.
    tokens = re.findall(r"[A-Za-z0-9@._/\-]+|.", text)
    lines: list[str] = []
    current = ""
    for token in tokens:
        fits = _width(current + token) <= width
        if current and not fits and token not in _NO_LINE_START:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current:
        lines.append(current.rstrip())
    return lines


def _paragraph(text: str, marker: str = "") -> list[_Line]:
    first, *rest = _wrap(text)
    return [_Line("text", (marker, first))] + [_Line("text", ("", line)) for line in rest]


def _items(*texts: str) -> list[_Line]:
    lines: list[_Line] = []
    for number, text in enumerate(texts, start=1):
        lines += _paragraph(text, f"{number}.")
    return lines


def _rule(column: Column) -> str:
    if column.choices:
        return f"{column.hint}（請從下拉選單選取：{'、'.join(column.choices)}）"
    return column.hint


def _hint_text(column: Column) -> str:
    return f"{column.hint}\n範例：{column.example}"


def _instruction_lines() -> list[_Line]:
    required = "、".join(c.header for c in COLUMNS if c.required)
    text_columns = "、".join(f"「{c.header}」" for c in COLUMNS if c.text_format)
    closed_columns = "、".join(f"「{c.header}」" for c in COLUMNS if c.choices)
    blank = _Line()
    lines = [
        _Line("title", ("讀者資料檔填寫說明（集體辦理數位借閱證）",)),
        *_paragraph(
            f"請由貴校（機關）聯絡人在「{DATA_SHEET}」工作表填寫申請人資料，"
            "每位讀者一列，填妥後存檔提供本館。"
        ),
        blank,
        _Line("heading", ("一、可以列入的讀者",)),
        *_items(
            "僅限貴校（機關）本身的教職員及學生，不包括家屬或親友。",
            "僅限中華民國國民。外籍人士及無戶籍國民不能集體辦證，"
            "請本人持效期內的居留證，自行上網申請個人數位借閱證。",
            "已持有本館或臺中市立圖書館借閱證者不必列入，可直接使用本館數位資源；"
            "若仍列入，會註明為已持證讀者，不另辦證。",
        ),
        blank,
        _Line("heading", ("二、填寫方式",)),
        *_items(
            f"每位讀者填一列，從「{DATA_SHEET}」工作表第 2 列開始往下填寫"
            f"（已預先設定 {PREFORMATTED_ROWS} 列的格式）。",
            "請勿修改、刪除或移動第 1 列的欄位標題，也不要在標題列下方插入說明列或範例列。",
            f"必填欄位：{required}（標題為橘色底）；其餘欄位選填（標題為灰色底）。",
            f"{text_columns}已設定為文字格式，以保留開頭的 0 與英文字母；"
            "從其他檔案貼上時，請用「選擇性貼上 → 值」或「貼上未格式化文字」。",
            f"{closed_columns}請從下拉選單選取。",
            "滑鼠移到欄位標題，或點選儲存格，都會顯示該欄的填寫提示。",
        ),
        blank,
        _Line("heading", ("三、各欄位說明",)),
        # A vertical table on purpose: a row holding all required headers side by side would
        # make this sheet look like the data sheet to the reader.
        _Line("table_head", ("", *_TABLE_HEAD)),
    ]
    lines += [
        _Line(
            "table_cell",
            (
                "",
                column.header,
                "必填" if column.required else "選填",
                _rule(column),
                column.example,
                "、".join(a for a in column.aliases if a != column.header),
            ),
        )
        for column in COLUMNS
    ]
    lines += [
        blank,
        _Line("heading", ("四、出生日期的寫法",)),
        *_paragraph("民國年或西元年都可以，以下寫法都接受："),
        *_paragraph(f"民國年：{'、'.join(DATE_FORMS_ROC)}（民國 100 年以後例如 1000312）"),
        *_paragraph(f"西元年：{'、'.join(DATE_FORMS_GREGORIAN)}"),
        *_paragraph(
            "6 位或 7 位數字視為民國年，8 位數字視為西元年；"
            "不存在的日期（例如 85/02/30）會退回，不會自動猜測。"
        ),
        blank,
        _Line("heading", ("五、存檔與提供",)),
        *_items(
            "請存成 Excel 活頁簿（.xlsx）或 ODF 試算表（.ods）。",
            "讀者資料檔須於來文日期起 6 個月內提供，逾期須重新發文申請；"
            "分批申請時，每一批須分別發文。",
            "資料有缺漏、錯誤或格式不正確時，檔案會退回，"
            "並附上標示問題儲存格的檢查結果，請修正後重新提供。",
        ),
    ]
    return lines


# ---------------------------------------------------------------------------------------
# xlsx


def template_xlsx() -> bytes:
    """The template as an Excel workbook: instructions first, then the data sheet."""
    output = io.BytesIO()
    # in_memory: no temp files, and xlsxwriter then stamps every zip entry with 1980-01-01.
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    workbook.set_properties(
        {
            "title": "讀者資料檔",
            "subject": "集體辦理數位借閱證",
            "author": _AUTHOR,
            "created": FIXED_TIMESTAMP,
        }
    )
    _xlsx_instructions(workbook)
    _xlsx_data_sheet(workbook)
    workbook.close()
    return output.getvalue()


def _xlsx_instructions(workbook: xlsxwriter.Workbook) -> None:
    sheet = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 16}),
        "heading": workbook.add_format({"bold": True, "font_size": 12}),
        "text": workbook.add_format({}),
        "table_head": workbook.add_format(
            {"bold": True, "bg_color": _OPTIONAL_FILL, "border": 1, "valign": "top"}
        ),
        "table_cell": workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
    }
    for index, width in enumerate(_INSTRUCTION_WIDTHS):
        sheet.set_column(index, index, width)
    for row, line in enumerate(_instruction_lines()):
        for col, text in enumerate(line.cells):
            if text:
                sheet.write_string(row, col, text, formats[line.style])
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.activate()


def _xlsx_data_sheet(workbook: xlsxwriter.Workbook) -> None:
    sheet = workbook.add_worksheet(DATA_SHEET)
    sheet.set_comments_author(_AUTHOR)
    head_base = {"bold": True, "border": 1, "align": "center", "valign": "vcenter"}
    head_required = workbook.add_format({**head_base, "bg_color": _REQUIRED_FILL})
    head_optional = workbook.add_format({**head_base, "bg_color": _OPTIONAL_FILL})
    cell_general = workbook.add_format({"border": 1, "border_color": _GRID})
    cell_text = workbook.add_format({"border": 1, "border_color": _GRID, "num_format": "@"})
    last_row = PREFORMATTED_ROWS  # 0-based: rows 1..PREFORMATTED_ROWS under the header

    sheet.set_row(0, 22)
    for col, column in enumerate(COLUMNS):
        cell_format = cell_text if column.text_format else cell_general
        # The column default format covers rows typed beyond the pre-formatted ones.
        sheet.set_column(col, col, column.width, cell_format)
        sheet.write_string(
            0, col, column.header, head_required if column.required else head_optional
        )
        sheet.write_comment(0, col, _hint_text(column), {"x_scale": 1.6, "y_scale": 0.8})
        for row in range(1, last_row + 1):
            sheet.write_blank(row, col, None, cell_format)
        validation: dict[str, object] = {
            "input_title": column.header[:32],
            "input_message": _hint_text(column)[:255],
        }
        if column.choices:
            validation |= {
                "validate": "list",
                "source": list(column.choices),
                "error_title": column.header[:32],
                "error_message": f"請從下拉選單選取：{'、'.join(column.choices)}"[:255],
            }
        else:
            validation["validate"] = "any"
        sheet.data_validation(1, col, last_row, col, validation)
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.repeat_rows(0)
    sheet.fit_to_pages(1, 0)


# ---------------------------------------------------------------------------------------
# ods

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    # "of:" prefixes the validation formulas, so it is declared though no element uses it.
    "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
_ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _xmlns(*prefixes: str) -> str:
    return " ".join(f"xmlns:{p}={quoteattr(_NS[p])}" for p in prefixes)


def _cm(characters: float) -> str:
    # How LibreOffice converts an Excel column width (7 px a character, 5 px padding, 72 px
    # an inch), so that the two templates look alike in it.
    return f"{(characters * 7 + 5) / 72 * 2.54:.3f}cm"


def _paragraphs(text: str) -> str:
    return "".join(f"<text:p>{escape(part)}</text:p>" for part in text.split("\n"))


def _string_cell(text: str, style: str | None = None, annotation: str | None = None) -> str:
    style_attr = f" table:style-name={quoteattr(style)}" if style else ""
    note = ""
    if annotation is not None:
        note = (
            f"<office:annotation><dc:creator>{_AUTHOR}</dc:creator>"
            f"{_paragraphs(annotation)}</office:annotation>"
        )
    return (
        f'<table:table-cell{style_attr} office:value-type="string">'
        f"{note}{_paragraphs(text)}</table:table-cell>"
    )


def _validation_name(index: int) -> str:
    return f"val{index + 1}"


def _ods_validations() -> str:
    parts = ["<table:content-validations>"]
    for index, column in enumerate(COLUMNS):
        cell = f"{DATA_SHEET}.{xl_col_to_name(index)}2"
        attrs = [
            f"table:name={quoteattr(_validation_name(index))}",
            'table:allow-empty-cell="true"',
            f"table:base-cell-address={quoteattr(cell)}",
        ]
        error = ""
        if column.choices:
            # In a formula string a double quote is written twice.
            items = ";".join('"' + c.replace('"', '""') + '"' for c in column.choices)
            attrs.append(f"table:condition={quoteattr(f'of:cell-content-is-in-list({items})')}")
            attrs.append('table:display-list="unsorted"')
            error = (
                f'<table:error-message table:title={quoteattr(column.header)} table:display="true"'
                f' table:message-type="stop">'
                f"{_paragraphs('請從下拉選單選取：' + '、'.join(column.choices))}"
                "</table:error-message>"
            )
        help_message = (
            f'<table:help-message table:title={quoteattr(column.header)} table:display="true">'
            f"{_paragraphs(_hint_text(column))}</table:help-message>"
        )
        parts.append(
            f"<table:content-validation {' '.join(attrs)}>{help_message}{error}"
            "</table:content-validation>"
        )
    parts.append("</table:content-validations>")
    return "".join(parts)


_ODS_AUTOMATIC_STYLES = f"""<office:automatic-styles>
<number:text-style style:name="N_TEXT"><number:text-content/></number:text-style>
<style:style style:name="ro_default" style:family="table-row">\
<style:table-row-properties style:use-optimal-row-height="true"/></style:style>
<style:style style:name="ro_head" style:family="table-row">\
<style:table-row-properties style:row-height="0.6cm" style:use-optimal-row-height="false"/>\
</style:style>
<style:style style:name="ce_i_title" style:family="table-cell" style:parent-style-name="Default">\
<style:text-properties fo:font-size="16pt" fo:font-weight="bold" style:font-size-asian="16pt" \
style:font-weight-asian="bold" style:font-size-complex="16pt" style:font-weight-complex="bold"/>\
</style:style>
<style:style style:name="ce_i_heading" style:family="table-cell" style:parent-style-name="Default">\
<style:text-properties fo:font-size="12pt" fo:font-weight="bold" style:font-size-asian="12pt" \
style:font-weight-asian="bold" style:font-size-complex="12pt" style:font-weight-complex="bold"/>\
</style:style>
<style:style style:name="ce_i_table_head" style:family="table-cell" style:parent-style-name="Default">\
<style:table-cell-properties fo:background-color="{_OPTIONAL_FILL}" fo:border="0.06pt solid #000000" \
style:vertical-align="top"/>\
<style:text-properties fo:font-weight="bold" style:font-weight-asian="bold" \
style:font-weight-complex="bold"/></style:style>
<style:style style:name="ce_i_text" style:family="table-cell" style:parent-style-name="Default"/>
<style:style style:name="ce_i_table_cell" style:family="table-cell" style:parent-style-name="Default">\
<style:table-cell-properties fo:border="0.06pt solid #000000" fo:wrap-option="wrap" \
style:vertical-align="top"/></style:style>
<style:style style:name="ce_head_required" style:family="table-cell" \
style:parent-style-name="Default">\
<style:table-cell-properties fo:background-color="{_REQUIRED_FILL}" fo:border="0.06pt solid #000000" \
style:vertical-align="middle"/><style:paragraph-properties fo:text-align="center"/>\
<style:text-properties fo:font-weight="bold" style:font-weight-asian="bold" \
style:font-weight-complex="bold"/></style:style>
<style:style style:name="ce_head_optional" style:family="table-cell" \
style:parent-style-name="Default">\
<style:table-cell-properties fo:background-color="{_OPTIONAL_FILL}" fo:border="0.06pt solid #000000" \
style:vertical-align="middle"/><style:paragraph-properties fo:text-align="center"/>\
<style:text-properties fo:font-weight="bold" style:font-weight-asian="bold" \
style:font-weight-complex="bold"/></style:style>
<style:style style:name="ce_general" style:family="table-cell" style:parent-style-name="Default">\
<style:table-cell-properties fo:border="0.06pt solid {_GRID}"/></style:style>
<style:style style:name="ce_text" style:family="table-cell" style:parent-style-name="Default" \
style:data-style-name="N_TEXT"><style:table-cell-properties fo:border="0.06pt solid {_GRID}"/>\
</style:style>
<style:style style:name="ta_print" style:family="table" style:master-page-name="Landscape">\
<style:table-properties table:display="true"/></style:style>
{{column_styles}}
</office:automatic-styles>"""


def _ods_column_styles(widths: dict[str, float]) -> str:
    return "\n".join(
        f'<style:style style:name="{name}" style:family="table-column">'
        f'<style:table-column-properties fo:break-before="auto" style:column-width="{_cm(width)}"/>'
        "</style:style>"
        for name, width in widths.items()
    )


def _ods_instructions() -> str:
    columns = "".join(
        f'<table:table-column table:style-name="co_i{i}" table:default-cell-style-name="Default"/>'
        for i in range(len(_INSTRUCTION_WIDTHS))
    )
    rows = []
    for line in _instruction_lines():
        cells = "".join(
            _string_cell(text, f"ce_i_{line.style}") if text else "<table:table-cell/>"
            for text in line.cells
        )
        if not cells:
            cells = "<table:table-cell/>"
        rows.append(f'<table:table-row table:style-name="ro_default">{cells}</table:table-row>')
    return (
        f'<table:table table:name={quoteattr(INSTRUCTIONS_SHEET)} table:style-name="ta_print">'
        f"{columns}{''.join(rows)}</table:table>"
    )


def _ods_data_sheet() -> str:
    columns = "".join(
        f'<table:table-column table:style-name="co_d{i}" table:default-cell-style-name='
        f'"{"ce_text" if column.text_format else "ce_general"}"/>'
        for i, column in enumerate(COLUMNS)
    )
    header = "".join(
        _string_cell(
            column.header,
            "ce_head_required" if column.required else "ce_head_optional",
            annotation=_hint_text(column),
        )
        for column in COLUMNS
    )
    blank = "".join(
        f'<table:table-cell table:style-name="{"ce_text" if column.text_format else "ce_general"}"'
        f" table:content-validation-name={quoteattr(_validation_name(i))}/>"
        for i, column in enumerate(COLUMNS)
    )
    return (
        f'<table:table table:name={quoteattr(DATA_SHEET)} table:style-name="ta_print">'
        f"{columns}"
        # Header rows repeat on every printed page.
        "<table:table-header-rows>"
        f'<table:table-row table:style-name="ro_head">{header}</table:table-row>'
        "</table:table-header-rows>"
        f'<table:table-row table:style-name="ro_default" '
        f'table:number-rows-repeated="{PREFORMATTED_ROWS}">{blank}</table:table-row>'
        "</table:table>"
    )


def _ods_content() -> str:
    widths = {f"co_i{i}": w for i, w in enumerate(_INSTRUCTION_WIDTHS)}
    widths |= {f"co_d{i}": c.width for i, c in enumerate(COLUMNS)}
    styles = _ODS_AUTOMATIC_STYLES.replace("{column_styles}", _ods_column_styles(widths))
    return (
        f"{_XML_DECL}<office:document-content "
        f"{_xmlns('office', 'style', 'text', 'table', 'fo', 'number', 'dc', 'of')}"
        ' office:version="1.3">'
        f"{styles}<office:body><office:spreadsheet>{_ods_validations()}"
        f"{_ods_instructions()}{_ods_data_sheet()}"
        "</office:spreadsheet></office:body></office:document-content>"
    )


def _ods_styles() -> str:
    return (
        f"{_XML_DECL}<office:document-styles {_xmlns('office', 'style', 'text', 'table', 'fo')}"
        ' office:version="1.3">'
        "<office:styles>"
        '<style:default-style style:family="table-cell">'
        '<style:text-properties fo:font-size="11pt" style:font-size-asian="11pt"/>'
        "</style:default-style>"
        '<style:style style:name="Default" style:family="table-cell"/>'
        "</office:styles>"
        "<office:automatic-styles>"
        '<style:page-layout style:name="pm_landscape">'
        '<style:page-layout-properties fo:page-width="29.7cm" fo:page-height="21cm"'
        # One page wide, as many pages long as needed (ODF 1.3; how LibreOffice writes it).
        ' style:print-orientation="landscape" style:scale-to-X="1"'
        ' fo:margin-top="1.5cm" fo:margin-bottom="1.5cm" fo:margin-left="1.5cm"'
        ' fo:margin-right="1.5cm"/>'
        "</style:page-layout>"
        "</office:automatic-styles>"
        "<office:master-styles>"
        '<style:master-page style:name="Landscape" style:page-layout-name="pm_landscape"/>'
        "</office:master-styles>"
        "</office:document-styles>"
    )


def _ods_meta() -> str:
    stamp = FIXED_TIMESTAMP.isoformat()
    return (
        f"{_XML_DECL}<office:document-meta {_xmlns('office', 'meta', 'dc')}"
        ' office:version="1.3"><office:meta>'
        "<meta:generator>libcard</meta:generator>"
        "<dc:title>讀者資料檔</dc:title>"
        "<dc:subject>集體辦理數位借閱證</dc:subject>"
        f"<meta:initial-creator>{_AUTHOR}</meta:initial-creator>"
        f"<meta:creation-date>{stamp}</meta:creation-date>"
        f"<dc:date>{stamp}</dc:date>"
        "</office:meta></office:document-meta>"
    )


def _ods_settings() -> str:
    # Freezes the header row of the data sheet: ODF keeps panes in the saved view settings.
    def item(name: str, kind: str, value: object) -> str:
        return (
            f"<config:config-item config:name={quoteattr(name)} config:type={quoteattr(kind)}>"
            f"{escape(str(value))}</config:config-item>"
        )

    frozen = "".join(
        [
            item("HorizontalSplitMode", "short", 0),
            item("VerticalSplitMode", "short", 2),
            item("HorizontalSplitPosition", "int", 0),
            item("VerticalSplitPosition", "int", 1),
            item("ActiveSplitRange", "short", 2),
            item("PositionLeft", "int", 0),
            item("PositionRight", "int", 0),
            item("PositionTop", "int", 0),
            item("PositionBottom", "int", 1),
        ]
    )
    return (
        f"{_XML_DECL}<office:document-settings {_xmlns('office', 'config')}"
        ' office:version="1.3"><office:settings>'
        '<config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        + item("ViewId", "string", "view1")
        + '<config:config-item-map-named config:name="Tables">'
        f"<config:config-item-map-entry config:name={quoteattr(DATA_SHEET)}>{frozen}"
        "</config:config-item-map-entry></config:config-item-map-named>"
        + item("ActiveTable", "string", INSTRUCTIONS_SHEET)
        + "</config:config-item-map-entry></config:config-item-map-indexed>"
        "</config:config-item-set></office:settings></office:document-settings>"
    )


def _ods_manifest(entries: Iterable[str]) -> str:
    files = "".join(
        f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
        for name in entries
    )
    return (
        f'{_XML_DECL}<manifest:manifest {_xmlns("manifest")} manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.3"'
        f' manifest:media-type="{_ODS_MIMETYPE}"/>{files}</manifest:manifest>'
    )


def template_ods() -> bytes:
    """The template as an OpenDocument spreadsheet, the government's standard format."""
    parts = {
        "content.xml": _ods_content(),
        "styles.xml": _ods_styles(),
        "meta.xml": _ods_meta(),
        "settings.xml": _ods_settings(),
    }
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        # ODF: "mimetype" first, stored uncompressed, so tools can sniff the type at offset 38.
        archive.writestr(zipfile.ZipInfo("mimetype", _ZIP_DATE), _ODS_MIMETYPE, zipfile.ZIP_STORED)
        for name, xml in parts.items():
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            archive.writestr(info, xml.encode("utf-8"), zipfile.ZIP_DEFLATED)
        manifest = zipfile.ZipInfo("META-INF/manifest.xml", _ZIP_DATE)
        archive.writestr(manifest, _ods_manifest(parts).encode(), zipfile.ZIP_DEFLATED)
    return output.getvalue()
