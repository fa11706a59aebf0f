"""`replyguard report` over a real log on both backends: text, JSON, PNG and bad input."""

from __future__ import annotations

import asyncio
import json
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.cli.main import app
from gateway.log import Outcome, ReviewState, open_log
from tests.gateway.log.records_factory import make_record

runner = CliRunner()


def fill(url: str, data_dir: Path) -> None:
    now = datetime.now(UTC)
    records = [
        make_record(time=now - timedelta(hours=1), shop="shop-a"),
        make_record(time=now - timedelta(hours=2), shop="shop-a", user="agent-2",
                    tier=Tier.SUGGEST_EDIT, outcome=Outcome.OVERRIDDEN, categories=("cold",),
                    matches=({"term": "爱买不买", "category": "cold"},)),
        make_record(time=now - timedelta(hours=3), shop="shop-b"),
        make_record(time=now - timedelta(days=30), shop="shop-a"),   # outside 7d
        make_record(time=now - timedelta(hours=4), shop="shop-a", role=Role.BUYER,
                    user="buyer-9", tier=Tier.ROUTE_TO_HUMAN, outcome=Outcome.ROUTED,
                    categories=("escalation",),
                    matches=({"term": "投诉", "category": "escalation"},)),
    ]

    async def write() -> None:
        log = open_log(url, data_dir)
        try:
            for record in records:
                await log.append(record, durable=True)
            await log.review(records[0].id, ReviewState.FALSE_POSITIVE, None, "qa")
        finally:
            await log.close()
    asyncio.run(write())


def test_report_prints_tables(log_url: str, tmp_path: Path) -> None:
    fill(log_url, tmp_path)
    result = runner.invoke(app, ["report", "--since", "7d", "--database-url", log_url])
    assert result.exit_code == 0, result.output
    assert "4 interceptions since" in result.output
    # categories, agents, terms, the send-anyway rate, edited of held for an edit (the
    # suggest-edit, not the blocks), confirmed / false positive
    for expected in ("off_platform", "agent-2", "微信", "100.0% (1/1)", "0.0% (0/1)", "0 / 1"):
        assert expected in result.output, expected
    assert "buyer-9" not in result.output      # a buyer is no agent


def test_report_json_is_scoped_to_the_shop(log_url: str, tmp_path: Path) -> None:
    fill(log_url, tmp_path)
    result = runner.invoke(app, ["report", "--since", "7d", "--shop", "shop-a", "--json",
                                 "--database-url", log_url])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["total"], data["shop"]) == (3, "shop-a")
    assert data["by_category"] == {"off_platform": 1, "cold": 1, "escalation": 1}
    assert data["by_user"] == {"agent-1": 1, "agent-2": 1}
    assert (data["held"], data["edited"], data["edit_then_pass_rate"]) == (1, 0, 0.0)
    assert data["send_anyway_rate"] == 1.0 and data["false_positive_rate"] == 1.0
    assert {"term": "爱买不买", "category": "cold", "count": 1} in data["top_terms"]


def test_report_png_is_a_real_png(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    fill(url, tmp_path)
    chart = tmp_path / "report.png"
    result = runner.invoke(app, ["report", "--png", str(chart), "--database-url", url])
    assert result.exit_code == 0, result.output
    header = chart.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    assert width >= 800 and height >= 300


def test_report_reads_the_data_dir_log_by_default(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fill(f"sqlite:///{tmp_path / 'interceptions.sqlite3'}", tmp_path)
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REPLYGUARD_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["report", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 4


@pytest.mark.parametrize("since", ["7x", "yesterday", "-3d"])
def test_a_bad_since_is_one_line_and_exit_2(since: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--since", since,
                                 "--database-url", f"sqlite:///{tmp_path / 'x.sqlite3'}"])
    assert result.exit_code == 2
    assert "--since" in result.output and "Traceback" not in result.output


def test_an_unreachable_database_is_one_line_and_exit_3() -> None:
    result = runner.invoke(app, ["report", "--database-url",
                                 "postgresql+psycopg://postgres@127.0.0.1:1/none"])
    assert result.exit_code == 3
    assert "error:" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_sqlite_file_that_does_not_exist_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "x.db"
    result = runner.invoke(app, ["report", "--database-url", f"sqlite:///{missing}"])
    assert result.exit_code == 3, result.output
    assert "does not exist" in result.output and str(missing) in result.output
    assert not (tmp_path / "no").exists()
