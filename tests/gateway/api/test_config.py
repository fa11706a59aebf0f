"""The configuration API: read (qa, supervisor), reload (qa)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from classifiers.resources import default_policy_file
from tests.conftest import ClientFactory, TokenFor


def test_config_reload_applies_and_rejects(client_factory: ClientFactory, token_for: TokenFor,
                                           tmp_path: Path) -> None:
    policy = tmp_path / "policies.yaml"
    policy.write_text(default_policy_file().read_text(encoding="utf-8"), encoding="utf-8")
    client: TestClient = client_factory(policy_file=policy)
    qa = {"Authorization": f"Bearer {token_for('qa', 'q1', '*')}"}
    before = client.get("/api/config", headers=qa).json()["version"]
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    event = client.post("/api/config/reload", headers=qa).json()
    assert event["origin"] == "api" and event["result"] in ("applied", "unchanged")
    policy.write_text("version: 1\nrules: [oops", encoding="utf-8")
    rejected = client.post("/api/config/reload", headers=qa).json()
    assert rejected["result"] == "rejected" and rejected["error"]
    status = client.get("/api/config", headers=qa).json()
    assert status["error"] and status["version"] in (before, event["version"])
    ready = client.get("/readyz")  # the last good version still runs
    assert ready.status_code == 200 and ready.json()["checks"]["config"]["error"]
