"""What API routes answer besides success, declared for the OpenAPI document.

Every error body is the one shape `gateway.error_handlers` writes (`ErrorOut`); a route lists the
statuses it can really give, so a client generated from /openapi.json (and schemathesis in the
tests) finds no undeclared response.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gateway.protocol import ErrorCode


class ValidationProblem(BaseModel):
    loc: list[str] = Field(description="where: query, path or body, then the field")
    msg: str
    type: str


class ConfigWhere(BaseModel):
    file: str | None
    line: int | None
    column: int | None


class ErrorOut(BaseModel):
    """Every HTTP error: a Chinese `detail`, a stable `code`; validation errors add `errors`,
    configuration errors `where` and `problems`."""

    detail: str
    code: ErrorCode
    errors: list[ValidationProblem] | None = None
    where: ConfigWhere | None = None
    problems: list[str] | None = None


_MEANING = {
    400: "a body that is not JSON or not UTF-8, a bad pagination cursor (invalid-request)",
    401: "missing, malformed, expired or too long-lived token (unauthorized)",
    403: "the token's role or shop may not do this (forbidden)",
    404: "no such record or term in your shops (not-found)",
    422: "a parameter or body the API refuses (invalid-request, invalid-input, invalid-config)",
    503: "the interception log or the shared state is unreachable (log-unavailable, "
         "state-unavailable)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router or route that can answer with these error statuses."""
    return {status: {"model": ErrorOut, "description": _MEANING[status]} for status in statuses}


# A route behind a role: no token, wrong role, a bad parameter, a service down.
GUARDED = errors(401, 403, 422, 503)
# ... that also reads a JSON body
WITH_BODY = errors(400)
