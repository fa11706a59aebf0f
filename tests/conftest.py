"""The only conftest: shared fixtures for every test package."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr

from bench.pgserver import BIN_GLOB, PostgresServer, find_binaries
from bench.redisserver import RedisServer, RedisUnavailableError
from bench.redisserver import free_port as free_port  # re-exported for the tests
from classifiers.lexicon import Lexicon
from classifiers.normalize import Normalizer
from classifiers.policy.decide import Policy
from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS
from classifiers.resources import (
    default_intent_model,
    default_invitation_model,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
)
from classifiers.scorer import Scorer
from gateway.app import create_app
from gateway.auth import TokenService, UserRole
from gateway.console.links import console_link
from gateway.log import SqlInterceptionLog, open_log
from gateway.settings import Settings

with warnings.catch_warnings():
    # starlette asks for the httpx2 fork; the installed httpx works the same for these tests
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EVAL_DATA = SHARED / "eval-data"
CHROMIUM = "/usr/bin/chromium"

MINI_LEXICON = {
    "abuse.txt": "傻逼\tseverity=3 variants=initials\n滚\tseverity=3 mode=word\n你妈\tseverity=3\n"
                 "sb\tseverity=3\n",
    "off_platform.txt": "微信\tseverity=3 variants=initials\n加我微信\tseverity=3 variants=pinyin\n"
                        "微信号\tseverity=3 variants=pinyin\n加我\tseverity=2\nqq\tseverity=3\n",
    "perfunctory.txt": "嗯\tmode=message severity=2\n？？？\tmode=message severity=3\n",
    "cold.txt": "不知道\tmode=message severity=2\n爱买不买\tseverity=3\n",
    "sarcasm.txt": "呵呵\tseverity=2\n嘻嘻哈哈\tseverity=1\n",
    "escalation.txt": "转人工\n投诉\n12315\n",
    "discrimination.txt": "乡巴佬\n",
    "allow.txt": "您妈妈\n滚筒\n操作\n",
}


MINI_POLICY = """\
version: 1
rules:
  - {id: escalation, when: {roles: [buyer], categories: [escalation]}, tier: route-to-human}
  - {id: abuse, when: {roles: [agent, bot], categories: [abuse, discrimination]},
     tier: block-with-warning}
  - {id: off-platform, when: {roles: [agent, bot], categories: [off_platform]}, tier: block}
  - {id: sarcasm, when: {roles: [agent, bot], categories: [sarcasm]}, tier: force-edit}
  - {id: cold, when: {roles: [agent, bot], categories: [cold]}, tier: suggest-edit}
  - {id: perfunctory, when: {roles: [agent, bot], categories: [perfunctory]}, tier: notice}
"""


def write_mini_config(root: Path, policy: str = MINI_POLICY) -> tuple[Path, Path]:
    """The mini lexicon and `policy` as files under `root`: (lexicon dir, policy file)."""
    directory = root / "lexicons"
    directory.mkdir(parents=True)
    for name, content in MINI_LEXICON.items():
        (directory / name).write_text(content, encoding="utf-8")
    (root / "policy.yaml").write_text(policy, encoding="utf-8")
    return directory, root / "policy.yaml"


def require_shared(path: Path) -> Path:
    """Shared evaluation data: present in CI (a failure there), may be absent elsewhere."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} not present outside CI")
    return path


@pytest.fixture(scope="session")
def normalizer() -> Normalizer:
    return Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])


