"""An agent's pending work, which outlives its connections: on (re)connect the agent gets its
assigned conversations with their recent history, its held drafts, its unacknowledged warnings
and the shop's queue length, so a reloaded or reopened page loses nothing. Drafts whose hold time
ran out are logged as expired first (and all of them at shutdown when the state dies with the
process)."""

from __future__ import annotations

import logging

from classifiers.tiers import Tier
from gateway.auth import UserRole
from gateway.chat.connection import Connection
from gateway.chat.transcript import Transcript
from gateway.log import InterceptionLog, Outcome, StoreError
from gateway.protocol import Assigned, HeldOut, MatchOut, QueueOut, WarningOut
from gateway.state import SharedState

log = logging.getLogger("replyguard.pending")

RESUMED_REASON = "重新连接"
_ACTIONS = {"suggest-edit": ["edit", "send-anyway"], "force-edit": ["edit"]}


class Pending:
    def __init__(self, state: SharedState, interception_log: InterceptionLog,
                 transcript: Transcript) -> None:
        self.state = state
        self.log = interception_log
        self.transcript = transcript

    async def resume(self, connection: Connection) -> None:
        principal = connection.principal
        if not principal.role.shop_side:
            return
        shop, user = principal.shop, principal.user
        await self.expire(shop, user, "hold expired")
        for conversation in await self.state.assigned(shop, user):
            connection.send(Assigned(
                conversation=conversation, reason=RESUMED_REASON, kind="resumed",
                assist=await self.state.assist(shop, user, conversation),
                history=await self.transcript.items(conversation)))
        for draft in await self.state.held(shop, user):
            connection.send(HeldOut(
                id=draft.message_id, conversation=draft.conversation, text=draft.text,
                tier=Tier(draft.tier), reason=draft.reason,
                matches=[MatchOut.model_validate(m) for m in draft.matches],
                actions=_ACTIONS.get(draft.tier, ["edit"])))
        for conversation, ack in (await self.state.pending_acks(shop, user)).items():
            connection.send(WarningOut(
                id=ack.message_id, conversation=conversation, text=ack.text, reason=ack.reason,
                matches=[MatchOut.model_validate(m) for m in ack.matches]))
        waiting = await self.state.queue_length(shop) if principal.role is UserRole.AGENT else 0
        if waiting:  # nobody waiting is what a fresh page shows anyway
            connection.send(QueueOut(length=waiting))

    async def expire(self, shop: str, user: str, why: str, *, everything: bool = False) -> None:
        """Drafts whose hold time ran out (`everything`: all) are logged as expired, never
        sent."""
        for draft in await self.state.expire_held(shop, user, everything=everything):
            try:  # queued like batched appends: a log outage delays the change, never loses it
                await self.log.update_outcome(draft.record_id, Outcome.EXPIRED, why,
                                              durable=False)
            except StoreError:  # only when the writer's backlog is full
                log.exception("could not mark held message %s expired", draft.record_id)
