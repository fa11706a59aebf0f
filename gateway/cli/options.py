"""Options several commands share, spelt once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

LexiconOption = Annotated[Path | None, typer.Option(
    "--lexicons", help="lexicon directory [default: REPLYGUARD_LEXICON_DIR or the shipped one]")]
PolicyOption = Annotated[Path | None, typer.Option(
    "--policy", help="policy file [default: REPLYGUARD_POLICY_FILE or the shipped one]")]
