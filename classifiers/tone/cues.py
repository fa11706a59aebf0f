"""What the tone model reads besides the characters of the text: word edges and two shapes.

The model is linear over character n-grams and vocabulary words; three things are invisible
to it:

- **Word edges.** 垃圾 inside 垃圾袋, 滚 inside 滚筒, 操 inside 操作 carry the n-grams of the
  insult: one writer's abusive rows teach the model that 垃圾 is an insult, and it then scores
  the product word 垃圾桶 as one. The lexicon's allow phrases are the project's list of everyday
  words that contain an insult term (the keyword path suppresses hits inside them); inside each
  occurrence of such a word the insult term's characters are read as `MASK`, so the word keeps
  its other characters (□□桶) and the insult's n-grams are not there.
- **Shifting the problem.** A cold reply that blames the buyer's conditions or pushes the buyer
  to a third party (物业, 厂家, 快递, your house, your phone, "why didn't you say so") without any
  help, offer or follow-up, in whatever words: a second person or a push verb, plus a third
  party or a condition of the buyer, and none of the words of help. The honest counterparts
  name the same party or condition WITH help (我们帮您联系, 建议您, 稍等我查一下). Where the shape
  holds, `SHIFT_MARK` is appended, and the model learns its weight from the writers' rows.
- **Contempt without a swear word.** A judgement of the buyer as a person (schooling, brains,
  age, poverty, origin, looks, an animal, their family) aimed at the buyer, with none of the
  words of help: `CONTEMPT_MARK`.

The word lists name kinds of wording, written from the shape (never from an evaluation row). They
are written into the model's directory at training (`cues.json`), and inference reads them from
there: a model is always read with the cues it was trained with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick

from classifiers.lexicon import Lexicon

FORMAT = "replyguard-tone-cues"
FORMAT_VERSION = 1
FILE_NAME = "cues.json"
# Characters the normaliser does not produce from chat text (a test pins it), so they mean only
# what the cues put there (a typed one is an ordinary, rare character).
MASK = "□"
SHIFT_MARK = "〓"
# The lexicon category whose terms are masked inside everyday words.
INSULT_CATEGORY = "abuse"

# The shape's parts. Second person and verbs that send the buyer somewhere:
SECOND_PERSON = ("你", "您", "你们", "你家", "你自己", "自个")
PUSH = ("找", "问", "联系", "打给", "去问", "去找", "自己去", "自己弄", "自己想办法", "看着办",
        "叫", "让", "问问", "找找", "该找", "该问", "去打", "自己处理", "自己解决", "自己看")
# A third party who might be responsible, or a condition of the buyer (their home, device, use,
# family, timing), or the question why the buyer did not say so:
ELSEWHERE = (
    "物业", "快递", "物流", "厂家", "厂商", "官方", "平台", "师傅", "电工", "水电工", "维修点",
    "网点", "驿站", "房东", "开发商", "供电", "燃气公司", "自来水", "品牌方", "银行", "保险",
    "村委", "村里", "邻居", "家人", "孩子", "老公", "老婆", "媳妇", "儿子", "女儿", "别人",
    "商场", "快递员", "派送员", "装修", "工人", "运营商", "电信", "移动", "12345",
    "你家", "你那", "你们那", "你那边", "你们家", "房子", "电压", "线路", "电路", "水压", "插座",
    "网络", "信号", "手机", "系统", "设备", "保温", "使用不当", "不会用", "用法", "安装不当",
    "你自己", "自己的问题", "当时", "早说", "不早说", "咋不说", "怎么不说", "之前不说", "为啥不说",
    "为什么不说", "现在才说", "才来说", "早干嘛", "早干啥", "你们那边", "你们自己",
    # the buyer's own doing: their use, their handling, not having read
    "自己", "人为", "不当", "操作问题", "使用问题", "是不是你", "是不是您", "你是不是", "您是不是",
    "没看", "不看", "看清楚", "你没", "您没", "问他", "找他", "他们", "你们小区", "你们村",
)
# Help, an offer, an apology or a follow-up: the honest counterpart's words.
HELP = (
    "帮", "给您", "为您", "我们", "我这边", "这边", "我来", "可以", "建议", "麻烦", "抱歉",
    "不好意思", "对不起", "稍等", "核实", "查一下", "查询", "跟进", "安排", "协助", "反馈", "放心",
    "负责", "补发", "退款", "换货", "谢谢", "感谢", "请", "方便", "辛苦", "理解", "一起",
    "联系方式", "处理好", "马上", "尽快", "随时", "教您", "指导", "告诉您", "提供", "沟通",
    "已经", "别担心", "我现在", "我刚", "陪", "免费", "通知", "告诉我", "您好", "我去",
)

# Contempt without a swear word: a judgement of the buyer as a person — schooling, brains, age,
# poverty, origin, looks, an animal, their family — aimed at the buyer (a second person), with
# none of the words of help (the respectful counterpart speaks of age or budget to help).
PERSON = ("你", "你们", "你这", "你家", "你全家", "你妈", "你爹", "你爸", "你奶奶", "你这种",
          "你这样的")
JUDGED = (
    "文化", "读书", "读过书", "识字", "认字", "小学", "文盲", "上过学", "义务教育", "脑子", "智商",
    "脑袋", "没长", "穷", "没钱", "买不起", "要饭", "乞丐", "叫花子", "老糊涂", "糊涂", "老眼昏花",
    "老不", "一把年纪", "土包子", "乡下", "山里", "农村人", "村里人", "长得", "张脸", "丑", "猪",
    "狗", "驴", "猴", "牲口", "癞蛤蟆", "全家", "祖宗", "八辈子", "投胎", "德性", "德行",
    "什么东西", "算什么", "配", "也配", "没教养", "没家教", "素质",
)
CONTEMPT_MARK = "〒"


@dataclass(frozen=True)
class ToneCues:
    """`compounds`: everyday word → its masked spelling; `parts`: the shapes' word lists by part
    (second_person, push, elsewhere, help for the shifting shape; person, judged and help for
    contempt); a shape whose parts are absent is not marked."""

    compounds: dict[str, str]
    parts: dict[str, tuple[str, ...]]
    # one automaton over every word above (built from them, so not compared)
    _automaton: ahocorasick.Automaton | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        automaton = ahocorasick.Automaton()
        entries: dict[str, list[str]] = {}
        for word in self.compounds:
            entries.setdefault(word, []).append("compound")
        for part, words in self.parts.items():
            for word in words:
                entries.setdefault(word, []).append(part)
        for word, parts in entries.items():
            automaton.add_word(word, (len(word), tuple(parts)))
        if entries:
            automaton.make_automaton()
        object.__setattr__(self, "_automaton", automaton if entries else None)

    @classmethod
    def from_lexicon(cls, lexicon: Lexicon) -> ToneCues:
        """The everyday words of the lexicon's allow list that contain an insult term, each with
        those terms' characters masked; the shapes' word lists from this module."""
        insults = [t.text for t in lexicon.terms if t.category == INSULT_CATEGORY and not t.parts]
        compounds = {}
        for phrase in sorted({a.text for a in lexicon.allow}):
            masked = [False] * len(phrase)
            for term in insults:
                start = phrase.find(term)
                while start >= 0:
                    masked[start:start + len(term)] = [True] * len(term)
                    start = phrase.find(term, start + 1)
            if any(masked):
                compounds[phrase] = "".join(MASK if m else c for c, m in zip(phrase, masked))
        return cls(compounds, {"second_person": SECOND_PERSON, "push": PUSH,
                               "elsewhere": ELSEWHERE, "help": HELP, "person": PERSON,
                               "judged": JUDGED})

    def read(self, view: str) -> str:
        """The text the tone model reads of `view` (the normalised text, titles emptied)."""
        automaton = self._automaton
        if automaton is None or not view:
            return view
        found: set[str] = set()
        spans: list[tuple[int, int]] = []
        for end, (length, parts) in automaton.iter(view):
            found.update(parts)
            if "compound" in parts:
                spans.append((end + 1 - length, end + 1))
        if spans:
            chars = list(view)
            for start, stop in spans:
                masked = self.compounds[view[start:stop]]
                for i, c in enumerate(masked, start):
                    if c == MASK:
                        chars[i] = MASK
            view = "".join(chars)
        if "help" in found:
            return view
        if "elsewhere" in found and ("second_person" in found or "push" in found):
            view += SHIFT_MARK
        if "judged" in found and "person" in found:
            view += CONTEMPT_MARK
        return view

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION,
                "compounds": self.compounds, "parts": {k: list(v) for k, v in self.parts.items()}}

    def write(self, directory: Path) -> None:
        (directory / FILE_NAME).write_text(
            json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: Any) -> ToneCues:
        """The cues of a parsed `cues.json`; ValueError says what is wrong (the tone model's
        loader reports it as its own error, with the file)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a ReplyGuard tone cues file")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"tone cues format version {data.get('format_version')!r} is not supported "
                f"(this ReplyGuard reads version {FORMAT_VERSION}); retrain with "
                "`replyguard train`")
        compounds, parts = data.get("compounds"), data.get("parts")
        if not isinstance(compounds, dict) or not isinstance(parts, dict) or any(
                not isinstance(k, str) or not isinstance(v, str) or len(k) != len(v)
                for k, v in compounds.items()) or any(
                not isinstance(v, list) or not all(isinstance(w, str) and w for w in v)
                for v in parts.values()):
            raise ValueError("cues file has a bad entry")
        return cls(compounds, {k: tuple(v) for k, v in parts.items()})
