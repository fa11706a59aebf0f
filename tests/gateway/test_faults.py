"""Faults on real processes at CI size (bench/bench_faults.py runs them at full size): two
`replyguard serve` nodes on a real redis-server, simulated buyers and agents that resend what
the gateway asks them to retry, and a fault mid-traffic. Each asserts that no message was both
accepted and undelivered, none was answered twice, no blocked message reached the buyer, every
interception whose verdict the agent saw is in the log, and the configuration converges on
every node afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bench.faults import Size, gateway_kill, invalid_config, redis_restart
from bench.redisserver import RedisServer
from tests.conftest import start_redis

CI = Size(conversations=12, agents=3, rate=2.0, seconds=6.0)


def assert_clean(result: dict[str, Any]) -> None:
    print(result)
    assert result["sent"] > 0 and result["accepted"] > 0 and result["intercepted"] > 0
    assert result["lost"] == 0, "accepted but never delivered"
    assert result["contradictory"] == 0, "an attempt answered with a verdict and an error"
    assert result["blocked_delivered"] == 0, "intercepted or refused, yet delivered"
    assert result["duplicated"] == 0
    assert result["out_of_order"] == 0
    assert result["durable_logged"] == result["durable_seen"], "a seen interception not logged"


@pytest.fixture
def persistent_redis() -> Any:
    with start_redis(persistent=True) as server:
        yield server


def test_redis_killed_and_restarted_mid_traffic_with_two_nodes(
        tmp_path: Path, persistent_redis: RedisServer) -> None:
    result = asyncio.run(redis_restart(tmp_path, persistent_redis, CI))
    assert_clean(result)
    assert result["unanswered"] == 0
    assert result["policy_versions"] == [result["converged_version"]]


def test_redis_restarted_without_persistence_loses_no_conversation(
        tmp_path: Path, restartable_redis: RedisServer) -> None:
    """The worst case the docs warn about: Redis comes back empty. The nodes put back presence,
    assignments, warnings and offence counts, so the conversations stay where they were."""
    result = asyncio.run(redis_restart(tmp_path, restartable_redis, CI))
    assert_clean(result)
    assert result["policy_versions"] == [result["converged_version"]]


def test_gateway_killed_after_a_burst(tmp_path: Path, redis_url: str) -> None:
    result = asyncio.run(gateway_kill(tmp_path, redis_url, CI))
    assert_clean(result)
    assert result["reconnects"] > 0


def test_invalid_configuration_under_traffic(tmp_path: Path, redis_url: str) -> None:
    result = asyncio.run(invalid_config(tmp_path, redis_url, CI))
    assert_clean(result)
    assert result["refused"] == 0 and result["unanswered"] == 0
    assert result["kept_last_good"] and result["error_shown"]
