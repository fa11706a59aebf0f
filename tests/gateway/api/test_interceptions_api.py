"""The supervisor API over the interception log, on SQLite and on a real PostgreSQL: a message
blocked over the real websocket shows up, filters narrow it, roles and shops are enforced."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ClientFactory, TokenFor
from tests.gateway.api.helpers import bearer, store
from tests.gateway.log.records_factory import at, make_record
from tests.gateway.wire import connect

CONV = "s1:b1"


@pytest.fixture
def blocked(client_factory: ClientFactory, token_for: TokenFor, log_url: str
            ) -> Iterator[tuple[TestClient, str]]:
    """An app on `log_url` where agent a1 of shop s1 had 加我薇信 blocked; yields the client and
    the record id."""
    client = client_factory(database_url=log_url)
    with ExitStack() as stack:
        agent = stack.enter_context(connect(client, token_for("agent", "a1", "s1")))
        buyer = stack.enter_context(connect(client, token_for("buyer", "b1", "s1")))
        buyer.say("m0", "你好，请问有货吗")
        agent.expect("assigned", conversation=CONV)
        agent.expect("message", id="m0")
        verdict = agent.say("r1", "加我薇信，便宜点", CONV)
        assert verdict["tier"] == "block"
        agent.send(type="appeal", id="r1", note="买家问的是公众号")
        agent.expect("ok", action="appeal")
    items = client.get("/api/interceptions",
                       headers=bearer(token_for, "supervisor", "sup1", "s1")).json()["items"]
    yield client, items[0]["id"]


def ids(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = client.get("/api/interceptions", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_interceptions_blocked_message_is_listed_and_filters_narrow(
        blocked: tuple[TestClient, str], token_for: TokenFor) -> None:
    client, record_id = blocked
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    page = client.get("/api/interceptions", headers=sup).json()
    assert page["next_cursor"] is None
    [item] = page["items"]
    assert (item["text"], item["tier"], item["outcome"], item["user"], item["from"]) == \
        ("加我薇信，便宜点", "block", "blocked", "a1", "agent")
    assert item["appeal_note"] == "买家问的是公众号" and item["review_state"] == "unreviewed"
    assert ids(client, sup, tier="block") == [record_id]
    assert ids(client, sup, tier=["notice", "block"], category="off_platform") == [record_id]
    assert ids(client, sup, agent="a1", outcome="blocked", review="unreviewed",
               appealed="true", text="薇信", shop="s1") == [record_id]
    assert ids(client, sup, since="2020-01-01T00:00:00Z", until="2999-01-01T00:00:00+08:00"
               ) == [record_id]
    for narrowing in ({"tier": "notice"}, {"category": "abuse"}, {"agent": "a2"},
                      {"outcome": "edited"}, {"review": "confirmed"}, {"text": "微信号"},
                      {"since": "2999-01-01T00:00:00Z"}):
        assert ids(client, sup, **narrowing) == [], narrowing


def test_interceptions_roles_and_tokens(blocked: tuple[TestClient, str],
                                        token_for: TokenFor) -> None:
    client, record_id = blocked
    for path in ("/api/interceptions", f"/api/interceptions/{record_id}", "/api/stats",
                 "/api/review-queue", "/api/interceptions/export"):
        assert client.get(path).status_code == 401, path
        for role in ("agent", "buyer", "bot", "qa"):
            response = client.get(path, headers=bearer(token_for, role, "u1", "s1"))
            assert response.status_code == 403, (path, role)
            assert response.json()["code"] == "forbidden"
    bad = client.get("/api/interceptions", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json() == {"detail": "令牌无效", "code": "unauthorized"}


def test_interceptions_detail_has_context_and_history(blocked: tuple[TestClient, str],
                                                      token_for: TokenFor) -> None:
    client, record_id = blocked
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    detail = client.get(f"/api/interceptions/{record_id}", headers=sup).json()
    assert [(c["from"], c["user"], c["text"]) for c in detail["context"]] == \
        [("buyer", "b1", "你好，请问有货吗")]
    assert [h["outcome"] for h in detail["history"]] == ["blocked"]
    assert detail["matches"][0]["evasion"] is True
    missing = client.get("/api/interceptions/no-such-id", headers=sup)
    assert missing.status_code == 404 and missing.json()["code"] == "not-found"


def test_interceptions_export_csv_and_jsonl(blocked: tuple[TestClient, str],
                                            token_for: TokenFor) -> None:
    client, record_id = blocked
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    jsonl = client.get("/api/interceptions/export", headers=sup, params={"format": "jsonl"})
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    [line] = jsonl.text.splitlines()
    assert json.loads(line)["id"] == record_id
    exported = client.get("/api/interceptions/export", headers=sup,
                          params={"format": "csv", "tier": "block"})
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["id"], row["text"]) == (record_id, "加我薇信，便宜点")
    assert client.get("/api/interceptions/export", headers=sup,
                      params={"format": "xml"}).status_code == 422


def test_interceptions_another_shop_sees_nothing(blocked: tuple[TestClient, str],
                                                 token_for: TokenFor) -> None:
    client, record_id = blocked
    other = bearer(token_for, "supervisor", "sup2", "s2")
    assert ids(client, other) == []
    assert client.get(f"/api/interceptions/{record_id}", headers=other).status_code == 404
    asked = client.get("/api/interceptions", headers=other, params={"shop": "s1"})
    assert asked.status_code == 403 and asked.json()["code"] == "forbidden"
    export = client.get("/api/interceptions/export", headers=other, params={"format": "csv"})
    assert export.text.count("\n") == 1  # the header only
    assert client.get("/api/stats", headers=other).json()["total"] == 0
    assert client.get("/api/review-queue", headers=other).json()["items"] == []
    review = client.post(f"/api/interceptions/{record_id}/review", headers=other,
                         json={"state": "false-positive"})
    assert review.status_code == 404
    everyone = bearer(token_for, "supervisor", "hq", "*")  # the all-shops grant
    assert ids(client, everyone) == [record_id]
    assert ids(client, everyone, shop="s2") == []
    detail = client.get(f"/api/interceptions/{record_id}", headers=everyone).json()
    assert detail["review_state"] == "unreviewed"  # the refused review changed nothing


def test_interceptions_bad_input_is_4xx_json(blocked: tuple[TestClient, str],
                                             token_for: TokenFor) -> None:
    client, _ = blocked
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    cases = {
        (("cursor", "garbage"),): (400, "invalid-request"),
        (("tier", "severe"),): (422, "invalid-request"),
        (("outcome", "gone"),): (422, "invalid-request"),
        (("since", "yesterday"),): (422, "invalid-request"),
        (("since", "2025-01-01T00:00:00"),): (422, "invalid-request"),  # no zone: ambiguous
        (("since", "2025-02-01T00:00:00Z"), ("until", "2025-01-01T00:00:00Z")):
            (422, "invalid-request"),
        (("limit", "0"),): (422, "invalid-request"),
        (("limit", "100000"),): (422, "invalid-request"),
        (("appealed", "maybe"),): (422, "invalid-request"),
        (("category", "bogus"),): (422, "invalid-request"),
    }
    for params, (status, code) in cases.items():
        response = client.get("/api/interceptions", headers=sup, params=list(params))
        assert response.status_code == status, (params, response.text)
        body = response.json()
        assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    unknown = client.get("/api/interceptions", headers=sup, params={"category": "bogus"})
    assert "bogus" in unknown.json()["detail"] and "off_platform" in unknown.json()["detail"]
    for path in ("/api/stats", "/api/review-queue", "/api/interceptions/export"):
        assert client.get(path, headers=sup, params={"category": "bogus"}).status_code == 422


def test_interceptions_pages_follow_the_cursor(client_factory: ClientFactory,
                                               token_for: TokenFor) -> None:
    client = client_factory()
    store(client, *(make_record(time=at(n), shop="s1", text=f"加我微信{n}") for n in range(5)))
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/interceptions", headers=sup, params=params).json()
        seen += [item["text"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == [f"加我微信{n}" for n in range(4, -1, -1)]


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


@pytest.mark.issue(18)
def test_interceptions_unstorable_and_extreme_input_is_a_clear_4xx(
        blocked: tuple[TestClient, str], token_for: TokenFor) -> None:
    """NUL in a filter, an id or a review note is the caller's mistake (422 in Chinese), not a
    "log down" 503; dates whose UTC is out of range and deeply nested cursors are 4xx, not 500."""
    client, record_id = blocked
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    cases: list[tuple[str, list[tuple[str, str]], int]] = [
        ("/api/interceptions", [("agent", "a\x001")], 422),
        ("/api/interceptions", [("category", "off\x00")], 422),
        ("/api/interceptions", [("text", "微信\x00")], 422),
        ("/api/interceptions", [("shop", "s\x001")], 422),
        ("/api/interceptions/export", [("agent", "a\x001")], 422),
        ("/api/review-queue", [("text", "\x00")], 422),
        ("/api/stats", [("agent", "\x00")], 422),
        ("/api/interceptions", [("since", "0001-01-01T00:00:00+23:59")], 422),
        ("/api/interceptions", [("until", "9999-12-31T23:59:59-23:59")], 422),
        ("/api/interceptions", [("cursor", _cursor('[1, "0001-01-01T00:00:00+23:59", "x"]'))],
         400),
        ("/api/interceptions", [("cursor", _cursor("[" * 4000 + "]" * 4000))], 400),
        (f"/api/interceptions/{record_id}%00", [], 422),
    ]
    for path, params, status in cases:
        response = client.get(path, headers=sup, params=params)
        assert response.status_code == status, (path, params, response.text)
        body = response.json()
        assert body["code"] == "invalid-request", body
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body
    review = client.post(f"/api/interceptions/{record_id}/review", headers=sup,
                         json={"state": "confirmed", "note": "核实\x00无误"})
    assert review.status_code == 422, review.text
    assert "NUL" in review.json()["detail"]
    assert client.get(f"/api/interceptions/{record_id}", headers=sup).status_code == 200
