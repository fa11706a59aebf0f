"""bench/bench_log.py still runs (2,000 records, both backends): a benchmark nobody can run
measures nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.pgserver import find_binaries

REPO = Path(__file__).resolve().parents[3]


def test_bench_log_runs_on_a_small_log() -> None:
    backends = "sqlite,postgresql" if find_binaries() is not None else "sqlite"
    result = subprocess.run(
        [sys.executable, "bench/bench_log.py", "--records", "2000", "--runs", "1",
         "--appends", "200", "--backends", backends],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "shop + tier" in result.stdout and "durable, 64 concurrent" in result.stdout
    assert "category (abuse)" in result.stdout.split("filtered listing")[1]
