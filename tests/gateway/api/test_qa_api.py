"""The QA API: scoring as the CLI does, lexicon terms edited with hot reload and an audit
trail, and replay of the log under a candidate policy (never applied)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from classifiers.results import Role
from classifiers.scorer import Scorer
from tests.conftest import TokenFor
from tests.gateway.api.helpers import bearer, store
from tests.gateway.log.records_factory import make_record


@pytest.fixture
def client(config_client: TestClient) -> TestClient:
    return config_client


def test_qa_score_is_the_cli_verdict(client: TestClient, token_for: TokenFor,
                                     scorer: Scorer) -> None:
    qa = bearer(token_for, "qa", "q1", "hq")
    response = client.post("/api/score", headers=qa, json={"text": "加我薇信", "from": "agent"})
    assert response.status_code == 200
    expected = scorer.score("加我薇信", Role.AGENT).to_dict()
    got = response.json()
    assert {k: v for k, v in got.items() if k != "timing_us"} == \
        {k: v for k, v in expected.items() if k != "timing_us"}
    assert json.loads(json.dumps(expected, ensure_ascii=False)).keys() == got.keys()
    assert client.post("/api/score", headers=bearer(token_for, "supervisor", "s", "hq"),
                       json={"text": "x"}).status_code == 403
    empty = client.post("/api/score", headers=qa, json={"text": "   "})
    assert empty.status_code == 422 and empty.json()["code"] == "invalid-input"
    role = client.post("/api/score", headers=qa, json={"text": "好", "from": "robot"})
    assert role.status_code == 422 and role.json()["code"] == "invalid-request"
    asked = client.post("/api/score", headers=qa, json={"text": "好的", "context": "发什么快递？"})
    assert asked.json()["tier"] == "notice"
    context = asked.json()["context"]
    assert context.pop("unanswered") >= 0.5  # the answer model: a lone 好的 answers no question
    assert context == {"text": "发什么快递？", "act": "question", "needs_answer": True}
    bad = client.post("/api/score", headers=qa, json={"text": "好的", "context": " "})
    assert bad.status_code == 422 and "上下文为空" in bad.json()["detail"]


def test_qa_lexicon_terms_add_search_remove_with_reload_and_audit(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    qa = bearer(token_for, "qa", "q1", "*")

    def tier(text: str) -> str:
        verdict = client.post("/api/score", headers=qa, json={"text": text}).json()
        return str(verdict["tier"])

    categories = {c["category"]: c for c in client.get("/api/lexicon", headers=qa).json()}
    assert {"off_platform", "abuse", "allow"} <= categories.keys()
    assert categories["off_platform"]["file"] == "off_platform.txt"
    found = client.get("/api/lexicon/off_platform/terms", headers=qa, params={"q": "微信"})
    assert found.status_code == 200 and all("微信" in t["text"] for t in found.json())
    assert found.json()
    assert tier("那个蜂鸟集") == "none"

    added = client.post("/api/lexicon/off_platform/terms", headers=qa,
                        json={"term": "蜂鸟集", "severity": 3})
    assert added.status_code == 201, added.text
    assert added.json()["result"] == "applied"
    assert client.get("/api/config", headers=qa).json()["version"] == added.json()["version"]
    assert tier("那个蜂鸟集") == "block"
    assert "蜂鸟集\tseverity=3\n" in (config_dir / "lexicons/off_platform.txt").read_text(
        encoding="utf-8")
    [term] = client.get("/api/lexicon/off_platform/terms", headers=qa,
                        params={"q": "蜂鸟"}).json()
    assert (term["text"], term["severity"]) == ("蜂鸟集", 3)

    removed = client.delete("/api/lexicon/off_platform/terms/蜂鸟集", headers=qa)
    assert removed.status_code == 200 and removed.json()["result"] == "applied"
    assert tier("那个蜂鸟集") == "none"
    assert client.delete("/api/lexicon/off_platform/terms/蜂鸟集", headers=qa
                         ).status_code == 404

    audit = client.get("/api/lexicon/audit", headers=qa).json()
    assert [(e["user"], e["action"], e["category"], e["term"], e["result"]) for e in audit] == \
        [("q1", "add", "off_platform", "蜂鸟集", "applied"),
         ("q1", "remove", "off_platform", "蜂鸟集", "applied"),
         ("q1", "remove", "off_platform", "蜂鸟集", "rejected")]   # the 404 is audited too
    assert "没有" in audit[2]["error"] and audit[2]["line"] is None
    assert audit[0]["line"] == "蜂鸟集\tseverity=3"
    assert client.get("/api/lexicon", headers=bearer(token_for, "supervisor", "s", "hq")
                      ).status_code == 403


def test_qa_lexicon_refuses_bad_terms_and_restores_a_rejected_change(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    qa = bearer(token_for, "qa", "q1", "*")
    path = config_dir / "lexicons/off_platform.txt"
    before = path.read_text(encoding="utf-8")
    for category, body in (("off_platform", {"term": "拼\t夕夕"}),
                           ("off_platform", {"term": "拼夕夕\nsb"}),
                           ("off_platform", {"term": "  "}),
                           ("off_platform", {"term": "#拼夕夕"}),
                           ("off_platform", {"term": "拼夕夕", "severity": 5}),
                           ("no_such_category", {"term": "拼夕夕"}),
                           ("../policies", {"term": "拼夕夕"})):
        response = client.post(f"/api/lexicon/{category}/terms", headers=qa, json=body)
        assert response.status_code in (404, 422), (category, body, response.text)
        if category != "../policies":
            assert response.status_code == 422 and response.json()["detail"], body
    duplicate = client.post("/api/lexicon/off_platform/terms", headers=qa,
                            json={"term": "微信"})
    assert duplicate.status_code == 422 and duplicate.json()["code"] == "invalid-config"
    assert duplicate.json()["detail"].startswith("词库无法构建：off_platform.txt:")
    assert path.read_text(encoding="utf-8") == before
    # every refused attempt is in the audit, with why (docs/api.md: one line per attempt)
    refused = client.get("/api/lexicon/audit", headers=qa).json()
    assert [(e["category"], e["result"]) for e in refused] == [
        ("off_platform", "rejected")] * 4 + [("no_such_category", "rejected"),
                                              ("off_platform", "rejected")]
    assert all(e["error"] for e in refused) and refused[-1]["term"] == "微信"
    assert refused[-1]["error"].startswith("off_platform.txt:")

    # the running configuration refuses to build (someone broke the policy file): the new
    # term is rolled back and the answer says why
    policy = config_dir / "policies.yaml"
    good = policy.read_text(encoding="utf-8")
    policy.write_text("version: 1\nrules: [oops", encoding="utf-8")
    rejected = client.post("/api/lexicon/off_platform/terms", headers=qa,
                           json={"term": "蜂鸟集"})
    assert rejected.status_code == 422 and rejected.json()["code"] == "invalid-config"
    assert "policies.yaml" in rejected.json()["detail"]
    assert path.read_text(encoding="utf-8") == before
    policy.write_text(good, encoding="utf-8")
    entry = client.get("/api/lexicon/audit", headers=qa).json()[-1]
    assert (entry["term"], entry["result"]) == ("蜂鸟集", "rejected") and entry["error"]
    assert "policies.yaml" in entry["error"]


def test_qa_replay_of_the_log_under_a_candidate_policy(client: TestClient,
                                                       token_for: TokenFor,
                                                       config_dir: Path) -> None:
    now = datetime.now(UTC)
    store(client,
          make_record(time=now - timedelta(hours=1), shop="s1", text="加我薇信"),
          make_record(time=now - timedelta(days=30), shop="s1", text="加我薇信号"),
          make_record(time=now - timedelta(hours=2), shop="s2", text="加我薇信吧"))
    policy = (config_dir / "policies.yaml").read_text(encoding="utf-8")
    candidate = policy.replace("    tier: block\n    reason: 消息疑似引导", "    tier: notice\n"
                               "    reason: 消息疑似引导").replace(
        "    tier: block\n    reason: 消息用谐音", "    tier: notice\n    reason: 消息用谐音")
    assert candidate != policy
    qa = bearer(token_for, "qa", "q1", "s1")
    running = client.get("/api/config", headers=qa).json()["version"]
    response = client.post("/api/replay", headers=qa, json={"policy": candidate, "days": 7})
    assert response.status_code == 200, response.text
    diff = response.json()
    assert diff["total"] == 1 and diff["changed"] == 1  # s2's and the old record are not read
    assert diff["current_version"] == running != diff["candidate_version"]
    [move] = diff["moves"]
    assert (move["from"], move["to"], move["examples"][0]["text"]) == ("block", "notice",
                                                                       "加我薇信")
    assert client.get("/api/config", headers=qa).json()["version"] == running  # not applied
    everyone = client.post("/api/replay", headers=bearer(token_for, "qa", "q0", "*"),
                           json={"policy": candidate, "days": 7}).json()
    assert everyone["total"] == 2

    broken = client.post("/api/replay", headers=qa,
                         json={"policy": "version: 1\nrules:\n  - {id: x, tier: loud}\n"})
    assert broken.status_code == 422, broken.text
    body = broken.json()
    assert body["code"] == "invalid-config"
    assert body["detail"].startswith("策略无法构建：candidate-policy.yaml:3:")
    assert body["where"]["file"] == "candidate-policy.yaml" and body["where"]["line"] == 3
    assert "/tmp" not in json.dumps(body)
    assert client.post("/api/replay", headers=qa, json={"policy": policy, "days": 0}
                       ).status_code == 422
    assert client.post("/api/replay", headers=bearer(token_for, "supervisor", "s", "s1"),
                       json={"policy": policy}).status_code == 403
