"""Ready-to-open console links: the page for a role, with its token in the URL fragment.

A fragment is never sent to the server (nor kept in its access log); the page moves the token
into sessionStorage and removes it from the address bar."""

from __future__ import annotations

from gateway.auth import TokenService, UserRole

PAGE_OF_ROLE = {
    UserRole.AGENT: "agent",
    UserRole.BOT: "agent",
    UserRole.BUYER: "buyer",
    UserRole.QA: "qa",
    UserRole.SUPERVISOR: "supervisor",
}
# Who `replyguard serve` makes links for in dev mode: one per page, all of one demo shop.
DEV_USERS = ((UserRole.AGENT, "agent1"), (UserRole.BUYER, "buyer1"), (UserRole.QA, "qa1"),
             (UserRole.SUPERVISOR, "supervisor1"))
DEV_SHOP = "shop1"


def base_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{port}"


def console_link(base: str, role: UserRole, token: str) -> str:
    return f"{base.rstrip('/')}/console/{PAGE_OF_ROLE[role]}#token={token}"


def dev_links(tokens: TokenService, base: str, ttl_s: int) -> list[tuple[UserRole, str, str]]:
    """(role, user, link) for one demo user per page."""
    return [(role, user, console_link(base, role, tokens.issue(role, user, DEV_SHOP, ttl_s)))
            for role, user in DEV_USERS]
