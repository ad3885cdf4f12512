"""The one column list of the reader data file (讀者資料檔).

The template, the header matching, the judge and the reports all read it from
here; nothing else spells out a column.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str  # the header the template writes
    aliases: tuple[str, ...]  # every header accepted, the template's own included
    required: bool
    hint: str  # the template shows it as the header note, the input message and in the instructions
    example: str
    choices: tuple[str, ...] = ()  # closed field: the template offers a drop-down
    text_format: bool = False  # the template formats the column as text
    width: int = 14  # column width in the template, in characters


ROLE_STUDENT = "學生"
ROLE_STAFF = "教職員"
# What people write for "staff"; everything else in the role column is refused.
ROLE_ALIASES: dict[str, str] = {
    "學生": ROLE_STUDENT,
    "教職員": ROLE_STAFF,
    "教師": ROLE_STAFF,
    "老師": ROLE_STAFF,
    "職員": ROLE_STAFF,
    "員工": ROLE_STAFF,
    "教職工": ROLE_STAFF,
}

SEX_VALUES: dict[str, str] = {
    "男": "M", "M": "M", "1": "M", "男性": "M",
    "女": "F", "F": "F", "2": "F", "女性": "F",
}  # fmt: skip

NAME_MAX = 50
UNIT_MAX = 50

COLUMNS: tuple[Column, ...] = (
    Column(
        key="serial",
        header="序號",
        aliases=("序號", "編號", "項次", "No"),
        required=False,
        hint="可留空",
        example="1",
        width=6,
    ),
    Column(
        key="name",
        header="姓名",
        aliases=("姓名", "讀者姓名", "中文姓名"),
        required=True,
        hint=f"必填，{NAME_MAX} 字以內",
        example="王小明",
    ),
    Column(
        key="national_id",
        header="身分證統一編號",
        aliases=(
            "身分證統一編號",
            "身分證字號",
            "身分證號",
            "身分證號碼",
            "統一編號",
            "證號",
            "ID",
        ),
        required=True,
        hint="必填，例如 A123456789（限中華民國國民）",
        example="A123456789",
        text_format=True,
        width=18,
    ),
    Column(
        key="birth_date",
        header="出生日期",
        aliases=("出生日期", "出生年月日", "生日"),
        required=True,
        hint="必填，例如 85/03/12 或 1996-03-12",
        example="85/03/12",
        text_format=True,
    ),
    Column(
        key="role",
        header="身分別",
        aliases=("身分別", "身份別", "讀者身分", "類別"),
        required=True,
        hint="必填，學生或教職員",
        example=ROLE_STUDENT,
        choices=(ROLE_STUDENT, ROLE_STAFF),
        width=10,
    ),
    Column(
        key="sex",
        header="性別",
        aliases=("性別",),
        required=False,
        hint="選填，男或女",
        example="男",
        choices=("男", "女"),
        width=8,
    ),
    Column(
        key="email",
        header="電子郵件",
        aliases=("電子郵件", "電子信箱", "Email", "E-mail", "信箱"),
        required=False,
        hint="建議填寫，用於重設密碼",
        example="student@example.edu.tw",
        width=28,
    ),
    Column(
        key="mobile",
        header="手機",
        aliases=("手機", "手機號碼", "行動電話"),
        required=False,
        hint="選填，例如 0912345678",
        example="0912345678",
        text_format=True,
    ),
    Column(
        key="unit",
        header="單位/班級",
        aliases=("單位/班級", "班級", "單位", "部門", "年級"),
        required=False,
        hint=f"選填，{UNIT_MAX} 字以內，例如 三年二班",
        example="三年二班",
        width=16,
    ),
)

COLUMNS_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
REQUIRED_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.required)


def header_key(text: object) -> str:
    """How headers are compared: trimmed, NFKC, case and spaces ignored."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(folded.split())


HEADER_ALIASES: dict[str, str] = {
    header_key(alias): column.key for column in COLUMNS for alias in column.aliases
}
