"""`replyguard train --kind intent` and `replyguard eval --kind intent` on small data written
here, by two writers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.resources import default_intent_model
from gateway.cli.main import app

runner = CliRunner()

WRITERS = {
    "A": {"wants_human": ["转人工", "我要人工客服", "找个真人", "叫你们主管来", "人工人工",
                          "机器人没用换人"],
          "complaint": ["我要投诉", "给你差评", "打12315", "我去举报", "找律师告你们",
                        "申请小二介入"],
          "anger": ["气死我了", "什么破店", "你们是骗子吧", "太过分了", "受够了", "垃圾服务"],
          "ordinary": ["不用转人工了", "差评已经撤了", "人工费多少", "什么时候发货", "谢谢",
                       "在吗", "看了差评想问问", "能便宜点吗", "好的", "地址改一下"]},
    "B": {"wants_human": ["人工服务", "换个客服", "让经理来", "真人客服在吗", "转接人工",
                          "别自动回复了"],
          "complaint": ["投诉你们店", "必须差评", "找消协", "等着被举报", "我会起诉", "平台介入"],
          "anger": ["烦死了", "黑店", "恶心", "气炸了", "你们有病吧", "坑人"],
          "ordinary": ["不需要人工", "不投诉了", "安装有人工费吗", "包邮吗", "收到了",
                       "有货吗", "差评区说偏小", "发票怎么开", "好的谢谢", "快递到哪了"]},
}


def write_writer(path: Path, rows: dict[str, list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["context", "text", "intent", "situation"])
        for label, texts in rows.items():
            writer.writerows(["", text, label, "test"] for text in texts)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("intent")
    files = [write_writer(directory / f"intent_train_{w}.csv", rows) for w, rows in
             WRITERS.items()]
    heldout = write_writer(directory / "intent_heldout_H.csv",
                           {label: texts[:2] for label, texts in WRITERS["A"].items()})
    out = directory / "model"
    args = ["train", "--kind", "intent", "--heldout", str(heldout), "--min-df", "1",
            "--out", str(out), "--lowo"]
    for path in files:
        args += ["--data", str(path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, heldout


def test_cli_train_intent_writes_its_artefact_with_metrics(trained: tuple[Path, Path]) -> None:
    out, _ = trained
    meta = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert meta["format"] == "replyguard-intent"
    assert meta["training"]["writers"] == ["A", "B"]
    assert meta["training"]["dropped_as_heldout_duplicates"] == 8
    assert meta["training"]["rows"] == 56 - 8
    heldout = meta["metrics"]["heldout"]
    assert {"macro_f1", "confusion", "routing"} <= set(heldout)
    lowo = meta["metrics"]["leave_one_writer_out"]
    assert lowo["rows"] == 48  # every training row scored by the other writer's model
    assert 0.0 <= lowo["routing"]["ordinary_routed"] <= 1.0


def test_cli_eval_intent_compares_with_the_shipped_model(trained: tuple[Path, Path]) -> None:
    out, heldout = trained
    result = runner.invoke(app, ["eval", "--kind", "intent", "--model", str(out), "--data",
                                 str(heldout), "--compare", str(default_intent_model()),
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {str(out), str(default_intent_model())}
    for metrics in data.values():
        assert metrics["rows"] == 8  # two rows of each intent
        assert metrics["routing"]["per_label"]["ordinary"]["rows"] == 2
    printed = runner.invoke(app, ["eval", "--kind", "intent", "--model", str(out),
                                  "--data", str(heldout)])
    assert printed.exit_code == 0
    assert "escalations routed" in printed.output and "ordinary routed" in printed.output


def test_cli_intent_model_refused_as_tone_model() -> None:
    result = runner.invoke(app, ["eval", "--model", str(default_intent_model())])
    assert result.exit_code == 3
    assert "not a ReplyGuard tone model" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["train", "--kind", "intent", "--no-cold"], "--cold and --no-cold are for the tone model"),
    (["train", "--lowo"], "--lowo is for the intent model"),
    (["train", "--kind", "feelings"], "'feelings' is not one of"),
])
def test_cli_intent_options_misused_are_exit_2(args: list[str], message: str,
                                               tmp_path: Path) -> None:
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m")])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "m").exists()


def test_cli_train_intent_lowo_needs_two_writers(tmp_path: Path) -> None:
    one = write_writer(tmp_path / "intent_train_A.csv", WRITERS["A"])
    heldout = write_writer(tmp_path / "intent_heldout_H.csv", {"ordinary": ["在吗"]})
    result = runner.invoke(app, ["train", "--kind", "intent", "--data", str(one), "--heldout",
                                 str(heldout), "--min-df", "1", "--lowo",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3
    assert "at least two writers" in result.output
