"""Who is calling: HS256 JWTs (pyjwt) carrying role, user (`sub`), shop and expiry.

The secret comes from REPLYGUARD_SECRET; without it (local use) one is generated once and kept in
the data directory, readable by the owner only. There is no built-in default secret, so a token
minted for one installation never opens another.

Shop scope: every token names one shop, and the HTTP API shows a supervisor or QA user only that
shop's interception records. The shop `*` (ALL_SHOPS), allowed for those two roles only, grants
every shop: head-office staff, not a shop's own.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt

from gateway.errors import Unauthorized
from gateway.roles import UserRole as UserRole
from gateway.settings import MIN_SECRET_CHARS

if TYPE_CHECKING:
    from gateway.settings import Settings

ALGORITHM = "HS256"
SECRET_FILE = "jwt-secret"
# Ids become parts of conversation ids and keys (`shop:buyer`), so they may not contain ':'.
_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ALL_SHOPS = "*"
_KEY_ID = re.compile(r"[0-9a-f]{8}")
DEFAULT_MAX_TTL_S = 7 * 24 * 3600
# clocks of the issuer and the gateway may differ a little
_SKEW_S = 60


@dataclass(frozen=True, slots=True)
class Principal:
    role: UserRole
    user: str
    shop: str

    @property
    def shops(self) -> frozenset[str] | None:
        """The shops whose records this caller may see; None means every shop."""
        return None if self.shop == ALL_SHOPS else frozenset({self.shop})


def valid_shop(role: UserRole, shop: str) -> bool:
    return valid_id(shop) or (shop == ALL_SHOPS and role.may_see_all_shops)


def valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def key_id(secret: str) -> str:
    """A short fingerprint of a secret, carried as the token header's `kid`: a gateway that
    refuses a token can then say it was signed with another secret (typically `replyguard
    token` run with another REPLYGUARD_DATA_DIR), not merely that it is invalid. Eight hex digits
    of SHA-256 reveal nothing usable about a 48-byte random secret."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


class TokenService:
    """Issues and verifies tokens. A token that is valid for longer than `max_ttl_s` from now is
    refused as well as issued: a leaked token must not open the gateway for years, so however
    it was minted, its remaining lifetime is capped."""

    def __init__(self, secret: str, *, max_ttl_s: int = DEFAULT_MAX_TTL_S) -> None:
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"the JWT secret needs at least {MIN_SECRET_CHARS} characters")
        self._secret = secret
        self.key_id = key_id(secret)
        self.max_ttl_s = max_ttl_s

    def issue(self, role: UserRole, user: str, shop: str, ttl_s: int) -> str:
        if ttl_s > self.max_ttl_s:
            raise ValueError(f"token lifetime {ttl_s} s is over the limit of {self.max_ttl_s} s "
                             "(REPLYGUARD_TOKEN_MAX_TTL_S)")
        if not valid_id(user):
            raise ValueError(f"user id {user!r}: use 1-64 of A-Z a-z 0-9 _ . @ -")
        if not valid_shop(role, shop):
            raise ValueError(f"shop id {shop!r}: use 1-64 of A-Z a-z 0-9 _ . @ - "
                             f"(or {ALL_SHOPS} for supervisor and qa)")
        now = int(time.time())
        claims = {"role": str(role), "sub": user, "shop": shop, "iat": now, "exp": now + ttl_s}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM,
                          headers={"kid": self.key_id})

    def verify(self, token: str) -> Principal:
        """Raises Unauthorized for a missing, malformed, tampered or expired token."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM],
                                options={"require": ["exp", "sub", "role", "shop"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("令牌已过期") from None
        except jwt.InvalidSignatureError:
            # short enough for a websocket close reason (at most 123 bytes)
            kid = self._foreign_key_id(token)
            if kid is not None:
                raise Unauthorized(f"令牌由另一个密钥签名（{kid}，网关用 {self.key_id}）："
                                   "检查 REPLYGUARD_DATA_DIR 或 REPLYGUARD_SECRET") from None
            raise Unauthorized("令牌签名无效") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("令牌无效") from None
        try:
            role = UserRole(claims["role"])
        except ValueError:
            raise Unauthorized("令牌中的角色无效") from None
        if not isinstance(claims["exp"], int | float) or \
                claims["exp"] - time.time() > self.max_ttl_s + _SKEW_S:
            raise Unauthorized(f"令牌有效期过长（最长 {_duration(self.max_ttl_s)}），请重新签发")
        user, shop = claims["sub"], claims["shop"]
        if not (isinstance(user, str) and isinstance(shop, str)
                and valid_id(user) and valid_shop(role, shop)):
            raise Unauthorized("令牌中的用户或店铺无效")
        return Principal(role, user, shop)

    def _foreign_key_id(self, token: str) -> str | None:
        """The key id a badly signed token names, when it names another secret than ours."""
        kid = jwt.get_unverified_header(token).get("kid")
        if isinstance(kid, str) and _KEY_ID.fullmatch(kid) and kid != self.key_id:
            return kid
        return None


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} 天"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    return f"{seconds} 秒"


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def load_secret(settings: Settings) -> str:
    """REPLYGUARD_SECRET, or the secret kept in the data directory (created on first use)."""
    if settings.secret is not None:
        return settings.secret.get_secret_value()
    path = settings.data_dir.expanduser() / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="ascii").strip()
    secret = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret

