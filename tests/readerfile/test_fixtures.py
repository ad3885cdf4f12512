"""Real files written by LibreOffice and by export tools, judged as expected.json says.

expected.json is written by make_fixtures.py from the same rows that fill the files,
each row carrying the issue codes it must produce.
"""

import json
from pathlib import Path

import pytest

from libcard.readerfile.container import Limits
from libcard.readerfile.model import FileRefused
from libcard.readerfile.reader import check_file
from libcard.textcatalog import translator

FIXTURES = Path(__file__).parent.parent / "fixtures" / "readerfile"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_is_judged_as_expected(name):
    expected = EXPECTED[name]
    data = (FIXTURES / name).read_bytes()
    try:
        result = check_file(data, name, limits=Limits(), t=translator())
    except FileRefused as refused:
        assert refused.code in (expected.get("refused"), expected.get("or_refused")), (
            refused.code,
            refused.message,
        )
        assert refused.message
        return
    assert "refused" not in expected, f"{name} should have been refused"
    report = result.report
    assert report.sheet == expected["sheet"]
    assert report.header_row == expected["header_row"]
    assert (report.rows, report.valid, report.invalid) == (
        expected["rows"],
        expected["valid"],
        expected["invalid"],
    )
    assert sorted([issue.row, issue.code] for issue in report.issues) == sorted(expected["issues"])
    assert report.ignored_columns == expected["ignored_columns"]


def test_messages_name_row_and_header_and_never_show_a_full_id():
    data = (FIXTURES / "messy.xlsx").read_bytes()
    report = check_file(data, "messy.xlsx", t=translator("zh_Hant")).report
    by_code = {issue.code: issue for issue in report.issues}
    checksum = by_code["id.checksum"]
    assert checksum.column == "身分證字號"  # the header as the school wrote it
    assert "24" in checksum.message and "身分證字號" in checksum.message
    assert "****" in checksum.message
    for issue in report.issues:
        assert not any(
            len(word) == 10 and word[0].isalpha() and word[1:].isdigit()
            for word in issue.message.replace("（", " ").replace("）", " ").split()
        ), issue.message


def test_the_same_content_reads_the_same_from_every_office_format():
    reports = [
        check_file((FIXTURES / f"messy.{ext}").read_bytes(), f"messy.{ext}").report
        for ext in ("xlsx", "ods", "xls")
    ]
    flattened = [[(i.row, i.column, i.code, i.message) for i in r.issues] for r in reports]
    assert flattened[0] == flattened[1] == flattened[2]


def test_valid_rows_come_out_normalised_for_issuing():
    data = (FIXTURES / "messy.xlsx").read_bytes()
    readers = check_file(data, "messy.xlsx", collect=True).readers
    assert len(readers) == 14
    by_row = {reader.row: reader for reader in readers}
    full_width = by_row[6]
    assert full_width.national_id.isascii() and full_width.national_id.isupper()
    assert by_row[15].name == by_row[15].name.strip("\u3000 ")
    assert all(reader.role in ("學生", "教職員") for reader in readers)
    assert all(not reader.mobile or reader.mobile.startswith("09") for reader in readers)
