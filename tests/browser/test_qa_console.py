"""The QA console in Chromium: the try-it box, the lexicon editor (a term QA adds intercepts the
agent's next message at once), the policy editor with problems at their lines and a replay
preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.chat import OpenPage, agent_says, my_bubble, re_text, start_chat

Shot = Callable[..., Path]


def test_qa_try_it_highlights_the_original_text_with_the_trace_on_hover(
        open_page: OpenPage) -> None:
    qa = open_page("qa", "qa1", "try-shop")
    qa.locator("#try-text").fill("亲，加我薇信吧")
    qa.get_by_role("button", name="检测").click()
    expect(qa.locator("#try-tier")).to_have_text(re_text("block"))
    expect(qa.locator("#try-rule")).to_have_text("off-platform")
    mark = qa.locator("#try-original mark.hit").first
    expect(mark).to_have_text("加我薇信")  # the ORIGINAL text, not the normalised 微信
    mark.hover()
    expect(mark).to_have_attribute("title", re_text("加我薇信→加我微信: homophone"))
    expect(qa.locator("#try-original")).to_have_text("亲，加我薇信吧")
    expect(qa.locator("#try-matches tbody tr").first).to_contain_text("off_platform")


def test_qa_try_it_judges_a_reply_against_the_buyer_message_and_shows_buyer_intent(
        open_page: OpenPage) -> None:
    qa = open_page("qa", "qa1", "try-shop")
    # the same lone 好的: perfunctory to a question that needed an answer, fine after thanks
    qa.locator("#try-text").fill("好的")
    qa.locator("#try-context").fill("这个什么时候发货？")
    qa.get_by_role("button", name="检测").click()
    expect(qa.locator("#try-tier")).to_have_text(re_text("notice"))
    expect(qa.locator("#try-context-act")).to_have_text("提问（question），需要回答")
    expect(qa.locator("#try-intent")).to_have_text("（仅买家消息）")
    qa.locator("#try-context").fill("谢谢亲，收到了")
    qa.get_by_role("button", name="检测").click()
    expect(qa.locator("#try-tier")).to_have_text(re_text("none"))
    expect(qa.locator("#try-context-act")).to_have_text("感谢（thanks），无需回答")
    # a buyer message: the intent bars, the winning label marked, and the route it earns
    qa.locator("#try-context").fill("")
    qa.locator("#try-text").fill("你们这个机器人根本听不懂，给我转人工！！")
    qa.locator("#try-from").select_option("buyer")
    qa.get_by_role("button", name="检测").click()
    expect(qa.locator("#try-tier")).to_have_text(re_text("route-to-human"))
    expect(qa.locator("#try-intent .tone-row").first).to_contain_text("wants_human ◀")
    expect(qa.locator("#try-context-act")).to_have_text("—")


def test_qa_adds_a_term_and_the_agents_next_message_is_intercepted(
        open_page: OpenPage, screenshots: Shot) -> None:
    agent, buyer = start_chat(open_page, "lexicon-shop")
    agent_says(agent, "这款拼夕夕上也有")
    expect(my_bubble(agent, "这款拼夕夕上也有").locator(".state-text")).to_have_text("已发送")
    qa = open_page("qa", "qa1", "lexicon-shop")
    qa.locator("#lexicon-category").select_option("off_platform")
    qa.locator("#term-text").fill("拼夕夕")
    qa.locator("#term-severity").select_option("3")
    qa.get_by_role("button", name="添加").click()
    expect(qa.locator("#term-status")).to_have_text(re_text("已添加「拼夕夕」"))
    expect(qa.locator("#terms tbody tr[data-term=拼夕夕]")).to_have_count(1)
    expect(qa.locator("#audit tbody tr").first).to_contain_text("拼夕夕")
    # the same message is intercepted now, without any reload of the gateway
    agent_says(agent, "这款拼夕夕上也有")
    expect(agent.locator("#messages .bubble.mine.state-blocked")).to_have_count(1)
    # a duplicate is refused with the reason next to the form
    qa.locator("#term-text").fill("拼夕夕")
    qa.get_by_role("button", name="添加").click()
    expect(qa.locator("#term-error")).to_be_visible()
    expect(qa.locator("#term-error")).to_contain_text("拼夕夕")
    expect(qa.locator("#term-status")).to_be_hidden()
    qa.locator("#try-text").fill("拼 夕 夕上更便宜，加我薇信")
    qa.get_by_role("button", name="检测").click()
    expect(qa.locator("#try-original mark.hit")).to_have_text(["拼 夕 夕", "加我薇信"])
    screenshots(qa, "page-qa", full_page=True)
    qa.locator("#lexicon-search").fill("拼")
    qa.locator("#terms tbody tr[data-term=拼夕夕]").get_by_role("button", name="删除").click()
    expect(qa.locator("#term-status")).to_have_text(re_text("删除「拼夕夕」"))
    agent_says(agent, "这款拼夕夕上真的也有")
    expect(my_bubble(agent, "这款拼夕夕上真的也有").locator(".state-text")).to_have_text("已发送")


def test_qa_policy_problems_show_at_their_line_and_replay_previews_the_candidate(
        open_page: OpenPage) -> None:
    shop = "policy-shop"
    agent, buyer = start_chat(open_page, shop)
    agent_says(agent, "嗯")  # a notice record in this shop's log
    expect(my_bubble(agent, "嗯").locator(".tier")).to_have_text("提醒")
    qa = open_page("qa", "qa1", shop)
    editor = qa.locator("#policy-text")
    expect(editor).to_have_value(re_text("id: perfunctory"))
    running = editor.input_value()
    lines = running.splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "id: perfunctory" in text)
    editor.fill(running.replace("tier: notice", "tier: shout"))
    qa.get_by_role("button", name="检查").click()
    problem = qa.locator(f"#policy-problems li.error[data-line='{line}']")
    expect(problem).to_contain_text(f"第 {line} 行")
    expect(qa.locator(f"#policy-gutter div.bad[data-line='{line}']")).to_have_count(1)
    editor.fill(running.replace("categories: [perfunctory]}, tier: notice",
                                "categories: [perfunctory]}, tier: suggest-edit"))
    qa.get_by_role("button", name="检查").click()
    expect(qa.locator("#policy-status")).to_have_text(re_text("检查通过"))
    qa.get_by_role("button", name="回放预览").click()
    expect(qa.locator("#replay-tiers tr[data-tier=suggest-edit] td").nth(2)).to_have_text("1")
    expect(qa.locator("#replay-moves tbody tr").first).to_contain_text("嗯")
