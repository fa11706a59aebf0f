"""Running the app under uvicorn, with a shutdown that drains the gateway first.

uvicorn's own shutdown closes open websockets with 1012 before the app's lifespan ends, so the
gateway's drain (held messages logged as expired, sockets closed with 1001) runs before it.
A socket the gateway gave up on (its client stopped reading) is aborted, not closed gracefully.
HTTP requests still running are cancelled after `shutdown_timeout_s`.
"""

from __future__ import annotations

import gc
import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from classifiers.scorer import Scorer
from gateway.app import create_app
from gateway.runtime import Gateway
from gateway.settings import Settings


class GatewayServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, apps: list[FastAPI]) -> None:
        super().__init__(config)
        self._apps = apps

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # The scorer's tables, automata and jieba's dictionary are hundreds of thousands of
        # long-lived objects: a full collection walking them pauses the relay ~60 ms. Frozen
        # once the app is up, the collector skips them.
        gc.collect()
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for app in self._apps:
            gateway: Gateway | None = getattr(app.state, "gateway", None)
            if gateway is not None:
                await gateway.drain()
        await super().shutdown(sockets)


class GatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol (the one it picks itself), except when the app ends
    without its close frame written while the client is not reading what was (the transport
    is paused for writing): the gateway gave up on that client (`Connection.closed`). uvicorn
    closes the transport gracefully, which waits to flush the unread bytes for as long as the
    client keeps its socket open, and its shutdown waits for that; the socket is aborted
    instead. A close frame that was written is left to uvicorn's closing handshake."""

    async def run_asgi(self) -> None:
        await super().run_asgi()
        if not self.close_sent and not self.writable.is_set() and not self.disconnected:
            self.transport.abort()


def transport_max_bytes(settings: Settings) -> int:
    """Frames up to this size are read and answered with a `too-large` error frame when over
    `max_frame_bytes`; only past it does the transport refuse to buffer the frame (close 1009).
    At 8x the frame limit (64 KiB) ordinary oversize pastes were cut off with 1009."""
    return max(1 << 20, settings.max_frame_bytes * 8)


def serve(settings: Settings, *, scorer: Scorer | None = None, log_level: str = "info",
          listener: socket.socket | None = None) -> None:
    """`scorer`: the configuration already loaded for `settings` (`replyguard serve` loads it
    first, so that an unusable one fails before uvicorn starts); `listener`: the socket already
    bound to settings.host/port (`replyguard serve` binds it first, for the same reason)."""
    apps: list[FastAPI] = []

    def factory() -> FastAPI:
        app = create_app(settings, scorer=scorer)
        apps.append(app)
        return app

    config = uvicorn_config(factory, settings, factory=True, log_level=log_level)
    GatewayServer(config, apps).run(sockets=None if listener is None else [listener])


def uvicorn_config(app: Callable[[], FastAPI] | FastAPI, settings: Settings, *,
                   factory: bool = False, log_level: str = "info") -> uvicorn.Config:
    """How the gateway runs under uvicorn: `app` (or a factory of it) on settings.host/port."""
    return uvicorn.Config(app, factory=factory, host=settings.host, port=settings.port,
                          log_config=None, log_level=log_level, lifespan="on",
                          ws=GatewayWebSocketProtocol,
                          # without it uvicorn waits forever for a request whose body never
                          # comes, and the lifespan (log flush and close) never runs
                          timeout_graceful_shutdown=settings.shutdown_timeout_s,
                          ws_max_size=transport_max_bytes(settings))
