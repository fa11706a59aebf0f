"""The buyer page catches up after its socket dropped: it reconnects naming the last message it
received (`after`), and what the agent wrote meanwhile appears, once (issue 18)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.chat import OpenPage, agent_says, connected, start_chat

pytestmark = pytest.mark.issue(18)


def test_buyer_page_gets_what_was_sent_while_its_socket_was_down(open_page: OpenPage) -> None:
    agent, buyer = start_chat(open_page, "resume-shop")
    down = False
    routes: list[Any] = []
    urls: list[str] = []

    def route(socket: Any) -> None:
        urls.append(socket.url)
        if down:  # the network is gone: the page's socket closes at once, it retries
            socket.close()
            return
        socket.connect_to_server()
        routes.append(socket)

    buyer.route_web_socket(re.compile(r"/ws\?"), route)
    buyer.reload()  # its next socket goes through the route
    connected(buyer)
    agent_says(agent, "亲，在的")
    theirs = buyer.locator("#messages .bubble.theirs .text")
    expect(theirs).to_have_text(["亲，在的"])
    down = True
    routes[-1].close()
    expect(buyer.locator("#connection-state")).not_to_have_text("已连接")
    agent_says(agent, "今天下单明天发货")
    expect(agent.locator("#messages .bubble.mine .state-text").last).to_have_text("已发送")
    buyer.wait_for_timeout(300)
    down = False
    connected(buyer)
    expect(theirs).to_have_text(["亲，在的", "今天下单明天发货"])
    assert "after=" in urls[-1]
    agent_says(agent, "还有什么可以帮您？")
    expect(theirs).to_have_text(["亲，在的", "今天下单明天发货", "还有什么可以帮您？"])
