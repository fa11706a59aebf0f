"""What the gateway raises on purpose. `gateway.error_handlers` is the one place these become
error frames, close codes and HTTP responses (its `TREATMENTS` table gives each class its wire
code, HTTP status and websocket behaviour). The message of each is shown to the user as it is,
so it is written in Chinese at the raise site:

    GatewayError                  base
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


class GatewayError(Exception):
    def __init__(self, message: str, *, frame_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # the id of the client frame that caused it, echoed in the error frame
        self.frame_id = frame_id


class Unauthorized(GatewayError):
    """Missing, malformed, tampered or expired token (websocket: close 4401; HTTP: 401)."""


class Forbidden(GatewayError):
    """A valid token that may not do this: wrong role, another shop's or another agent's
    conversation."""


class StateUnavailable(GatewayError):
    """The shared state (Redis) cannot be reached; the client may retry."""


class NotFound(GatewayError):
    """HTTP: no such record or term in the caller's shops (404)."""


class InvalidRequest(GatewayError):
    """HTTP: a value the API refuses, e.g. a lexicon term (422)."""


class ConfigRejected(GatewayError):
    """HTTP: a lexicon change the reload refused; the file was restored (422)."""


class FrameError(GatewayError):
    """Recoverable: answered with an error frame, the connection stays open."""


class BadJson(FrameError):
    """The frame is not a JSON object."""


class UnknownType(FrameError):
    """`type` is missing or not a client frame type."""


class BadFrame(FrameError):
    """A field is missing or invalid."""


class FrameTooLarge(FrameError):
    """Over `max_frame_bytes`."""


class RateLimited(FrameError):
    """The connection's token bucket is empty."""


class WarningUnacknowledged(FrameError):
    """A block-with-warning is not yet acknowledged in that conversation."""


class UnknownMessage(FrameError):
    """No held / intercepted message of the sender with that id."""


class EditRequired(FrameError):
    """send-anyway on a force-edit."""


class UpstreamUnavailable(FrameError):
    """Proxy mode: the upstream is down and the buffer of released messages is
    full; this message was not sent."""
