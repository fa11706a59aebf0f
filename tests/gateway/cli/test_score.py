"""The `replyguard` command as a user runs it: a real subprocess for the streaming contract,
typer's runner for the rest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.resources import default_lexicon_dir
from gateway.cli.main import app

runner = CliRunner()


def run_jsonl(payload: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "gateway", "score", "--jsonl", *args],
                          input=payload, capture_output=True, timeout=120, check=False)


def test_cli_score_prints_human_verdict() -> None:
    result = runner.invoke(app, ["score", "加我薇信"])
    assert result.exit_code == 0, result.output
    assert "block" in result.output and "homophone" in result.output


def test_cli_score_json_is_one_object() -> None:
    result = runner.invoke(app, ["score", "我要投诉", "--from", "buyer", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["tier"], data["from"], data["categories"]) == (
        "route-to-human", "buyer", ["escalation"])


def test_cli_score_jsonl_streams_one_result_per_line_and_survives_bad_lines() -> None:
    lines = [
        json.dumps({"text": "亲，您好", "from": "agent"}, ensure_ascii=False).encode(),
        "加我薇信".encode(),                               # a non-JSON line is the text
        b"",                                              # empty
        b"\xff\xfe\x00garbage",                           # not UTF-8
        json.dumps({"text": 5}).encode(),                 # wrong type
        json.dumps({"text": "x", "from": "boss"}).encode(),
        ("好" * 100_000).encode(),                        # too long
        "好\x07的".encode(),                               # control character
        json.dumps({"text": "我要投诉", "from": "buyer"}, ensure_ascii=False).encode(),
    ]
    result = run_jsonl(b"\n".join(lines) + b"\n")
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert out[0]["tier"] == "none" and out[0]["text"] == "亲，您好"
    assert out[1]["tier"] == "block" and out[1]["categories"] == ["off_platform"]
    for index in (2, 3, 4, 5, 6, 7):
        assert set(out[index]) == {"line", "error"} and out[index]["line"] == index + 1
    assert "not valid UTF-8" in out[3]["error"]
    assert "消息过长" in out[6]["error"]
    assert out[8]["tier"] == "route-to-human"
    for record in (out[0], out[1], out[8]):
        assert {"text", "tier", "rule", "categories", "matches"} <= set(record)


def test_cli_score_jsonl_from_option_sets_default_role() -> None:
    result = run_jsonl("我要投诉\n".encode(), "--from", "buyer")
    assert json.loads(result.stdout)["tier"] == "route-to-human"


@pytest.mark.parametrize(("args", "message"), [
    (["score"], "missing TEXT"),
    (["score", "x", "--jsonl"], "either TEXT or --jsonl"),
    (["score", ""], "消息为空"),
    (["score", "x", "--from", "boss"], "Invalid value"),
])
def test_cli_unusable_arguments_exit_2_without_traceback(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_bad_lexicon_exits_3_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "abuse.txt").write_text("傻逼\tseverity=7\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "x", "--lexicons", str(tmp_path)])
    assert result.exit_code == 3
    assert "abuse.txt:1" in result.output and "severity" in result.output


def test_cli_bad_policy_exits_3_with_line(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nrules:\n  - {id: a, when: {categories: [nope]}, tier: block}\n")
    result = runner.invoke(app, ["score", "x", "--policy", str(policy)])
    assert result.exit_code == 3
    assert "p.yaml:3" in result.output and "unknown category 'nope'" in result.output


def test_cli_policy_with_tone_but_no_model_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_TONE_MODEL", "")
    result = runner.invoke(app, ["score", "你好"])
    assert result.exit_code == 3
    assert "no tone model is loaded" in result.output


def test_cli_score_as_a_shop_uses_its_overlay(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lexicons = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), lexicons)
    (lexicons / "shops/s1").mkdir(parents=True)
    (lexicons / "shops/s1/off_platform.txt").write_text("拼夕夕\tseverity=3\n", encoding="utf-8")
    monkeypatch.setenv("REPLYGUARD_LEXICON_DIR", str(lexicons))
    tiers = [json.loads(runner.invoke(app, ["score", "去拼夕夕找我", "--json", *args]).output)
             ["tier"] for args in ([], ["--shop", "s1"], ["--shop", "s2"])]
    assert tiers == ["none", "block", "none"]
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in (
        {"text": "去拼夕夕找我"}, {"text": "去拼夕夕找我", "shop": "s2"}, {"text": "x", "shop": 5}))
    result = runner.invoke(app, ["score", "--jsonl", "--shop", "s1"], input=lines + "\n")
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [r.get("tier") for r in out[:2]] == ["block", "none"]
    assert out[2] == {"line": 3, "error": '"shop" must be a string'}


@pytest.mark.parametrize(("context", "tier", "act"), [
    ("这件洗了会缩水吗？", "notice", "polar"), ("谢谢亲", "none", "thanks"), (None, "none", None)])
def test_cli_score_context_option(context: str | None, tier: str, act: str | None) -> None:
    args = ["score", "好的", "--json", *(["--context", context] if context else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tier"] == tier
    assert (data["context"]["act"] if act else data.get("context")) == act


def test_cli_score_jsonl_context_field() -> None:
    lines = [{"text": "好的", "context": "怎么还没发货"}, {"text": "好的", "context": "拜拜"},
             {"text": "好的"}, {"text": "好的", "context": ["不是字符串"]},
             {"text": "好的", "context": ""}]
    payload = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    result = run_jsonl(payload.encode())
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o.get("tier") for o in out] == ["notice", "none", "none", None, None]
    assert out[0]["context"]["act"] == "complaint" and "context" not in out[2]
    assert "context" in out[3]["error"] and "上下文为空" in out[4]["error"]
    # --context is the default for lines without their own
    again = run_jsonl(b'{"text": "\\u597d\\u7684"}\n', "--context", "发什么快递？")
    assert json.loads(again.stdout)["tier"] == "notice"
