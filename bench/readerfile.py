"""`libcard check-readers` on a 100,000-row file against python-calamine reading it alone.

Both are timed as whole processes (interpreter start included), interleaved,
median of several runs. Target (reader-file.md): ratio at most 2.0.
"""

from __future__ import annotations

import sys

from bench.common import LIBCARD, PYTHON, VAR, median_of_interleaved, table
from bench.generate import write_ods, write_xlsx

ROWS = 100_000
RUNS = 5
CALAMINE_ONLY = (
    "import sys, python_calamine\n"
    "book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])\n"
    "rows = book.get_sheet_by_index(0).to_python()\n"
)


def run(rows: int = ROWS, runs: int = RUNS) -> list[tuple[str, float, float, float]]:
    VAR.mkdir(parents=True, exist_ok=True)
    results = []
    for suffix, writer in ((".xlsx", write_xlsx), (".ods", write_ods)):
        path = VAR / f"readers-{rows}{suffix}"
        if not path.exists():
            print(f"generating {path} …", file=sys.stderr)
            writer(path, rows)
        # The default limit is 50,000 rows a file; the benchmark file is twice that.
        env = {"READERFILE_MAX_ROWS": str(rows * 2)}
        times = median_of_interleaved(
            {
                "calamine": ([PYTHON, "-c", CALAMINE_ONLY, str(path)], None),
                "check": ([*LIBCARD, "check-readers", str(path), "--json"], env),
            },
            runs,
        )
        results.append(
            (suffix[1:], times["check"], times["calamine"], times["check"] / times["calamine"])
        )
    return results


def main() -> None:
    results = run()
    rows = [("file", "check-readers s", "python-calamine s", "ratio (target ≤ 2.0)")]
    rows += [
        (f"{ROWS:,} rows .{kind}", f"{c:.2f}", f"{b:.2f}", f"{r:.2f}") for kind, c, b, r in results
    ]
    print("\n== reader data file: check-readers vs python-calamine read ==")
    print(table(rows))


if __name__ == "__main__":
    main()
