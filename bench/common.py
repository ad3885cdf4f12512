"""Small helpers shared by the benchmarks: timing whole commands, printing a table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PYTHON = sys.executable
LIBCARD = [PYTHON, "-m", "libcard"]


def time_command(argv: Sequence[str], *, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    completed = subprocess.run(
        argv, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {completed.stderr.decode(errors='replace')}")
    return elapsed


def median_of_interleaved(
    commands: dict[str, tuple[Sequence[str], dict[str, str] | None]], runs: int
) -> dict[str, float]:
    """Each command ``runs`` times, taking turns, so that machine noise hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            samples[name].append(time_command(argv, env=env))
    return {name: statistics.median(values) for name, values in samples.items()}


def table(rows: Sequence[Sequence[object]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows
    )
