"""A `message` frame, from either side: who may write where, then scoring. What follows the
verdict is `gateway.chat.interventions`.

Ids are unique per sender: a connection refuses an id one of its latest accepted messages had.
A buyer writes only in its own conversation. A shop-side message must name a conversation
assigned to its sender, in its own shop, with no warning left unacknowledged there; an edit
(`replaces`) names a held message of that conversation.
"""

from __future__ import annotations

from classifiers.results import Role
from gateway.chat.connection import Connection
from gateway.chat.conversation import conversation_id
from gateway.chat.interventions import Interventions
from gateway.chat.moderation import Moderator
from gateway.chat.reception import Reception
from gateway.chat.transcript import Transcript
from gateway.errors import BadFrame, Forbidden, UnknownMessage, WarningUnacknowledged
from gateway.protocol import MessageIn
from gateway.state import SharedState


class Messages:
    def __init__(self, moderator: Moderator, state: SharedState, reception: Reception,
                 interventions: Interventions, transcript: Transcript) -> None:
        self.moderator = moderator
        self.state = state
        self.reception = reception
        self.interventions = interventions
        self.transcript = transcript

    async def handle(self, connection: Connection, frame: MessageIn) -> None:
        if connection.principal.role.shop_side:
            await self.from_shop(connection, frame)
        else:
            await self.from_buyer(connection, frame)
        connection.accepted(frame.id)

    async def from_buyer(self, connection: Connection, frame: MessageIn) -> None:
        principal = connection.principal
        conversation = conversation_id(principal.shop, principal.user)
        if frame.conversation is not None and frame.conversation != conversation:
            raise Forbidden("买家只能在自己的会话中发送消息", frame_id=frame.id)
        if frame.replaces is not None:
            raise BadFrame("买家消息不支持 replaces", frame_id=frame.id)
        self._fresh(connection, frame)
        moderation = await self.moderator.moderate(frame.text, Role.BUYER, shop=principal.shop,
                                                   user=principal.user)
        await self.interventions.from_buyer(connection, frame, conversation, moderation)

    async def from_shop(self, connection: Connection, frame: MessageIn) -> None:
        principal = connection.principal
        conversation = frame.conversation
        if conversation is None:
            raise BadFrame("缺少字段 conversation", frame_id=frame.id)
        await self.reception.check_assigned(connection, conversation, frame.id)
        pending = await self.state.pending_acks(principal.shop, principal.user)
        if conversation in pending:
            raise WarningUnacknowledged(
                f"请先确认消息 {pending[conversation].message_id} 的警告（ack），再在此会话中发送",
                frame_id=frame.id)
        drafts = {d.message_id: d for d in await self.state.held(principal.shop, principal.user)}
        if frame.id in drafts and frame.replaces != frame.id:
            # a second message under a held one's id would orphan the held record
            raise BadFrame(f"消息 {frame.id} 仍在等待修改，请换一个 id（修改它请用 replaces）",
                           frame_id=frame.id)
        self._fresh(connection, frame)   # after the held check: its hint is the better one
        replaced = None
        if frame.replaces is not None:
            replaced = drafts.get(frame.replaces)
            if replaced is None or replaced.conversation != conversation:
                raise UnknownMessage(f"没有待修改的消息 {frame.replaces}", frame_id=frame.id)
        # the reply is judged against the buyer's message it answers (shared state: any node)
        context = await self.transcript.unanswered(conversation) \
            if self.moderator.enabled else None
        moderation = await self.moderator.moderate(frame.text, Role(str(principal.role)),
                                                   shop=principal.shop, user=principal.user,
                                                   context=context)
        await self.interventions.from_shop(connection, frame.id, frame.text, conversation,
                                           moderation, replaced)

    @staticmethod
    def _fresh(connection: Connection, frame: MessageIn) -> None:
        """Refuse an id this connection already accepted. An edit may keep its held message's
        id (replaces == id); a refused message's id is free again, so a retry may reuse it."""
        if connection.used(frame.id) and frame.replaces != frame.id:
            raise BadFrame(f"消息 id {frame.id} 已用过，请换一个 id", frame_id=frame.id)
