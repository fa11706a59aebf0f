"""The benchmark scripts still run (tiny sizes): a benchmark nobody can run measures nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EVAL_DATA, require_shared

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("args", [
    ["bench/false_positives.py", "--show", "1"],
    ["bench/bench_scorer.py", "--messages", "300", "--repeats", "1", "--no-peer", "--shops", "20"],
])
def test_bench_script_runs(args: list[str]) -> None:
    require_shared(EVAL_DATA / "jddc_sample")
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "suggest-edit or stronger" in result.stdout


def test_diversion_bench_runs() -> None:
    """The evaluation rounds in bench/data are scored and printed per class."""
    result = subprocess.run([sys.executable, "bench/bench_diversion.py", "--no-baseline"],
                            cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "off_platform_channel" in result.stdout and "all benign" in result.stdout


def test_relay_bench_runs() -> None:
    """One conversation, one second, one round: both gateways start, relay and compare."""
    result = subprocess.run([sys.executable, "bench/bench_relay.py", "--conversations", "1",
                             "--seconds", "1", "--rounds", "1"], cwd=REPO, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "throughput kept" in result.stdout


def test_soak_bench_runs() -> None:
    """Four conversations for two seconds through two nodes: counted, checked, printed."""
    result = subprocess.run([sys.executable, "bench/bench_soak.py", "--conversations", "4",
                             "--agents", "2", "--rate", "2", "--seconds", "2"], cwd=REPO,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "lost 0, duplicated 0, out of order 0" in result.stdout
