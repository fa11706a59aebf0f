"""Conversation ids and delivery addresses.

A buyer has one conversation per shop, implied by its token: `shop:buyer`. Frames travel to
addresses: every connection of a buyer in one conversation, or every connection of one shop-side
user (agent or bot).
"""

from __future__ import annotations

from gateway.auth import Principal


def conversation_id(shop: str, buyer: str) -> str:
    return f"{shop}:{buyer}"


def split(conversation: str) -> tuple[str, str]:
    """(shop, buyer) of a conversation id; ('', '') when it is not one."""
    shop, sep, buyer = conversation.partition(":")
    return (shop, buyer) if sep and shop and buyer else ("", "")


def buyer_address(conversation: str) -> str:
    return f"buyer:{conversation}"


def staff_address(shop: str, user: str) -> str:
    return f"staff:{shop}:{user}"


def message_key(conversation: str, sender: str, message_id: str) -> str:
    """What identifies one chat message for de-duplication: ids are unique per sender, within
    a conversation. A message published again, or replayed to a reconnecting buyer, under the
    same key reaches each connection once."""
    return f"{conversation}/{sender}/{message_id}"


def address_of(principal: Principal) -> str:
    if principal.role.shop_side:
        return staff_address(principal.shop, principal.user)
    return buyer_address(conversation_id(principal.shop, principal.user))
