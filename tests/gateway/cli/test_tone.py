"""`replyguard train` and `replyguard eval` on small data written here."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.resources import default_tone_model
from gateway.cli.main import app

runner = CliRunner()

ROWS = {
    "polite": ["亲，您好，有货的哦", "好的亲，马上为您安排发货", "抱歉亲，这款暂时缺货，到货通知您",
               "亲，退款已经处理好了", "您好，尺码表在详情页，建议拍大一码哦", "感谢亲的耐心等待"],
    "cold": ["自己看详情页", "不知道，问快递", "说了不退就是不退", "爱买不买", "没空", "别问我"],
    "perfunctory": ["嗯", "哦", "随便", "可能吧", "再说吧", "好吧"],
    "sarcastic": ["您高兴就好", "是是是您说的都对", "你是第一天网购吗", "买不起就别买",
                  "您可真是个大聪明", "这么懂您自己开店吧"],
    "abusive": ["你有病吧", "滚", "神经病", "你脑子进水了", "去死吧你", "你算什么东西"],
}


def write_rows(path: Path, rows: dict[str, list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for label, texts in rows.items():
            writer.writerows([text, label] for text in texts)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("train")
    train = write_rows(directory / "train.csv", ROWS)
    heldout = write_rows(directory / "heldout.csv",
                         {label: texts[:2] for label, texts in ROWS.items()})
    out = directory / "model"
    result = runner.invoke(app, ["train", "--data", str(train), "--heldout", str(heldout),
                                 "--no-cold", "--min-df", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, heldout


def test_cli_train_writes_versioned_artefact_with_metrics(trained: tuple[Path, Path]) -> None:
    out, _ = trained
    meta = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert meta["format_version"] == 1
    assert meta["training"]["dropped_as_heldout_duplicates"] == 10  # held-out rows never trained
    assert meta["training"]["rows"] == 20
    assert len(meta["training"]["data_sha256"]) == 64
    assert {"macro_f1", "per_class", "confusion", "thresholds"} <= set(
        meta["metrics"]["heldout"])


def test_cli_eval_json_and_compare(trained: tuple[Path, Path]) -> None:
    out, heldout = trained
    result = runner.invoke(app, ["eval", "--model", str(out), "--data", str(heldout),
                                 "--compare", str(default_tone_model()), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {str(out), str(default_tone_model())}
    assert len(data[str(out)]["confusion"]) == 5                   # trained without COLD
    assert len(data[str(default_tone_model())]["confusion"]) == 6  # shipped: + neutral (COLD)
    for metrics in data.values():
        assert metrics["rows"] == 10


def test_cli_eval_prints_tables(trained: tuple[Path, Path]) -> None:
    out, heldout = trained
    result = runner.invoke(app, ["eval", "--model", str(out), "--data", str(heldout)])
    assert result.exit_code == 0
    assert "macro-F1" in result.output and "precision" in result.output
    assert "…" not in result.output  # no figure cut short in an 80-column terminal


def test_cli_train_bad_label_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n好的亲,polite\n滚,rude\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--data", str(bad), "--no-cold",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3
    assert "bad.csv:3" in result.output and "unknown label 'rude'" in result.output


def test_cli_eval_refuses_other_format(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text('{"format": "replyguard-tone", "format_version": 7}')
    result = runner.invoke(app, ["eval", "--model", str(tmp_path)])
    assert result.exit_code == 3
    assert "format version 7 is not supported" in result.output


def test_cli_train_too_little_data_is_a_clear_error(tmp_path: Path) -> None:
    train = write_rows(tmp_path / "t.csv", {"polite": ["好的"], "cold": ["不知道"]})
    result = runner.invoke(app, ["train", "--data", str(train), "--no-cold",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3
    assert "no training rows for label(s): abusive, perfunctory, sarcastic" in result.output


def test_cli_train_refuses_cold_test_split(tmp_path: Path) -> None:
    test_split = tmp_path / "test.csv"
    test_split.write_text("text,label\n你们这些人真恶心,1\n", encoding="utf-8")
    train = write_rows(tmp_path / "t.csv", ROWS)
    result = runner.invoke(app, ["train", "--data", str(train), "--cold", str(test_split),
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "evaluation only" in " ".join(result.output.split())
    assert not (tmp_path / "m").exists()


def test_cli_train_missing_cold_split_named(tmp_path: Path) -> None:
    train = write_rows(tmp_path / "t.csv", ROWS)
    result = runner.invoke(app, ["train", "--data", str(train), "--cold", str(tmp_path / "x.csv"),
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "x.csv: no such file" in " ".join(result.output.split())


@pytest.mark.parametrize("args", [["train", "--add", "{missing}", "--out", "{out}"],
                                  ["train", "--data", "{missing}", "--out", "{out}"],
                                  ["eval", "--data", "{missing}"]])
def test_cli_a_missing_input_file_is_exit_2(args: list[str], tmp_path: Path) -> None:
    missing, out = tmp_path / "my_rows.csv", tmp_path / "m"
    result = runner.invoke(app, [a.format(missing=missing, out=out) for a in args])
    assert result.exit_code == 2, result.output
    assert "my_rows.csv: no such file" in " ".join(result.output.split())
    assert not out.exists()


def test_cli_train_reads_every_cold_split_given(tmp_path: Path) -> None:
    train = write_rows(tmp_path / "t.csv", ROWS)
    heldout = write_rows(tmp_path / "h.csv", {label: texts[:2] for label, texts in ROWS.items()})
    splits = []
    for name, rows in (("train.csv", "你们这些人真恶心,1\n地域之间多交流挺好,0\n"),
                       ("dev.csv", "这帮人就是垃圾,1\n")):
        splits += ["--cold", str(tmp_path / name)]
        (tmp_path / name).write_text("text,label\n" + rows, encoding="utf-8")
    out = tmp_path / "m"
    result = runner.invoke(app, ["train", "--data", str(train), "--heldout", str(heldout),
                                 *splits, "--min-df", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    training = json.loads((out / "model.json").read_text(encoding="utf-8"))["training"]
    assert training["files"][-2:] == [f"{tmp_path.name}/train.csv", f"{tmp_path.name}/dev.csv"]
    assert training["rows"] == 20 + 3


def test_cli_retrains_the_sarcasm_stage_alone_from_cached_first_stage_rows(
        trained: tuple[Path, Path], tmp_path: Path) -> None:
    """--sarcasm-only with --sarcasm-cache: the stage is refitted from the cached first-stage
    rows (no tone model is fitted: every writer is in the cache) beside the existing model.
    The cached probabilities come from the small model trained here, which is unsure of two
    real writers' replies (the shipped model has learnt them)."""
    from dataclasses import asdict

    from classifiers.normalize import Normalizer
    from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS
    from classifiers.tone.classifier import ToneClassifier
    from classifiers.tone.features import tone_view
    from classifiers.tone.sarcasm import FILE_NAME, SarcasmStage
    from classifiers.tone.sarcasm_training import WriterRow, read_contexts
    from classifiers.tone.training import read_labelled

    shipped = default_tone_model()
    model = tmp_path / "model"
    model.mkdir()
    for path in shipped.iterdir():
        if path.is_file() and path.name != FILE_NAME:
            (model / path.name).write_bytes(path.read_bytes())
    copied = (model / "model.json").read_bytes()
    tone = ToneClassifier.from_directory(trained[0])
    normalizer = Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])
    files, rows = [], []
    for name in ("T17", "T20"):
        path = shipped.parent / "data" / f"tone_train_{name}.csv"
        files += ["--data", str(path)]
        contexts = read_contexts(path)
        rows += [asdict(WriterRow(contexts.get(int(r.source.rpartition(":")[2])), r.text,
                                  r.label, name,
                                  tone.predict(tone_view(normalizer(r.text).text)).scores))
                 for r in read_labelled(path)]
    cache = tmp_path / "rows.json"
    cache.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["train", "--sarcasm-only", "--sarcasm-cache", str(cache),
                                 *files, "--out", str(model)])
    assert result.exit_code == 0, result.output
    assert "a tone model without" not in result.output  # nothing was fitted
    stage = SarcasmStage.from_file(model / FILE_NAME)
    assert stage.meta["training"]["files"] == ["data/tone_train_T17.csv",
                                               "data/tone_train_T20.csv"]
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == len(rows)
    assert (model / "model.json").read_bytes() == copied  # the tone model is left as it was


def test_cli_sarcasm_only_needs_a_model_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--sarcasm-only", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "model.json" in result.output
    result = runner.invoke(app, ["train", "--kind", "intent", "--sarcasm-only"])
    assert result.exit_code == 2
    assert "tone model" in result.output
