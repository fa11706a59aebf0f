"""What a user has pending, which outlives its connections. On (re)connect an agent gets its
assigned conversations with their recent history, its held drafts, its unacknowledged warnings
and the shop's queue length, so a reloaded or reopened page loses nothing; a buyer that names
the last message it received (`?after=`) gets the shop's messages sent after it, which it missed
while it had no socket (its node died, its network dropped). Drafts whose hold time
ran out are logged as expired: on the agent's next connection, by a sweep every minute (agents
who do not come back), and all of them at shutdown when the state dies with the process."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from classifiers.tiers import Tier
from gateway.auth import UserRole
from gateway.chat.connection import Connection
from gateway.chat.conversation import conversation_id
from gateway.chat.transcript import Transcript
from gateway.errors import StateUnavailable
from gateway.log import InterceptionLog, Outcome, StoreError
from gateway.protocol import Assigned, HeldOut, MatchOut, QueueOut, System, WarningOut, dump
from gateway.state import SharedState

log = logging.getLogger("replyguard.pending")

RESUMED_REASON = "重新连接"
HISTORY_GAP_TEXT = "断线期间较早的消息已无法补发，请刷新页面查看完整聊天记录"
SWEEP_INTERVAL_S = 60.0
_ACTIONS = {"suggest-edit": ["edit", "send-anyway"], "force-edit": ["edit"]}


class Pending:
    def __init__(self, state: SharedState, interception_log: InterceptionLog,
                 transcript: Transcript) -> None:
        self.state = state
        self.log = interception_log
        self.transcript = transcript

    async def resume(self, connection: Connection, after: str | None = None) -> None:
        """`after`: a buyer's resume point (`protocol.resume_after`); its connection was put
        on `hold` before it attached, so what arrives meanwhile follows the replay."""
        principal = connection.principal
        if not principal.role.shop_side:
            if after is not None:
                conversation = conversation_id(principal.shop, principal.user)
                missed = await self.transcript.missed_by_buyer(conversation, after)
                frames: list[tuple[str, str | None]] = [*missed.frames]
                if missed.gap:  # said, not silently lost: the page can reload the history
                    frames.insert(0, (dump(System(code="history-gap", text=HISTORY_GAP_TEXT,
                                                  conversation=conversation)), None))
                connection.replay(frames)
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

    async def sweep(self, stop: asyncio.Event, interval_s: float = SWEEP_INTERVAL_S) -> None:
        """Every `interval_s` until `stop`: drafts of agents who did not come back are logged
        as expired once their time ran out (with several nodes each sweeps; a draft is taken
        once). A failure is logged and retried: the sweep must never take the gateway down."""
        while not stop.is_set():
            try:
                for shop, user in await self.state.held_owners():
                    await self.expire(shop, user, "hold expired")
            except StateUnavailable:
                log.exception("held-draft sweep failed; retrying in %.0f s", interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    async def expire(self, shop: str, user: str, why: str, *, everything: bool = False) -> None:
        """Drafts whose hold time ran out (`everything`: all) are logged as expired, never
        sent."""
        for draft in await self.state.expire_held(shop, user, everything=everything):
            try:  # queued like batched appends: a log outage delays the change, never loses it
                await self.log.update_outcome(draft.record_id, Outcome.EXPIRED, why,
                                              durable=False)
            except StoreError:  # only when the writer's backlog is full
                log.exception("could not mark held message %s expired", draft.record_id)
