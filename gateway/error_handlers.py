"""The one place exceptions become error frames, close codes and HTTP responses.

A handler is found by walking the exception's MRO (like Starlette's exception middleware), so a
new subclass inherits its parent's treatment. Errors of other layers are mapped here too:
`classifiers.errors.InputError` and `ConfigError`, `gateway.log.StoreError`, and FastAPI's
request validation. Every HTTP error body is `{"detail": text, "code": error code}` (plus
`where`/`problems` for a configuration error, `errors` for a validation error).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from classifiers.errors import ConfigError, InputError, PolicyError
from gateway.errors import (
    ConfigRejected,
    Forbidden,
    GatewayError,
    InvalidRequest,
    NotFound,
    StateUnavailable,
    Unauthorized,
)
from gateway.log import InvalidCursor, RecordNotFound, StoreError, StoreUnavailable
from gateway.protocol import CloseCode, Error, ErrorCode

log = logging.getLogger("replyguard.errors")
V = TypeVar("V")

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
    NotFound: 404,
    RecordNotFound: 404,
    InvalidCursor: 400,
    InvalidRequest: 422,
    ConfigRejected: 422,
    ConfigError: 422,
    InputError: 422,
    StateUnavailable: 503,
    StoreUnavailable: 503,
    StoreError: 500,
}
_HTTP_CODES: dict[type[Exception], ErrorCode] = {
    StoreUnavailable: ErrorCode.LOG_UNAVAILABLE,
    RecordNotFound: ErrorCode.NOT_FOUND,
    InvalidCursor: ErrorCode.INVALID_REQUEST,
    ConfigError: ErrorCode.INVALID_CONFIG,
    InputError: ErrorCode.INVALID_INPUT,
}
INTERNAL_TEXT = "网关内部错误"


def _lookup(exc: Exception, table: dict[type[Exception], V]) -> V | None:
    for cls in type(exc).__mro__:
        value = table.get(cls)
        if value is not None:
            return value
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
        _lookup(exc, _HTTP_CODES) or ErrorCode.INTERNAL
    body: dict[str, Any] = {"detail": str(exc), "code": str(code)}
    if isinstance(exc, ConfigError):
        body.update(_config_error(exc))
    return JSONResponse(body, status_code=status, headers=headers)


def _config_error(exc: ConfigError) -> dict[str, Any]:
    """file:line:column of a configuration error, naming the file but not the server's
    directories (a candidate policy is built in a temporary one)."""
    name = Path(exc.path).name if exc.path else None
    where = ":".join(str(p) for p in (name, exc.line, exc.column) if p is not None)
    body: dict[str, Any] = {"detail": f"{where}: {exc.detail}" if where else exc.detail,
                            "where": {"file": name, "line": exc.line, "column": exc.column}}
    if isinstance(exc, PolicyError):
        body["problems"] = [str(dataclasses.replace(p, path=Path(p.path).name if p.path else None))
                            for p in exc.problems]
    return body


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own validation (query, path, body) in the same shape as every other error."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": [str(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
              for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
    return JSONResponse({"detail": detail, "code": str(ErrorCode.INVALID_REQUEST),
                         "errors": errors}, status_code=422)


def install(app: FastAPI) -> None:
    for cls in _HTTP_STATUS:
        app.add_exception_handler(cls, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
