"""Presence of agents and bots: online / away / offline, kept alive by their frames.

Any frame (a `ping` when idle) refreshes the status for `presence_ttl_s`; without one it expires
and the user counts as offline. Disconnecting is going offline (unless the same user still has
another connection on this node). An agent coming online takes queued conversations.
"""

from __future__ import annotations

from gateway.auth import UserRole
from gateway.chat.connection import Connection
from gateway.chat.hub import Hub
from gateway.chat.reception import Reception
from gateway.errors import Forbidden
from gateway.protocol import Ok, Presence
from gateway.state import SharedState


class PresenceService:
    def __init__(self, state: SharedState, hub: Hub, reception: Reception, ttl_s: float) -> None:
        self.state = state
        self.hub = hub
        self.reception = reception
        self.ttl_s = ttl_s

    async def connected(self, connection: Connection) -> None:
        if connection.principal.role.shop_side:
            await self._set(connection)

    async def update(self, connection: Connection, frame: Presence) -> None:
        if not connection.principal.role.shop_side:
            raise Forbidden("买家没有在线状态")
        connection.status = frame.status
        await self._set(connection)
        connection.send(Ok(action="presence"))

    async def heartbeat(self, connection: Connection) -> None:
        principal = connection.principal
        if principal.role.shop_side:
            await self.state.set_presence(principal.shop, principal.user, principal.role,
                                          connection.status, self.ttl_s)

    async def ping(self, connection: Connection) -> None:
        """An idle agent's ping (presence refreshed in the frame loop): an agent back online
        takes what queued up meanwhile, not only when a new buyer message arrives."""
        principal = connection.principal
        if principal.role is UserRole.AGENT and connection.status == "online" \
                and await self.state.queue_length(principal.shop):
            await self.reception.hand_out(principal.shop)

    async def disconnected(self, connection: Connection) -> None:
        principal = connection.principal
        if principal.role.shop_side and self.hub.local(connection.address) == 0:
            await self.state.clear_presence(principal.shop, principal.user)

    async def _set(self, connection: Connection) -> None:
        await self.heartbeat(connection)
        principal = connection.principal
        if principal.role is UserRole.AGENT and connection.status == "online":
            await self.reception.hand_out(principal.shop)
