"""The websocket wire format: every frame, the error codes and the close codes.

JSON text frames, each an object with a `type`. `ClientFrame` is what clients send (a
discriminated union on `type`), `ServerFrame` what the gateway sends. docs/protocol.md describes
every frame listed here (a test checks it).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

# Message ids are the client's: unique per sender, echoed in verdicts, errors and actions.
MessageId = Annotated[str, Field(min_length=1, max_length=64)]
ConversationId = Annotated[str, Field(min_length=1, max_length=200)]


class CloseCode(IntEnum):
    GOING_AWAY = 1001         # the gateway shuts down; reconnect to another node
    POLICY_VIOLATION = 1008   # the client cannot keep up with its frames
    INTERNAL_ERROR = 1011
    UNAUTHORIZED = 4401       # missing, malformed, tampered or expired token
    FORBIDDEN = 4403          # a valid token whose role may not open a websocket


class ErrorCode(StrEnum):
    BAD_JSON = "bad-json"                  # not a JSON object
    UNKNOWN_TYPE = "unknown-type"          # `type` missing or not a client frame
    BAD_FRAME = "bad-frame"                # missing or invalid fields
    TOO_LARGE = "too-large"                # frame over the size limit
    RATE_LIMITED = "rate-limited"          # too many frames; wait and resend
    INVALID_INPUT = "invalid-input"        # text the scorer refuses (empty, too long, control)
    UNAUTHORIZED = "unauthorized"          # HTTP only (a websocket closes with 4401)
    FORBIDDEN = "forbidden"                # not your conversation / shop, or not for your role
    WARNING_UNACKNOWLEDGED = "warning-unacknowledged"  # ack the warning first
    UNKNOWN_MESSAGE = "unknown-message"    # no such held / intercepted message of yours
    EDIT_REQUIRED = "edit-required"        # force-edit: send-anyway is not allowed
    LOG_UNAVAILABLE = "log-unavailable"    # the interception log is down; message not sent
    STATE_UNAVAILABLE = "state-unavailable"  # shared state (Redis) is down; try again
    UPSTREAM_UNAVAILABLE = "upstream-unavailable"  # proxy mode: upstream down, buffer full
    NOT_FOUND = "not-found"                # HTTP only: no such record (in your shops)
    INVALID_REQUEST = "invalid-request"    # HTTP only: bad cursor, filter value or body
    INVALID_CONFIG = "invalid-config"      # HTTP only: lexicon / policy does not build
    INTERNAL = "internal"


class Frame(BaseModel):
    """Base of every frame: unknown fields are refused, frames are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- client → gateway -------------------------------------------------------------------------

class MessageIn(Frame):
    """A buyer omits `conversation` (its token implies it); shop-side clients name it.
    `replaces` is the id of a held message this one is an edit of."""

    type: Literal["message"] = "message"
    id: MessageId
    text: str
    conversation: ConversationId | None = None
    replaces: MessageId | None = None


class SendAnyway(Frame):
    type: Literal["send-anyway"] = "send-anyway"
    id: MessageId


class Ack(Frame):
    type: Literal["ack"] = "ack"
    id: MessageId


class Appeal(Frame):
    type: Literal["appeal"] = "appeal"
    id: MessageId
    note: str = Field(default="", max_length=2000)


class Assist(Frame):
    type: Literal["assist"] = "assist"
    conversation: ConversationId
    on: bool


PresenceStatus = Literal["online", "away", "offline"]


class Presence(Frame):
    type: Literal["presence"] = "presence"
    status: PresenceStatus


class Ping(Frame):
    type: Literal["ping"] = "ping"


ClientFrame = Annotated[MessageIn | SendAnyway | Ack | Appeal | Assist | Presence | Ping,
                        Field(discriminator="type")]
CLIENT_FRAMES: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
CLIENT_TYPES = frozenset(("message", "send-anyway", "ack", "appeal", "assist", "presence", "ping"))


# --- gateway → client -------------------------------------------------------------------------

class Sender(Frame):
    role: str
    user: str


class MessageOut(Frame):
    type: Literal["message"] = "message"
    id: str
    conversation: str
    from_: Sender = Field(alias="from")
    text: str

    @classmethod
    def of(cls, message_id: str, conversation: str, role: str, user: str,
           text: str) -> MessageOut:
        return cls.model_validate({"id": message_id, "conversation": conversation,
                                   "from": Sender(role=role, user=user), "text": text})


class VerdictFrame(Frame):
    type: Literal["verdict"] = "verdict"
    id: str
    tier: str
    delivered: bool
    reason: str | None = None
    categories: list[str] = []
    matches: list[dict[str, Any]] = []
    actions: list[str] = []
    rule: str | None = None
    version: str | None = None


class Notice(Frame):
    type: Literal["notice"] = "notice"
    id: str
    text: str
    ttl_ms: int
    dismissible: bool = False


class HistoryItem(Frame):
    id: str
    from_: Sender = Field(alias="from")
    text: str
    time: str

    @classmethod
    def of(cls, message_id: str, role: str, user: str, text: str, time: str) -> HistoryItem:
        return cls.model_validate({"id": message_id, "from": Sender(role=role, user=user),
                                   "text": text, "time": time})


class Assigned(Frame):
    type: Literal["assigned"] = "assigned"
    conversation: str
    reason: str
    history: list[HistoryItem] = []


class Unassigned(Frame):
    type: Literal["unassigned"] = "unassigned"
    conversation: str
    reason: str


class System(Frame):
    """A text from the gateway itself (queued, routed to a human, assist switched off)."""

    type: Literal["system"] = "system"
    code: str
    text: str
    conversation: str | None = None


class Ok(Frame):
    """An action (send-anyway, ack, appeal, assist, presence) took effect."""

    type: Literal["ok"] = "ok"
    action: str
    id: str | None = None
    conversation: str | None = None


class Error(Frame):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    id: str | None = None


class Pong(Frame):
    type: Literal["pong"] = "pong"


ServerFrame = Annotated[MessageOut | VerdictFrame | Notice | Assigned | Unassigned | System | Ok
                        | Error | Pong, Field(discriminator="type")]
SERVER_FRAMES: TypeAdapter[ServerFrame] = TypeAdapter(ServerFrame)


def dump(frame: Frame) -> str:
    """The JSON text of a gateway frame (aliases such as `from` applied)."""
    return frame.model_dump_json(by_alias=True)

