"""Login and permissions in Chromium: a pasted token or a link's fragment lands on the role's
page and lives in sessionStorage only; a page refuses a token of another role, and the API
refuses it whatever the page does; /docs works with the network cut off and has "Authorize"."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Route, expect

from tests.browser.chat import OpenPage, re_text
from tests.conftest import ConsoleServer


def test_login_with_a_pasted_token_opens_the_roles_page(chromium: Any,
                                                        console_server: ConsoleServer) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{console_server.url}/console/")
    page.locator("#token-input").fill(console_server.token("supervisor", "sup9", "login-shop"))
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{console_server.url}/console/supervisor")
    expect(page.locator("#whoami")).to_have_text(re_text("主管 sup9"))
    assert context.cookies() == []
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(f"{console_server.url}/console/")
    assert page.evaluate("sessionStorage.length") == 0
    context.close()


def test_login_link_token_leaves_the_address_bar(open_page: OpenPage) -> None:
    page = open_page("qa", "qa9", "login-shop")
    expect(page.locator("#whoami")).to_have_text(re_text("质检 qa9"))
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('replyguard.token')").count(".") == 2


def test_login_a_page_refuses_another_roles_token_and_so_does_the_api(
        open_page: OpenPage, console_server: ConsoleServer) -> None:
    page = open_page("agent", "agent9", "login-shop", page="supervisor")
    expect(page.locator("#login-message")).to_have_text(re_text("客服"))
    assert page.url.startswith(f"{console_server.url}/console/?wrong=agent")
    # the page is only a convenience: the API itself refuses the agent's token
    status = page.evaluate("""async () => (await fetch('/api/interceptions', {headers:
        {Authorization: 'Bearer ' + sessionStorage.getItem('replyguard.token')}})).status""")
    assert status == 403


def test_docs_work_offline_with_authorize(chromium: Any, console_server: ConsoleServer) -> None:
    context = chromium.new_context()
    outside: list[str] = []

    def only_the_gateway(route: Route) -> None:
        if route.request.url.startswith(console_server.url):
            route.continue_()
        else:  # no internet: anything from another host fails
            outside.append(route.request.url)
            route.abort()
    context.route("**/*", only_the_gateway)
    page = context.new_page()
    page.goto(f"{console_server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ReplyGuard gateway")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    page.get_by_role("button", name=re_text("Authorize")).first.click()
    expect(page.locator(".auth-container").first).to_contain_text("HTTPBearer")
    assert outside == []
    context.close()
