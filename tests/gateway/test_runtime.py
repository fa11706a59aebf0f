"""The Gateway's one lifecycle: `Gateway.open` builds everything, `close` takes it down in the
reverse order, with one Redis client shared by the state, the offence counters and the sync."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis
from starlette.testclient import TestClient

from classifiers.scorer import Scorer
from gateway.app import create_app
from gateway.errors import StateUnavailable
from gateway.runtime import Gateway
from gateway.settings import Settings
from gateway.state.redis_state import RedisState
from tests.conftest import free_port


def gateway_clients(redis_url: str) -> int:
    """Connections to the Redis server other than the one asking."""
    probe = redis.Redis.from_url(redis_url)
    try:
        return len(probe.client_list()) - 1
    finally:
        probe.close()


def test_runtime_one_redis_client_and_everything_closed_in_the_lifespan(
        gateway_settings: Settings, scorer: Scorer, redis_url: str) -> None:
    settings = gateway_settings.model_copy(update={"redis_url": redis_url, "watch_config": True,
                                                   "retention_days": 30})
    with TestClient(create_app(settings, scorer=scorer)) as client:
        gateway: Gateway = client.app.state.gateway  # type: ignore[attr-defined]
        assert isinstance(gateway.state, RedisState) and gateway.redis is not None
        assert gateway.config_sync is not None and gateway.config_sync.redis is gateway.redis
        tasks = list(gateway.tasks)
        assert sorted(t.get_name() for t in tasks) == ["config watcher", "held-draft sweep",
                                                      "retention purge"]
        assert not any(t.done() for t in tasks)
        assert gateway_clients(redis_url) > 0
    assert all(t.done() for t in tasks) and gateway.tasks == []
    assert gateway_clients(redis_url) == 0  # state, counters and sync closed; the client too


def writer_threads() -> int:
    return sum(t.name == "replyguard-log-writer" and t.is_alive()
               for t in threading.enumerate())


def test_runtime_a_failed_start_closes_what_was_built(gateway_settings: Settings,
                                                      scorer: Scorer) -> None:
    """Redis unreachable: opening fails with StateUnavailable, and the interception log that
    was already open is closed again (its writer thread ends) instead of leaking."""
    settings = gateway_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    before = writer_threads()
    with pytest.raises(StateUnavailable):
        asyncio.run(Gateway.open(settings, scorer=scorer))
    assert writer_threads() == before
