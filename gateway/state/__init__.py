"""Shared state: everything about conversations that more than one gateway node must agree on.

`SharedState` is the protocol; `LocalState` (in-process, one node, the embedded default) and the
Redis implementation (`redis_state.py`, several nodes) implement it. Nodes keep only their own
websockets; everything else — who is online, which agent or bot handles which conversation, each
shop's reception queue, sticky routing, pending warnings, bot-assist flags, recent messages,
repeat-offence counters, the running policy version — lives here, and a frame for a user
connected to another node travels through `publish`.

Keys: shops, users and buyers are ids without ':' (`gateway.auth.valid_id`); a conversation id is
`shop:buyer` (`gateway.chat.conversation`). Times are seconds; expiry is the implementation's job
(LocalState checks its clock, Redis uses key TTLs). Every method may raise
`gateway.errors.StateUnavailable` when the backing store cannot be reached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from gateway.auth import UserRole
from gateway.protocol import PresenceStatus
from gateway.state.offences import OffenceCounter

# Receives one frame's JSON text addressed to a user connected to this node, and its
# de-duplication key (chat messages; None for other frames).
Receiver = Callable[[str, str | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Publication:
    """A frame for an address, with its de-duplication key (see `SharedState.publish`)."""

    address: str
    payload: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Handler:
    """Who answers a conversation: a human agent or a bot of the shop."""

    user: str
    role: UserRole


@dataclass(frozen=True, slots=True)
class PresenceEntry:
    user: str
    role: UserRole
    status: PresenceStatus


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One message of a conversation (delivered ones only), as sent."""

    id: str
    role: str
    user: str
    text: str
    time: float  # epoch seconds

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HistoryEntry:
        return cls(str(data["id"]), str(data["role"]), str(data["user"]), str(data["text"]),
                   float(data["time"]))


@dataclass(frozen=True, slots=True)
class PendingAck:
    """A block-with-warning the agent has not acknowledged yet; `text`, `reason` and `matches`
    let a reconnecting agent see the warning again."""

    message_id: str
    record_id: str
    text: str = ""
    reason: str | None = None
    matches: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "record_id": self.record_id, "text": self.text,
                "reason": self.reason, "matches": list(self.matches)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingAck:
        return cls(str(data["message_id"]), str(data["record_id"]), str(data.get("text", "")),
                   data.get("reason"), tuple(data.get("matches") or ()))


@dataclass(frozen=True, slots=True)
class HeldDraft:
    """A shop-side message held at suggest-edit or force-edit, waiting for the agent: an edit
    (`replaces`) or, at suggest-edit, send-anyway. It belongs to the agent, not to a connection,
    so a reload or another tab (or node) finds it; it expires after the policy's hold time."""

    message_id: str
    record_id: str
    conversation: str
    text: str
    tier: str
    reason: str | None = None
    matches: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "record_id": self.record_id,
                "conversation": self.conversation, "text": self.text, "tier": self.tier,
                "reason": self.reason, "matches": list(self.matches)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HeldDraft:
        return cls(str(data["message_id"]), str(data["record_id"]), str(data["conversation"]),
                   str(data["text"]), str(data["tier"]), data.get("reason"),
                   tuple(data.get("matches") or ()))


@dataclass(frozen=True, slots=True)
class Intercepted:
    """An intercepted message the agent may still appeal (from any connection)."""

    record_id: str
    conversation: str


class Subscription(Protocol):
    async def cancel(self) -> None:
        """Stop receiving; idempotent."""


