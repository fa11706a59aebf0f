"""Steps the browser tests share: open an agent and a buyer of one shop and start a
conversation, type into the workbench, read what a page shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

OpenPage = Callable[..., Page]


def connected(page: Page) -> Page:
    expect(page.locator("#connection-state")).to_have_text("已连接")
    return page


def start_chat(open_page: OpenPage, shop: str, *, agent: str = "agent1",
               buyer: str = "buyer1", first: str = "在吗") -> tuple[Page, Page]:
    """An agent page, then a buyer page whose first message assigns the conversation to the
    agent; the conversation is selected in the workbench."""
    agent_page = connected(open_page("agent", agent, shop))
    buyer_page = connected(open_page("buyer", buyer, shop))
    buyer_says(buyer_page, first)
    item = agent_page.locator(f'li.conversation[data-conversation="{shop}:{buyer}"]')
    expect(item).to_be_visible()
    item.click()
    expect(agent_page.locator("#messages .bubble.from-buyer").last).to_have_text(
        re_text(first))
    return agent_page, buyer_page


def re_text(text: str) -> re.Pattern[str]:
    return re.compile(".*" + re.escape(text) + ".*", re.S)


def buyer_says(page: Page, text: str) -> None:
    page.locator("#composer").fill(text)
    page.locator("#composer").press("Enter")


def agent_says(page: Page, text: str) -> None:
    composer = page.locator("#composer")
    expect(composer).to_be_enabled()
    composer.fill(text)
    composer.press("Enter")


def my_bubble(page: Page, text: str) -> Any:
    return page.locator("#messages .bubble.mine").filter(
        has=page.get_by_text(text, exact=True)).last


def received(page: Page) -> list[str]:
    """Texts of the other side's messages in the open chat."""
    return page.locator("#messages .bubble.theirs .text").all_text_contents()


def try_to_dismiss(page: Page) -> None:
    """What closes an ordinary dialog: Esc, then a click on the backdrop outside it."""
    page.keyboard.press("Escape")
    page.mouse.click(5, 795)
    page.wait_for_timeout(300)
