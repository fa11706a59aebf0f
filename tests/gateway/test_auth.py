"""Tokens: refused on the websocket before any frame (4401 / 4403) and on HTTP (401 / 403)."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from gateway.auth import SECRET_FILE, TokenService, UserRole, load_secret
from gateway.cli.main import app
from gateway.errors import Unauthorized
from gateway.settings import Settings
from tests.conftest import TEST_SECRET, TokenFor
from tests.gateway.wire import close_code


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims | {"shop": "s2"}, "another-secret-" + "y" * 40, algorithm="HS256")
    return f"{header}.{forged.split('.')[1]}.{signature}"


@pytest.mark.parametrize("case", ["missing", "malformed", "tampered", "expired", "other-secret"])
def test_auth_bad_token_closes_with_4401(gateway_client: TestClient, token_for: TokenFor,
                                         case: str) -> None:
    good = token_for("agent", "a1", "s1")
    token = {"missing": "", "malformed": "abc.def", "tampered": tampered(good),
             "expired": token_for("agent", "a1", "s1", ttl_s=-10),
             "other-secret": TokenService("z" * 48).issue(UserRole.AGENT, "a1", "s1", 60)}[case]
    assert close_code(gateway_client, f"/ws?token={token}") == 4401


def test_auth_token_of_another_secret_says_so(gateway_client: TestClient) -> None:
    """The newcomer's mistake: `replyguard token` run with another REPLYGUARD_DATA_DIR."""
    other = TokenService("z" * 48)
    with gateway_client.websocket_connect(
            f"/ws?token={other.issue(UserRole.AGENT, 'a1', 's1', 60)}") as session:
        with pytest.raises(WebSocketDisconnect) as closed:
            session.receive_text()
    assert closed.value.code == 4401
    assert "另一个密钥" in closed.value.reason and other.key_id in closed.value.reason
    assert len(closed.value.reason.encode()) <= 123
    # a token without a key id (or tampered with) cannot be told apart: no claim about secrets
    bare = jwt.encode({"role": "agent", "sub": "a1", "shop": "s1", "exp": 2**40}, "z" * 48,
                      algorithm="HS256")
    with pytest.raises(Unauthorized, match="令牌签名无效"):
        TokenService(TEST_SECRET).verify(bare)


def test_auth_bearer_header_and_chat_roles(gateway_client: TestClient,
                                           token_for: TokenFor) -> None:
    header = {"Authorization": f"Bearer {token_for('agent', 'a1', 's1')}"}
    with gateway_client.websocket_connect("/ws", headers=header) as session:
        session.send_json({"type": "ping"})
        assert session.receive_json() == {"type": "pong"}
    for role in ("supervisor", "qa"):
        assert close_code(gateway_client, f"/ws?token={token_for(role, 'u1', 's1')}") == 4403


def test_auth_http_401_and_403(gateway_client: TestClient, token_for: TokenFor) -> None:
    assert gateway_client.get("/api/config").status_code == 401
    bad = {"Authorization": "Bearer nonsense"}
    response = gateway_client.get("/api/config", headers=bad)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    agent = {"Authorization": f"Bearer {token_for('agent', 'a1', 's1')}"}
    assert gateway_client.get("/api/config", headers=agent).status_code == 403
    supervisor = {"Authorization": f"Bearer {token_for('supervisor', 'u1', 's1')}"}
    assert gateway_client.get("/api/config", headers=supervisor).status_code == 200
    assert gateway_client.post("/api/config/reload", headers=supervisor).status_code == 403


def test_auth_dev_secret_is_generated_once_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_secret(settings)
    assert load_secret(settings) == first and len(first) >= 32 and first != TEST_SECRET
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600


