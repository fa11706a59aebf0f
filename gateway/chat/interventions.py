"""Everything that happens after a verdict, for either side: the only code that delivers,
holds, blocks, warns, shows a notice, routes a conversation to a human or queues it. The
Moderator only computes; its `Moderation` carries every setting needed here, so nothing is read
from the running configuration again (a reload meanwhile cannot mix versions).

A shop-side message is delivered (to the buyer, or upstream in proxy mode), held for an edit,
blocked, or blocked until the warning is acknowledged; a bot reply intercepted at force-edit or
above also moves the conversation to a human. A buyer message is never held: it is delivered to
the conversation's handler (assigned or queued by Reception), and an escalation moves the
conversation to a human first.

Order matters for the log (docs/log.md, "Order"): every interception record is committed
(`durable=True`) BEFORE its verdict frame is sent and before the message is released, so a verdict
the agent saw, and a notice the buyer got, are on disk even if the process is killed right after.
With the log down, a message that would not be delivered is refused (log-unavailable, nothing
held); a delivered one (notice) still goes out, its record queued and retried by the writer.
An outcome change the agent asked for (send-anyway, edit, ack) is committed before it takes
effect; one that happens regardless (expired, routed, undelivered: a delivery that failed after
the record was committed) is queued and retried.
"""

from __future__ import annotations

import logging

from classifiers.policy.schema import HOLD_DEFAULT_S, RouteSettings
from classifiers.tiers import Tier
from gateway.auth import Principal
from gateway.chat.connection import Connection
from gateway.chat.conversation import buyer_address, split, staff_address
from gateway.chat.handoff import Handoff
from gateway.chat.hub import Hub
from gateway.chat.moderation import Moderation
from gateway.chat.reception import Reception
from gateway.chat.transcript import Transcript
from gateway.errors import StateUnavailable, UpstreamUnavailable
from gateway.log import (
    InterceptionLog,
    InterceptionRecord,
    Outcome,
    StoreUnavailable,
    new_record_id,
)
from gateway.protocol import MatchOut, MessageIn, Notice, System, VerdictFrame
from gateway.state import HeldDraft, Intercepted, PendingAck, SharedState

log = logging.getLogger("replyguard.interventions")

# How long an agent can appeal an intercepted message (from any connection, after reloads).
APPEAL_WINDOW_S = 7 * 24 * 3600.0


def verdict_frame(message_id: str, moderation: Moderation) -> VerdictFrame:
    verdict, intervention = moderation.verdict, moderation.intervention
    return VerdictFrame(id=message_id, tier=verdict.tier, delivered=intervention.delivered,
                        reason=intervention.text, categories=list(verdict.categories),
                        matches=[MatchOut.of(m) for m in verdict.matches],
                        actions=list(intervention.actions), rule=verdict.rule,
                        escalation=verdict.escalation, version=verdict.version)


def initial_outcome(moderation: Moderation) -> Outcome:
    if moderation.unscored:
        return Outcome.UNSCORED
    if moderation.intervention.delivered:
        return Outcome.DELIVERED
    if moderation.verdict.tier in (Tier.SUGGEST_EDIT, Tier.FORCE_EDIT):
        return Outcome.HELD
    return Outcome.BLOCKED


def logged(moderation: Moderation) -> bool:
    """Whether the message gets an interception record: the policy acted on it, or it could
    not be scored."""
    return moderation.verdict.tier is not Tier.NONE or moderation.unscored