@pytest.fixture
def write_lexicon(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    def write(files: dict[str, str]) -> Path:
        directory = tmp_path / "lexicons"
        directory.mkdir(exist_ok=True)
        for name, content in files.items():
            (directory / name).write_text(content, encoding="utf-8")
        return directory
    return write


@pytest.fixture(scope="session")
def mini_scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    """A keyword-only scorer over an eight-file lexicon and a six-rule policy written here, so
    engine tests do not depend on the shipped term lists or the tone model."""
    return Scorer.load(*write_mini_config(tmp_path_factory.mktemp("mini")))


@pytest.fixture(scope="session")
def scorer() -> Scorer:
    """The shipped lexicons, tone, intent and invitation models and default policy, as a user
    gets them."""
    return Scorer.load(default_lexicon_dir(), default_policy_file(),
                       tone_model=default_tone_model(), intent_model=default_intent_model(),
                       invitation_model=default_invitation_model())


@pytest.fixture(scope="session")
def shipped_lexicon() -> Lexicon:
    return Lexicon.load(default_lexicon_dir())


@pytest.fixture(scope="session")
def shipped_policy(shipped_lexicon: Lexicon) -> Policy:
    return Policy.load(default_policy_file(),
                       known_categories=[*shipped_lexicon.categories, "off_platform"])


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """The gateway runs on asyncio (the log awaits thread futures), so async tests do too."""
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL from Debian's binaries, for the whole session (see bench/pgserver.py)."""
    if find_binaries() is None:
        message = f"PostgreSQL binaries not found under {BIN_GLOB} (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with PostgresServer.start(fast=True) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty log database on each backend: a file for SQLite, a new PostgreSQL
    database (dropped afterwards) for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"log_{uuid.uuid4().hex[:12]}"
    url = server.create_database(name)
    yield url
    server.drop_database(name)


@pytest.fixture
def interception_log(log_url: str, tmp_path: Path) -> Iterator[SqlInterceptionLog]:
    log = open_log(log_url, tmp_path)
    yield log
    log.close_sync()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A real redis-server (Debian's) on a free port for the whole session; yields its URL.
    Tests that use it flush it first (`redis_url`)."""
    with start_redis() as server:
        yield server.url


@pytest.fixture
def restartable_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may kill and restart (fault tests)."""
    with start_redis() as server:
        yield server


@contextlib.contextmanager
def start_redis(*, persistent: bool = False) -> Iterator[RedisServer]:
    try:
        with RedisServer.start(persistent=persistent) as server:
            yield server
    except RedisUnavailableError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server


# --- the gateway -------------------------------------------------------------------------------

TEST_SECRET = "test-secret-" + "x" * 40
TokenFor = Callable[..., str]
ClientFactory = Callable[..., TestClient]


@pytest.fixture
def gateway_settings(tmp_path: Path) -> Settings:
    """Embedded defaults in a fresh data directory; a fixed secret; generous rate limits;
    no retention purge. The record factories date records from 2025-03-01, so the default
    180-day purge, which runs as the app starts, raced the fixtures that store them (and, once
    2025-08-28 had passed, sometimes deleted them first). Retention tests set it explicitly."""
    return Settings(data_dir=tmp_path / "data", secret=SecretStr(TEST_SECRET),
                    watch_config=False, rate_per_s=1000.0, rate_burst=1000, retention_days=0)


@pytest.fixture
def token_for(gateway_settings: Settings) -> TokenFor:
    """`token_for(role, user, shop, ttl_s=600)`: a token the test gateway accepts."""
    service = TokenService(TEST_SECRET)

    def issue(role: str, user: str, shop: str, ttl_s: int = 600) -> str:
        return service.issue(UserRole(role), user, shop, ttl_s)
    return issue


@pytest.fixture
def client_factory(gateway_settings: Settings, scorer: Scorer) -> Iterator[ClientFactory]:
    """`client_factory(**settings_overrides)`: a started gateway app (lifespan run) with the
    shipped configuration, scorer built once per session; stopped at teardown."""
    started: list[TestClient] = []

    def start(**overrides: object) -> TestClient:
        settings = gateway_settings.model_copy(update=overrides)
        client = TestClient(create_app(settings, scorer=scorer))
        client.__enter__()
        started.append(client)
        return client
    yield start
    for client in reversed(started):
        client.__exit__(None, None, None)


@pytest.fixture
def gateway_client(client_factory: ClientFactory) -> TestClient:
    return client_factory()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the shipped lexicons and policy that a test (and its gateway) may edit."""
    root = tmp_path / "config"
    shutil.copytree(default_lexicon_dir(), root / "lexicons")
    shutil.copy(default_policy_file(), root / "policies.yaml")
    return root


@pytest.fixture
def config_client(client_factory: ClientFactory, config_dir: Path) -> TestClient:
    """A gateway on the files of `config_dir`."""
    return client_factory(lexicon_dir=config_dir / "lexicons",
                          policy_file=config_dir / "policies.yaml")


def start_serve(data_dir: Path, output: Path | None = None,
                **settings: str) -> tuple[subprocess.Popen[str], int]:
    """A ready `replyguard serve` on a free port with the test secret, `data_dir` and
    `settings` (REPLYGUARD_<NAME> values). Its output is piped (read it after it ends), or
    written to `output` for a long run (a pipe nobody reads fills up and stalls it)."""
    port = free_port()
    env = {**os.environ, "REPLYGUARD_DATA_DIR": str(data_dir), "REPLYGUARD_SECRET": TEST_SECRET,
           "REPLYGUARD_WATCH_CONFIG": "false",
           **{f"REPLYGUARD_{name.upper()}": value for name, value in settings.items()}}
    command = [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
    if output is None:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        wait_ready(process, port, lambda: process.communicate()[0])
        return process, port
    with output.open("w") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   text=True)
    wait_ready(process, port, lambda: output.read_text(errors="replace"))
    return process, port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    process, port = start_serve(tmp_path)
    yield process, port, tmp_path
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def wait_ready(process: subprocess.Popen[Any], port: int, output: Callable[[], str]) -> None:
    """Until `replyguard serve` answers /readyz; a process that dies or hangs fails the test
    with its `output`."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"replyguard serve did not start:\n{output()}")
        time.sleep(0.1)


# --- the console in a real browser -------------------------------------------------------------

# The browser tests' policy: the mini lexicon's one rule per tier, and a short notice banner so
# a test can watch it go.
# The mini policy plus the shipped policy's context and intent rules in small (the console
# server runs the shipped intent model, no tone model).
CONSOLE_POLICY = MINI_POLICY + (
    "  - {id: buyer-intent, when: {roles: [buyer], unless_intent: {ordinary: 0.2}},\n"
    "     tier: route-to-human}\n"
    "  - {id: lone-unanswered, when: {roles: [agent, bot], lone: [acknowledgement],\n"
    "     context: {acts: [question, polar, complaint]}}, tier: notice}\n"
    "tiers:\n"
    "  notice: {text: 请注意回复用语，保持耐心、礼貌, duration_s: 2}\n")


@dataclass(frozen=True)
class ConsoleServer:
    """A running `replyguard serve` for the browser tests (one per session; tests keep apart by
    using a shop of their own)."""

    url: str
    root: Path
    process: subprocess.Popen[bytes]

    def link(self, role: str, user: str, shop: str, page: str | None = None) -> str:
        token = TokenService(TEST_SECRET).issue(UserRole(role), user, shop, 3600)
        return console_link(self.url, UserRole(role), token) if page is None else \
            f"{self.url}/console/{page}#token={token}"

    def token(self, role: str, user: str, shop: str) -> str:
        return TokenService(TEST_SECRET).issue(UserRole(role), user, shop, 3600)


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    root = tmp_path_factory.mktemp("console")
    lexicons, policy = write_mini_config(root, CONSOLE_POLICY)
    port = free_port()
    env = {**os.environ, "REPLYGUARD_DATA_DIR": str(root / "data"),
           "REPLYGUARD_SECRET": TEST_SECRET, "REPLYGUARD_LEXICON_DIR": str(lexicons),
           "REPLYGUARD_POLICY_FILE": str(policy), "REPLYGUARD_TONE_MODEL": "",
           "REPLYGUARD_WATCH_CONFIG": "false", "REPLYGUARD_RETENTION_DAYS": "0",
           "REPLYGUARD_RATE_PER_S": "1000", "REPLYGUARD_RATE_BURST": "1000"}
    output = root / "serve.log"
    with output.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port",
                                    str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT)
    wait_ready(process, port, lambda: output.read_text("utf-8", "replace"))
    yield ConsoleServer(f"http://127.0.0.1:{port}", root, process)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's headless chromium (installed by .ci/run), driven by Playwright: no browser is
    downloaded. Per module, not per session: Playwright's sync API keeps an event loop running
    in the main thread while it is open, and later tests call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """`screenshots(page, name, full_page=False)` saves a PNG: under $REPLYGUARD_SCREENSHOT_DIR
    when set (how docs/screenshots/ is refreshed), else in the session's temporary directory."""
    target = Path(os.environ.get("REPLYGUARD_SCREENSHOT_DIR") or
                  tmp_path_factory.getbasetemp() / "screenshots")
    target.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str, full_page: bool = False) -> Path:
        path = target / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path
    return save


@pytest.fixture
def open_page(chromium: Any, console_server: ConsoleServer) -> Iterator[Callable[..., Any]]:
    """`open_page(role, user, shop)`: a fresh browser context (its own sessionStorage) on the
    role's console page, logged in through a link; closed after the test. Page errors fail it."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(role: str, user: str, shop: str, page: str | None = None) -> Any:
        context = chromium.new_context(viewport={"width": 1280, "height": 800},
                                       locale="zh-CN")
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        def on_dialog(dialog: Any) -> None:  # an alert() the page must never run
            errors.append(f"dialog: {dialog.message}")
            dialog.dismiss()
        tab.on("dialog", on_dialog)
        tab.goto(console_server.link(role, user, shop, page))
        return tab
    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors
