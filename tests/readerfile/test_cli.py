"""`libcard check-readers`, run as the operator would: a real process, exit codes, stdout, stderr."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures" / "readerfile"


def check_readers(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LANGUAGE")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "libcard", "check-readers", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_a_clean_file_exits_0():
    result = check_readers(str(FIXTURES / "template-like.xlsx"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_file_with_bad_rows_exits_1_and_prints_json_of_the_spec_shape():
    result = check_readers(str(FIXTURES / "messy.xlsx"), "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == [
        "file",
        "sheet",
        "header_row",
        "rows",
        "valid",
        "invalid",
        "issues",
        "ignored_columns",
    ]
    assert data["file"] == "messy.xlsx"
    assert (data["sheet"], data["header_row"], data["rows"]) == ("讀者資料", 4, 29)
    assert list(data["issues"][0]) == ["row", "column", "code", "severity", "message"]
    checksum = next(i for i in data["issues"] if i["code"] == "id.checksum")
    assert checksum["row"] == 24 and checksum["column"] == "身分證字號"


@pytest.mark.parametrize(
    "name",
    [
        "text.xlsx",
        "truncated.xlsx",
        "encrypted.xlsx",
        "zipbomb.xlsx",
        "missing-column.xlsx",
        "no-data.xlsx",
    ],
)
def test_an_unusable_file_exits_2_with_one_line_and_no_traceback(name):
    result = check_readers(str(FIXTURES / name), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_2():
    result = check_readers("/nonexistent/讀者資料.xlsx")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_speaks_traditional_chinese_by_default_and_english_when_asked():
    chinese = check_readers(str(FIXTURES / "messy.xlsx"))
    assert "第 24 列" in chinese.stdout
    english = check_readers(str(FIXTURES / "messy.xlsx"), env={"LANG": "en_US.UTF-8"})
    assert "Row 24" in english.stdout


def test_the_zip_bomb_is_refused_quickly():
    import time

    start = time.monotonic()
    result = check_readers(str(FIXTURES / "zipbomb.xlsx"))
    assert result.returncode == 2
    assert time.monotonic() - start < 10
