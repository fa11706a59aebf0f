"""Settings from the environment (`REPLYGUARD_*`), built by the CLI or a test, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifiers.resources import default_lexicon_dir, default_policy_file, default_tone_model
from classifiers.scorer import DEFAULT_MAX_CHARS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPLYGUARD_", extra="ignore")

    data_dir: Path = Field(default=Path("~/.local/share/replyguard"),
                           description="where the embedded state lives (SQLite log, dev secret)")
    lexicon_dir: Path = Field(default_factory=default_lexicon_dir)
    policy_file: Path = Field(default_factory=default_policy_file)
    tone_model: Path | None = Field(
        default_factory=default_tone_model,
        description="tone model artefact directory; empty to run without a tone model")
    max_chars: int = Field(default=DEFAULT_MAX_CHARS, ge=1,
                           description="longest message that is scored; longer ones are refused")

    @field_validator("tone_model", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", "none") else value
