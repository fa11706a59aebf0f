"""The QA policy API behind the console's policy editor: read the running file, check a
candidate with every problem at its line, apply it with a hot reload (never a broken one)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from classifiers.resources import default_lexicon_dir, default_policy_file
from tests.conftest import ClientFactory, TokenFor
from tests.gateway.api.helpers import bearer


@pytest.fixture
def policy_client(client_factory: ClientFactory, tmp_path: Path) -> tuple[TestClient, Path]:
    root = tmp_path / "config"
    shutil.copytree(default_lexicon_dir(), root / "lexicons")
    shutil.copy(default_policy_file(), root / "policies.yaml")
    client = client_factory(lexicon_dir=root / "lexicons", policy_file=root / "policies.yaml")
    return client, root / "policies.yaml"


def test_policy_api_reads_the_running_file(policy_client: tuple[TestClient, Path],
                                           token_for: TokenFor) -> None:
    client, path = policy_client
    answer = client.get("/api/policy", headers=bearer(token_for, "qa", "q1", "s1"))
    assert answer.status_code == 200
    assert answer.json()["text"] == path.read_text("utf-8")
    assert answer.json()["file"] == "policies.yaml"


def test_policy_api_check_reports_each_problem_at_its_line(
        policy_client: tuple[TestClient, Path], token_for: TokenFor) -> None:
    client, _ = policy_client
    candidate = ("version: 1\nrules:\n  - {id: a, when: {categories: [colt]}, tier: notice}\n"
                 "  - {id: b, when: {categories: [cold]}, tier: shout}\n")
    answer = client.post("/api/policy/check", json={"policy": candidate},
                         headers=bearer(token_for, "qa", "q1", "s1"))
    assert answer.status_code == 200
    result = answer.json()
    assert result["valid"] is False
    assert {(p["line"], p["severity"]) for p in result["problems"]} >= {(3, "error"),
                                                                        (4, "error")}
    assert any("colt" in p["message"] for p in result["problems"])


def test_policy_api_apply_refuses_errors_and_writes_nothing(
        policy_client: tuple[TestClient, Path], token_for: TokenFor) -> None:
    client, path = policy_client
    before = path.read_text("utf-8")
    answer = client.put("/api/policy", json={"policy": "version: 1\nrules: [\n"},
                        headers=bearer(token_for, "qa", "q1", "s1"))
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid-config"
    assert answer.json()["problems"]
    assert path.read_text("utf-8") == before


def test_policy_api_apply_hot_reloads_the_new_policy(
        policy_client: tuple[TestClient, Path], token_for: TokenFor) -> None:
    client, path = policy_client
    qa = bearer(token_for, "qa", "q1", "*")   # the default policy is the platform's
    before = client.post("/api/score", json={"text": "你是傻逼吧"}, headers=qa).json()
    version = client.get("/api/config", headers=qa).json()["version"]
    candidate = "version: 1\nrules:\n  - {id: abuse, when: {categories: [abuse]}, tier: notice}\n"
    answer = client.put("/api/policy", json={"policy": candidate}, headers=qa)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "applied"
    assert answer.json()["version"] != version
    assert path.read_text("utf-8") == candidate
    after = client.post("/api/score", json={"text": "你是傻逼吧"}, headers=qa).json()
    assert (before["tier"], after["tier"]) == ("block-with-warning", "notice")


@pytest.mark.parametrize(("role", "status"), [("supervisor", 403), ("agent", 403)])
def test_policy_api_is_for_qa_only(policy_client: tuple[TestClient, Path],
                                   token_for: TokenFor, role: str, status: int) -> None:
    client, _ = policy_client
    headers = bearer(token_for, role, "u1", "s1")
    assert client.get("/api/policy", headers=headers).status_code == status
    assert client.put("/api/policy", json={"policy": ""}, headers=headers).status_code == status
    assert client.get("/api/policy").status_code == 401
