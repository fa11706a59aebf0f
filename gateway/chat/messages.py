"""A `message` frame, from either side: who may write where, scoring, then reception (buyer) or
the interventions (shop side).

Buyer messages are scored for routing but never held: the buyer always gets a delivered verdict,
an escalation moves the conversation to a human, and the message goes to the conversation's
handler (or waits with it in the queue). A shop-side message must name a conversation assigned
to its sender, in its own shop, with no warning left unacknowledged there.
"""

from __future__ import annotations

import logging

from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.chat.connection import Connection
from gateway.chat.conversation import conversation_id, split, staff_address
from gateway.chat.handoff import Handoff
from gateway.chat.hub import Hub
from gateway.chat.interventions import Interventions, verdict_frame
from gateway.chat.moderation import Moderator
from gateway.chat.reception import Reception
from gateway.chat.transcript import Transcript
from gateway.errors import BadFrame, Forbidden, UnknownMessage, WarningUnacknowledged
from gateway.log import Outcome
from gateway.protocol import MessageIn, MessageOut
from gateway.state import SharedState

log = logging.getLogger("replyguard.messages")


class Messages:
    def __init__(self, moderator: Moderator, state: SharedState, hub: Hub,
                 transcript: Transcript, reception: Reception, handoff: Handoff,
                 interventions: Interventions) -> None:
        self.moderator = moderator
        self.state = state
        self.hub = hub
        self.transcript = transcript
        self.reception = reception
        self.handoff = handoff
        self.interventions = interventions

    async def handle(self, connection: Connection, frame: MessageIn) -> None:
        if connection.principal.role.shop_side:
            await self.from_shop(connection, frame)
        else:
            await self.from_buyer(connection, frame)

    async def from_buyer(self, connection: Connection, frame: MessageIn) -> None:
        principal = connection.principal
        conversation = conversation_id(principal.shop, principal.user)
        if frame.conversation is not None and frame.conversation != conversation:
            raise Forbidden("买家只能在自己的会话中发送消息", frame_id=frame.id)
        if frame.replaces is not None:
            raise BadFrame("买家消息不支持 replaces", frame_id=frame.id)
        moderation = await self.moderator.moderate(frame.text, Role.BUYER, shop=principal.shop,
                                                   user=principal.user)
        connection.send(verdict_frame(frame.id, moderation).model_dump_json(by_alias=True))
        verdict, route = moderation.verdict, moderation.intervention.route
        routed = None
        if route is not None:
            routed = await self.handoff.route(principal.shop, conversation, route,
                                              verdict.reason)
        if verdict.tier is not Tier.NONE or moderation.unscored:
            outcome = Outcome.ROUTED if routed is not None else \
                Outcome.UNSCORED if moderation.unscored else Outcome.DELIVERED
            await self.interventions.record(moderation, principal, conversation, outcome)
        handler = await self.reception.handler_for(principal.shop, conversation)
        await self.transcript.add(conversation, principal, frame.id, frame.text)
        if handler is not None:
            await self.hub.send(staff_address(principal.shop, handler.user),
                                MessageOut.of(frame.id, conversation, "buyer",
                                              principal.user, frame.text))

    async def from_shop(self, connection: Connection, frame: MessageIn) -> None:
        principal = connection.principal
        conversation = frame.conversation
        if conversation is None:
            raise BadFrame("缺少字段 conversation", frame_id=frame.id)
        await self.check_assigned(connection, conversation, frame.id)
        pending = await self.state.pending_acks(principal.shop, principal.user)
        if conversation in pending:
            raise WarningUnacknowledged(
                f"请先确认消息 {pending[conversation].message_id} 的警告（ack），再在此会话中发送",
                frame_id=frame.id)
        replaced = None
        if frame.replaces is not None:
            replaced = connection.held.get(frame.replaces)
            if replaced is None or replaced.conversation != conversation:
                raise UnknownMessage(f"没有待修改的消息 {frame.replaces}", frame_id=frame.id)
        moderation = await self.moderator.moderate(frame.text, Role(str(principal.role)),
                                                   shop=principal.shop, user=principal.user)
        if replaced is not None:
            del connection.held[replaced.message_id]
        await self.interventions.apply(connection, frame.id, frame.text, conversation,
                                       moderation, replaced)

    async def check_assigned(self, connection: Connection, conversation: str,
                             frame_id: str | None) -> None:
        """Forbidden unless the conversation is of the sender's shop and assigned to it. In
        proxy mode the upstream server owns conversations and checks them itself."""
        if connection.upstream is not None:
            return
        principal = connection.principal
        if split(conversation)[0] != principal.shop:
            raise Forbidden("不能访问其他店铺的会话", frame_id=frame_id)
        handler = await self.state.handler(conversation)
        if handler is None or handler.user != principal.user:
            raise Forbidden("该会话未分配给您", frame_id=frame_id)
