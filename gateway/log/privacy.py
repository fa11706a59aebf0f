"""Buyer ids are personal data the shop's agents need to see but the log does not: with hashing
on, the log keeps HMAC-SHA256(key, buyer id), which still groups one buyer's records and can be
recomputed by whoever holds the key, but cannot be reversed from the log alone.

The key must be the same for every gateway writing one log (pass it), or a new one per data
directory is made on first use and kept beside the SQLite file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import replace
from pathlib import Path

from classifiers.results import Role
from gateway.log.records import InterceptionRecord

KEY_FILE = "buyer-hash.key"


class BuyerHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the buyer hashing key needs at least 16 bytes")
        self._key = key

    def __call__(self, buyer: str) -> str:
        return hmac.new(self._key, buyer.encode("utf-8"), hashlib.sha256).hexdigest()

    def apply(self, record: InterceptionRecord) -> InterceptionRecord:
        """`record` with every trace of the buyer's id hashed: the buyer field, the buyer's
        lines of the context, the sender of a buyer's own message, and the buyer part of a
        `shop:buyer` conversation id (shortened to 32 hex digits, 128 bits, so the id stays
        within its column; records of one buyer still share one conversation id)."""
        context = tuple(replace(c, user=self(c.user)) if c.role is Role.BUYER else c
                        for c in record.context)
        buyer = self(record.buyer) if record.buyer is not None else None
        user = self(record.user) if record.role is Role.BUYER else record.user
        conversation = record.conversation
        if record.buyer is not None and conversation.partition(":")[2] == record.buyer:
            conversation = self.conversation(conversation)
        return replace(record, buyer=buyer, context=context, user=user,
                       conversation=conversation)

    def conversation(self, conversation: str) -> str:
        """A `shop:buyer` conversation id with its buyer part hashed."""
        shop, separator, who = conversation.partition(":")
        return f"{shop}:{self(who)[:32]}" if separator else conversation


def data_dir_key(data_dir: Path) -> bytes:
    """The key kept in `data_dir`, created (readable by the owner only) on first use."""
    path = data_dir.expanduser() / KEY_FILE
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key
