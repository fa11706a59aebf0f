"""Every HTTP error, the routes' and Starlette's own, is `{"detail", "code"}` in Chinese, and a
validation error says what would have been accepted."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import TokenFor
from tests.gateway.api.helpers import bearer


def test_unknown_path_and_method_have_the_documented_shape(gateway_client: TestClient) -> None:
    missing = gateway_client.get("/no/such/path")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "没有这个接口", "code": "not-found"}
    wrong = gateway_client.post("/healthz")
    assert wrong.status_code == 405 and wrong.json()["code"] == "invalid-request"
    assert "Allow" in wrong.headers and "Method" not in wrong.json()["detail"]


def test_validation_error_names_the_allowed_values(gateway_client: TestClient,
                                                   token_for: TokenFor) -> None:
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    bad = gateway_client.get("/api/interceptions/export", headers=sup,
                             params={"format": "xml"})
    assert bad.status_code == 422
    body = bad.json()
    assert body["code"] == "invalid-request"
    assert "query.format" in body["detail"] and "'csv'" in body["detail"] and \
        "'jsonl'" in body["detail"], body["detail"]
    limit = gateway_client.get("/api/interceptions", headers=sup, params={"limit": "0"})
    assert limit.status_code == 422 and "query.limit" in limit.json()["detail"]
    assert "1" in limit.json()["detail"].split("query.limit", 1)[1], limit.json()["detail"]
