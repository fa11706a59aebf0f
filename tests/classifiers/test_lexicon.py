from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from classifiers.errors import LexiconError
from classifiers.lexicon import Lexicon
from classifiers.results import MatchMode

WriteLexicon = Callable[[dict[str, str]], Path]


def test_lexicon_reads_options_defaults_and_comments(write_lexicon: WriteLexicon) -> None:
    directory = write_lexicon({
        "abuse.txt": "# insults\n@defaults severity=3\n傻逼\tvariants=pinyin\n滚\tmode=word\n"
                     "笨\tseverity=1 mode=message  # a comment\n",
        "allow.txt": "滚筒\n",
    })
    lexicon = Lexicon.load(directory)
    by_text = {t.text: t for t in lexicon.terms}
    assert by_text["傻逼"].severity == 3 and by_text["傻逼"].variants == "pinyin"
    assert by_text["滚"].mode is MatchMode.WORD
    assert by_text["笨"].severity == 1 and by_text["笨"].mode is MatchMode.MESSAGE
    assert by_text["滚"].source == "abuse.txt:4"
    assert [t.text for t in lexicon.allow] == ["滚筒"]
    assert lexicon.categories == ("abuse",)


@pytest.mark.parametrize(("content", "message"), [
    ("傻逼\tseverity=9\n", "abuse.txt:1: severity must be 1, 2 or 3"),
    ("傻逼\tmode=fuzzy\n", "abuse.txt:1: mode must be substring, word or message"),
    ("ok\n傻逼\tcolour=red\n", "abuse.txt:2: unknown option 'colour=red'"),
    ("傻逼\n傻逼\n", "abuse.txt:2: duplicate term '傻逼' (first on line 1)"),
    ("@include x\n", "abuse.txt:1: unknown directive '@include'"),
    ("傻逼  severity=3\n", "abuse.txt:1: term '傻逼  severity=3' contains a run of spaces"),
])
def test_lexicon_errors_name_file_and_line(write_lexicon: WriteLexicon, content: str,
                                           message: str) -> None:
    directory = write_lexicon({"abuse.txt": content})
    with pytest.raises(LexiconError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Lexicon.load(directory)


def test_lexicon_refuses_non_utf8(write_lexicon: WriteLexicon) -> None:
    directory = write_lexicon({})
    (directory / "abuse.txt").write_bytes("傻逼".encode("gbk"))
    with pytest.raises(LexiconError, match="not valid UTF-8"):
        Lexicon.load(directory)


def test_lexicon_refuses_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="not found"):
        Lexicon.load(tmp_path / "nope")
    with pytest.raises(LexiconError, match="no \\*.txt"):
        Lexicon.load(tmp_path)


def test_lexicon_digest_changes_with_content(write_lexicon: WriteLexicon) -> None:
    first = Lexicon.load(write_lexicon({"abuse.txt": "傻逼\n"})).digest
    second = Lexicon.load(write_lexicon({"abuse.txt": "傻逼\n白痴\n"})).digest
    assert first != second


def test_shipped_lexicons_load_and_are_substantial(shipped_lexicon: Lexicon) -> None:
    required = {"abuse", "discrimination", "sarcasm", "cold", "perfunctory", "off_platform",
                "escalation"}
    assert required <= set(shipped_lexicon.categories)
    assert len(shipped_lexicon.terms) >= 300
    assert len(shipped_lexicon.allow) >= 30
    per_category = {c: sum(t.category == c for t in shipped_lexicon.terms) for c in required}
    assert min(per_category.values()) >= 15, per_category


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def test_lexicon_reads_shop_overlays_beside_the_shared_files(tmp_path: Path) -> None:
    directory = _write(tmp_path, {"abuse.txt": "傻逼\n", "allow.txt": "滚筒\n",
                                  "shops/s1/abuse.txt": "@defaults severity=3\n拼夕夕\n",
                                  "shops/s1/allow.txt": "QQ糖\n",
                                  "shops/s2/abuse.txt": "# nothing yet\n"})
    lexicon = Lexicon.load(directory)
    assert [t.text for t in lexicon.terms] == ["傻逼"]  # overlays are not shared terms
    assert list(lexicon.shops) == ["s1"]  # a shop whose files hold no term has no overlay
    overlay = lexicon.shops["s1"]
    assert [(t.text, t.severity, t.source) for t in overlay.terms] == \
        [("拼夕夕", 3, "shops/s1/abuse.txt:2")]
    assert [t.text for t in overlay.allow] == ["QQ糖"]


def test_lexicon_version_covers_overlays_and_shared_digest_does_not(tmp_path: Path) -> None:
    directory = _write(tmp_path, {"abuse.txt": "傻逼\n"})
    plain = Lexicon.load(directory)
    assert plain.digest == plain.shared_digest  # no overlay: the version is what it was
    _write(directory, {"shops/s1/abuse.txt": "拼夕夕\n"})
    first = Lexicon.load(directory)
    _write(directory, {"shops/s1/abuse.txt": "拼夕夕\n拼多少\n"})
    second = Lexicon.load(directory)
    assert len({plain.digest, first.digest, second.digest}) == 3
    assert plain.shared_digest == first.shared_digest == second.shared_digest
    assert first.shops["s1"].digest != second.shops["s1"].digest


@pytest.mark.parametrize(("files", "message"), [
    ({"shops/s1/fraud.txt": "拼夕夕\n"}, "fraud.txt: a shop's file is named after a shared "
                                         "category"),
    ({"shops/s1/abuse.txt": "拼夕夕\n拼夕夕\n"}, "abuse.txt:2: duplicate term"),
    ({"shops/s:1/abuse.txt": "拼夕夕\n"}, "shops/ holds one directory per shop"),
    ({"shops/README.txt": "x\n"}, "shops/ holds one directory per shop"),
])
def test_lexicon_overlay_errors_name_the_file(tmp_path: Path, files: dict[str, str],
                                              message: str) -> None:
    directory = _write(tmp_path, {"abuse.txt": "傻逼\n", **files})
    with pytest.raises(LexiconError, match=message):
        Lexicon.load(directory)


def test_lexicon_reload_reuses_unchanged_overlays_and_rechecks_their_names(
        tmp_path: Path) -> None:
    directory = _write(tmp_path, {"abuse.txt": "傻逼\n", "cold.txt": "爱买不买\n",
                                  "shops/s1/abuse.txt": "拼夕夕\n",
                                  "shops/s2/cold.txt": "随便你\n"})
    first = Lexicon.load(directory)
    _write(directory, {"shops/s2/cold.txt": "随便你\n爱咋咋地\n"})
    second = Lexicon.load(directory, first)
    assert second.shops["s1"] is first.shops["s1"]  # not parsed again
    assert [t.text for t in second.shops["s2"].terms] == ["随便你", "爱咋咋地"]
    (directory / "cold.txt").unlink()  # s2's file no longer names a shared category
    with pytest.raises(LexiconError, match="cold.txt: a shop's file is named after"):
        Lexicon.load(directory, second)
