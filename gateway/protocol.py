"""The websocket wire format: every frame, the error codes and the close codes, how a client
frame is parsed (`parse`) and how a frame is serialised (`dump`).

JSON text frames, each an object with a `type`. `ClientFrame` is what clients send (a
discriminated union on `type`), `ServerFrame` what the gateway sends. docs/protocol.md describes
every frame listed here (a test checks it).

Absent, never null: `dump` is the one function that turns a frame into text, and it leaves out
every field whose value is None, so an optional field the gateway has no value for is absent
from the frame; the gateway never sends `null`. Lists are always present (possibly empty).
"""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from classifiers.results import Match
from classifiers.tiers import Tier
from gateway import errors
from gateway.storable import StorableStr, is_storable

# Message ids are the client's: unique per sender, echoed in verdicts, errors and actions.
# Ids and notes are stored in the log: no NUL, no lone surrogate (bad-frame otherwise).
MessageId = Annotated[StorableStr, Field(min_length=1, max_length=64)]
ConversationId = Annotated[StorableStr, Field(min_length=1, max_length=200)]


class CloseCode(IntEnum):
    GOING_AWAY = 1001         # the gateway shuts down; reconnect to another node
    POLICY_VIOLATION = 1008   # the client cannot keep up with its frames
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013    # a buyer's replay could not be read; reconnect with the same `after`
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
    note: StorableStr = Field(default="", max_length=2000)


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


class MatchOut(Frame):
    """One hit of a verdict, spans on the text as the sender wrote it (`classifiers.Match`)."""

    term: str
    category: str
    severity: int
    start: int
    end: int
    text: str
    mode: str
    view: str
    trace: list[str] = []
    evasion: bool = False

    @classmethod
    def of(cls, match: Match) -> MatchOut:
        return cls.model_validate(match.to_dict())


class VerdictFrame(Frame):
    """`rule` is the policy rule that decided the tier; `escalation` the repeat-offence rule that
    then raised it (absent when none did)."""

    type: Literal["verdict"] = "verdict"
    id: str
    tier: Tier
    delivered: bool
    reason: str | None = None
    categories: list[str] = []
    matches: list[MatchOut] = []
    actions: list[str] = []
    rule: str | None = None
    escalation: str | None = None
    version: str


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


AssignedKind = Literal["new", "queued", "routed", "resumed"]


class Assigned(Frame):
    """`kind`: a new conversation, one from the queue, one routed to this human
    (route-to-human), or one already this user's, sent again on (re)connect. `assist`: whether
    the agent has bot-assist on for this buyer."""

    type: Literal["assigned"] = "assigned"
    conversation: str
    reason: str
    kind: AssignedKind = "new"
    assist: bool = False
    history: list[HistoryItem] = []


class HeldOut(Frame):
    """On (re)connect: a message of this agent held at suggest-edit or force-edit, still
    waiting for an edit (`replaces`) or, at suggest-edit, send-anyway."""

    type: Literal["held"] = "held"
    id: str
    conversation: str
    text: str
    tier: Tier
    reason: str | None = None
    matches: list[MatchOut] = []
    actions: list[str] = []


class WarningOut(Frame):
    """On (re)connect: a block-with-warning of this agent not yet acknowledged (`ack`)."""

    type: Literal["warning"] = "warning"
    id: str
    conversation: str
    text: str
    reason: str | None = None
    matches: list[MatchOut] = []


class QueueOut(Frame):
    """To a shop's agents: how many conversations wait in the shop's queue (on connect and
    whenever it changes)."""

    type: Literal["queue"] = "queue"
    length: int


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


ServerFrame = Annotated[MessageOut | VerdictFrame | Notice | Assigned | HeldOut | WarningOut
                        | QueueOut | Unassigned | System | Ok | Error | Pong,
                        Field(discriminator="type")]
SERVER_FRAMES: TypeAdapter[ServerFrame] = TypeAdapter(ServerFrame)


def dump(frame: Frame) -> str:
    """The JSON text of a frame: aliases such as `from` applied, None fields left out (absent,
    never null). The one place frames become text."""
    return frame.model_dump_json(by_alias=True, exclude_none=True)


def check_size(raw: str, limit: int) -> None:
    size = len(raw.encode("utf-8"))
    if size > limit:
        raise errors.FrameTooLarge(f"帧过大：{size} 字节（上限 {limit} 字节）")


def resume_after(raw: str | None) -> str | None:
    """A reconnecting buyer's `?after=`: the id of the last `message` it received ('' when it
    received none yet), or None when the client asks for no replay (a fresh page). BadFrame
    when it cannot be a message id."""
    if raw is None or raw == "":
        return raw
    if len(raw) > 64 or not is_storable(raw):
        raise errors.BadFrame("after 不是有效的消息 id（1-64 个字符），未补发断线期间的消息")
    return raw


def parse(raw: str) -> ClientFrame:
    """One client frame from its JSON text; raises BadJson, UnknownType or BadFrame (the id, when
    readable, is on the exception as `frame_id` so the error frame can echo it)."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise errors.BadJson("帧不是合法的 JSON") from None
    except RecursionError:  # thousands of nested arrays fit in a few KiB
        raise errors.BadJson("帧的 JSON 嵌套过深") from None
    if not isinstance(data, dict):
        raise errors.BadJson("帧必须是 JSON 对象")
    # an id that cannot be echoed (a lone surrogate cannot be encoded) is not echoed
    frame_id = data.get("id") if is_storable(data.get("id")) else None
    kind = data.get("type")
    if kind is None:
        raise errors.UnknownType("帧缺少 type 字段", frame_id=frame_id)
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:
        # quoted as JSON, the client's own notation
        shown = json.dumps(kind, ensure_ascii=False)
        if not is_storable(shown):  # a lone surrogate: only its escape can be sent back
            shown = json.dumps(kind)
        raise errors.UnknownType(f"未知的帧类型：{shown[:100]}", frame_id=frame_id)
    try:
        return CLIENT_FRAMES.validate_python(data)
    except ValidationError as exc:
        fields = "，".join(".".join(str(p) for p in e["loc"][1:]) or str(kind)
                          for e in exc.errors())
        raise errors.BadFrame(f"字段缺失或无效：{fields}", frame_id=frame_id) from None

