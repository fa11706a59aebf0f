"""Ready-to-open console links: the page for a role, with its token in the URL fragment.

A fragment is never sent to the server (nor kept in its access log); the page moves the token
into sessionStorage and removes it from the address bar."""

from __future__ import annotations

from gateway.roles import UserRole

PAGE_OF_ROLE = {
    UserRole.AGENT: "agent",
    UserRole.BOT: "agent",
    UserRole.BUYER: "buyer",
    UserRole.QA: "qa",
    UserRole.SUPERVISOR: "supervisor",
}


def base_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def console_link(base: str, role: UserRole, token: str) -> str:
    return f"{base.rstrip('/')}/console/{PAGE_OF_ROLE[role]}#token={token}"
