"""Shared by the log and QA API tests: an app on a given log database, bearer headers, and
records written into the running app's log."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.testclient import TestClient

from gateway.log import InterceptionRecord
from tests.conftest import TokenFor


def bearer(token_for: TokenFor, role: str, user: str, shop: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(role, user, shop)}"}


def gateway_log(client: TestClient) -> Any:
    return client.app.state.gateway.log  # type: ignore[attr-defined]


def store(client: TestClient, *records: InterceptionRecord) -> None:
    """Append through the running app's own log (durably, so the API sees them at once)."""
    log = gateway_log(client)
    portal = client.portal
    assert portal is not None
    for record in records:
        portal.call(partial(log.append, record, durable=True))
