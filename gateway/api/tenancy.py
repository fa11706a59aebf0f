"""Which shop's configuration a QA caller addresses: the tenancy rule for lexicons, scoring and
reloads, in one place (the rule for interception records is gateway/api/filters.py).

- A platform-wide token (`shop: *`) edits the shared lexicon, or a shop's overlay with
  `shop=<id>`, and may apply any change.
- A shop's token addresses its own overlay (`shop` omitted or its own id), may read the shared
  lexicon (`shop=*`) but never change it, and never reads or changes another shop's; a reload
  it asks for applies only its own shop's changes (gateway/config/scope.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from classifiers.lexicon import is_shop_name
from gateway.api.deps import RequireQA
from gateway.auth import ALL_SHOPS, Principal
from gateway.config.scope import error_for_scope
from gateway.errors import Forbidden, InvalidRequest

ShopQuery = Annotated[str | None, Query(
    max_length=64, description="whose lexicon: a shop id for its overlay, `*` for the shared "
    "one; default: your shop's overlay, or the shared lexicon for a platform-wide token")]


def own_scope(user: Principal) -> str | None:
    """The one shop a caller is confined to, or None for a platform-wide token."""
    return None if user.shops is None else user.shop


def addressed_shop(user: Principal, shop: str | None, *, write: bool) -> str | None:
    """The shop whose overlay the caller means, or None for the shared lexicon."""
    scope = own_scope(user)
    if scope is None:
        if shop is None or shop == ALL_SHOPS:
            return None
        if not is_shop_name(shop):
            raise InvalidRequest(f"店铺「{shop}」不是有效的店铺 id，不能有店铺词库")
        return shop
    if shop == ALL_SHOPS:
        if write:
            raise Forbidden("只有全平台（shop: *）令牌可以修改共享词库")
        return None
    if shop is not None and shop != scope:
        raise Forbidden("不能查看或修改其他店铺的词库")
    if not is_shop_name(scope):
        raise InvalidRequest(f"店铺「{scope}」的 id 不能用作词库目录名")
    return scope


def read_lexicon(user: RequireQA, shop: ShopQuery = None) -> str | None:
    return addressed_shop(user, shop, write=False)


def edit_lexicon(user: RequireQA, shop: ShopQuery = None) -> str | None:
    return addressed_shop(user, shop, write=True)


ReadLexiconShop = Annotated[str | None, Depends(read_lexicon)]
EditLexiconShop = Annotated[str | None, Depends(edit_lexicon)]


def scored_shop(user: Principal, shop: str | None) -> str | None:
    """The shop a QA score request runs as: a shop's token scores as its own shop (its policy
    section and lexicon overlay), never as another one."""
    scope = own_scope(user)
    if scope is None:
        return shop
    if shop is not None and shop != scope:
        raise Forbidden("不能按其他店铺的配置打分")
    return scope


def visible_error(error: str | None, user: Principal) -> str | None:
    """A configuration error as this caller may see it (gateway/config/scope.py)."""
    return error_for_scope(error, own_scope(user))
