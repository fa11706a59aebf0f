"""`RecentKeys`: which frames an address was already given, so a frame published twice (a
publish retried after a connection error that had in fact gone through, or a client retrying a
message id) reaches each connection once."""

from __future__ import annotations

from collections import OrderedDict

REMEMBERED = 20_000


class RecentKeys:
    def __init__(self, size: int = REMEMBERED) -> None:
        self._keys: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._size = size

    def first_time(self, address: str, key: str) -> bool:
        """Remember (address, key); False when it was already seen (then: drop the frame)."""
        entry = (address, key)
        if entry in self._keys:
            self._keys.move_to_end(entry)
            return False
        self._keys[entry] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True
