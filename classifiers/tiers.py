"""The interventions, in severity order. `Tier.NONE` means the message passes untouched."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    NONE = "none"
    NOTICE = "notice"
    SUGGEST_EDIT = "suggest-edit"
    FORCE_EDIT = "force-edit"
    BLOCK = "block"
    BLOCK_WITH_WARNING = "block-with-warning"
    ROUTE_TO_HUMAN = "route-to-human"

    @property
    def severity(self) -> int:
        return _ORDER[self]

    @property
    def holds_message(self) -> bool:
        """True when the agent's message does not go out as it is."""
        return self in (Tier.SUGGEST_EDIT, Tier.FORCE_EDIT, Tier.BLOCK, Tier.BLOCK_WITH_WARNING)

    @property
    def awaits_edit(self) -> bool:
        """True when the message is held for the agent to edit (a block is dropped instead)."""
        return self in (Tier.SUGGEST_EDIT, Tier.FORCE_EDIT)


_ORDER = {tier: index for index, tier in enumerate(Tier)}
