"""Large files: judged in two processes, with the same answer as in one."""

import pytest

from libcard.readerfile import reader
from libcard.readerfile.container import Limits
from libcard.readerfile.model import FileRefused
from libcard.readerfile.reader import check_file

ROWS = 24_000


@pytest.fixture(scope="module")
def big_xlsx():
    """Generated rows, with readers of the first half listed again in the second half."""
    import io

    import xlsxwriter

    from bench.generate import rows
    from libcard.readerfile.columns import COLUMNS

    generated = list(rows(ROWS))
    for early, late in (
        (10, ROWS - 5),
        (11, ROWS // 2 + 3),
        (11, ROWS - 2),
        (ROWS // 2 + 3, ROWS - 1),
    ):
        generated[late][2] = generated[early][2]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("讀者資料")
    sheet.write_row(0, 0, [c.header for c in COLUMNS])
    for index, values in enumerate(generated, start=1):
        sheet.write_row(index, 0, [v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    book.close()
    return buffer.getvalue(), generated


def test_two_processes_give_the_same_report_as_one(big_xlsx, monkeypatch):
    data, _rows = big_xlsx
    split = check_file(data, "big.xlsx", limits=Limits(), collect=True)
    monkeypatch.setattr(reader, "CAN_FORK", False)
    single = check_file(data, "big.xlsx", limits=Limits(), collect=True)
    assert [(i.row, i.code, i.message) for i in split.report.issues] == [
        (i.row, i.code, i.message) for i in single.report.issues
    ]
    assert split.report.valid == single.report.valid
    duplicates = [i for i in single.report.issues if i.code == "id.duplicate"]
    assert len(duplicates) >= 4
    assert len(split.readers) == len(single.readers) == single.report.valid


def test_more_rows_than_the_limit_are_refused(big_xlsx):
    data, _rows = big_xlsx
    with pytest.raises(FileRefused) as refused:
        check_file(data, "big.xlsx", limits=Limits(max_rows=10_000))
    assert refused.value.code == "file.too_many_rows"
