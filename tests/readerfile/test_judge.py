"""The judge on rows given directly: every rule, and judging in two parts equals judging whole."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from libcard.identity.numbers import check_digit_for
from libcard.readerfile.columns import COLUMNS
from libcard.readerfile.container import Limits
from libcard.readerfile.judge import Judge, find_header
from libcard.readerfile.reader import numbered
from libcard.textcatalog import translator

TODAY = dt.date(2026, 11, 25)
HEADER = [column.header for column in COLUMNS]


def number(seed: int) -> str:
    first = "ABCDEFGHJK"[seed % 10] + "12"[seed % 2] + f"{seed % 10**7:07d}"
    return first + check_digit_for(first)


def judge(rows, *, split: int | None = None):
    table, _ = find_header("讀者資料", rows, Limits())
    assert table is not None
    whole = Judge(table, t=translator(), today=TODAY, collect=True)
    if split is None:
        whole.judge_rows(numbered(rows, table.header_row))
        return whole
    middle = table.header_row + split
    whole.judge_rows(numbered(rows, table.header_row, middle))
    later = Judge(table, t=translator(), today=TODAY, collect=True)
    later.judge_rows(numbered(rows, middle))
    whole.merge(later.outcome())
    return whole


def row(seed: int, *, id_seed: int | None = None, **changes):
    values = {
        "serial": seed,
        "name": f"讀者{seed}",
        "national_id": number(seed if id_seed is None else id_seed),
        "birth_date": "90/01/01",
        "role": "學生",
        "sex": "",
        "email": f"r{seed}@example.edu.tw",
        "mobile": "",
        "unit": "一年一班",
    }
    values.update(changes)
    return [values[column.key] for column in COLUMNS]


def codes(result):
    return sorted((issue.row, issue.code) for issue in result.report.issues)


def test_every_rule_reports_its_code():
    rows = [
        HEADER,
        row(1, name=""),
        row(2, name="名" * 51),
        row(3, national_id=""),
        row(4, national_id="A12345"),
        row(5, national_id="A123456788"),
        row(6, national_id="A800000014"),
        row(7, id_seed=1),
        row(8, birth_date=""),
        row(9, birth_date="85/02/30"),
        row(10, birth_date="2030-01-01"),
        row(11, birth_date="1900-01-01"),
        row(12, role=""),
        row(13, role="家長"),
        row(14, national_id="A123456789", sex="女"),
        row(15, sex="X"),
        row(16, email="not-an-address"),
        row(17, email=""),
        row(18, mobile="02-2345-6789"),
        row(19, unit="班" * 51),
        row(20, mobile="+886 912-345-678", sex="男" if number(20)[1] == "1" else "女"),
    ]
    result = judge(rows)
    assert codes(result) == [
        (2, "name.missing"),
        (3, "name.too_long"),
        (4, "id.missing"),
        (5, "id.format"),
        (6, "id.checksum"),
        (7, "id.resident"),
        (8, "id.duplicate"),
        (9, "birth.missing"),
        (10, "birth.format"),
        (11, "birth.future"),
        (12, "birth.too_old"),
        (13, "role.missing"),
        (14, "role.invalid"),
        (15, "sex.mismatch"),
        (16, "sex.invalid"),
        (17, "email.invalid"),
        (18, "email.missing"),
        (19, "mobile.invalid"),
        (20, "unit.too_long"),
    ]
    assert (result.report.rows, result.report.valid, result.report.invalid) == (20, 2, 18)
    last = result.readers[-1]
    assert last.mobile == "0912345678"


def test_a_row_gets_all_its_problems_not_only_the_first():
    result = judge([HEADER, row(1, name="", birth_date="x", role="校友", email="@")])
    assert codes(result) == [
        (2, "birth.format"),
        (2, "email.invalid"),
        (2, "name.missing"),
        (2, "role.invalid"),
    ]


def test_a_duplicate_names_the_first_row_every_time():
    result = judge([HEADER, row(1), row(2, id_seed=1), row(3, id_seed=1)])
    duplicates = [i for i in result.report.issues if i.code == "id.duplicate"]
    assert [i.row for i in duplicates] == [3, 4]
    assert all("2" in i.message.split("row")[-1] for i in duplicates)


def test_serial_only_and_blank_rows_are_not_counted():
    blank = [""] * len(HEADER)
    serial_only = [7, *[""] * (len(HEADER) - 1)]
    spaces = ["　", " ", *[""] * (len(HEADER) - 2)]
    result = judge([HEADER, row(1), blank, serial_only, spaces, row(2)])
    assert result.report.rows == 2
    assert [r.row for r in result.readers] == [2, 6]


ids = st.integers(min_value=0, max_value=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(ids, min_size=2, max_size=40), st.data())
def test_judging_in_two_parts_equals_judging_whole(seeds, data):
    rows = [HEADER] + [row(index, id_seed=seed) for index, seed in enumerate(seeds)]
    split = data.draw(st.integers(min_value=0, max_value=len(seeds)))
    whole, parts = judge(rows), judge(rows, split=split)
    as_tuples = lambda result: [(i.row, i.code, i.message) for i in result.report.issues]  # noqa: E731
    assert as_tuples(parts) == as_tuples(whole)
    assert (parts.report.rows, parts.report.valid, parts.report.invalid) == (
        whole.report.rows,
        whole.report.valid,
        whole.report.invalid,
    )
    assert [r.row for r in parts.readers] == [r.row for r in whole.readers]
