"""Liveness, readiness and metrics over HTTP."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient

from bench.pgserver import PostgresServer
from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import connect


def test_health_liveness_and_readiness(gateway_client: TestClient) -> None:
    assert gateway_client.get("/healthz").json() == {"status": "ok"}
    ready = gateway_client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True
    version = gateway_client.app.state.gateway.live.version  # type: ignore[attr-defined]
    assert body["checks"]["config"] == {"ok": True, "version": version, "error": None}
    assert body["checks"]["state"] == {"ok": True, "policy_version": version}
    assert body["checks"]["log"] == {"ok": True}


def test_health_metrics_count_tiers_connections_and_errors(gateway_client: TestClient,
                                                           token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "我要投诉")
        buyer.send_text("nope")
        buyer.expect("system", code="queued")
        buyer.expect("error", code="bad-json")
        text = gateway_client.get("/metrics").text
        assert 'replyguard_connections{role="buyer"} 1.0' in text
    assert 'replyguard_messages_total{role="buyer",tier="route-to-human"} 1.0' in text
    assert 'replyguard_frame_errors_total{code="bad-json"} 1.0' in text
    assert "replyguard_scoring_seconds_bucket" in text


@pytest.mark.issue(18)
def test_health_readiness_names_no_database_host(client_factory: ClientFactory,
                                                 postgres_server: PostgresServer) -> None:
    """/readyz needs no token: a log outage says "unreachable", not the host, port and
    driver text (those are in the server log)."""
    name = f"ready_{uuid.uuid4().hex[:12]}"
    client = client_factory(database_url=postgres_server.create_database(name))
    postgres_server.checkpoint()
    postgres_server.pause()
    try:
        ready = client.get("/readyz")
    finally:
        postgres_server.resume()
    assert ready.status_code == 503
    log_check = ready.json()["checks"]["log"]
    assert log_check["ok"] is False
    assert str(postgres_server.port) not in ready.text and "127.0.0.1" not in ready.text
    assert client.get("/readyz").status_code == 200