def test_auth_token_command_prints_a_valid_token(tmp_path: Path) -> None:
    env = {"REPLYGUARD_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "gateway", "token", "--role", "agent",
                             "--user", "a1", "--shop", "s1", "--ttl", "60"],
                            capture_output=True, text=True, env=env, check=True, timeout=60)
    token = result.stdout.split()[-1]
    principal = TokenService(load_secret(Settings(data_dir=tmp_path))).verify(token)
    assert (principal.role, principal.user, principal.shop) == (UserRole.AGENT, "a1", "s1")
    # the first token of a data directory made its secret: said on stderr, once
    assert "created a new secret" in result.stderr and str(tmp_path) in result.stderr
    again = subprocess.run([sys.executable, "-m", "gateway", "token", "--role", "buyer",
                            "--user", "b1", "--shop", "s1"],
                           capture_output=True, text=True, env=env, check=True, timeout=60)
    assert again.stderr == "" and again.stdout.count("\n") == 1


def test_auth_token_command_issues_a_platform_wide_qa_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["token", "--role", "qa", "--user", "hq1", "--shop", "*"])
    assert result.exit_code == 0, result.output
    principal = TokenService(load_secret(Settings(data_dir=tmp_path))).verify(
        result.stdout.split()[-1])
    assert (principal.role, principal.shop, principal.shops) == (UserRole.QA, "*", None)
    refused = CliRunner().invoke(app, ["token", "--role", "agent", "--user", "a1", "--shop", "*"])
    assert refused.exit_code == 2 and "shop id" in refused.stderr


def test_auth_all_shops_only_for_supervisor_and_qa(gateway_client: TestClient) -> None:
    service = TokenService(TEST_SECRET)
    for role in (UserRole.SUPERVISOR, UserRole.QA):
        assert service.verify(service.issue(role, "hq1", "*", 60)).shops is None
    one_shop = service.verify(service.issue(UserRole.SUPERVISOR, "s", "s1", 60))
    assert one_shop.shops == frozenset({"s1"})
    for role in (UserRole.AGENT, UserRole.BOT, UserRole.BUYER):
        with pytest.raises(ValueError, match="shop id"):
            service.issue(role, "a1", "*", 60)
        forged = jwt.encode({"role": str(role), "sub": "a1", "shop": "*", "exp": 2**40},
                            TEST_SECRET, algorithm="HS256")
        assert close_code(gateway_client, f"/ws?token={forged}") == 4401


@pytest.mark.issue(18)
def test_auth_a_token_valid_for_years_is_refused(gateway_client: TestClient) -> None:
    """However it was signed, a token may have at most REPLYGUARD_TOKEN_MAX_TTL_S (7 days by
    default) left to run: 4401 on the websocket with a reason saying so, 401 on HTTP."""
    now = int(time.time())
    ten_years = jwt.encode({"role": "agent", "sub": "a1", "shop": "s1", "iat": now,
                            "exp": now + 10 * 365 * 86400}, TEST_SECRET, algorithm="HS256")
    with pytest.raises(WebSocketDisconnect) as closed:
        with gateway_client.websocket_connect(f"/ws?token={ten_years}") as session:
            session.receive_json()
    assert closed.value.code == 4401 and "有效期过长" in closed.value.reason
    qa = jwt.encode({"role": "qa", "sub": "q1", "shop": "s1", "iat": now,
                     "exp": now + 10 * 365 * 86400}, TEST_SECRET, algorithm="HS256")
    response = gateway_client.get("/api/config", headers={"Authorization": f"Bearer {qa}"})
    assert response.status_code == 401 and "有效期过长" in response.json()["detail"]
    week = jwt.encode({"role": "agent", "sub": "a1", "shop": "s1", "iat": now,
                       "exp": now + 7 * 86400}, TEST_SECRET, algorithm="HS256")
    assert TokenService(TEST_SECRET).verify(week).user == "a1"
    with pytest.raises(ValueError, match="over the limit"):
        TokenService(TEST_SECRET).issue(UserRole.AGENT, "a1", "s1", 10 * 365 * 86400)
