"""The recent messages of each conversation: context for log records, history for handoffs and
reconnecting agents, and what a reconnecting buyer missed.

A delivered message enters the transcript in the same atomic step that publishes it to its
recipient (`SharedState.append_history(publish=…)`): whoever reads the transcript after
attaching to a node finds every message that was published before it attached, so replaying
from here loses nothing across a node's death.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import NamedTuple

from classifiers.results import Role
from gateway.auth import Principal
from gateway.chat.conversation import message_key
from gateway.log import ContextMessage
from gateway.protocol import HistoryItem, MessageOut, dump
from gateway.state import HistoryEntry, Publication, SharedState


class Transcript:
    def __init__(self, state: SharedState, *, keep: int, context: int) -> None:
        self.state = state
        self.keep = keep
        self.context_size = context

    async def add(self, conversation: str, sender: Principal, message_id: str, text: str, *,
                  to: str | None = None) -> HistoryEntry:
        """Record a delivered message; `to`: the address it goes to, published in the same
        step (None: nobody to send it to on this gateway, e.g. it waits in the queue). The
        entry it recorded."""
        entry = HistoryEntry(message_id, str(sender.role), sender.user, text, time.time())
        publication = None
        if to is not None:
            frame = MessageOut.of(message_id, conversation, entry.role, entry.user, text)
            publication = Publication(to, dump(frame),
                                      message_key(conversation, entry.user, message_id))
        await self.state.append_history(conversation, entry, self.keep, publish=publication)
        return entry

    async def restore(self, conversation: str, entries: list[HistoryEntry]) -> None:
        """Put entries back, oldest first, after the shared state lost the transcript."""
        for entry in entries:
            await self.state.append_history(conversation, entry, self.keep)

    async def context(self, conversation: str) -> tuple[ContextMessage, ...]:
        entries = await self.state.history(conversation, self.context_size)
        return tuple(ContextMessage(Role(e.role), e.user, e.text,
                                    datetime.fromtimestamp(e.time, UTC)) for e in entries)

    async def unanswered(self, conversation: str) -> str | None:
        """The conversation's latest message when it is the buyer's: what a shop-side reply
        answers. None when the shop side has spoken since (its next lone 好的 follows its own
        answer, not the question) or nobody has (the agent writes first)."""
        entries = await self.state.history(conversation, 1)
        return entries[-1].text if entries and entries[-1].role == Role.BUYER else None

    async def items(self, conversation: str) -> list[HistoryItem]:
        entries = await self.state.history(conversation, self.keep)
        return [HistoryItem.of(e.id, e.role, e.user, e.text,
                               datetime.fromtimestamp(e.time, UTC).isoformat())
                for e in entries]

    async def missed_by_buyer(self, conversation: str, after: str) -> Missed:
        """The shop side's messages after the one with id `after` ('' or an id no longer
        kept: all of them), as (`message` frame, key), oldest first. Ids are unique per
        sender only: after the first of that id, so a collision repeats a message (the key
        de-duplicates it), never skips one. `gap`: older messages the buyer may have missed
        are no longer kept (the resume point is not among the kept ones, which are full)."""
        kept = await self.state.history(conversation, self.keep)
        entries = [e for e in kept if e.role != Role.BUYER]
        start = next((i + 1 for i, e in enumerate(entries) if e.id == after), None)
        frames = [(dump(MessageOut.of(e.id, conversation, e.role, e.user, e.text)),
                   message_key(conversation, e.user, e.id)) for e in entries[start or 0:]]
        return Missed(frames, gap=start is None and len(kept) >= self.keep)


class Missed(NamedTuple):
    frames: list[tuple[str, str]]
    gap: bool
