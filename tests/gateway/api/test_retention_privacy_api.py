"""Retention (the purge task of the app) and hashed buyer ids, seen through the API; and the
OpenAPI page naming every endpoint's role."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient
from typer.testing import CliRunner

from gateway.cli.main import app
from gateway.log import open_log
from tests.conftest import ClientFactory, TokenFor
from tests.gateway.api.helpers import bearer
from tests.gateway.log.records_factory import make_record
from tests.gateway.wire import connect


def test_retention_purges_old_records_when_the_app_starts(
        client_factory: ClientFactory, token_for: TokenFor, log_url: str,
        tmp_path: Path) -> None:
    now = datetime.now(UTC)
    log = open_log(log_url, tmp_path)

    async def write() -> None:
        for record_id, age in (("old", 40), ("recent", 2)):
            await log.append(make_record(id=record_id, shop="s1",
                                         time=now - timedelta(days=age)), durable=True)
    try:
        asyncio.run(write())
    finally:
        log.close_sync()
    client = client_factory(database_url=log_url, retention_days=30)
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    deadline = time.monotonic() + 10
    while True:
        items = client.get("/api/interceptions", headers=sup).json()["items"]
        if [i["id"] for i in items] == ["recent"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [i["id"] for i in items] == ["recent"]


def test_privacy_buyer_ids_are_hashed_in_what_the_api_returns(
        client_factory: ClientFactory, token_for: TokenFor) -> None:
    key = "k" * 32
    client: TestClient = client_factory(hash_buyer_ids=True, buyer_key=SecretStr(key))
    with ExitStack() as stack:
        agent = stack.enter_context(connect(client, token_for("agent", "a1", "s1")))
        buyer = stack.enter_context(connect(client, token_for("buyer", "b1", "s1")))
        buyer.say("m0", "在吗")
        agent.expect("assigned")
        agent.expect("message")
        assert agent.say("r1", "加我薇信", "s1:b1")["tier"] == "block"
    sup = bearer(token_for, "supervisor", "sup1", "s1")
    [item] = client.get("/api/interceptions", headers=sup).json()["items"]
    hashed = hmac.new(key.encode(), b"b1", hashlib.sha256).hexdigest()
    assert item["buyer"] == hashed and item["context"][0]["user"] == hashed
    assert item["user"] == "a1"
    assert item["conversation"] == f"s1:{hashed[:32]}"
    dumped = json.dumps(item)
    assert '"b1"' not in dumped and "s1:b1" not in dumped


def test_openapi_names_every_endpoints_role(gateway_client: TestClient) -> None:
    schema = gateway_client.get("/openapi.json").json()
    roles = ("(supervisor)", "(qa)", "(qa, supervisor)", "(no token)")
    operations = [(path, method, op) for path, methods in schema["paths"].items()
                  for method, op in methods.items()]
    assert len(operations) >= 17
    for path, method, op in operations:
        assert op.get("tags"), (path, method)
        assert op["summary"].endswith(roles), (path, method, op["summary"])
    tags = {t["name"] for t in schema["tags"]}
    assert {tag for _, _, op in operations for tag in op["tags"]} <= tags
    assert gateway_client.get("/docs").status_code == 200


def test_retention_log_purge_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path))
    now = datetime.now(UTC)
    log = open_log(None, tmp_path)

    async def write() -> None:
        for age in (100, 10):
            await log.append(make_record(time=now - timedelta(days=age)), durable=True)
    try:
        asyncio.run(write())
    finally:
        log.close_sync()
    result = CliRunner().invoke(app, ["log", "purge", "--days", "30"])
    assert result.exit_code == 0 and "purged 1 records" in result.output
    assert CliRunner().invoke(app, ["log", "purge", "--days", "0"]).exit_code == 2
