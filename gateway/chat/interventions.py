"""Applying a shop-side message's Moderation: the only code that delivers, holds, blocks, warns
or reroutes a message (the Moderator only computes).

Order matters for the log: a record of a message that is not delivered is committed
(`durable=True`) BEFORE the verdict frame is sent, so a verdict the agent sees is always on disk;
records of delivered messages are batched.
"""

from __future__ import annotations

import logging

from classifiers.policy.schema import RouteSettings
from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.auth import Principal
from gateway.chat.connection import Connection, Held
from gateway.chat.conversation import buyer_address, split
from gateway.chat.handoff import Handoff
from gateway.chat.hub import Hub
from gateway.chat.moderation import Moderation, Moderator
from gateway.chat.transcript import Transcript
from gateway.log import (
    InterceptionLog,
    InterceptionRecord,
    Outcome,
    StoreUnavailable,
    new_record_id,
)
from gateway.protocol import MessageIn, MessageOut, Notice, VerdictFrame
from gateway.state import PendingAck, SharedState

log = logging.getLogger("replyguard.interventions")


def verdict_frame(message_id: str, moderation: Moderation) -> VerdictFrame:
    verdict, intervention = moderation.verdict, moderation.intervention
    return VerdictFrame(id=message_id, tier=str(verdict.tier), delivered=intervention.delivered,
                        reason=intervention.text, categories=list(verdict.categories),
                        matches=[m.to_dict() for m in verdict.matches],
                        actions=list(intervention.actions), rule=verdict.rule,
                        version=verdict.version)


def initial_outcome(moderation: Moderation) -> Outcome:
    if moderation.unscored:
        return Outcome.UNSCORED
    if moderation.intervention.delivered:
        return Outcome.DELIVERED
    if moderation.verdict.tier in (Tier.SUGGEST_EDIT, Tier.FORCE_EDIT):
        return Outcome.HELD
    return Outcome.BLOCKED


class Interventions:
    def __init__(self, moderator: Moderator, log: InterceptionLog, state: SharedState,
                 hub: Hub, transcript: Transcript, handoff: Handoff) -> None:
        self.moderator = moderator
        self.log = log
        self.state = state
        self.hub = hub
        self.transcript = transcript
        self.handoff = handoff

    async def deliver(self, connection: Connection, conversation: str, message_id: str,
                      text: str) -> None:
        """A shop-side message goes out: to the buyer, or in proxy mode up to the chat
        server as the agent wrote it."""
        sender = connection.principal
        if connection.upstream is not None:  # raises when it cannot go up: not in the transcript
            await connection.upstream.send(
                MessageIn(id=message_id, conversation=conversation, text=text)
                .model_dump_json(exclude_none=True), message_id)
        await self.transcript.add(conversation, sender, message_id, text)
        if connection.upstream is None:
            await self.hub.send(buyer_address(conversation),
                                MessageOut.of(message_id, conversation, str(sender.role),
                                              sender.user, text))

    async def record(self, moderation: Moderation, principal: Principal, conversation: str,
                     outcome: Outcome) -> str:
        """Append the interception record (durable when the message is not delivered)."""
        record = InterceptionRecord.from_verdict(
            moderation.verdict, id=new_record_id(), shop=principal.shop, user=principal.user,
            conversation=conversation, buyer=split(conversation)[1] or None, outcome=outcome,
            context=await self.transcript.context(conversation))
        if not moderation.intervention.delivered:
            await self.log.append(record, durable=True)  # StoreUnavailable: nothing is held
            return record.id
        try:
            await self.log.append(record, durable=False)
        except StoreUnavailable:  # the message went out; losing its record must not stop chat
            log.exception("interception record %s lost", record.id)
        return record.id

    async def apply(self, connection: Connection, message_id: str, text: str,
                    conversation: str, moderation: Moderation,
                    replaced: Held | None = None) -> None:
        principal = connection.principal
        verdict, intervention = moderation.verdict, moderation.intervention
        frame = verdict_frame(message_id, moderation)
        record_id = None
        if verdict.tier is not Tier.NONE or moderation.unscored:
            record_id = await self.record(moderation, principal, conversation,
                                          initial_outcome(moderation))
            connection.remember(message_id, record_id, conversation)
        if intervention.delivered:
            await self.deliver(connection, conversation, message_id, text)
        elif verdict.tier in (Tier.SUGGEST_EDIT, Tier.FORCE_EDIT) and record_id is not None:
            connection.held[message_id] = Held(message_id, record_id, conversation, text,
                                               verdict.tier)
        elif verdict.tier is Tier.BLOCK_WITH_WARNING and record_id is not None:
            await self.state.require_ack(principal.shop, principal.user, conversation,
                                         PendingAck(message_id, record_id))
        connection.send(frame.model_dump_json(by_alias=True))
        if verdict.tier is Tier.NOTICE and intervention.ttl_ms is not None:
            connection.send(Notice(id=message_id, text=intervention.text or "",
                                   ttl_ms=intervention.ttl_ms,
                                   dismissible=intervention.dismissible).model_dump_json())
        if replaced is not None:
            await self.log.update_outcome(replaced.record_id, Outcome.EDITED,
                                          f"replaced by {message_id}")
        route = self._route(principal, moderation)
        if route is not None and record_id is not None:
            agent = await self.handoff.route(principal.shop, conversation, route,
                                             verdict.reason)
            if agent is not None and agent.user != principal.user:
                connection.held.pop(message_id, None)
                await self.log.update_outcome(record_id, Outcome.ROUTED, f"to {agent.user}")

    def _route(self, principal: Principal, moderation: Moderation) -> RouteSettings | None:
        """Route settings when this message moves the conversation to a human: a route-to-human
        verdict, or a bot reply intercepted at force-edit or above."""
        if moderation.intervention.route is not None:
            return moderation.intervention.route
        tier = moderation.verdict.tier
        if moderation.verdict.role is Role.BOT and tier.severity >= Tier.FORCE_EDIT.severity:
            policy = self.moderator.config.current.policy.for_shop(principal.shop)
            return policy.tiers.route_to_human
        return None
