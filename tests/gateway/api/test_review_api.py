"""Review → stats → QA exports, on SQLite and on a real PostgreSQL: what a supervisor decides
is what the figures count and what QA gets to retrain on."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from classifiers.tiers import Tier
from classifiers.tone.training import read_labelled
from gateway.log import Outcome
from tests.conftest import ClientFactory, TokenFor
from tests.gateway.api.helpers import bearer, gateway_log, store
from tests.gateway.log.records_factory import at, make_record


def hit(term: str, category: str, text: str) -> dict[str, object]:
    return {"term": term, "category": category, "severity": 3, "start": 0, "end": len(text),
            "text": text, "mode": "substring", "view": "pinyin", "trace": [], "evasion": True}


@pytest.fixture
def client(client_factory: ClientFactory, log_url: str) -> TestClient:
    """Shop s1: two 微信-style blocks, a cold suggest-edit sent anyway, a notice; shop s2: one
    block. Ids are fixed so the tests can name them."""
    client = client_factory(database_url=log_url)
    wx = {"categories": ("off_platform",), "matches": (hit("微信", "off_platform", "威信"),)}
    store(client,
          make_record(id="wx1", time=at(0), shop="s1", user="a1", text="关注我们威信公众号", **wx),
          make_record(id="wx2", time=at(1), shop="s1", user="a2", text="加我威信吧", **wx),
          make_record(id="cold", time=at(2), shop="s1", user="a1", text="不知道",
                      tier=Tier.SUGGEST_EDIT, outcome=Outcome.OVERRIDDEN, categories=("cold",),
                      matches=(hit("不知道", "cold", "不知道"),)),
          make_record(id="note", time=at(3), shop="s1", user="a2", text="嗯",
                      tier=Tier.NOTICE, rule="perfunctory", outcome=Outcome.DELIVERED,
                      categories=("perfunctory",), matches=(hit("嗯", "perfunctory", "嗯"),)),
          make_record(id="other", time=at(4), shop="s2", user="z9", text="威信", **wx))
    log = gateway_log(client)
    assert client.portal is not None
    client.portal.call(log.appeal, "wx2", "买家自己要的")
    client.portal.call(log.appeal, "wx1", "这是官方公众号")
    return client


def test_review_queue_puts_appeals_first_and_reviews_are_recorded(
        client: TestClient, token_for: TokenFor) -> None:
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    queue = client.get("/api/review-queue", headers=sup).json()["items"]
    assert [r["id"] for r in queue] == ["wx2", "wx1", "note", "cold"]  # oldest appeal first
    appeals = client.get("/api/interceptions", headers=sup, params={"appealed": "true"}).json()
    assert {r["id"] for r in appeals["items"]} == {"wx1", "wx2"}
    # the list and the record show every appeal (docs/api.md), as the export does
    assert {r["id"]: [a["note"] for a in r["appeals"]] for r in appeals["items"]} == \
        {"wx1": ["这是官方公众号"], "wx2": ["买家自己要的"]}
    two = client.get("/api/interceptions/wx2", headers=sup).json()["appeals"]
    assert [a["note"] for a in two] == ["买家自己要的"] and two[0]["time"]
    reviewed = client.post("/api/interceptions/wx1/review", headers=sup,
                           json={"state": "false-positive", "note": "官方公众号，不是站外"})
    assert reviewed.status_code == 200, reviewed.text
    body = reviewed.json()
    assert (body["review_state"], body["reviewer"], body["review_note"]) == \
        ("false-positive", "sup1", "官方公众号，不是站外")
    assert body["reviewed_at"] is not None
    queue = client.get("/api/review-queue", headers=sup).json()["items"]
    assert [r["id"] for r in queue] == ["wx2", "note", "cold"]
    for bad in ({"state": "unreviewed"}, {"state": "maybe"}, {}, {"state": "confirmed",
                                                                   "note": "x" * 3000}):
        response = client.post("/api/interceptions/wx2/review", headers=sup, json=bad)
        assert response.status_code == 422 and response.json()["code"] == "invalid-request"
    assert client.post("/api/interceptions/nope/review", headers=sup,
                       json={"state": "confirmed"}).status_code == 404


def test_review_stats_and_qa_exports_round_trip(client: TestClient, token_for: TokenFor,
                                                tmp_path: Path) -> None:
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    for record_id, state, note in (("wx1", "false-positive", "官方公众号"),
                                   ("cold", "false-positive", "语气平淡 label=cold"),
                                   ("wx2", "confirmed", None)):
        response = client.post(f"/api/interceptions/{record_id}/review", headers=sup,
                               json={"state": state, "note": note})
        assert response.status_code == 200, response.text
    stats = client.get("/api/stats", headers=sup).json()
    assert stats["total"] == 4 and stats["by_shop"] == {"s1": 4}  # s2's record not counted
    assert stats["by_tier"] == {"block": 2, "suggest-edit": 1, "notice": 1}
    assert stats["by_category"] == {"off_platform": 2, "cold": 1, "perfunctory": 1}
    assert stats["by_user"] == {"a1": 2, "a2": 2} and stats["by_day"] == {"2025-03-01": 4}
    assert stats["notices_by_user"] == {"a2": 1} and stats["notices_by_rule"] == \
        {"perfunctory": 1}
    assert (stats["confirmed"], stats["false_positives"]) == (1, 2)
    assert stats["false_positive_rate"] == pytest.approx(2 / 3)
    assert stats["send_anyway_rate"] == 1.0 and stats["forced_edit_mean_s"] is None
    assert (stats["appealed"], stats["appealed_reviewed"], stats["appeals_upheld"]) == (2, 2, 1)
    narrowed = client.get("/api/stats", headers=sup,
                          params={"category": "off_platform", "agent": "a1"}).json()
    assert narrowed["total"] == 1

    qa = bearer(token_for, "qa", "q1", "s1")
    candidates = client.get("/api/qa/false-positives/allow-candidates", headers=qa).json()
    assert [(c["category"], c["term"], c["matched"], c["count"], c["record_ids"])
            for c in candidates] == [("cold", "不知道", "不知道", 1, ["cold"]),
                                     ("off_platform", "微信", "威信", 1, ["wx1"])]
    assert candidates[1]["examples"] == ["关注我们威信公众号"]
    rows = client.get("/api/qa/false-positives/training.csv", headers=qa)
    assert rows.headers["content-type"].startswith("text/csv")
    path = tmp_path / "fp.csv"
    path.write_text(rows.text, encoding="utf-8")
    assert sorted((r.text, r.label) for r in read_labelled(path)) == \
        [("不知道", "cold"), ("关注我们威信公众号", "polite")]
    assert client.get("/api/qa/false-positives/allow-candidates", headers=sup
                      ).status_code == 403
    other_qa = bearer(token_for, "qa", "q2", "s2")
    assert client.get("/api/qa/false-positives/allow-candidates", headers=other_qa
                      ).json() == []
