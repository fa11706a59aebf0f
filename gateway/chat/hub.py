"""`Hub`: this node's websocket connections, and frames to users connected to any node.

A frame for a user is published to the user's address in the shared state; every node with a
connection at that address is subscribed and queues it there (LocalState: a direct call; Redis:
a stream every node reads, `gateway/state/redis_state.py`). The first connection at an address
subscribes, the last one unsubscribes. Chat messages are not sent here but published with their
transcript entry (`Transcript.add`), so a reconnecting client can be given what it missed.
"""

from __future__ import annotations

import json

from gateway.chat.connection import Connection
from gateway.protocol import Frame, dump
from gateway.state import SharedState, Subscription

# `dump` writes the type first (the field order of every frame model)
_OBSERVED_FRAMES = ('{"type":"assigned"', '{"type":"unassigned"', '{"type":"system"')


class Hub:
    def __init__(self, state: SharedState) -> None:
        self.state = state
        self._local: dict[str, list[Connection]] = {}
        self._subscriptions: dict[str, Subscription] = {}

    async def attach(self, connection: Connection) -> None:
        address = connection.address
        connections = self._local.setdefault(address, [])
        connections.append(connection)
        if address not in self._subscriptions:
            self._subscriptions[address] = await self.state.subscribe(
                address, lambda payload, key: self._receive(address, payload, key))

    async def detach(self, connection: Connection) -> None:
        address = connection.address
        connections = self._local.get(address, [])
        if connection in connections:
            connections.remove(connection)
        if not connections:
            self._local.pop(address, None)
            subscription = self._subscriptions.pop(address, None)
            if subscription is not None:
                await subscription.cancel()

    def local(self, address: str) -> int:
        """How many connections this node has at `address`."""
        return len(self._local.get(address, ()))

    def connections(self) -> list[Connection]:
        return [c for connections in self._local.values() for c in connections]

    async def send(self, address: str, frame: Frame) -> None:
        """Deliver to every connection at `address`, on any node (nobody connected: dropped)."""
        await self.state.publish(address, dump(frame))

    async def _receive(self, address: str, payload: str, key: str | None) -> None:
        connections = list(self._local.get(address, ()))
        if payload.startswith(_OBSERVED_FRAMES):
            # rare frames, so only these are parsed: what the user holds (conversations, assist
            # switches, a place in the queue), for putting it back if Redis loses it
            frame = json.loads(payload)
            for connection in connections:
                connection.observe(frame)
        for connection in connections:
            connection.forward(payload, key)
