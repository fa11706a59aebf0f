"""Annotated dependencies for the HTTP API: the running gateway and who is calling.

`CurrentUser` needs a valid `Authorization: Bearer` token (401 otherwise); `RequireRole(...)`
also needs one of the roles (403 otherwise), so routers never repeat a permission check.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from gateway.auth import Principal, UserRole, bearer
from gateway.config.lexicon_edit import LexiconEditor
from gateway.errors import Forbidden, Unauthorized
from gateway.runtime import Gateway


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def get_lexicon_editor(gateway: GatewayDep) -> LexiconEditor:
    return gateway.lexicon_editor


LexiconEditorDep = Annotated[LexiconEditor, Depends(get_lexicon_editor)]


def current_user(request: Request, gateway: GatewayDep) -> Principal:
    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise Unauthorized("缺少 Authorization: Bearer 令牌")
    return gateway.tokens.verify(token)


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
