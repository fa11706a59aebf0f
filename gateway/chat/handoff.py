"""Route-to-human: move a conversation to an online human agent of the shop.

Triggered by a buyer's escalation verdict or a bot reply intercepted at force-edit or above. The
buyer becomes sticky (skips the bot and the queue for `RouteSettings.sticky` seconds, now and on
later entries). The agent chosen is the least-loaded online one among
`RouteSettings.eligible_agents` (any agent when empty); the buyer gets `buyer_hint`. With no such
agent online nothing moves, and that is logged.

A routed buyer gets no bot-assisted replies: bot-assist for it is off afterwards, whoever handles
it. The agent left with the conversation gets `system` `assist-off` (the policy's `agent_hint`)
exactly when the route changed something for it: the route handed it the conversation (after
its `assigned` frame, whether or not it had assist on), or it already had the conversation with
assist on. An agent that already had it, assist off, gets nothing (a buyer repeating its
escalation does not repeat the hint).
"""

from __future__ import annotations

import logging

from classifiers.policy.schema import RouteSettings
from gateway.auth import UserRole
from gateway.chat.conversation import buyer_address, staff_address
from gateway.chat.hub import Hub
from gateway.chat.reception import Reception
from gateway.metrics import Metrics
from gateway.protocol import System
from gateway.state import Handler, SharedState

log = logging.getLogger("replyguard.handoff")

DEFAULT_REASON = "转人工"


class Handoff:
    def __init__(self, state: SharedState, hub: Hub, reception: Reception,
                 metrics: Metrics) -> None:
        self.state = state
        self.hub = hub
        self.reception = reception
        self.metrics = metrics

    async def route(self, shop: str, conversation: str, route: RouteSettings,
                    reason: str | None) -> Handler | None:
        """The human agent now handling the conversation, or None when none is online."""
        await self.state.stick(conversation, route.sticky)
        current = await self.state.handler(conversation)
        present = await self.state.presence(shop)
        if current is not None and current.role is UserRole.AGENT \
                and any(e.user == current.user for e in present) \
                and (not route.eligible_agents or current.user in route.eligible_agents):
            # already with a human who may keep it: nothing moves
            if await self._assist_off(shop, conversation, current.user):
                await self._hint(shop, conversation, current.user, route)
            return current
        agent = await self.reception.pick(shop, present, UserRole.AGENT, route.eligible_agents)
        if agent is None:
            self.metrics.handoffs.labels("no-agent").inc()
            log.warning("route-to-human: no human agent of shop %s online; conversation %s "
                        "stays where it is", shop, conversation)
            return None
        # switched off before the assignment, so its `assigned` frame already says assist off
        await self._assist_off(shop, conversation, agent.user)
        await self.reception.assign(shop, conversation, agent, reason or DEFAULT_REASON,
                                    "routed")
        await self._hint(shop, conversation, agent.user, route)
        await self.hub.send(buyer_address(conversation),
                            System(code="routed", text=route.buyer_hint,
                                   conversation=conversation))
        self.metrics.handoffs.labels("routed").inc()
        return agent

    async def _assist_off(self, shop: str, conversation: str, user: str) -> bool:
        """Switch `user`'s bot-assist for this buyer off; whether it was on."""
        if not await self.state.assist(shop, user, conversation):
            return False
        await self.state.set_assist(shop, user, conversation, False)
        return True

    async def _hint(self, shop: str, conversation: str, user: str,
                    route: RouteSettings) -> None:
        await self.hub.send(staff_address(shop, user),
                            System(code="assist-off", text=route.agent_hint,
                                   conversation=conversation))
