"""``libcard check-readers FILE [--json]``: judge a file without any database or setup.

Exit 0: every row is valid (warnings allowed); 1: at least one row is invalid;
2: the file cannot be used — one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from libcard.readerfile.container import Limits, refuse
from libcard.readerfile.model import FileRefused, Report
from libcard.readerfile.reader import check_file
from libcard.textcatalog import Translate, gettext_noop, language_from_env, translator

SUMMARY = gettext_noop(
    "{file}: sheet “{sheet}”, header in row {header_row}; {rows} readers, "
    "{valid} valid, {invalid} invalid."
)
ALL_VALID = gettext_noop("Every row is valid; the file can be sent to the library.")
SOME_INVALID = gettext_noop("Please correct the rows below and check the file again.")
IGNORED = gettext_noop("Columns not used: {columns}")
CANNOT_READ = gettext_noop("Cannot read {file}: {reason}")
UNEXPECTED = gettext_noop(
    "the checker could not handle this file ({error}); please send it to the library."
)
SEVERITY = {"error": gettext_noop("error"), "warning": gettext_noop("warning")}


def render_text(report: Report, t: Translate) -> str:
    lines = [t(SUMMARY).format(**report.as_json())]
    if report.ignored_columns:
        lines.append(t(IGNORED).format(columns="、".join(report.ignored_columns)))
    for issue in report.issues:
        lines.append(f"  [{t(SEVERITY[issue.severity])}] {issue.message}")
    lines.append(t(ALL_VALID) if report.ok else t(SOME_INVALID))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="libcard check-readers", description="Judge a reader data file (讀者資料檔)."
    )
    parser.add_argument("file", help=".xlsx, .ods, .xls or .csv")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    t = translator(language_from_env())
    limits = Limits.from_env()
    path = Path(args.file)
    try:
        try:
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise refuse(t, "file.too_large", limit=limits.max_bytes // (1024 * 1024))
            data = path.read_bytes()
        except OSError as exc:
            raise FileRefused("file.unreadable", exc.strerror or str(exc)) from None
        result = check_file(data, path.name, limits=limits, t=t)
    except FileRefused as refused:
        print(t(CANNOT_READ).format(file=path.name, reason=refused.message), file=sys.stderr)
        return 2
    except Exception as exc:
        reason = t(UNEXPECTED).format(error=type(exc).__name__)
        print(t(CANNOT_READ).format(file=path.name, reason=reason), file=sys.stderr)
        return 2
    report = result.report
    try:
        if args.json:
            json.dump(report.as_json(), sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            print(render_text(report, t))
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has gone, which is not our error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if report.ok else 1
