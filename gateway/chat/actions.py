"""What a shop-side client does about an intercepted message — send-anyway, ack, appeal — and
the bot-assist switch. Each answers with an `ok` frame or raises a FrameError."""

from __future__ import annotations

from classifiers.policy.schema import HOLD_DEFAULT_S
from classifiers.tiers import Tier
from gateway.auth import UserRole
from gateway.chat.connection import Connection
from gateway.chat.conversation import split
from gateway.chat.interventions import Interventions
from gateway.chat.reception import Reception
from gateway.errors import EditRequired, Forbidden, UnknownMessage
from gateway.log import InterceptionLog, Outcome
from gateway.protocol import Ack, Appeal, Assist, Ok, SendAnyway
from gateway.state import SharedState


class Actions:
    def __init__(self, state: SharedState, log: InterceptionLog, reception: Reception,
                 interventions: Interventions) -> None:
        self.state = state
        self.log = log
        self.reception = reception
        self.interventions = interventions

    async def send_anyway(self, connection: Connection, frame: SendAnyway) -> None:
        principal = connection.principal
        drafts = await self.state.held(principal.shop, principal.user)
        held = next((d for d in drafts if d.message_id == frame.id), None)
        if held is None:
            raise UnknownMessage(f"没有待发送的消息 {frame.id}", frame_id=frame.id)
        if held.tier != Tier.SUGGEST_EDIT:
            raise EditRequired("这条消息必须修改后才能发送", frame_id=frame.id)
        await self.reception.check_assigned(connection, held.conversation, frame.id)
        # The record first: with the log down the agent hears log-unavailable and the
        # message is still held, never delivered-but-refused (docs/log.md, "Order").
        await self.log.update_outcome(held.record_id, Outcome.OVERRIDDEN, "send-anyway")
        if await self.state.take_held(principal.shop, principal.user, frame.id) is None:
            raise UnknownMessage(f"消息 {frame.id} 已在别处处理或已过期", frame_id=frame.id)
        try:
            await self.interventions.deliver(connection, held.conversation, frame.id, held.text)
        except Exception:
            # not delivered after all: held again (for the default hold time: its own deadline
            # is not kept), and the record says so (queued, retried)
            await self.state.hold(principal.shop, principal.user, held, HOLD_DEFAULT_S)
            await self.log.update_outcome(held.record_id, Outcome.HELD, "delivery failed",
                                          durable=False)
            raise
        connection.send(Ok(action="send-anyway", id=frame.id, conversation=held.conversation))

    async def ack(self, connection: Connection, frame: Ack) -> None:
        principal = connection.principal
        pending = await self.state.pending_acks(principal.shop, principal.user)
        for conversation, ack in pending.items():
            if ack.message_id == frame.id:
                # recorded before the warning is cleared: a log outage leaves both as they were
                await self.log.update_outcome(ack.record_id, Outcome.ACKNOWLEDGED)
                await self.state.clear_ack(principal.shop, principal.user, conversation)
                connection.send(Ok(action="ack", id=frame.id, conversation=conversation))
                return
        raise UnknownMessage(f"没有待确认的警告 {frame.id}", frame_id=frame.id)

    async def appeal(self, connection: Connection, frame: Appeal) -> None:
        principal = connection.principal
        intercepted = await self.state.intercepted(principal.shop, principal.user, frame.id)
        if intercepted is None:
            raise UnknownMessage(f"没有被拦截的消息 {frame.id}", frame_id=frame.id)
        await self.log.appeal(intercepted.record_id, frame.note)
        connection.send(Ok(action="appeal", id=frame.id, conversation=intercepted.conversation))

    async def assist(self, connection: Connection, frame: Assist) -> None:
        principal = connection.principal
        if principal.role is not UserRole.AGENT:
            raise Forbidden("只有人工客服可以开关机器人辅助")
        if split(frame.conversation)[0] != principal.shop:
            raise Forbidden("不能访问其他店铺的会话")
        await self.state.set_assist(principal.shop, principal.user, frame.conversation,
                                    frame.on)
        connection.set_assist(frame.conversation, frame.on)
        connection.send(Ok(action="assist", conversation=frame.conversation))
