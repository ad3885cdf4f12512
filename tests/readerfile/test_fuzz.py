"""Whatever bytes arrive, the checker answers with a report or a refusal — never anything else."""

import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libcard.readerfile.container import Limits
from libcard.readerfile.model import FileRefused
from libcard.readerfile.reader import check_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "readerfile"
SEEDS = {name: (FIXTURES / name).read_bytes() for name in ("messy.xlsx", "messy.ods", "messy.xls")}
CSV = (FIXTURES / "readers-utf8.csv").read_bytes()
LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_inflated=20 * 1024 * 1024)


def judged(data: bytes, name: str) -> None:
    try:
        result = check_file(data, name, limits=LIMITS)
    except FileRefused as refused:
        assert refused.message and refused.code.startswith("file.")
        return
    assert result.report.rows >= 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(SEEDS)),
    st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 255)), max_size=8),
)
def test_damaged_office_files(name, flips):
    data = bytearray(SEEDS[name])
    for position, value in flips:
        data[position % len(data)] = value
    judged(bytes(data), name)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096), st.sampled_from(["x.xlsx", "x.ods", "x.xls", "x.csv"]))
def test_random_bytes_under_any_name(data, name):
    judged(data, name)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2048))
def test_text_spliced_into_a_csv(extra):
    judged(CSV[:200] + extra + CSV[200:], "x.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "xl/workbook.xml",
                "xl/worksheets/sheet1.xml",
                "[Content_Types].xml",
                "mimetype",
                "content.xml",
                "xl/sharedStrings.xml",
            ]
        ),
        st.binary(max_size=512),
        max_size=5,
    )
)
def test_zips_with_arbitrary_parts(parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    judged(buffer.getvalue(), "x.xlsx")
    judged(buffer.getvalue(), "x.ods")


def test_a_zip_of_an_unknown_version_is_refused_as_damaged():
    """Found by fuzzing: zipfile raises NotImplementedError for "zip file version 9.2"."""
    data = bytearray(SEEDS["messy.xlsx"])
    central = data.rfind(b"PK\x01\x02")
    data[central + 6] = 92  # "version needed to extract" of the last entry: 9.2
    try:
        check_file(bytes(data), "messy.xlsx", limits=LIMITS)
    except FileRefused as refused:
        assert refused.code == "file.truncated_or_corrupt"
    else:
        raise AssertionError("not refused")
