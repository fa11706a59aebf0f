"""A reload loses nothing: the agent's conversations, a held draft and an unacknowledged warning
come back from the gateway; queued buyers show up as a count and are told when picked up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.chat import (
    OpenPage,
    agent_says,
    buyer_says,
    connected,
    my_bubble,
    re_text,
    start_chat,
)

Shot = Callable[..., Path]


def test_reload_keeps_assignments_and_held_drafts(open_page: OpenPage,
                                                  screenshots: Shot) -> None:
    agent, buyer = start_chat(open_page, "reload-shop")
    agent_says(agent, "亲，稍等")
    agent_says(agent, "不知道")
    expect(agent.locator("#modal[data-kind=suggest-edit]")).to_be_visible()
    agent.reload()
    connected(agent)
    item = agent.locator('li.conversation[data-conversation="reload-shop:buyer1"]')
    expect(item).to_be_visible()
    expect(agent.locator("#messages .bubble .text")).to_have_text(["在吗", "亲，稍等", "不知道"])
    modal = agent.locator("#modal[data-kind=suggest-edit]")
    expect(modal).to_be_visible()  # the held draft, as before the reload
    expect(modal.locator("mark.hit")).to_have_text("不知道")
    screenshots(agent, "reload-held-draft")
    modal.get_by_role("button", name="继续发送").click()
    expect(my_bubble(agent, "不知道").locator(".state-text")).to_have_text("已发送（未修改）")
    expect(buyer.locator("#messages .bubble.theirs .text")).to_have_text(["亲，稍等", "不知道"])


def test_reload_keeps_the_warning_and_the_input_disabled(open_page: OpenPage) -> None:
    agent, buyer = start_chat(open_page, "reload-warning-shop")
    agent_says(agent, "你个傻逼")
    expect(agent.locator("#modal[data-kind=block-with-warning]")).to_be_visible()
    agent.reload()
    connected(agent)
    modal = agent.locator("#modal[data-kind=block-with-warning]")
    expect(modal).to_be_visible()
    expect(agent.locator("#composer")).to_be_disabled()
    modal.get_by_role("button", name="我已阅读").click()
    expect(agent.locator("#composer")).to_have_value("你个傻逼")
    agent_says(agent, "亲，抱歉")
    expect(buyer.locator("#messages .bubble.theirs .text")).to_have_text(["亲，抱歉"])


def test_queued_buyers_are_counted_and_told_when_picked_up(open_page: OpenPage) -> None:
    shop = "queue-shop"
    agent = connected(open_page("agent", "agent1", shop))
    agent.locator("#presence-select").select_option("away")
    agent.wait_for_timeout(300)
    buyer = connected(open_page("buyer", "buyer1", shop))
    buyer_says(buyer, "有人吗")
    expect(buyer.locator("#messages .system-line[data-code=queued]")).to_have_count(1)
    buyer_says(buyer, "人呢")
    expect(agent.locator("#queued-count")).to_have_text("1")
    agent.locator("#presence-select").select_option("online")
    expect(agent.locator('li.conversation[data-conversation="queue-shop:buyer1"]')).to_be_visible()
    expect(agent.locator("#queued-count")).to_have_text("0")
    expect(buyer.locator("#messages .system-line[data-code=picked-up]")).to_have_text(
        re_text("agent1 已接入"))
    expect(buyer.locator("#messages .system-line[data-code=queued]")).to_have_count(1)
