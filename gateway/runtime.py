"""`Gateway`: everything one running app holds, kept on `app.state.gateway` (never a module
global). `Gateway.open(settings)` builds it all, in dependency order; `close()` takes it down in
the reverse order. The FastAPI lifespan is only these two calls.

Built by `open`, in this order (closed in the reverse one):

    metrics, running configuration (LiveConfig), token service
    ONE Redis client (with REPLYGUARD_REDIS_URL), shared by the state, the offence counters
        and the configuration sync
    shared state (RedisState on that client, or LocalState in process)
    interception log
    the chat services (moderator, hub, transcript, reception, handoff, interventions, messages,
        actions, presence, upkeep, pending) and the lexicon and policy editors: wiring only,
        nothing to close
    started: configuration sync between nodes (or, alone, the version announcement), and the
        background tasks (configuration file watcher, presence upkeep, daily retention purge,
        held-draft sweep)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis

from classifiers.scorer import Scorer
from gateway.auth import Principal, TokenService, load_secret
from gateway.chat.actions import Actions
from gateway.chat.handoff import Handoff
from gateway.chat.hub import Hub
from gateway.chat.interventions import Interventions
from gateway.chat.messages import Messages
from gateway.chat.moderation import Moderator
from gateway.chat.pending import Pending
from gateway.chat.presence import PresenceService
from gateway.chat.reception import Reception
from gateway.chat.transcript import Transcript
from gateway.chat.upkeep import Upkeep
from gateway.chat.upstream import UpstreamLink
from gateway.config.lexicon_edit import AUDIT_FILE, LexiconEditor
from gateway.config.live import ConfigSource, LiveConfig
from gateway.config.policy_edit import PolicyEditor
from gateway.config.sync import ConfigSync
from gateway.log import InterceptionLog, StoreError, open_log
from gateway.log.retention import purge_daily
from gateway.metrics import Metrics
from gateway.protocol import CloseCode
from gateway.settings import Settings
from gateway.state import SharedState
from gateway.state.local_state import LocalState
from gateway.state.redis_state import RedisState

log = logging.getLogger("replyguard.gateway")


def config_source(settings: Settings) -> ConfigSource:
    return ConfigSource.of(settings)


class Gateway:
    def __init__(self, settings: Settings, tokens: TokenService, live: LiveConfig,
                 state: SharedState, interception_log: InterceptionLog, metrics: Metrics, *,
                 redis: Redis | None = None) -> None:
        """Wires the services over resources already open; `open` is the way to get one."""
        self.settings = settings
        self.tokens = tokens
        self.live = live
        self.redis = redis
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
        self.messages = Messages(self.moderator, state, self.reception, self.interventions,
                                 self.transcript)
        self.actions = Actions(state, interception_log, self.reception, self.interventions)
        self.presence = PresenceService(state, self.hub, self.reception,
                                        settings.presence_ttl_s)
        self.upkeep = Upkeep(self.hub, state, interception_log, self.moderator, self.reception,
                             self.transcript, settings.presence_ttl_s)
        state.on_reconnect.append(self.upkeep.restore)
        self.lexicon_editor = LexiconEditor(live, settings.data_dir.expanduser() / AUDIT_FILE)
        self.policy_editor = PolicyEditor(live)
        # Several nodes: configuration changes travel between them (gateway/config/sync.py),
        # which also announces the running version, again after every reconnect.
        self.config_sync = ConfigSync(live, redis, state, settings.node_id,
                                      prefix=settings.redis_prefix) if redis is not None else None
        self.pending = Pending(state, interception_log, self.transcript)
        self.draining = False
        self._stop = asyncio.Event()  # tells the background tasks to end
        self.tasks: list[asyncio.Task[None]] = []  # background tasks, named
        # proxy mode: links of agents who left, still getting their messages read upstream
        self.leaving: set[asyncio.Task[None]] = set()
        # ... and the links themselves per (shop, user), oldest first, for the agent's next
        # connection to take over (`UpstreamLink.take_over`)
        self._draining_links: dict[tuple[str, str], list[UpstreamLink]] = {}
        self._sync_started = False

    @classmethod
    async def open(cls, settings: Settings, *, scorer: Scorer | None = None) -> Gateway:
        """Build and start everything. `scorer`: an already built scorer for `settings`'
        configuration (tests build it once). If a step fails, what was built is closed."""
        metrics = Metrics()
        source = config_source(settings)
        if scorer is None:
            live = await asyncio.to_thread(LiveConfig.load, source, metrics=metrics)
        else:
            live = LiveConfig(scorer, source, metrics=metrics)
        tokens = TokenService(await asyncio.to_thread(load_secret, settings),
                              max_ttl_s=settings.token_max_ttl_s)
        # No connection is made here: the client connects on first use.
        # Explicit timeouts: a hung Redis (no reset, no answer) must fail a frame, not hold it.
        redis = Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout_s,
                               socket_connect_timeout=settings.redis_timeout_s) \
            if settings.redis_url else None
        state: SharedState = LocalState() if redis is None else \
            RedisState(redis, prefix=settings.redis_prefix)
        key = settings.buyer_key.get_secret_value().encode() if settings.buyer_key else None
        try:
            interception_log = await asyncio.to_thread(
                open_log, settings.database_url, settings.data_dir.expanduser(),
                hash_buyer_ids=settings.hash_buyer_ids, buyer_key=key)
        except BaseException:
            await state.close()
            if redis is not None:
                await redis.aclose()
            raise
        gateway = cls(settings, tokens, live, state, interception_log, metrics, redis=redis)
        try:
            await gateway._start()
        except BaseException:
            await gateway.close()
            raise
        log.info("gateway ready: configuration %s", live.version)
        return gateway

    async def _start(self) -> None:
        if self.config_sync is not None:
            await self.config_sync.start()
            self._sync_started = True
        else:
            await self.state.set_policy_version(self.live.version)

            async def announce(applied: Scorer, origin: str) -> None:
                await self.state.set_policy_version(applied.version)

            self.live.on_applied.append(announce)
        if self.settings.watch_config:
            self.tasks.append(asyncio.create_task(self.live.watch(stop=self._stop),
                                                   name="config watcher"))
        self.tasks.append(asyncio.create_task(self.upkeep.run(self._stop), name="upkeep"))
        if self.settings.retention_days:
            self.tasks.append(asyncio.create_task(
                purge_daily(self.log, self.settings.retention_days, self._stop),
                name="retention purge"))
        self.tasks.append(asyncio.create_task(self.pending.sweep(self._stop),
                                              name="held-draft sweep"))

    def release_upstream(self, link: UpstreamLink) -> None:
        """An agent left: its upstream link drains in the background (`UpstreamLink.close`,
        at most `upstream_drain_s`), so leaving does not drop what it was told was delivered,
        and nothing the client's end cancels can cut that short."""
        key = (link.principal.shop, link.principal.user)
        self._draining_links.setdefault(key, []).append(link)
        task = asyncio.create_task(link.close(), name=f"draining {link.principal.user}")
        self.leaving.add(task)
        task.add_done_callback(self.leaving.discard)
        task.add_done_callback(lambda _: self._drained(key, link))

    def _drained(self, key: tuple[str, str], link: UpstreamLink) -> None:
        links = self._draining_links.get(key, [])
        if link in links:
            links.remove(link)
        if not links:
            self._draining_links.pop(key, None)

    def draining_upstream(self, principal: Principal) -> list[UpstreamLink]:
        """The user's links still draining on this node, oldest first, now the new
        connection's to take over (no longer listed)."""
        return self._draining_links.pop((principal.shop, principal.user), [])

    async def close(self) -> None:
        """Everything `open` built, in the reverse order. Each step runs even if the gateway
        never finished starting."""
        # Connections came last (from clients, after start): refuse new sockets, log held
        # messages as expired, close every socket with 1001 so clients reconnect elsewhere.
        # Under uvicorn server.py ran it already; it is idempotent.
        await self.drain()
        # Upstream links of agents who left (proxy mode) get their time to be read upstream;
        # each ends by itself within `upstream_drain_s`.
        await asyncio.gather(*self.leaving)
        # Background tasks next: they read the configuration and write the log, which close
        # below. `stop` lets a task between two runs end at once; cancel the one mid-run.
        self._stop.set()
        for task in reversed(self.tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []
        # Configuration sync: its listener and heartbeat end, and this node leaves the node
        # list the others show in /readyz. It uses the Redis client closed last.
        if self.config_sync is not None and self._sync_started:
            await self.config_sync.stop()
            self._sync_started = False
        # The interception log: drain flushed it; closing waits for its writer to finish.
        await self.log.close()
        # The shared state: its pub/sub listener (frames for this node's sockets) ends.
        await self.state.close()
        # The one Redis client last: the state, the offence counters and the sync used it.
        if self.redis is not None:
            await self.redis.aclose()

    async def nodes(self) -> dict[str, dict[str, Any]] | None:
        """Every node's running configuration version (None on a single node)."""
        return await self.config_sync.nodes() if self.config_sync is not None else None

    async def drain(self) -> None:
        """Graceful shutdown: refuse new sockets, close every socket with 1001 (going away) so
        clients reconnect elsewhere. Held drafts wait in a shared state for the agent's next
        connection; an in-process state ends here, so its drafts are logged as expired.
        Idempotent."""
        if self.draining:
            return
        self.draining = True
        connections = self.hub.connections()
        for connection in connections:
            if not self.state.survives_restart and connection.principal.role.shop_side:
                principal = connection.principal
                await self.pending.expire(principal.shop, principal.user, "gateway shutdown",
                                          everything=True)
            connection.close(CloseCode.GOING_AWAY)
        await asyncio.gather(*(c.closed() for c in connections))
        try:
            await self.log.flush()
        except StoreError:  # the database is down: shutting down must not wait for it
            log.exception("interception log not flushed at shutdown")
        log.info("drained %d connections", len(connections))
