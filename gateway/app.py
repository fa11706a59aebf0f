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
from gateway.config_sync import ConfigSync
from gateway.live_config import ConfigSource, LiveConfig
from gateway.log import open_log
from gateway.metrics import Metrics
from gateway.relay import websocket_endpoint
from gateway.runtime import Gateway
from gateway.settings import Settings
from gateway.state import SharedState
from gateway.state.local_state import LocalState
from gateway.state.redis_state import RedisState

log = logging.getLogger("replyguard.app")


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
        interception_log = await asyncio.to_thread(open_log, settings.database_url,
                                                   settings.data_dir.expanduser())
        gateway = Gateway(settings, tokens, live, state, interception_log, metrics)
        await state.set_policy_version(live.version)

        async def announce(applied: Scorer, origin: str) -> None:
            await state.set_policy_version(applied.version)

        live.on_applied.append(announce)
        # Several nodes: configuration changes travel between them (gateway/config_sync.py).
        sync = ConfigSync(live, Redis.from_url(settings.redis_url), settings.node_id,
                          prefix=settings.redis_prefix) if settings.redis_url else None
        if sync is not None:
            await sync.start()
        gateway.config_sync = sync
        app.state.gateway = gateway
        stop = asyncio.Event()
        watcher = asyncio.create_task(live.watch(stop=stop)) if settings.watch_config else None
        log.info("gateway ready: configuration %s", live.version)
        try:
            yield
        finally:
            stop.set()
            await gateway.drain()
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            if sync is not None:
                await sync.stop()
                await sync.redis.aclose()
            await interception_log.close()
            await state.close()

    app = FastAPI(title="ReplyGuard gateway", lifespan=lifespan)
    error_handlers.install(app)
    app.include_router(api_router)
    app.add_api_websocket_route("/ws", websocket_endpoint)
    return app
