"""What the gateway raises on purpose. `gateway.error_handlers` is the one place these become
error frames, close codes and HTTP responses:

    GatewayError                  base; `code` is the wire error code
    ├── Unauthorized              missing, malformed, tampered or expired token
    │                             (websocket: close 4401; HTTP: 401)
    ├── StateUnavailable          the shared state (Redis) cannot be reached
    ├── NotFound                  HTTP: no such record in the caller's shops (404)
    ├── InvalidRequest            HTTP: a value the API refuses, e.g. a lexicon term (422)
    ├── ConfigRejected            HTTP: a lexicon change the reload refused; the file was
    │                             restored (422)
    ├── Forbidden                 valid token, not allowed: wrong role, another shop's or another
    │                             agent's conversation (websocket: error frame or close 4403;
    │                             HTTP: 403)
    └── FrameError                a recoverable problem with one frame: error frame, socket open
         ├── BadJson              the frame is not a JSON object
         ├── UnknownType          `type` is missing or not a client frame type
         ├── BadFrame             a field is missing or invalid
         ├── FrameTooLarge        over `max_frame_bytes`
         ├── RateLimited          the connection's token bucket is empty
         ├── WarningUnacknowledged  block-with-warning not yet acknowledged in that conversation
         ├── UnknownMessage       no held / intercepted message of the sender with that id
         ├── EditRequired         send-anyway on a force-edit
         └── UpstreamUnavailable  proxy mode: the upstream server is down and the buffer of
                                  released messages is full; this one was not sent

Errors from other layers are mapped beside these: `classifiers.errors.InputError` (text the
scorer refuses) → `invalid-input`; `gateway.log.StoreUnavailable` → `log-unavailable` / 503;
`gateway.log.RecordNotFound` → 404; `gateway.log.InvalidCursor` → 400;
`classifiers.errors.ConfigError` (a candidate policy or lexicon) → `invalid-config` / 422.
"""

from __future__ import annotations

from gateway.protocol import ErrorCode


class GatewayError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, frame_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # the id of the client frame that caused it, echoed in the error frame
        self.frame_id = frame_id


class Unauthorized(GatewayError):
    code = ErrorCode.UNAUTHORIZED  # never sent as a frame: the socket closes with 4401


class Forbidden(GatewayError):
    code = ErrorCode.FORBIDDEN


class StateUnavailable(GatewayError):
    code = ErrorCode.STATE_UNAVAILABLE


class NotFound(GatewayError):
    code = ErrorCode.NOT_FOUND


class InvalidRequest(GatewayError):
    code = ErrorCode.INVALID_REQUEST


class ConfigRejected(GatewayError):
    code = ErrorCode.INVALID_CONFIG


class FrameError(GatewayError):
    """Recoverable: answered with an error frame, the connection stays open."""


class BadJson(FrameError):
    code = ErrorCode.BAD_JSON


class UnknownType(FrameError):
    code = ErrorCode.UNKNOWN_TYPE


class BadFrame(FrameError):
    code = ErrorCode.BAD_FRAME


class FrameTooLarge(FrameError):
    code = ErrorCode.TOO_LARGE


class RateLimited(FrameError):
    code = ErrorCode.RATE_LIMITED


class WarningUnacknowledged(FrameError):
    code = ErrorCode.WARNING_UNACKNOWLEDGED


class UnknownMessage(FrameError):
    code = ErrorCode.UNKNOWN_MESSAGE


class EditRequired(FrameError):
    code = ErrorCode.EDIT_REQUIRED


class UpstreamUnavailable(FrameError):
    code = ErrorCode.UPSTREAM_UNAVAILABLE
