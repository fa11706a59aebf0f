"""The compiled scanner (classifiers/_scanner.pyx) against pyahocorasick, the reference: the same
(end, value) pairs in the same order, for the shipped lexicon's keys and for dense random text,
and over the pinyin view read as it goes (`find_spelled`) as over the view built; and the
compiled translate tables against `str.translate`."""

from __future__ import annotations

import random
from importlib.util import find_spec

import pytest

from classifiers.key_automaton import KeyAutomaton
from classifiers.lexicon import Lexicon
from classifiers.normalize.base import CharMapStep, CompiledTable
from classifiers.normalize.pinyin import PinyinView
from classifiers.scorer import Scorer


def both(entries: dict[str, str]) -> tuple[KeyAutomaton[str], KeyAutomaton[str]]:
    return KeyAutomaton(entries), KeyAutomaton(entries, compiled=False)


def test_scanner_is_built() -> None:
    """The install compiles the scanner (hatch_build.py): the matcher must not quietly fall back
    to pyahocorasick's slower child look-ups."""
    assert find_spec("classifiers._scanner") is not None


def test_scanner_finds_what_pyahocorasick_finds_for_the_shipped_keys(
        mini_scorer: Scorer, shipped_lexicon: Lexicon) -> None:
    normalize = mini_scorer.normalizer
    # (over 256 first characters: the scanner looks the root's children up in a table; an
    # astral first character is still found among them)
    keys = sorted({normalize(t.text).text for t in shipped_lexicon.terms} - {""} | {"🐷东西"})
    pinyin = PinyinView()
    forms = sorted({form for key in keys[:300] for form in pinyin.term_forms(key)})
    rng = random.Random(15)
    for entries, texts in (
            ({k: f"v{i}" for i, k in enumerate(keys)},
             [f"亲，{k}的事我们{keys[(i * 7) % len(keys)]}处理" for i, k in enumerate(keys)]),
            ({k: f"p{i}" for i, k in enumerate(forms)},
             [pinyin.view(f"你加{k}我") for k in keys[:300]] + forms)):
        alphabet = sorted(set("".join(entries)))
        texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
                  for _ in range(2000)]
        texts += ["", "🐧号加我", "\U0001F600" + texts[0], "a" * 50, "你个🐷东西"]
        compiled, reference = both(entries)
        assert len(compiled) == len(reference) == len(entries)
        found = 0
        for text in texts:
            expected = list(reference.find(text))
            assert list(compiled.find(text)) == expected, text
            found += len(expected)
        assert found > len(texts)  # the texts do hold keys, many of them overlapping


def test_scanner_reads_the_pinyin_view_as_the_view_built(shipped_lexicon: Lexicon) -> None:
    pinyin = PinyinView()
    assert pinyin.spelling is not None
    words = [t.text for t in shipped_lexicon.terms if t.variants != "none"]
    forms = sorted({form for word in words for form in pinyin.term_forms(word)})
    compiled, reference = both({k: f"p{i}" for i, k in enumerate(forms)})
    rng = random.Random(16)
    # homophones of the terms and latin spellings among other characters, whose syllables
    # the view spells out too
    sounds = "".join(sorted({c for c in "".join(words) if ord(c) in pinyin.syllables}))
    alphabet = sounds + "的了是在加我微信薇芯威新sbvxwxq 123'，。🐷" + "\ud7ff\uffff"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
             for _ in range(3000)] + words + ["", "a'xin'b"]
    found = 0
    for text in texts:
        expected = list(reference.find(pinyin.view(text)))
        assert list(reference.find_spelled(text, pinyin)) == expected
        assert list(compiled.find_spelled(text, pinyin)) == expected, text
        found += len(expected)
    assert found > len(texts) // 4


@pytest.mark.parametrize("keys", [
    ["he", "she", "his", "hers"],  # the textbook case: outputs along failure links
    ["a", "aa", "aaa", "aaaa"],  # every suffix a key: longest first at one end
    ["abcd", "bc", "c", "bcde", "cdx"],  # a failure into the middle of another key
    ["傻逼", "逼", "傻", "🐷东西", "东西"],  # BMP and astral characters
    ["x"],
])
def test_scanner_reports_overlapping_keys_in_pyahocorasick_order(keys: list[str]) -> None:
    compiled, reference = both({k: k.upper() for k in keys})
    rng = random.Random(len(keys))
    alphabet = sorted(set("".join(keys))) + ["-"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert list(compiled.find(text)) == list(reference.find(text)), text


def test_empty_automaton_finds_nothing() -> None:
    compiled, reference = both({})
    assert len(compiled) == 0
    assert list(compiled.find("傻逼")) == list(reference.find("傻逼")) == []


def test_spelling_translates_as_str_translate(mini_scorer: Scorer) -> None:
    """Every translate table of the normaliser (each one-to-one step and the fused ones) and
    the pinyin view's: the compiled translation is `str.translate` with the table as a list."""
    normalizer = mini_scorer.normalizer
    tables = [step.compiled for step in normalizer.steps if isinstance(step, CharMapStep)]
    tables += [stage for stage in normalizer._stages if isinstance(stage, CompiledTable)]
    tables.append(PinyinView().compiled)
    rng = random.Random(17)
    for table in tables:
        assert table.spelling is not None
        mapped = sorted(code for code in table.mapping if code < 0x10000)
        alphabet = [chr(rng.choice(mapped)) for _ in range(200)] + list("亲，在的ab1 ") + [
            "\ud800", "\udfff", "\uffff", "🐷", "\U000e0041"]
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50)))
                 for _ in range(500)] + [""]
        changed = 0
        for text in texts:
            expected = text.translate(table.bmp)
            assert table.spelling.translate(text) == expected, text
            changed += expected != text
        assert changed > len(texts) // 2
