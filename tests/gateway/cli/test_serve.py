"""`replyguard serve` as a newcomer meets it: a configuration error is one line and exit code 3
before anything starts, and in dev mode the printed tokens open the chat straight away."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import TEST_SECRET, free_port, wait_ready


def run_serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "REPLYGUARD_DATA_DIR": str(tmp_path),
                   "REPLYGUARD_SECRET": TEST_SECRET, "REPLYGUARD_WATCH_CONFIG": "false", **env}
    return subprocess.run([sys.executable, "-m", "gateway", "serve", "--port",
                           str(free_port()), *args], env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for text in expected:
        assert text in done.stderr


def test_serve_bad_policy_is_one_line_and_exit_3(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nrules:\n  - {id: a, when: {categories: [colt]}, tier: notice}\n",
                      encoding="utf-8")
    assert_one_line_error(run_serve(tmp_path, "--policy", str(policy)),
                          f"{policy}:3:", "unknown category 'colt'")


def test_serve_bad_lexicon_dir_and_bad_setting_are_one_line_and_exit_3(tmp_path: Path) -> None:
    assert_one_line_error(run_serve(tmp_path, "--lexicons", str(tmp_path / "nowhere")),
                          "nowhere")
    assert_one_line_error(run_serve(tmp_path, REPLYGUARD_MAX_CHARS="many"),
                          "REPLYGUARD_MAX_CHARS", "'many'")
    assert_one_line_error(run_serve(tmp_path, REPLYGUARD_SECRET="short"), "REPLYGUARD_SECRET",
                          "32")
    assert_one_line_error(run_serve(tmp_path, REPLYGUARD_DATABASE_URL="nonsense"),
                          "cannot use log database")
    assert_one_line_error(run_serve(tmp_path, REPLYGUARD_HASH_BUYER_IDS="true",
                                    REPLYGUARD_BUYER_KEY="short"), "16 bytes")


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    """`replyguard serve` with no REPLYGUARD_SECRET (dev mode); yields its port and the lines
    it printed on stdout."""
    port = free_port()
    env = {**os.environ, "REPLYGUARD_DATA_DIR": str(tmp_path / "data"),
           "REPLYGUARD_WATCH_CONFIG": "false"}
    env.pop("REPLYGUARD_SECRET", None)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None
    try:
        wait_ready(process, port, lambda: (tmp_path / "serve.log").read_text())
        lines = [process.stdout.readline() for _ in range(5)]
        yield port, lines
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        log.close()


def test_serve_dev_mode_prints_tokens_that_work(dev_server: tuple[int, list[str]],
                                                tmp_path: Path) -> None:
    port, lines = dev_server
    assert str(tmp_path / "data" / "jwt-secret") in lines[0]
    links = {line.split(":")[0].strip(): line.split(": ", 1)[1].strip() for line in lines[1:]}
    assert set(links) == {"agent a1", "buyer b1", "supervisor sup1", "qa qa1"}
    assert links["agent a1"].startswith(f"ws://127.0.0.1:{port}/ws?token=")

    async def chat() -> None:
        async with connect(links["agent a1"]) as agent, connect(links["buyer b1"]) as buyer:
            await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "在吗"}))
            assert json.loads(await asyncio.wait_for(buyer.recv(), 10))["tier"] == "none"
            assert json.loads(await asyncio.wait_for(agent.recv(), 10))["type"] == "assigned"

    asyncio.run(chat())
    # a token from `replyguard token` with another data directory: refused, and told why
    other = subprocess.run([sys.executable, "-m", "gateway", "token", "--role", "agent",
                            "--user", "a1", "--shop", "s1"], capture_output=True, text=True,
                           env={**os.environ, "REPLYGUARD_DATA_DIR": str(tmp_path / "other")},
                           check=True, timeout=60)
    assert "created a new secret" in other.stderr

    async def refused() -> str:
        async with connect(f"ws://127.0.0.1:{port}/ws?token={other.stdout.split()[-1]}") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        return closed.value.rcvd.reason

    assert "另一个密钥" in asyncio.run(refused())


def test_serve_on_port_0_prints_links_to_the_port_it_got(tmp_path: Path) -> None:
    env = {**os.environ, "REPLYGUARD_DATA_DIR": str(tmp_path / "data"),
           "REPLYGUARD_WATCH_CONFIG": "false"}
    env.pop("REPLYGUARD_SECRET", None)
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", "0"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    assert process.stdout is not None
    try:
        process.stdout.readline()
        agent_link = process.stdout.readline().split(": ", 1)[1].strip()
        port = int(agent_link.split("ws://127.0.0.1:", 1)[1].split("/", 1)[0])
        assert port != 0
        wait_ready(process, port, lambda: "")
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def run_token(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "REPLYGUARD_DATA_DIR": str(tmp_path),
                   "REPLYGUARD_SECRET": TEST_SECRET, **env}
    return subprocess.run([sys.executable, "-m", "gateway", "token", "--role", "agent",
                           "--user", "a1", "--shop", "s1", *args], env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("ttl", ["-5", "0"])
def test_token_refuses_a_lifetime_that_is_not_positive(tmp_path: Path, ttl: str) -> None:
    done = run_token(tmp_path, "--ttl", ttl)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: --ttl") and len(done.stderr.splitlines()) == 1


def test_token_with_a_short_secret_names_the_variable_and_exits_3(tmp_path: Path) -> None:
    assert_one_line_error(run_token(tmp_path, REPLYGUARD_SECRET="short"), "REPLYGUARD_SECRET",
                          "32")


def test_serve_with_unreachable_redis_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    assert_one_line_error(run_serve(tmp_path, REPLYGUARD_REDIS_URL="redis://127.0.0.1:1"),
                          "REPLYGUARD_REDIS_URL")


def test_serve_on_a_taken_port_is_one_line_before_any_startup_work(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            env={**os.environ, "REPLYGUARD_DATA_DIR": str(tmp_path),
                 "REPLYGUARD_SECRET": TEST_SECRET}, capture_output=True, text=True, timeout=60,
            check=False)
    assert_one_line_error(done, f"127.0.0.1:{port}", "in use")
    # no migration ran: the log database was not even created
    assert not (tmp_path / "interceptions.sqlite3").exists()
