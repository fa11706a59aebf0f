"""Settings from the environment (`REPLYGUARD_*`), built by the CLI or a test, never at import."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifiers.resources import (
    DEFAULT_MAX_CHARS,
    default_intent_model,
    default_invitation_model,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
)

# The one default, for the gateway and every command alike: a token printed by `replyguard token`
# in another terminal is signed with the same secret as long as neither sets REPLYGUARD_DATA_DIR.
DEFAULT_DATA_DIR = Path("~/.local/share/replyguard")
ENV_PREFIX = "REPLYGUARD_"
# HS256 with a shorter secret is guessable offline from one token
MIN_SECRET_CHARS = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(default=DEFAULT_DATA_DIR,
                           description="where the embedded state lives (SQLite log, dev secret); "
                                       "empty means the default")
    lexicon_dir: Path = Field(default_factory=default_lexicon_dir)
    policy_file: Path = Field(default_factory=default_policy_file)
    tone_model: Path | None = Field(
        default_factory=default_tone_model,
        description="tone model artefact directory; empty to run without a tone model")
    intent_model: Path | None = Field(
        default_factory=default_intent_model,
        description="buyer intent model artefact directory; empty to run without one (then "
                    "the policy must not use intent)")
    invitation_model: Path | None = Field(
        default_factory=default_invitation_model,
        description="off-platform invitation model artefact directory; empty to run without")
    max_chars: int = Field(default=DEFAULT_MAX_CHARS, ge=1,
                           description="longest message that is scored; longer ones are refused")

    # --- the gateway (replyguard serve) ---
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    secret: SecretStr | None = Field(
        default=None, description="JWT HS256 secret; unset: one is generated once in data_dir")
    redis_url: str | None = Field(
        default=None, description="shared state for several nodes; unset: in-process state")
    redis_prefix: str = Field(default="replyguard", description="key prefix in Redis")
    redis_timeout_s: float = Field(
        default=5.0, ge=2.0, description="a Redis command (or connect) that has no answer by "
                                         "then fails, and the frame gets the retryable "
                                         "state-unavailable error; at least 2 s, since the "
                                         "frames reader blocks 1 s in XREAD")
    node_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
                         description="this node's name in the cluster's version table")
    database_url: str | None = Field(
        default=None, description="interception log database; unset: SQLite in data_dir")
    upstream_url: str | None = Field(
        default=None, description="proxy mode: the chat server agents' messages go up to "
                                  "(ws:// or wss://); unset: the gateway is the chat server")
    upstream_buffer: int = Field(default=1000, ge=1,
                                 description="released messages kept while upstream is down")
    upstream_drain_s: float = Field(
        default=10.0, ge=0, description="an agent that disconnects leaves its link open this "
                                        "long for upstream to read the messages it was told "
                                        "were delivered (the link down meanwhile)")
    moderation: bool = Field(
        default=True, description="false: relay without scoring (benchmark baseline only)")
    retention_days: int = Field(
        default=180, ge=0, description="interception records older than this are purged "
                                       "daily; 0 keeps them forever")
    hash_buyer_ids: bool = Field(
        default=False, description="store HMAC-SHA256 of buyer ids in the interception log")
    buyer_key: SecretStr | None = Field(
        default=None, description="HMAC key for buyer ids (>= 16 bytes, the same on every "
                                  "node); unset: one is generated once in data_dir")
    watch_config: bool = Field(default=True, description="reload when policy/lexicons change")
    max_frame_bytes: int = Field(default=8192, ge=256, description="largest websocket frame")
    rate_per_s: float = Field(default=10.0, gt=0, description="frames per second per connection")
    rate_burst: int = Field(default=30, ge=1, description="frames a connection may burst")
    close_timeout_s: float = Field(
        default=5.0, gt=0, description="a socket the gateway closes (1001, 1008, 1013) is "
                                       "dropped if the client has not taken the close by then")
    shutdown_timeout_s: int = Field(
        default=20, ge=1, description="on shutdown, HTTP requests still running (a client "
                                        "stuck mid-upload, a long export) are cancelled after "
                                        "this long, so the log is flushed and closed before an "
                                        "orchestrator's kill (Kubernetes waits 30 s)")
    presence_ttl_s: float = Field(default=60.0, gt=0,
                                  description="presence expires without a frame this long")
    history_size: int = Field(default=20, ge=1, description="messages kept per conversation")
    context_size: int = Field(default=10, ge=0,
                              description="preceding messages stored with a log record")
    token_ttl_s: int = Field(default=8 * 3600, ge=1, description="default token lifetime")
    token_max_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=60,
        description="longest lifetime a token may have left; longer ones are refused (4401/401)")

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # checked here, not only by TokenService, so that `serve` and `token` name the variable
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(f"the JWT secret needs at least {MIN_SECRET_CHARS} characters")
        return value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        # An empty REPLYGUARD_DATA_DIR would be Path("") = the current directory: the secret
        # and the log would follow whichever directory a command happens to run in.
        return DEFAULT_DATA_DIR if isinstance(value, str) and not value.strip() else value

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("tone_model", "intent_model", "invitation_model", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", "none") else value


def settings_problem(exc: ValidationError) -> str:
    """One line for an unusable setting, naming the environment variable."""
    error = exc.errors()[0]
    name = ENV_PREFIX + "_".join(str(part) for part in error["loc"]).upper()
    value = error.get("input")
    secret = error["loc"][:1] in (("secret",), ("buyer_key",))
    shown = f" (got {value!r})" if isinstance(value, str | int | float) and not secret else ""
    more = f"; and {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
    message = error["msg"].removeprefix("Value error, ")   # pydantic's prefix for our checks
    return f"{name}: {message}{shown}{more}"
