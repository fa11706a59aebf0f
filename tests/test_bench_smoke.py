"""The benchmark scripts still run (tiny sizes): a benchmark nobody can run measures nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EVAL_DATA, require_shared

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("args", [
    ["bench/false_positives.py", "--show", "1", "--no-baseline"],
    ["bench/bench_scorer.py", "--messages", "300", "--repeats", "1", "--no-peer", "--shops", "20"],
])
def test_bench_script_runs(args: list[str]) -> None:
    require_shared(EVAL_DATA / "jddc_sample")
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "suggest-edit or stronger" in result.stdout


def test_verdict_diff_runs() -> None:
    """A sample of the corpus is scored by the committed tree (a git worktree) and by this one,
    and the differences counted (none unless the working tree changed the scorer)."""
    require_shared(EVAL_DATA / "jddc_sample")
    result = subprocess.run([sys.executable, "bench/verdict_diff.py", "--baseline", "HEAD",
                             "--limit", "200", "--show", "1"], cwd=REPO, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert "200 verdicts" in result.stdout and "differ between HEAD and this tree" in result.stdout


def test_diversion_bench_runs() -> None:
    """The evaluation rounds in bench/data are scored and printed per class."""
    result = subprocess.run([sys.executable, "bench/bench_diversion.py", "--no-baseline"],
                            cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "off_platform_channel" in result.stdout and "all benign" in result.stdout


def test_judgement_bench_runs(tmp_path: Path) -> None:
    """Rows of both sides with their context are scored through `score --jsonl` and printed per
    side and class; a benign buyer message that is routed is listed as wrong."""
    (tmp_path / "judgement_r1_t.csv").write_text(
        "side,context,text,expected,class,note\n"
        "agent,请问什么时候发货？,亲，今天下午四点前发出哦,benign,benign_plain,-\n"
        "agent,这个能便宜吗,滚,violation,abusive,-\n"
        "buyer,,我要投诉你们，转人工,violation,complaint_threat,-\n"
        "buyer,,好的谢谢,benign,benign_ordinary,-\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "bench/bench_judgement.py", "--no-baseline",
                             "--data", str(tmp_path), "--misses"], cwd=REPO,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "round 1, agent side" in result.stdout and "round 1, buyer side" in result.stdout
    assert "abusive" in result.stdout and "complaint_threat" in result.stdout
    assert "[agent/abusive]" not in result.stdout


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
