"""`create_app(settings)`: the FastAPI app of one gateway node (uvicorn runs it with
factory=True). The lifespan builds everything once — the scorer (unless given), the shared state,
the interception log, the metrics — and puts the `Gateway` on `app.state`; nothing is global."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from redis.asyncio import Redis

from classifiers.scorer import Scorer
from gateway import error_handlers
from gateway.api import api_router
from gateway.auth import TokenService, load_secret
from gateway.chat.endpoint import websocket_endpoint
from gateway.config.lexicon_edit import AUDIT_FILE, LexiconEditor
from gateway.config.live import ConfigSource, LiveConfig
from gateway.config.sync import ConfigSync
from gateway.log import open_log
from gateway.log.retention import purge_daily
from gateway.metrics import Metrics
from gateway.runtime import Gateway
from gateway.settings import Settings
from gateway.state import SharedState
from gateway.state.local_state import LocalState
from gateway.state.redis_state import RedisState

log = logging.getLogger("replyguard.app")

API_DESCRIPTION = """The gateway's HTTP API (the chat itself is the websocket at `/ws`).

Authenticate with `Authorization: Bearer <JWT>` (`replyguard token`). Each endpoint names the
role it needs: **supervisor** (the interception log, reviews, statistics) or **qa** (scoring,
lexicon terms, false-positive exports, replay). Records are confined to the token's shop; a
token for shop `*` (supervisor and qa only) sees every shop. Errors are
`{"detail": …, "code": …}`. See docs/api.md."""
API_TAGS = [
    {"name": "supervisor: interceptions", "description": "the interception log (supervisor)"},
    {"name": "supervisor: review", "description": "reviews and the review queue (supervisor)"},
    {"name": "supervisor: stats", "description": "what the interventions achieved (supervisor)"},
    {"name": "qa: scoring", "description": "score a message (qa)"},
    {"name": "qa: lexicon", "description": "lexicon terms, hot-reloaded and audited (qa)"},
    {"name": "qa: false positives", "description": "allow-list and retraining exports (qa)"},
    {"name": "qa: replay", "description": "a candidate policy on past records (qa)"},
    {"name": "config", "description": "the running configuration (qa; supervisor reads)"},
    {"name": "operations", "description": "health, readiness and metrics (no token)"},
]


def open_state(settings: Settings) -> SharedState:
    if settings.redis_url:
        return RedisState.from_url(settings.redis_url, prefix=settings.redis_prefix)
    return LocalState()


def config_source(settings: Settings) -> ConfigSource:
    return ConfigSource(settings.lexicon_dir, settings.policy_file, settings.tone_model,
                        settings.max_chars)


def create_app(settings: Settings, *, scorer: Scorer | None = None) -> FastAPI:
    """`scorer`: an already built scorer for `settings`' configuration (tests build it once)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics = Metrics()
        source = config_source(settings)
        if scorer is None:
            live = await asyncio.to_thread(LiveConfig.load, source, metrics=metrics)
        else:
            live = LiveConfig(scorer, source, metrics=metrics)
        tokens = TokenService(await asyncio.to_thread(load_secret, settings))
        state = open_state(settings)
        key = settings.buyer_key.get_secret_value().encode() if settings.buyer_key else None
        interception_log = await asyncio.to_thread(
            open_log, settings.database_url, settings.data_dir.expanduser(),
            hash_buyer_ids=settings.hash_buyer_ids, buyer_key=key)
        gateway = Gateway(settings, tokens, live, state, interception_log, metrics)
        await state.set_policy_version(live.version)

        async def announce(applied: Scorer, origin: str) -> None:
            await state.set_policy_version(applied.version)

        live.on_applied.append(announce)
        # Several nodes: configuration changes travel between them (gateway/config/sync.py).
        sync = ConfigSync(live, Redis.from_url(settings.redis_url), settings.node_id,
                          prefix=settings.redis_prefix) if settings.redis_url else None
        if sync is not None:
            await sync.start()
        gateway.config_sync = sync
        app.state.gateway = gateway
        app.state.lexicon_editor = LexiconEditor(live, settings.data_dir.expanduser() /
                                                 AUDIT_FILE)
        stop = asyncio.Event()
        watcher = asyncio.create_task(live.watch(stop=stop)) if settings.watch_config else None
        purger = asyncio.create_task(purge_daily(interception_log, settings.retention_days,
                                                 stop)) if settings.retention_days else None
        log.info("gateway ready: configuration %s", live.version)
        try:
            yield
        finally:
            stop.set()
            await gateway.drain()
            for task in (watcher, purger):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if sync is not None:
                await sync.stop()
                await sync.redis.aclose()
            await interception_log.close()
            await state.close()

    app = FastAPI(title="ReplyGuard gateway", lifespan=lifespan, description=API_DESCRIPTION,
                  openapi_tags=API_TAGS)
    error_handlers.install(app)
    app.include_router(api_router)
    app.add_api_websocket_route("/ws", websocket_endpoint)
    return app