class Interventions:
    def __init__(self, log: InterceptionLog, state: SharedState, hub: Hub,
                 transcript: Transcript, reception: Reception, handoff: Handoff) -> None:
        self.log = log
        self.state = state
        self.hub = hub
        self.transcript = transcript
        self.reception = reception
        self.handoff = handoff

    async def from_buyer(self, connection: Connection, frame: MessageIn, conversation: str,
                         moderation: Moderation) -> None:
        """A buyer's scored message: its record first, then the route to a human on an
        escalation, the conversation's handler gets it (or it waits in the queue), then its
        verdict (always delivered). The record is committed before any client hears of the
        message — the agent's `assigned` and `assist-off` frames of a route included (docs/log.md,
        "Order"); the route then changes its outcome (queued, retried). Everything the message
        needs from the shared state happens before the verdict: a failure refuses it with an
        error the buyer resends (its record says `undelivered`), never after `delivered: true`."""
        principal = connection.principal
        verdict, route = moderation.verdict, moderation.intervention.route
        record_id = None
        if logged(moderation):
            record_id = await self.record(moderation, principal, conversation,
                                          initial_outcome(moderation))
        routed, later = None, list[System]()
        try:
            if route is not None:
                routed = await self.handoff.route(principal.shop, conversation, route,
                                                  verdict.reason, later=later)
            handler = await self.reception.handler_for(principal.shop, conversation,
                                                       later=later)
            # to the handler (else it waits with the conversation: the history) and into the
            # history, in one step
            entry = await self.transcript.add(
                conversation, principal, frame.id, frame.text,
                to=staff_address(principal.shop, handler.user) if handler is not None else None)
        except StateUnavailable as exc:
            await self._undelivered(record_id, exc)
            raise
        # a message waiting with its queued conversation is in the transcript alone: the
        # connection keeps it too, to put it back if Redis loses the transcript
        connection.waiting(entry if handler is None else None)
        if routed is not None and record_id is not None:
            await self.log.update_outcome(record_id, Outcome.ROUTED, f"to {routed.user}",
                                          durable=False)
        connection.send(verdict_frame(frame.id, moderation))
        # What happened to the conversation follows the verdict; the message is accepted by
        # now, so a failure here is told on this socket only.
        for notice in later:
            await self._tell(connection, notice)

    async def _undelivered(self, record_id: str | None, exc: Exception) -> None:
        """A logged message that was to go out did not (the sender hears an error and may
        resend): its record says so, like any outcome change that happens regardless (queued,
        retried), so it never reads `delivered` for a message nobody got."""
        if record_id is None:
            return
        try:
            await self.log.update_outcome(record_id, Outcome.UNDELIVERED, str(exc),
                                          durable=False)
        except StoreUnavailable:  # the retry queue is full too
            log.exception("outcome of interception record %s lost", record_id)

    async def _tell(self, connection: Connection, frame: System) -> None:
        """To every connection of the buyer; to this one alone when the state is down."""
        try:
            await self.hub.send(connection.address, frame)
        except StateUnavailable:
            connection.send(frame)

    async def from_shop(self, connection: Connection, message_id: str, text: str,
                        conversation: str, moderation: Moderation,
                        replaced: HeldDraft | None = None) -> None:
        """An agent's or bot's scored message (`replaced`: the held message it is an edit
        of). The record, the shared-state steps and the delivery come first, the verdict after
        them: a failure on the way refuses the message with an error; once the verdict is
        sent, no error follows it."""
        principal = connection.principal
        verdict, intervention = moderation.verdict, moderation.intervention
        shop, user = principal.shop, principal.user
        matches = tuple(m.to_dict() for m in verdict.matches)
        if replaced is not None:
            # the edit is on disk before anything of the new message happens: with the log
            # down the agent hears log-unavailable and the original is still held
            await self.log.update_outcome(replaced.record_id, Outcome.EDITED,
                                          f"replaced by {message_id}")
            await self.state.take_held(shop, user, replaced.message_id)
        record_id = None
        if logged(moderation):
            record_id = await self.record(moderation, principal, conversation,
                                          initial_outcome(moderation))
            await self.state.remember_intercepted(shop, user, message_id,
                                                  Intercepted(record_id, conversation),
                                                  APPEAL_WINDOW_S)
            connection.remember(message_id, record_id, conversation)
        if intervention.delivered:
            try:
                await self.deliver(connection, conversation, message_id, text)
            except (StateUnavailable, UpstreamUnavailable) as exc:
                await self._undelivered(record_id, exc)
                raise
        elif verdict.tier in (Tier.SUGGEST_EDIT, Tier.FORCE_EDIT) and record_id is not None:
            # the agent's, not the connection's: a reload or another tab finds it again
            await self.state.hold(shop, user, HeldDraft(
                message_id, record_id, conversation, text, str(verdict.tier),
                intervention.text, matches), intervention.hold_s or HOLD_DEFAULT_S)
        elif verdict.tier is Tier.BLOCK_WITH_WARNING and record_id is not None:
            await self.state.require_ack(shop, user, conversation, PendingAck(
                message_id, record_id, text, intervention.text, matches))
        connection.send(verdict_frame(message_id, moderation))
        if verdict.tier is Tier.NOTICE and intervention.ttl_ms is not None:
            connection.send(Notice(id=message_id, text=intervention.text or "",
                                   ttl_ms=intervention.ttl_ms,
                                   dismissible=intervention.dismissible))
        if intervention.route is not None and record_id is not None:
            await self._route_after(connection, message_id, record_id, conversation,
                                    intervention.route, verdict.reason)

    async def _route_after(self, connection: Connection, message_id: str, record_id: str,
                           conversation: str, route: RouteSettings, reason: str | None) -> None:
        """Move the conversation to a human after the verdict: the message's fate is settled,
        so a failure here leaves the conversation where it is (logged), not an error frame."""
        principal = connection.principal
        try:
            agent = await self.handoff.route(principal.shop, conversation, route, reason)
            if agent is not None and agent.user != principal.user:
                await self.state.take_held(principal.shop, principal.user, message_id)
        except StateUnavailable as exc:
            log.warning("route-to-human of %s failed, it stays with %s: %s", conversation,
                        principal.user, exc)
            return
        if agent is not None and agent.user != principal.user:
            await self.log.update_outcome(record_id, Outcome.ROUTED, f"to {agent.user}",
                                          durable=False)

    async def deliver(self, connection: Connection, conversation: str, message_id: str,
                      text: str) -> None:
        """A shop-side message goes out: to the buyer, or in proxy mode up to the chat
        server as the agent wrote it."""
        sender = connection.principal
        if connection.upstream is not None:
            # up first (raises when it cannot), then the transcript: a failure in between
            # refuses the message, and the agent's resend goes up again; history never holds a
            # message that did not go out
            await connection.upstream.send(
                MessageIn(id=message_id, conversation=conversation, text=text))
            await self.transcript.add(conversation, sender, message_id, text)
        else:
            # to the buyer and into the history in one step: a buyer reconnecting from a dead
            # node gets it replayed from there (a resend reaches it once, by key)
            await self.transcript.add(conversation, sender, message_id, text,
                                      to=buyer_address(conversation))

    async def record(self, moderation: Moderation, principal: Principal, conversation: str,
                     outcome: Outcome) -> str:
        """Append the interception record, committed before the caller goes on."""
        record = InterceptionRecord.from_verdict(
            moderation.verdict, id=new_record_id(), shop=principal.shop, user=principal.user,
            conversation=conversation, buyer=split(conversation)[1] or None, outcome=outcome,
            context=await self.transcript.context(conversation))
        if not moderation.intervention.delivered:
            await self.log.append(record, durable=True)  # StoreUnavailable: nothing is held
            return record.id
        try:
            # Committed before release, like blocking tiers: a batched notice record died with
            # the process on kill -9 (41 of 959 in the issue-18 probe) after the buyer had it.
            await self.log.append(record, durable=True)
        except StoreUnavailable:
            # the log is down: the message still goes out (notices must not stop chat); its
            # record waits in the writer's retry queue until the database is back
            try:
                await self.log.append(record, durable=False)
            except StoreUnavailable:  # the retry queue is full too
                log.exception("interception record %s lost", record.id)
        return record.id
