"""Options several commands share, spelt once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.roles import UserRole

LexiconOption = Annotated[Path | None, typer.Option(
    "--lexicons", help="lexicon directory [default: REPLYGUARD_LEXICON_DIR or the shipped one]")]
PolicyOption = Annotated[Path | None, typer.Option(
    "--policy", help="policy file [default: REPLYGUARD_POLICY_FILE or the shipped one]")]

# who a token is for: `replyguard token` and `replyguard console-link`
RoleOption = Annotated[UserRole, typer.Option(help="who the token is for")]
UserOption = Annotated[str, typer.Option(help="user id (the token's subject)")]
ShopOption = Annotated[str, typer.Option(
    help="shop id, or '*' (supervisor, qa): platform-wide, every shop")]
TtlOption = Annotated[int | None, typer.Option(
    help="lifetime in seconds [default: REPLYGUARD_TOKEN_TTL_S or 8 hours]")]
