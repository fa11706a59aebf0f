"""Upkeep: what a node does for the sockets it holds, between their frames and after the shared
state came back from an outage.

- Presence: every third of `presence_ttl_s` the node refreshes the presence of each agent and
  bot connected to it, so an idle agent with an open socket stays visible to reception (the TTL
  only retires the users of a node that died without saying so).
- After Redis came back, the presence of every such connection is written again at once; and
  when Redis lost its data (a restart without persistence) the node puts back what it knows:
  each agent's conversations (from the `assigned` and `unassigned` frames its connections were
  sent; a conversation another node's user claimed first is taken back from this client with
  `unassigned`) and its bot-assist switches; for the intercepted messages its connections
  wrote, the appeal window, the warnings still owed an `ack` and the drafts still held; the
  repeat offences within their windows; the sticky routes of the conversations it knows (from
  the routing records in the interception log); and the reception queue of the buyers
  connected to it that were told `queued` and not picked up since, with the messages they wrote
  while waiting back in their transcripts (those were nowhere else). Reception then hands
  queued conversations out.
- What cannot be put back: conversation histories otherwise (the recent messages in `assigned`
  frames and in the context of the next records start empty), the queue places (and waiting
  messages) of buyers connected to no node, sticky routes and assist switches of conversations
  no connection holds, and the order of queued buyers across nodes (each node queues its own,
  oldest first). README "Reliability".
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from classifiers.policy.schema import HOLD_DEFAULT_S
from classifiers.tiers import Tier
from gateway.auth import UserRole
from gateway.chat.connection import Connection
from gateway.chat.conversation import conversation_id
from gateway.chat.hub import Hub
from gateway.chat.interventions import APPEAL_WINDOW_S
from gateway.chat.moderation import Moderator, offence_key, route_of
from gateway.chat.reception import Reception
from gateway.chat.transcript import Transcript
from gateway.errors import StateUnavailable
from gateway.log import InterceptionLog, LogFilter, Outcome, StoreError
from gateway.protocol import Unassigned
from gateway.state import Handler, HeldDraft, Intercepted, PendingAck, SharedState

log = logging.getLogger("replyguard.upkeep")

# How many of a user's (or, for sticky routes, a shop's) records are read back per restore
# (newest first).
RESTORE_RECORDS = 1000
# The tiers whose records may have routed a buyer to a human (`route_of` decides per role).
ROUTING_TIERS = frozenset({Tier.ROUTE_TO_HUMAN, Tier.FORCE_EDIT, Tier.BLOCK,
                           Tier.BLOCK_WITH_WARNING})
LOST_REASON = "共享状态恢复后该会话已由他人接待"


class Upkeep:
    def __init__(self, hub: Hub, state: SharedState, interception_log: InterceptionLog,
                 moderator: Moderator, reception: Reception, transcript: Transcript,
                 presence_ttl_s: float) -> None:
        self.hub = hub
        self.transcript = transcript
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
        claimed = assists = pending = offences = 0
        for connection in self.staff():
            principal = connection.principal
            shops.add(principal.shop)
            claimed += await self._claim(connection)
            for conversation in sorted(connection.assist & connection.conversations):
                await self.state.set_assist(principal.shop, principal.user, conversation, True)
                assists += 1
            try:
                pending += await self._restore_pending(connection)
                offences += await self._restore_offences(connection)
            except StoreError as exc:
                log.error("could not read the log back for %s: %s", principal.user, exc)
        buyers = [c for c in self.hub.connections()
                  if c.principal.role is UserRole.BUYER and not c.closing]
        shops.update(c.principal.shop for c in buyers)
        sticky = 0
        for shop in sorted(shops):
            try:
                sticky += await self._restore_sticky(shop, buyers)
            except StoreError as exc:
                log.error("could not read the routes of shop %s back: %s", shop, exc)
        queued = await self._restore_queue(buyers)
        for shop in sorted(shops):
            await self.reception.hand_out(shop)
        log.warning("Redis lost its data: put back %d assignments, %d assist switches, "
                    "%d warnings and drafts, %d offences of %d connections; %d sticky routes "
                    "and %d queued buyers (conversation histories are lost)", claimed, assists,
                    pending, offences, len(self.staff()), sticky, queued)

    async def _claim(self, connection: Connection) -> int:
        """The connection's conversations are its user's again, unless another node's user
        claimed one first: then this client is told it lost it (an `unassigned` frame), never
        left writing into a conversation that is no longer its own."""
        principal = connection.principal
        handler = Handler(principal.user, principal.role)
        claimed = 0
        for conversation in sorted(connection.conversations):
            if await self.state.claim(principal.shop, conversation, handler):
                claimed += 1
                continue
            holder = await self.state.handler(conversation)
            if holder is not None and holder.user != principal.user:
                connection.conversations.discard(conversation)
                connection.assist.discard(conversation)
                connection.send(Unassigned(conversation=conversation, reason=LOST_REASON))
        return claimed

    async def _restore_sticky(self, shop: str, buyers: list[Connection]) -> int:
        """A conversation this node knows of (a buyer's own, or one its agents and bots
        hold) whose buyer was routed to a human within the shop's sticky window is sticky
        again for what is left of the window, read from the routing records in the log."""
        policy = self.moderator.config.current.policy.for_shop(shop)
        route = policy.tiers.route_to_human
        known = {conversation_id(shop, c.principal.user) for c in buyers
                 if c.principal.shop == shop}
        known.update(conversation for c in self.staff() if c.principal.shop == shop
                     for conversation in c.conversations)
        by_stored = {self.log.stored_conversation(c): c for c in known}
        now = datetime.now(UTC)
        page = await self.log.query(LogFilter(
            since=now - timedelta(seconds=route.sticky), shops=frozenset({shop}),
            tiers=ROUTING_TIERS), limit=RESTORE_RECORDS)
        restored: set[str] = set()
        for record in page.items:  # newest first: the newest route of each conversation
            conversation = by_stored.get(record.conversation)
            if conversation is None or conversation in restored \
                    or route_of(policy, record.role, record.tier) is None:
                continue
            left = route.sticky - (now - record.time).total_seconds()
            if left > 0:
                await self.state.stick(conversation, left)
                restored.add(conversation)
        return len(restored)

    async def _restore_queue(self, buyers: list[Connection]) -> int:
        """Buyers told `queued` and not picked up since (or whose messages waited for an
        agent) wait in their shop's queue again, in the order they were queued (sticky ones in
        front), with the messages they wrote meanwhile back in the transcript, where the agent
        handed the conversation finds them; unless someone holds their conversation by now."""
        def since(c: Connection) -> float:
            return c.queued_at or (c.unhandled[0].time if c.unhandled else 0.0)

        waiting = sorted((c for c in buyers if c.queued_at is not None or c.unhandled),
                         key=since)
        queued = 0
        for connection in waiting:
            shop = connection.principal.shop
            conversation = conversation_id(shop, connection.principal.user)
            if await self.state.handler(conversation) is not None:
                continue
            await self.transcript.restore(conversation, connection.unhandled)
            await self.state.enqueue(shop, conversation,
                                     front=await self.state.sticky(conversation))
            queued += 1
        return queued

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