class SharedState(Protocol):
    # False: the state lives and dies with this process (held drafts cannot outlive it).
    survives_restart: bool

    @property
    def offences(self) -> OffenceCounter:
        """Repeat-offence counters shared by the nodes (the Moderator's)."""

    # --- presence of shop-side users: expires `ttl_s` after the last refresh ---
    async def set_presence(self, shop: str, user: str, role: UserRole, status: PresenceStatus,
                           ttl_s: float) -> None:
        """Set (or refresh) the user's status; it reads as absent once `ttl_s` passed."""

    async def clear_presence(self, shop: str, user: str) -> None:
        """The user went offline (disconnect)."""

    async def presence(self, shop: str) -> list[PresenceEntry]:
        """Users of the shop with an unexpired status other than offline."""

    # --- conversation → handler ---
    async def handler(self, conversation: str) -> Handler | None:
        ...

    async def assign(self, shop: str, conversation: str, handler: Handler | None
                     ) -> Handler | None:
        """Make `handler` (None: nobody) handle the conversation; return the previous one."""

    async def claim(self, shop: str, conversation: str, handler: Handler) -> bool:
        """Assign the conversation to `handler` only if nobody has it (putting back what a
        node's connections hold after the store lost its data); whether it did."""

    async def loads(self, shop: str, users: Iterable[str]) -> dict[str, int]:
        """How many conversations are assigned to each user now (least-loaded reception): one
        round trip for all of them, however many agents are online."""

    async def assigned(self, shop: str, user: str) -> list[str]:
        """The conversations assigned to the user now, sorted (sent again on reconnect)."""

    # --- reception queue per shop: conversations waiting for a human agent ---
    async def enqueue(self, shop: str, conversation: str, *, front: bool = False) -> int:
        """Add the conversation unless already queued (`front`: ahead of the others, for a
        buyer routed to a human); return the queue length."""

    async def dequeue(self, shop: str) -> str | None:
        """Take the oldest (front) conversation, or None when the queue is empty."""

    async def queue_length(self, shop: str) -> int:
        ...

    async def queued(self, shop: str, conversation: str) -> bool:
        """Whether the conversation waits in the shop's queue."""

    # --- sticky routing: a routed buyer skips the bot and the queue for a while ---
    async def stick(self, conversation: str, ttl_s: float) -> None:
        ...

    async def sticky(self, conversation: str) -> bool:
        ...

    # --- block-with-warning acknowledgements per (shop, agent, conversation) ---
    async def require_ack(self, shop: str, user: str, conversation: str,
                          ack: PendingAck) -> None:
        ...

    async def pending_acks(self, shop: str, user: str) -> dict[str, PendingAck]:
        """conversation → the warning still to acknowledge there."""

    async def clear_ack(self, shop: str, user: str, conversation: str) -> None:
        ...

    # --- held drafts per (shop, agent): suggest-edit / force-edit, until edited or expired ---
    async def hold(self, shop: str, user: str, draft: HeldDraft, ttl_s: float) -> None:
        """Keep the draft for `ttl_s` seconds."""

    async def held(self, shop: str, user: str) -> list[HeldDraft]:
        """The user's unexpired drafts, oldest first."""

    async def take_held(self, shop: str, user: str, message_id: str) -> HeldDraft | None:
        """Remove and return the unexpired draft (None: no such draft, or another tab or node
        took it first)."""

    async def expire_held(self, shop: str, user: str, *, everything: bool = False
                          ) -> list[HeldDraft]:
        """Remove and return the drafts whose time ran out (`everything`: all of them), so the
        caller can log them as expired."""

    async def held_owners(self) -> list[tuple[str, str]]:
        """(shop, user) of everyone with drafts (expired ones included): for the sweep that
        expires the drafts of agents who do not come back."""

    # --- intercepted messages an agent may appeal, per (shop, agent) ---
    async def remember_intercepted(self, shop: str, user: str, message_id: str,
                                   intercepted: Intercepted, ttl_s: float) -> None:
        ...

    async def intercepted(self, shop: str, user: str, message_id: str) -> Intercepted | None:
        ...

    # --- bot-assist flags per (shop, agent, conversation) ---
    async def set_assist(self, shop: str, user: str, conversation: str, on: bool) -> None:
        ...

    async def assist(self, shop: str, user: str, conversation: str) -> bool:
        ...

    # --- recent messages per conversation (context for the log, history for handoffs) ---
    async def append_history(self, conversation: str, entry: HistoryEntry, keep: int, *,
                             publish: Publication | None = None) -> None:
        """Append and keep only the newest `keep` entries; with `publish`, publish that frame
        in the same atomic step. A client that reconnects reads the history after attaching
        (a buyer's replay, an agent's `assigned` history): a message is then either in the
        history it reads or published after it attached, never in neither."""

    async def history(self, conversation: str, limit: int) -> list[HistoryEntry]:
        """The newest `limit` entries, oldest first."""

    # --- delivery to users connected to any node ---
    async def subscribe(self, address: str, receiver: Receiver) -> Subscription:
        """Call `receiver` with every payload (and its key) published to `address` from now
        on."""

    async def publish(self, address: str, payload: str, *, key: str | None = None) -> None:
        """Send `payload` to every subscriber of `address` on every node (none: the user is
        not connected, and it is dropped). Once `publish` returned, the frame reaches them even
        if Redis drops a node's connection meanwhile; with a `key`, a frame published twice
        under the same key reaches each subscriber once."""

    # Called after the shared store came back from an outage; `lost`: it lost its data.
    on_reconnect: list[Callable[[bool], Awaitable[None]]]

    # --- the configuration version the nodes run ---
    async def set_policy_version(self, version: str) -> None:
        ...

    async def policy_version(self) -> str | None:
        ...

    async def ping(self) -> None:
        """Raise StateUnavailable when the backing store cannot be reached (readiness)."""

    async def close(self) -> None:
        ...
