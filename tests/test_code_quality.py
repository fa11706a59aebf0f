"""The style rules the project holds itself to, checked like any other test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "classifiers", "gateway", "bench", "tests", "hatch_build.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes() -> None:
    result = run("mypy", "--strict", "classifiers", "gateway", "bench", "hatch_build.py")
    assert result.returncode == 0, result.stdout + result.stderr
