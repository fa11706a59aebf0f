"""The recent messages of each conversation: context for log records, history for handoffs."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from classifiers.results import Role
from gateway.auth import Principal
from gateway.log import ContextMessage
from gateway.protocol import HistoryItem
from gateway.state import HistoryEntry, SharedState


class Transcript:
    def __init__(self, state: SharedState, *, keep: int, context: int) -> None:
        self.state = state
        self.keep = keep
        self.context_size = context

    async def add(self, conversation: str, sender: Principal, message_id: str,
                  text: str) -> None:
        entry = HistoryEntry(message_id, str(sender.role), sender.user, text, time.time())
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
