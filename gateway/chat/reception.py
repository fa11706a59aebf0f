"""Reception: who answers a buyer.

A buyer's message goes to the conversation's current handler while that handler is present.
Otherwise the conversation is (re)assigned: to an online bot when the shop is bot-first (it is
whenever a bot is online), else to the least-loaded online human agent, else it waits in the
shop's queue and the buyer is told so (once, not on every message). A buyer routed to a human
(sticky) skips the bot and waits at the front of the queue. Queued conversations are handed out
when an agent comes online or, present again, pings; the buyer is told when one picks it up. The
shop's agents see the queue's length (`queue` frames) whenever it changes.
Reception also answers the reverse question: may this agent write in that conversation
(`check_assigned`)?
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gateway.auth import UserRole
from gateway.chat.connection import Connection
from gateway.chat.conversation import buyer_address, split, staff_address
from gateway.chat.hub import Hub
from gateway.chat.transcript import Transcript
from gateway.errors import Forbidden
from gateway.metrics import Metrics
from gateway.protocol import Assigned, AssignedKind, QueueOut, System, Unassigned
from gateway.state import Handler, PresenceEntry, SharedState

log = logging.getLogger("replyguard.reception")

QUEUED_TEXT = "当前客服繁忙，已为您排队，请稍候"
PICKED_UP_TEXT = "客服 {agent} 已接入，请问有什么可以帮您？"
NEW_REASON = "新会话"
QUEUE_REASON = "排队的会话"


def least_loaded(candidates: Iterable[PresenceEntry], loads: dict[str, int]) -> Handler | None:
    """The candidate with the fewest conversations (ties: the first by user id)."""
    ranked = sorted(candidates, key=lambda e: (loads.get(e.user, 0), e.user))
    return Handler(ranked[0].user, ranked[0].role) if ranked else None


class Reception:
    def __init__(self, state: SharedState, hub: Hub, transcript: Transcript,
                 metrics: Metrics) -> None:
        self.state = state
        self.hub = hub
        self.transcript = transcript
        self.metrics = metrics

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

    async def handler_for(self, shop: str, conversation: str, *,
                          later: list[System] | None = None) -> Handler | None:
        """The handler the buyer's next message goes to, assigning or queueing as needed
        (`later`: see `queue`)."""
        current = await self.state.handler(conversation)
        present = await self.state.presence(shop)
        if current is not None and any(e.user == current.user for e in present):
            return current
        human_only = await self.state.sticky(conversation)
        chosen = None
        if not human_only:
            chosen = await self.pick(shop, present, UserRole.BOT)
        if chosen is None:
            chosen = await self.pick(shop, present, UserRole.AGENT)
        if chosen is None:
            await self.queue(shop, conversation, front=human_only, later=later)
            return None
        await self.assign(shop, conversation, chosen, NEW_REASON, "new")
        return chosen

    async def pick(self, shop: str, present: Iterable[PresenceEntry], role: UserRole,
                   eligible: tuple[str, ...] = ()) -> Handler | None:
        """The least-loaded online user of `role` (among `eligible` when it is not empty)."""
        candidates = [e for e in present if e.role is role and e.status == "online"
                      and (not eligible or e.user in eligible)]
        return least_loaded(candidates, await self.state.loads(shop, (e.user for e in candidates)))

    async def assign(self, shop: str, conversation: str, handler: Handler, reason: str,
                     kind: AssignedKind) -> None:
        """Give the conversation to `handler`, telling it (with the history and its assist
        switch) and the previous handler, if any."""
        previous = await self.state.assign(shop, conversation, handler)
        if previous is not None and previous != handler:
            await self.hub.send(staff_address(shop, previous.user),
                                Unassigned(conversation=conversation, reason=reason))
        history = await self.transcript.items(conversation)
        assist = await self.state.assist(shop, handler.user, conversation)
        await self.hub.send(staff_address(shop, handler.user),
                            Assigned(conversation=conversation, reason=reason, kind=kind,
                                     assist=assist, history=history))
        log.info("conversation %s → %s %s (%s)", conversation, handler.role, handler.user,
                 reason)

    async def queue(self, shop: str, conversation: str, *, front: bool = False,
                    later: list[System] | None = None) -> None:
        """Queue the conversation, once: the buyer hears `queued` when it joins the queue (with
        `later`, put there for the caller to send after its message's verdict), not again
        while it waits; the shop's agents see the new length."""
        waiting = await self.state.queued(shop, conversation)
        if waiting and not front:
            return  # told when it was queued; its place stays
        length = await self.state.enqueue(shop, conversation, front=front)
        self.metrics.queued(shop, length)
        if not waiting:
            queued = System(code="queued", text=QUEUED_TEXT, conversation=conversation)
            if later is None:
                await self.hub.send(buyer_address(conversation), queued)
            else:
                later.append(queued)
            await self.announce_queue(shop, length)

    async def announce_queue(self, shop: str, length: int) -> None:
        """Every present human agent of the shop sees how many buyers wait."""
        for entry in await self.state.presence(shop):
            if entry.role is UserRole.AGENT:
                await self.hub.send(staff_address(shop, entry.user), QueueOut(length=length))

    async def hand_out(self, shop: str) -> None:
        """Assign queued conversations to the online human agents, least loaded first."""
        handed = False
        while True:
            present = await self.state.presence(shop)
            agent = await self.pick(shop, present, UserRole.AGENT)
            if agent is None:
                break
            conversation = await self.state.dequeue(shop)
            if conversation is None:
                break
            handed = True
            current = await self.state.handler(conversation)
            if current is not None and any(e.user == current.user for e in present):
                continue  # picked up meanwhile (a bot came online and the buyer wrote again)
            await self.assign(shop, conversation, agent, QUEUE_REASON, "queued")
            await self.hub.send(buyer_address(conversation), System(
                code="picked-up", text=PICKED_UP_TEXT.format(agent=agent.user),
                conversation=conversation))
        length = await self.state.queue_length(shop)
        self.metrics.queued(shop, length)
        if handed:
            await self.announce_queue(shop, length)
