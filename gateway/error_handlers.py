"""The one place exceptions become error frames, close codes and HTTP responses.

A handler is found by walking the exception's MRO (like Starlette's exception middleware), so a
new subclass inherits its parent's treatment. Errors of other layers are mapped here too:
`classifiers.errors.InputError` and `gateway.log.StoreError`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from classifiers.errors import InputError
from gateway.errors import Forbidden, GatewayError, StateUnavailable, Unauthorized
from gateway.log import StoreError, StoreUnavailable
from gateway.protocol import CloseCode, Error, ErrorCode

log = logging.getLogger("replyguard.errors")

_FRAME_CODES: dict[type[BaseException], ErrorCode] = {
    InputError: ErrorCode.INVALID_INPUT,
    StoreUnavailable: ErrorCode.LOG_UNAVAILABLE,
}
_FRAME_PREFIX: dict[ErrorCode, str] = {
    ErrorCode.INVALID_INPUT: "消息无法审核：",
    ErrorCode.LOG_UNAVAILABLE: "审核记录暂时无法保存，消息未发送，请稍后重试：",
}
_HTTP_STATUS: dict[type[Exception], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    StateUnavailable: 503,
    StoreUnavailable: 503,
    StoreError: 500,
}
INTERNAL_TEXT = "网关内部错误"


def _lookup(exc: Exception, table: dict[type[Exception], int]) -> int | None:
    for cls in type(exc).__mro__:
        status = table.get(cls)
        if status is not None:
            return status
    return None


def error_frame(exc: Exception, frame_id: str | None = None) -> Error:
    """The error frame for an exception raised while handling one client frame. Unexpected
    exceptions are logged and answered with `internal`: the connection stays open."""
    if isinstance(exc, GatewayError):
        return Error(code=exc.code, message=exc.message, id=exc.frame_id or frame_id)
    for cls in type(exc).__mro__:
        code = _FRAME_CODES.get(cls)
        if code is not None:
            return Error(code=code, message=_FRAME_PREFIX.get(code, "") + str(exc), id=frame_id)
    log.exception("unexpected error handling a frame", exc_info=exc)
    return Error(code=ErrorCode.INTERNAL, message=INTERNAL_TEXT, id=frame_id)


def close_code(exc: Exception) -> CloseCode:
    """The close code for an error that ends a connection before its first frame."""
    if isinstance(exc, Unauthorized):
        return CloseCode.UNAUTHORIZED
    if isinstance(exc, Forbidden):
        return CloseCode.FORBIDDEN
    return CloseCode.INTERNAL_ERROR


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = _lookup(exc, _HTTP_STATUS) or 500
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    code = exc.code if isinstance(exc, GatewayError) else \
        ErrorCode.LOG_UNAVAILABLE if isinstance(exc, StoreUnavailable) else ErrorCode.INTERNAL
    return JSONResponse({"detail": str(exc), "code": str(code)}, status_code=status,
                        headers=headers)


def install(app: FastAPI) -> None:
    for cls in _HTTP_STATUS:
        app.add_exception_handler(cls, _http_error)
