"""`replyguard replay`: the diff of a one-line policy change, on the public service replies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.datasets import SERVICE_REPLIES
from classifiers.resources import default_lexicon_dir, default_policy_file
from gateway.cli.main import app
from tests.conftest import require_shared

# Lowering the cold-tone threshold moves some real replies from none to notice.
ONE_LINE = ("when: {roles: [agent, bot], tone: {cold: 0.95}}",
            "when: {roles: [agent, bot], tone: {cold: 0.6}}")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["replay", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    text = default_policy_file().read_text(encoding="utf-8")
    assert text.count(ONE_LINE[0]) == 1
    path = tmp_path / "candidate.yaml"
    path.write_text(text.replace(*ONE_LINE), encoding="utf-8")
    return path


def test_replay_one_line_change_on_public_service_replies(candidate: Path) -> None:
    replies = require_shared(SERVICE_REPLIES["ecd_taobao"][0])
    code, out, _ = run(str(replies), "--policy", str(candidate), "--json")
    assert code == 0
    diff = json.loads(out)
    assert diff["total"] > 1000 and not diff["bad_records"]
    assert diff["current_version"] != diff["candidate_version"]
    moves = {(m["from"], m["to"]): m for m in diff["moves"]}
    assert diff["changed"] == sum(m["count"] for m in moves.values()) > 0
    # a lower threshold can only add cold-tone notices
    assert set(moves) <= {("none", "notice")}
    example = moves[("none", "notice")]["examples"][0]
    assert (example["current_rule"], example["candidate_rule"]) == (None, "tone-cold")
    tiers = diff["tiers"]
    assert tiers["notice"]["candidate"] - tiers["notice"]["current"] == diff["changed"]
    assert sum(t["current"] for t in tiers.values()) == diff["total"]


def test_replay_same_configuration_changes_nothing(tmp_path: Path) -> None:
    messages = tmp_path / "chat.jsonl"
    rows = [{"text": "加我薇信", "from": "agent", "shop": "s1", "user": "a1"},
            {"text": "您好，有什么可以帮您", "from": "agent"},
            {"text": "我要投诉", "from": "buyer"}]
    messages.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                        encoding="utf-8")
    code, out, _ = run(str(messages), "--policy", str(default_policy_file()), "--json")
    assert code == 0
    diff = json.loads(out)
    assert (diff["total"], diff["changed"]) == (3, 0)
    assert diff["tiers"]["block"]["current"] == 1
    assert diff["tiers"]["route-to-human"]["current"] == 1


def test_replay_replays_escalation_with_the_records_times(tmp_path: Path) -> None:
    policy = default_policy_file().read_text(encoding="utf-8") + (
        "escalation:\n  - {id: repeat-cold, when: {categories: [cold]}, count: 2, within: 1h}\n")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(policy, encoding="utf-8")
    messages = tmp_path / "log.jsonl"
    rows = [{"text": "爱买不买", "user": "a1", "time": "2026-11-20T10:00:00+08:00"},
            {"text": "爱买不买", "user": "a1", "time": "2026-11-20T10:30:00+08:00"},
            {"text": "爱买不买", "user": "a1", "time": "2026-11-20T12:00:00+08:00"}]
    messages.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                        encoding="utf-8")
    code, out, _ = run(str(messages), "--policy", str(candidate), "--json")
    assert code == 0
    diff = json.loads(out)
    assert diff["changed"] == 1  # only the second, 30 minutes after the first


def test_replay_text_report_and_bad_records(tmp_path: Path, candidate: Path) -> None:
    messages = tmp_path / "mixed.jsonl"
    messages.write_text('{"text": "您好"}\nnot json at all {\n{"text": 5}\n'
                        '{"text": "好的", "from": "boss"}\n{"text": ""}\n', encoding="utf-8")
    code, out, _ = run(str(messages), "--policy", str(candidate))
    assert code == 0
    assert "messages per tier" in out and "1 messages replayed" in out
    assert "4 bad records skipped" in out


def test_replay_csv_needs_a_text_column(tmp_path: Path, candidate: Path) -> None:
    table = tmp_path / "export.csv"
    table.write_text("msg,who\n你好,agent\n", encoding="utf-8")
    code, _, err = run(str(table), "--policy", str(candidate))
    assert code == 2 and "needs a 'text' column" in err


@pytest.mark.parametrize(("args", "code", "message"), [
    (["nope.jsonl", "--policy", "policies.yaml"], 2, "no such file"),
    (["{input}", "--policy", "{broken}"], 3, "YAML syntax error"),
])
def test_replay_usage_errors_are_messages(tmp_path: Path, args: list[str], code: int,
                                          message: str) -> None:
    (tmp_path / "in.jsonl").write_text('{"text": "您好"}\n', encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("version: 1\nrules: [\n", encoding="utf-8")
    filled = [a.format(input=tmp_path / "in.jsonl", broken=tmp_path / "broken.yaml")
              for a in args]
    exit_code, _, err = run(*filled)
    assert exit_code == code and message in err


def test_replay_applies_a_shops_lexicon_overlay_to_that_shops_records(tmp_path: Path) -> None:
    lexicons = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), lexicons)
    (lexicons / "shops/s1").mkdir(parents=True)
    (lexicons / "shops/s1/off_platform.txt").write_text("拼夕夕\tseverity=3\n", encoding="utf-8")
    messages = tmp_path / "chat.jsonl"
    rows = [{"text": "那个拼夕夕", "shop": "s1"}, {"text": "那个拼夕夕", "shop": "s2"},
            {"text": "这款拼夕夕上也有"}]
    messages.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                        encoding="utf-8")
    for shop, moved in ((None, 1), ("s1", 2), ("s2", 1)):
        options = ["--shop", shop] if shop else []
        code, out, err = run(str(messages), "--policy", str(default_policy_file()),
                             "--lexicons", str(lexicons), "--json", *options)
        assert code == 0, err
        diff = json.loads(out)
        assert diff["changed"] == moved  # the s1 record, and unnamed ones with --shop s1
        assert {(m["from"], m["to"]) for m in diff["moves"]} == {("none", "block")}


def test_replay_shows_what_an_intent_threshold_moves(tmp_path: Path) -> None:
    """Buyer messages are replayed through the intent model: a candidate that routes only
    wants_human and complaint moves the angry buyer from route-to-human to none, and nothing
    else; a withdrawn request stays with the bot under both."""
    messages = tmp_path / "buyers.jsonl"
    rows = [{"text": t, "from": "buyer"} for t in ("转人工", "我要投诉你们", "不用转人工了",
                                                    "你们这什么破店，气死我了")]
    messages.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                        encoding="utf-8")
    text = default_policy_file().read_text(encoding="utf-8")
    rule = "unless_intent: {ordinary: 0.3}"
    assert text.count(rule) == 1
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text.replace(rule, "intent: {wants_human: 0.7, complaint: 0.7}"),
                         encoding="utf-8")
    code, out, _ = run(str(messages), "--policy", str(candidate), "--json")
    assert code == 0
    diff = json.loads(out)
    assert diff["tiers"]["route-to-human"]["current"] == 3
    assert diff["tiers"]["route-to-human"]["candidate"] == 2
    assert diff["changed"] == 1
    [move] = diff["moves"]
    assert (move["from"], move["to"]) == ("route-to-human", "none")
    assert move["examples"][0]["text"] == "你们这什么破店，气死我了"


def test_replay_scores_each_record_against_its_context(tmp_path: Path) -> None:
    """A `context` field (the buyer's message, or a log export's context list) reaches the
    policy: a candidate that moves the acknowledgement rules from questions to thanks moves
    exactly the records whose context says so."""
    shipped = default_policy_file().read_text(encoding="utf-8")
    rule = "context: {acts: [question, polar, complaint]}}\n    tier: notice\n    reason: 买家在等"
    assert shipped.count(rule) == 2  # on the listed terms, and on the reply's structure
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(shipped.replace(rule, rule.replace("question, polar, complaint",
                                                            "thanks")), encoding="utf-8")
    log_context = [{"role": "agent", "user": "a1", "text": "亲，已发货"},
                   {"role": "buyer", "user": "b1", "text": "谢谢亲"}]
    stale_context = list(reversed(log_context))  # the agent spoke last: no context
    rows = [{"text": "好的", "context": "发什么快递？"}, {"text": "好的", "context": "谢谢"},
            {"text": "好的", "context": log_context}, {"text": "好的", "context": stale_context},
            {"text": "好的"}, {"text": "好的", "context": 5}]
    messages = tmp_path / "log.jsonl"
    messages.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                        encoding="utf-8")
    code, out, _ = run(str(messages), "--policy", str(candidate), "--json")
    assert code == 0, out
    diff = json.loads(out)
    assert diff["total"] == 5 and [b["line"] for b in diff["bad_records"]] == [6]
    moves = {(m["from"], m["to"]): m["count"] for m in diff["moves"]}
    assert moves == {("notice", "none"): 1, ("none", "notice"): 2}
    table = tmp_path / "rows.csv"
    table.write_text("context,text\n发什么快递？,好的\n,好的\n", encoding="utf-8")
    code, out, _ = run(str(table), "--policy", str(candidate), "--json")
    assert code == 0
    assert {(m["from"], m["to"]): m["count"] for m in json.loads(out)["moves"]} == {
        ("notice", "none"): 1}
