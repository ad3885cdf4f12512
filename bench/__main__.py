"""`make bench`: every benchmark, each printing its figures and ratio against its baseline.

`python -m bench [NAME …]` runs only the named ones.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["readerfile", "issuance", "api", "sip2", "staff_pages"]


def main(argv: list[str]) -> None:
    names = argv or BENCHMARKS
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"\n== {name}: not built yet ==")
                continue
            raise
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
