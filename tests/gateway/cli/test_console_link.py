"""`replyguard console-link` prints a link that opens the role's page with a token the gateway
accepts; `replyguard serve` in dev mode prints one link per page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from gateway.auth import TokenService, UserRole, load_secret
from gateway.cli.main import app
from gateway.settings import Settings
from tests.conftest import free_port, wait_ready


@pytest.mark.parametrize(("role", "page"), [("agent", "agent"), ("bot", "agent"),
                                            ("buyer", "buyer"), ("qa", "qa"),
                                            ("supervisor", "supervisor")])
def test_console_link_opens_the_role_page_with_a_valid_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: str, page: str) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["console-link", "--role", role, "--user", "u1",
                                      "--shop", "s1", "--base-url", "http://gw.example:9000"])
    assert result.exit_code == 0, result.output
    link = urlsplit(result.stdout.strip())
    assert (link.scheme, link.netloc, link.path) == ("http", "gw.example:9000",
                                                     f"/console/{page}")
    assert link.fragment.startswith("token=")
    principal = TokenService(load_secret(Settings())).verify(link.fragment[len("token="):])
    assert (principal.role, principal.user, principal.shop) == (UserRole(role), "u1", "s1")


def test_console_link_refuses_a_bad_user_id_with_a_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["console-link", "--role", "agent", "--user", "a:b",
                                      "--shop", "s1"])
    assert result.exit_code == 2
    assert "user id" in result.output


def test_serve_in_dev_mode_prints_a_working_link_per_page(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REPLYGUARD_SECRET"}
    env |= {"REPLYGUARD_DATA_DIR": str(tmp_path), "REPLYGUARD_WATCH_CONFIG": "false"}
    output = tmp_path / "serve.log"
    with output.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port",
                                    str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_ready(process, port, lambda: output.read_text("utf-8"))
        links = [word for line in output.read_text("utf-8").splitlines()
                 for word in line.split() if "/console/" in word]
        pages = {urlsplit(link).path for link in links}
        assert pages == {f"/console/{p}" for p in ("agent", "buyer", "qa", "supervisor")}
        for link in links:
            parts = urlsplit(link)
            token = parts.fragment[len("token="):]
            assert httpx.get(f"http://127.0.0.1:{port}{parts.path}").status_code == 200
            # the token is the gateway's own: a supervisor's opens the log
            if parts.path.endswith("supervisor"):
                answer = httpx.get(f"http://127.0.0.1:{port}/api/interceptions",
                                   headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
