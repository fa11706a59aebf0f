"""`replyguard lexicon`: list, add, remove and audit terms of the shared lexicon or a shop's
overlay on this host's files, validated, rolled back and audited like the QA API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.resources import default_lexicon_dir, default_policy_file
from gateway.cli.main import app


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(default_lexicon_dir(), tmp_path / "lexicons")
    shutil.copy(default_policy_file(), tmp_path / "policies.yaml")
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPLYGUARD_LEXICON_DIR", str(tmp_path / "lexicons"))
    monkeypatch.setenv("REPLYGUARD_POLICY_FILE", str(tmp_path / "policies.yaml"))
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["lexicon", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_lexicon_cli_edits_a_shop_overlay_and_audits_it(config: Path) -> None:
    code, out, err = run("add", "off_platform", "拼夕夕", "--shop", "s1", "--severity", "3",
                         "--user", "ops1")
    assert code == 0, err
    assert out.startswith("applied: configuration ")
    overlay = config / "lexicons/shops/s1/off_platform.txt"
    assert overlay.read_text(encoding="utf-8") == "拼夕夕\tseverity=3\n"
    code, out, _ = run("list", "off_platform", "--shop", "s1")
    assert (code, out) == (0, "拼夕夕\tseverity=3 mode=substring variants=none\t"
                              "shops/s1/off_platform.txt:1\n")
    code, out, _ = run("list", "--shop", "s1")
    assert "off_platform\t1\tshops/s1/off_platform.txt\n" in out
    assert run("list", "off_platform", "--shop", "s2")[1] == ""
    code, out, _ = run("remove", "off_platform", "拼夕夕", "--shop", "s1", "--user", "ops1")
    assert code == 0 and not overlay.parent.exists()
    code, out, _ = run("audit", "--shop", "s1")
    entries = [json.loads(line) for line in out.splitlines()]
    assert [(e["user"], e["shop"], e["lexicon_shop"], e["action"], e["result"])
            for e in entries] == [("ops1", "*", "s1", "add", "applied"),
                                  ("ops1", "*", "s1", "remove", "applied")]
    assert run("audit", "--shop", "s2")[1] == ""


@pytest.mark.parametrize(("args", "code", "message"), [
    (("add", "abuse", "~"), 2, "只有标点或符号"),
    (("add", "abuse", "的", "--shop", "s1"), 2, "只有一个字"),
    (("add", "off_platform", "微信"), 3, "duplicate term"),
    (("add", "off_platform", "微信", "--shop", "s1"), 2, "共享词库"),
    (("add", "nope", "拼夕夕"), 2, "未知的词库类别"),
    (("remove", "abuse", "没有这个词"), 2, "没有"),
    (("add", "abuse", "拼夕夕", "--shop", "../x"), 2, "shop '../x'"),
])
def test_lexicon_cli_refuses_with_a_message_and_changes_nothing(
        config: Path, args: tuple[str, ...], code: int, message: str) -> None:
    before = {p: p.read_bytes() for p in (config / "lexicons").rglob("*.txt")}
    got, _, err = run(*args)
    assert got == code and message in err, err
    assert {p: p.read_bytes() for p in (config / "lexicons").rglob("*.txt")} == before


def test_lexicon_cli_edits_nothing_while_the_configuration_does_not_build(config: Path) -> None:
    (config / "policies.yaml").write_text("version: 1\nrules: [oops", encoding="utf-8")
    code, _, err = run("add", "off_platform", "拼夕夕")
    assert code == 3 and "policies.yaml" in err
    assert "拼夕夕" not in (config / "lexicons/off_platform.txt").read_text(encoding="utf-8")
