"""`Gateway`: everything one running app holds, built once in the lifespan and kept on
`app.state.gateway` (never a module global). It wires the services together and owns the
shutdown drain."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gateway.auth import TokenService
from gateway.chat.actions import Actions
from gateway.chat.connection import Connection
from gateway.chat.handoff import Handoff
from gateway.chat.hub import Hub
from gateway.chat.interventions import Interventions
from gateway.chat.messages import Messages
from gateway.chat.moderation import Moderator
from gateway.chat.presence import PresenceService
from gateway.chat.reception import Reception
from gateway.chat.transcript import Transcript
from gateway.config.live import LiveConfig
from gateway.config.sync import ConfigSync
from gateway.log import InterceptionLog, Outcome, StoreError
from gateway.metrics import Metrics
from gateway.protocol import CloseCode
from gateway.settings import Settings
from gateway.state import SharedState

log = logging.getLogger("replyguard.gateway")


class Gateway:
    def __init__(self, settings: Settings, tokens: TokenService, live: LiveConfig,
                 state: SharedState, interception_log: InterceptionLog,
                 metrics: Metrics) -> None:
        self.settings = settings
        self.tokens = tokens
        self.live = live
        self.state = state
        self.log = interception_log
        self.metrics = metrics
        self.moderator = Moderator(live, state.offences, metrics=metrics,
                                   enabled=settings.moderation)
        self.hub = Hub(state)
        self.transcript = Transcript(state, keep=settings.history_size,
                                     context=settings.context_size)
        self.reception = Reception(state, self.hub, self.transcript, metrics)
        self.handoff = Handoff(state, self.hub, self.reception, metrics)
        self.interventions = Interventions(interception_log, state, self.hub, self.transcript,
                                           self.reception, self.handoff)
        self.messages = Messages(self.moderator, state, self.reception, self.interventions)
        self.actions = Actions(state, interception_log, self.reception, self.interventions)
        self.presence = PresenceService(state, self.hub, self.reception,
                                        settings.presence_ttl_s)
        self.draining = False
        # Set by the app when Redis is configured: configuration shared between nodes.
        self.config_sync: ConfigSync | None = None

    async def nodes(self) -> dict[str, dict[str, Any]] | None:
        """Every node's running configuration version (None on a single node)."""
        return await self.config_sync.nodes() if self.config_sync is not None else None

    async def expire_held(self, connection: Connection, why: str) -> None:
        """Held messages of a connection that ends: logged as expired, never sent."""
        held, connection.held = list(connection.held.values()), {}
        for item in held:
            try:
                await self.log.update_outcome(item.record_id, Outcome.EXPIRED, why)
            except StoreError:
                log.exception("could not mark held message %s expired", item.record_id)

    async def drain(self) -> None:
        """Graceful shutdown: refuse new sockets, log held messages as expired, close every
        socket with 1001 (going away) so clients reconnect elsewhere. Idempotent."""
        if self.draining:
            return
        self.draining = True
        connections = self.hub.connections()
        for connection in connections:
            await self.expire_held(connection, "gateway shutdown")
            connection.close(CloseCode.GOING_AWAY)
        await asyncio.gather(*(c.closed() for c in connections))
        await self.log.flush()
        log.info("drained %d connections", len(connections))
