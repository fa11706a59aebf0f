"""Annotated dependencies for the HTTP API: the running gateway and who is calling.

`CurrentUser` needs a valid `Authorization: Bearer` token (401 otherwise); `RequireRole(...)`
also needs one of the roles (403 otherwise), so routers never repeat a permission check.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.auth import Principal, UserRole
from gateway.config.lexicon_edit import LexiconEditor
from gateway.config.policy_edit import PolicyEditor
from gateway.errors import Forbidden, Unauthorized
from gateway.runtime import Gateway


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def get_lexicon_editor(gateway: GatewayDep) -> LexiconEditor:
    return gateway.lexicon_editor


LexiconEditorDep = Annotated[LexiconEditor, Depends(get_lexicon_editor)]


def get_policy_editor(gateway: GatewayDep) -> PolicyEditor:
    return gateway.policy_editor


PolicyEditorDep = Annotated[PolicyEditor, Depends(get_policy_editor)]


# declares the bearer scheme in /openapi.json; a missing token is our 401, not FastAPI's 403
_BEARER = HTTPBearer(auto_error=False, description="a token from `replyguard token`")


def current_user(gateway: GatewayDep, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> Principal:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("缺少 Authorization: Bearer 令牌")
    return gateway.tokens.verify(credentials.credentials.strip())


CurrentUser = Annotated[Principal, Depends(current_user)]


def RequireRole(*roles: UserRole) -> Any:  # noqa: N802 - reads as a type in signatures
    """`user: Annotated[Principal, RequireRole(UserRole.QA)]`."""

    def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise Forbidden(f"需要以下角色之一：{', '.join(str(r) for r in roles)}")
        return user

    return Depends(check)


RequireQA = Annotated[Principal, RequireRole(UserRole.QA)]
RequireSupervisor = Annotated[Principal, RequireRole(UserRole.SUPERVISOR)]
RequireConfigReader = Annotated[Principal, RequireRole(UserRole.QA, UserRole.SUPERVISOR)]
