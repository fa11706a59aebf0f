"""`Unread`: the chat messages this node published to the frames stream that some node may not
have read yet, kept so they can be published again if Redis loses the stream.

`publish` returning means the frame is in Redis, so the sender is told its message went out; the
node holding the recipient's socket reads it from the stream a moment later (longer when that
node is busy). A Redis restarted without persistence in between takes the entry with it, and the
recipient's socket is still open, so no replay on reconnect would ever bring it: a message the
sender was told was delivered would silently never arrive. So each node keeps what it published
until every node's reader has passed it (the readers report their positions into Redis every
`REPORT_S`, `RedisState._report_position`), and when Redis comes back empty it appends them
again, in stream order, under their original de-duplication keys: a recipient that had read one
already drops the copy (`RecentKeys`).

Only frames with a de-duplication key (chat messages) are kept: a notice published twice would
reach its client twice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from gateway.state import Publication

# How often each reader reports its stream position, and how long a report counts: a node that
# stops reporting (it died) no longer holds back what the others keep.
REPORT_S = 1.0
REPORT_TTL_S = 10.0
# What is kept however far the readers got: their reports are up to REPORT_S old, and a reader
# that started a moment ago has not reported yet.
GRACE_S = 3 * REPORT_S
# Bounds: the stream itself keeps entries only RETAIN_S (redis_state.py) seconds, and memory.
LIMIT = 50_000

StreamId = tuple[int, int]


def stream_id(text: str) -> StreamId:
    """'1700000000000-3' → (1700000000000, 3): stream ids compare as pairs of integers."""
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


class Unread:
    def __init__(self, retain_s: float, *, clock: Callable[[], float] = time.monotonic,
                 limit: int = LIMIT) -> None:
        # (a full deque drops its oldest entry on append)
        self._entries: deque[tuple[StreamId, float, Publication]] = deque(maxlen=limit)
        self._retain_s = retain_s
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry_id: str, publication: Publication) -> None:
        """Keep a chat message this node appended as stream entry `entry_id`."""
        if publication.key is None:
            return
        self._entries.append((stream_id(entry_id), self._clock(), publication))

    def read_up_to(self, low: StreamId | None) -> None:
        """Every reader is past `low` (None: no reader reported): drop what they all read, once
        older than the grace time, and whatever the stream no longer keeps anyway."""
        now = self._clock()
        while self._entries:
            entry_id, at, _ = self._entries[0]
            age = now - at
            if age > self._retain_s or (low is not None and entry_id <= low and age > GRACE_S):
                self._entries.popleft()
            else:
                return

    def pending(self) -> list[Publication]:
        """Everything kept, in stream order: to append again to a stream Redis lost."""
        return [p for _, _, p in sorted(self._entries, key=lambda e: e[0])]

    def replace(self, appended: Iterable[tuple[str, Publication]]) -> None:
        """`pending()` was appended again as these entries: keep them under their new ids
        (the new stream's readers have not read them yet either)."""
        now = self._clock()
        self._entries = deque(((stream_id(i), now, p) for i, p in appended),
                              maxlen=self._entries.maxlen)
