from __future__ import annotations

import pytest

from classifiers.normalize.pinyin import PinyinView, fuzzy


@pytest.fixture(scope="module")
def view() -> PinyinView:
    return PinyinView()


@pytest.mark.parametrize(("syllable", "expected"), [
    ("shi", "si"), ("zhang", "zan"), ("xing", "xin"), ("feng", "fen"), ("wei", "wei"),
])
def test_fuzzy_folds_retroflex_and_nasal_finals(syllable: str, expected: str) -> None:
    assert fuzzy(syllable) == expected


def test_view_spells_chinese_and_keeps_latin(view: PinyinView) -> None:
    assert view.view("薇信") == "'wei''xin'"
    assert view.view("v信") == "v'xin'"
    assert view.view("卫星") == "'wei''xin'"  # xing ≈ xin


@pytest.mark.parametrize(("term", "form"), [
    ("微信", "'wei''xin'"), ("微信", "weixin"), ("微信", "wx"), ("微信", "vx"),
    ("微信", "v'xin'"), ("傻逼", "sb"), ("傻逼", "shabi"), ("傻逼", "'sa''bi'"), ("傻逼", "s'bi'"),
])
def test_term_forms_are_derived_from_pinyin(view: PinyinView, term: str, form: str) -> None:
    assert form in view.term_forms(term, initials=True)


def test_term_forms_of_initials_only_on_request(view: PinyinView) -> None:
    assert "cs" not in view.term_forms("畜生")
    assert {"chusheng", "c'sen'", "chus"} <= view.term_forms("畜生")
    assert "cs" in view.term_forms("畜生", initials=True)


def test_base_span_refuses_a_span_that_cuts_a_syllable(view: PinyinView) -> None:
    base = "快乐"  # 'kuai''le'
    assert view.base_span(base, 0, 10) == (0, 2)
    assert view.base_span(base, 1, 10) is None
    assert view.base_span(base, 0, 3) is None


def test_describe_names_the_kind_of_variant(view: PinyinView) -> None:
    assert view.describe("薇信", "微信") == "薇信→微信: homophone (wei xin)"
    assert "near-homophone" in view.describe("卫星", "微信")
    assert "pinyin" in view.describe("vx", "微信")
