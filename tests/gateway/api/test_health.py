"""Liveness, readiness and metrics over HTTP."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import TokenFor
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
