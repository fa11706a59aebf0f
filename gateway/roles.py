"""`UserRole`: who a token is for. A module without dependencies, so that the command line can
offer `replyguard token --role` without importing jwt or the wire protocol; gateway/auth.py
(tokens and principals) re-exports it."""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    AGENT = "agent"
    BOT = "bot"
    BUYER = "buyer"
    SUPERVISOR = "supervisor"
    QA = "qa"

    @property
    def shop_side(self) -> bool:
        return self in (UserRole.AGENT, UserRole.BOT)

    @property
    def may_see_all_shops(self) -> bool:
        """Only these roles may hold an ALL_SHOPS token; chat roles always belong to a shop."""
        return self in (UserRole.SUPERVISOR, UserRole.QA)
