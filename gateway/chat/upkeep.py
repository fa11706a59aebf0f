"""Upkeep: what a node does for the sockets it holds, between their frames and after the shared
state came back from an outage.

- Presence: every third of `presence_ttl_s` the node refreshes the presence of each agent and
  bot connected to it, so an idle agent with an open socket stays visible to reception (the TTL
  only retires the users of a node that died without saying so).
- After Redis came back, the presence of every such connection is written again at once; and
  when Redis lost its data (a restart without persistence) the node puts back what it knows:
  each agent's conversations (from the `assigned` and `unassigned` frames its connections were
  sent); for the intercepted messages its connections wrote, the appeal window, the warnings
  still owed an `ack` and the drafts still held; and the repeat offences within their windows
  (all from the interception log). Reception then hands queued conversations out.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from classifiers.policy.schema import HOLD_DEFAULT_S
from classifiers.tiers import Tier
from gateway.chat.connection import Connection
from gateway.chat.hub import Hub
from gateway.chat.interventions import APPEAL_WINDOW_S
from gateway.chat.moderation import Moderator, offence_key
from gateway.chat.reception import Reception
from gateway.errors import StateUnavailable
from gateway.log import InterceptionLog, LogFilter, Outcome, StoreError
from gateway.state import Handler, HeldDraft, Intercepted, PendingAck, SharedState

log = logging.getLogger("replyguard.upkeep")

# How many of a user's records are read back per restore (newest first).
RESTORE_RECORDS = 1000


class Upkeep:
    def __init__(self, hub: Hub, state: SharedState, interception_log: InterceptionLog,
                 moderator: Moderator, reception: Reception, presence_ttl_s: float) -> None:
        self.hub = hub
        self.state = state
        self.log = interception_log
        self.moderator = moderator
        self.reception = reception
        self.ttl_s = presence_ttl_s

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh presence until `stop` is set."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.ttl_s / 3)
            except TimeoutError:
                pass
            if stop.is_set():
                return
            try:
                await self.refresh_presence()
            except StateUnavailable as exc:  # the reconnect writes it again
                log.warning("presence refresh failed: %s", exc)

    def staff(self) -> list[Connection]:
        return [c for c in self.hub.connections()
                if c.principal.role.shop_side and not c.closing]

    async def refresh_presence(self) -> None:
        for connection in self.staff():
            principal = connection.principal
            await self.state.set_presence(principal.shop, principal.user, principal.role,
                                          connection.status, self.ttl_s)

    async def restore(self, lost: bool) -> None:
        """After Redis came back (`lost`: without its data)."""
        await self.refresh_presence()
        if not lost:
            return
        shops: set[str] = set()
        claimed = pending = offences = 0
        for connection in self.staff():
            principal = connection.principal
            shops.add(principal.shop)
            handler = Handler(principal.user, principal.role)
            for conversation in sorted(connection.conversations):
                claimed += await self.state.claim(principal.shop, conversation, handler)
            try:
                pending += await self._restore_pending(connection)
                offences += await self._restore_offences(connection)
            except StoreError as exc:
                log.error("could not read the log back for %s: %s", principal.user, exc)
        for shop in sorted(shops):
            await self.reception.hand_out(shop)
        log.warning("Redis lost its data: put back %d assignments, %d warnings and drafts, "
                    "%d offences of %d connections", claimed, pending, offences,
                    len(self.staff()))

    async def _restore_pending(self, connection: Connection) -> int:
        """The intercepted messages this connection wrote (the log has them, but not the
        message ids the client uses: those the connection remembers) are appealable again;
        the unacknowledged warnings among them are owed again, and the drafts still held are
        held again, for the default hold time (their own deadline was in Redis)."""
        principal = connection.principal
        shop, user = principal.shop, principal.user
        page = await self.log.query(LogFilter(shops=frozenset({shop}), users=frozenset({user})),
                                    limit=RESTORE_RECORDS)
        records = {record.id: record for record in page.items}
        restored = 0
        for message_id, (record_id, conversation) in connection.intercepted.items():
            record = records.get(record_id)
            if record is None:  # older than the page read back
                continue
            await self.state.remember_intercepted(shop, user, message_id,
                                                  Intercepted(record_id, conversation),
                                                  APPEAL_WINDOW_S)
            matches = tuple(record.matches)
            if record.tier is Tier.BLOCK_WITH_WARNING and record.outcome is Outcome.BLOCKED:
                # oldest first: the newest per conversation wins
                await self.state.require_ack(shop, user, conversation, PendingAck(
                    message_id, record_id, record.text, record.reason, matches))
                restored += 1
            elif record.tier in (Tier.SUGGEST_EDIT, Tier.FORCE_EDIT) \
                    and record.outcome is Outcome.HELD:
                await self.state.hold(shop, user, HeldDraft(
                    message_id, record_id, conversation, record.text, str(record.tier),
                    record.reason, matches), HOLD_DEFAULT_S)
                restored += 1
        return restored

    async def _restore_offences(self, connection: Connection) -> int:
        """Every logged message of the sender within an escalation's window counts again for
        it, as the Moderator counted it (records are idempotent origins: counted once)."""
        principal = connection.principal
        policy = self.moderator.config.current.policy.for_shop(principal.shop)
        if not policy.escalation:
            return 0
        now = datetime.now(UTC)
        longest = max(e.within for e in policy.escalation)
        page = await self.log.query(LogFilter(
            since=now - timedelta(seconds=longest), shops=frozenset({principal.shop}),
            users=frozenset({principal.user})), limit=RESTORE_RECORDS)
        counted: dict[str, dict[str, float]] = {}
        for record in page.items:
            for escalation in policy.escalations(record.role, record.tier, record.categories):
                if record.time >= now - timedelta(seconds=escalation.within):
                    key = offence_key(principal.shop, principal.user, escalation.id)
                    counted.setdefault(key, {})[record.id] = record.time.timestamp()
        windows = {offence_key(principal.shop, principal.user, e.id): e.within
                   for e in policy.escalation}
        for key, entries in counted.items():
            await self.state.offences.restore(key, entries, windows[key])
        return sum(len(entries) for entries in counted.values())
