"""The supervisor dashboard in Chromium: appeals first, filter, open a record, mark it 误判, and
the statistics and QA's allow-list candidates follow; CSV of the current filter."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.chat import OpenPage, agent_says, buyer_says, my_bubble, re_text, start_chat

Shot = Callable[..., Path]


def test_supervisor_filters_reviews_and_the_figures_follow(
        open_page: OpenPage, screenshots: Shot) -> None:
    shop = "review-shop"
    agent, buyer = start_chat(open_page, shop)
    for text in ("官方微信公众号有教程", "嗯", "加我qq聊"):
        agent_says(agent, text)
        expect(my_bubble(agent, text).locator(".tier")).to_be_visible()
    # the agent appeals the last one: it heads the supervisor's queue
    blocked = my_bubble(agent, "加我qq聊")
    blocked.get_by_role("button", name="申诉误判").click()
    agent.locator("#appeal-note").fill("买家问的是官方客服QQ")
    agent.locator("#modal").get_by_role("button", name="提交申诉").click()
    expect(blocked.locator(".appealed")).to_have_text("已申诉")

    supervisor = open_page("supervisor", "sup1", shop)
    expect(supervisor.locator("#review-queue tbody tr").first).to_contain_text("加我qq聊")
    expect(supervisor.locator("#review-queue tbody tr").first).to_contain_text("官方客服QQ")
    expect(supervisor.locator("#records tbody tr")).to_have_count(3)
    supervisor.locator("#filters select[name=tier]").select_option("block")
    supervisor.locator("#filters input[name=text]").fill("公众号")
    supervisor.get_by_role("button", name="筛选").click()
    rows = supervisor.locator("#records tbody tr")
    expect(rows).to_have_count(1)
    expect(supervisor.locator("#stats-total")).to_have_text(re_text("共 1 条；误判 0 条"))
    expect(supervisor.locator("#chart-reviews .bar-value[data-key=unreviewed]")).to_have_text("1")
    rows.first.click()
    expect(supervisor.locator("#record-text")).to_have_text("官方微信公众号有教程")
    expect(supervisor.locator("#record-context .text").first).to_have_text("在吗")
    expect(supervisor.locator("#record-history li").first).to_contain_text("已拦截")
    supervisor.locator("#review-note").fill("官方公众号 label=polite")
    supervisor.get_by_role("button", name="误判").click()
    expect(supervisor.locator("#review-status")).to_have_text("已标记为「误判」")
    expect(rows.first).to_contain_text("误判")
    expect(supervisor.locator("#stats-total")).to_have_text(re_text("误判 1 条，误判率 100%"))
    reviews = supervisor.locator("#chart-reviews")
    expect(reviews.locator(".bar-value[data-key=false-positive]")).to_have_text("1")
    expect(reviews.locator(".bar-value[data-key=unreviewed]")).to_have_text("0")
    supervisor.locator("#queue-panel").scroll_into_view_if_needed()
    screenshots(supervisor, "page-supervisor", full_page=True)

    with supervisor.expect_download() as download:
        supervisor.get_by_role("button", name="导出 CSV").click()
    with open(download.value.path(), encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert [row["text"] for row in exported] == ["官方微信公众号有教程"]

    qa = open_page("qa", "qa1", shop)
    candidate = qa.locator("#allow-candidates tbody tr").first
    expect(candidate).to_contain_text("官方微信公众号有教程")
    expect(candidate).to_contain_text("微信")


def test_a_routed_buyer_record_shows_the_intent_that_routed_it(open_page: OpenPage) -> None:
    shop = "intent-shop"
    agent, buyer = start_chat(open_page, shop)
    buyer_says(buyer, "你们机器人根本听不懂，给我转人工！！")
    supervisor = open_page("supervisor", "sup1", shop)
    rows = supervisor.locator("#records tbody tr")
    expect(rows).to_have_count(1)
    rows.first.click()
    expect(supervisor.locator("#record-text")).to_have_text("你们机器人根本听不懂，给我转人工！！")
    fields = supervisor.locator("#record-fields")
    expect(fields).to_contain_text("买家意图")
    expect(fields.locator("dt:text-is('买家意图') + dd")).to_have_text(re_text("wants_human"))
