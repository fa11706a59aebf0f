"""Conversation context: what the buyer's previous message asks of the reply.

A lone 好的 is perfunctory as the answer to 这件会缩水吗 and polite as the answer to 谢谢. The
scorer reads the buyer's message the agent or bot is answering into a `ContextSignal`: its
dialogue act and whether it needs an answer (a question, a request, a complaint) or not (thanks,
goodbye, a confirmation, "I'll wait", a greeting, an emoji, a plain statement). The policy
conditions on it (`when: {context: {needs_answer: true}}`, docs/policy.md).

The acts are read from the message's structure, not from a list of messages: question marks,
interrogative words and particles (怎么 什么 多少 几 哪 吗 呢, A-不-A), request verbs, complaint
words, and whole clauses made only of courtesy phrases (谢谢, 好的, 稍等, 在吗, 再见). It runs
on the text folded once by the scorer's one-to-one normalisation steps (width, confusables,
case, script: `Normalizer.fold`), so 謝謝 and ＯＫ are read like 谢谢 and ok, in a few
microseconds, and only when a rule asks.

`ContextReader` is the interface: a dialogue-act head of a learned buyer model can serve it
later in place of `DialogueActs` without the scorer or the policy changing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol


class Act(StrEnum):
    """The dialogue act of a buyer message, as far as the reply is concerned."""

    QUESTION = "question"        # an open question: how, what, when, how much, why
    POLAR = "polar"              # a yes/no question: 有货吗, 能不能退 (有的 / 可以 answer it)
    REQUEST = "request"          # 帮我改一下地址, 麻烦尽快发货
    COMPLAINT = "complaint"      # 怎么还没到, 东西坏了, 我要投诉
    GREETING = "greeting"        # 在吗, 你好: 在的 answers it
    THANKS = "thanks"
    GOODBYE = "goodbye"          # 再见, 没有了, 不用了
    CONFIRM = "confirm"          # 好的, 嗯嗯, 知道了, 是的
    WAIT = "wait"                # 稍等, 我看看, 我问问
    EMOJI = "emoji"              # only emoji or platform emoji codes
    STATEMENT = "statement"      # anything else: information given, an order number


NEEDS_ANSWER = frozenset({Act.QUESTION, Act.POLAR, Act.REQUEST, Act.COMPLAINT})


class ContextSignal:
    """The buyer's previous message (`text`, as given) and what it asks of the reply.

    Read on first use: only a reply that reaches a rule with a context condition (a lone
    acknowledgement, a perfunctory tone) needs the act, so most replies never pay for it.
    `unanswered` is the answer model's probability that the reply does not answer this message
    (classifiers/tone/answer.py), None when no answer model is loaded; the scorer binds it to
    the reply (`answered_by`), and it too is computed on first use.
    """

    __slots__ = ("_act", "_answer", "_fold", "_folded", "_read", "_unanswered", "text")

    def __init__(self, text: str, read: Callable[[str], Act],
                 fold: Callable[[str], str] = str) -> None:
        """`read` gives the act of the folded text; `fold` folds it (the normaliser's
        one-to-one steps), once for the act and the answer model alike."""
        self.text = text
        self._read = read
        self._fold = fold
        self._folded: str | None = None
        self._act: Act | None = None
        self._answer: Callable[[ContextSignal], float] | None = None
        self._unanswered: float | None = None

    @classmethod
    def known(cls, text: str, act: Act) -> ContextSignal:
        """A signal whose act is already known (a learned model's, or a test's)."""
        signal = cls(text, lambda _: act)
        signal._act = act
        return signal

    @property
    def folded(self) -> str:
        if self._folded is None:
            self._folded = self._fold(self.text)
        return self._folded

    @property
    def act(self) -> Act:
        if self._act is None:
            self._act = self._read(self.folded)
        return self._act

    @property
    def needs_answer(self) -> bool:
        return self.act in NEEDS_ANSWER

    def answered_by(self, answer: Callable[[ContextSignal], float]) -> None:
        """Bind the reply: `answer(self)` gives P(the reply leaves this message unanswered)."""
        self._answer = answer

    @property
    def unanswered(self) -> float | None:
        if self._unanswered is None and self._answer is not None:
            self._unanswered = self._answer(self)
        return self._unanswered

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "act": str(self.act),
                                "needs_answer": self.needs_answer}
        unanswered = self.unanswered
        if unanswered is not None:
            data["unanswered"] = round(unanswered, 4)
        return data

    def __repr__(self) -> str:
        return f"ContextSignal({self.text!r}, {self._act or 'unread'})"


class ContextReader(Protocol):
    """Reads a buyer message, already folded by the scorer, into its dialogue act."""

    def act(self, normalized: str) -> Act: ...


# Clauses: split on anything that is not a letter, digit or CJK character; the question mark
# is kept as a signal before the split.
_CLAUSE_SPLIT = re.compile(r"[\W_]+")
_EMOJI_CODE = re.compile(r"\[[^\[\]\s]{1,8}\]|#e-s\S*")
_QUESTION_MARK = re.compile(r"[?？¿]")

# Trailing particles and softeners that do not change a clause's act.
_SOFT = r"(?:啊|呀|哈|啦|了|哦|喔|噢|呢|的|哒|滴|嘛|亲|亲亲|哟|吧|噻|么么哒)*"


def _any(*phrases: str) -> str:
    return "|".join(phrases)


# Courtesy clauses, in the order their act wins when a message has several (好的谢谢 is
# thanks, 谢谢再见 is goodbye).
_COURTESY_PHRASES: tuple[tuple[Act, str], ...] = (
    (Act.GOODBYE, _any("再见", "拜拜", "bye", "byebye", "88", "晚安", "回头见", "下次见",
                       "没有了", "没了", "没有", "没事了?", "不用了?", "不需要了?", "没问题了",
                       "就这些", "就这样", "先这样", "没别的", "没其他(?:的|问题)?")),
    (Act.THANKS, _any("谢谢(?:你|您)?", "多谢", "感谢(?:你|您)?", "谢了", "谢啦", "thx",
                      "thanks?", "thank you", "3q", "辛苦(?:你|您)?(?:了|啦)?",
                      "麻烦(?:你|您)了", "太好了", "好评", "给力", "赞", "棒", "爱你", "不客气",
                      "没关系", "不用谢")),
    (Act.WAIT, _any("稍等(?:一?下)?", "等(?:一?下|等|会儿?|我)",
                    "我(?:先|再)?(?:看看|问问|想想|考虑(?:一?下)?|研究(?:一?下)?)",
                    "考虑(?:一?下)?", "回头再说", "晚点再说", "我先去", "不(?:着)?急",
                    "(?:你们?|您)?慢慢来")),
    (Act.GREETING, _any("在吗", "在么", "在不在", "还在吗", "有人(?:在)?吗", "你好", "您好",
                        "hi", "hello", "哈喽", "嗨", "客服", "掌柜", "老板", "店家", "亲",
                        "早上好", "晚上好", "下午好", "早")),
    (Act.CONFIRM, _any("好的", "好吧", "好滴", "好哒", "好嘞", "好呀", "好叻", "那好", "那行", "好",
                       "行", "可以", "ok", "okay", "嗯", "恩", "哦", "噢", "喔", "是", "对",
                       "没问题", "收到", "知道(?:了)?", "明白(?:了)?", "了解(?:了)?", "懂(?:了)?",
                       "这样(?:啊)?", "原来(?:如此|这样)")),
)
# A clause made only of courtesy phrases (repeated, mixed, softened: 好的谢谢, 嗯嗯, 谢谢啦),
# and which acts it holds.
_COURTESY_CLAUSE = re.compile(
    rf"(?:(?:{'|'.join(phrases for _, phrases in _COURTESY_PHRASES)}){_SOFT})+")
_COURTESY = tuple((act, re.compile(phrases)) for act, phrases in _COURTESY_PHRASES)

# Complaints outright: checked before anything else (怎么还没到 is a complaint, not a question).
_COMPLAINT = re.compile(
    "投诉|差评|举报|12315|骗|坑人|坑爹|垃圾|太慢|太差|太烂|好慢|怎么还|怎么又|还没(?:收到|到|发|退|处理|回|好)"
    "|一直(?:没|不)|都没|不满意|失望|生气|气死|搞什么|什么鬼|什么玩意|假货|退钱|欺骗|忽悠|敷衍|耍我"
    "|给个说法|给个方案|怎么回事")
# A problem reported as a statement (杯子碎了, 拉杆拉不出来, 优惠券没减钱): checked after the
# questions, so 会不会掉色 stays a yes/no question. Defects, a result verb negated (V不C, V不了,
# 没V), a shortfall.
_PROBLEM = re.compile(
    "坏了|破了|碎了|烂了|裂了?|漏(?:水|气|油|了)?|歪|起泡|虫|发霉|变质|臭|掉色|褪色|开线|脱胶|划痕|凹|瘪"
    "|化了|黑屏|死机|卡住|卡顿|拉肚子|过敏|少了|缺了|少发|漏发|错发|发错|发成|不见了|不一样|色差|不对|错了"
    "|有问题|质量.{0,2}(?:差|问题)|过期|扣了|扣钱"
    "|[^\\W\\d_我你他她它您]不(?:了|出|进|上|下|住|紧|开|动|亮|响|着|起|掉|通)"
    "|不(?:制冷|制热|工作|充电|显示|出水|通电|能用|好用|合适|匹配)|用不了|没法用|没(?:减|到|收到|反应|效果|声音|电)"
    "|只(?:有|发了|收到|到了)")
_OPEN_QUESTION = re.compile(
    "怎么|怎样|咋|什么|啥|多少|几(?:天|个|号|点|时|次|件|种|块|斤|码|米|寸|折|日|月|年)|哪|为什么|为何"
    "|何时|多久|多长|多大|多重|多高|多宽|谁|如何|是否")
_POLAR = re.compile(
    r"(?:吗|么|嘛|呢|不)$|(有没有|能不能|可不可以|是不是|会不会|要不要|行不行|好不好|对不对|在不在"
    r"|包不包|送不送|退不退|换不换|用不用|需不需要|可以不|行吗|能否)")
_WAITING = re.compile("等(?:你|您)|我(?:先|再)?(?:问问|看看|想想|考虑|商量)|稍等|回头")
_REQUEST = re.compile(
    "请|麻烦|帮(?:我|忙|下|一下)|给我|我要|我想|想要|希望|需要|尽快|快点|赶紧|安排|改(?:一?下|成|为)"
    "|备注|催|申请|发(?:我|给我)|退(?:款|货)|换货|补发|开(?:发票|票)|修改|取消")


class DialogueActs:
    """The structural reader: no model, no table per message, a handful of regexes."""

    @staticmethod
    def act(normalized: str) -> Act:
        asked = _QUESTION_MARK.search(normalized) is not None
        body = _EMOJI_CODE.sub(" ", normalized) if "[" in normalized or "#" in normalized \
            else normalized
        clauses = [c for c in _CLAUSE_SPLIT.split(body) if c]
        if not clauses:  # punctuation or emoji only: ？？ prods for an answer, 👍 does not
            return Act.QUESTION if asked else Act.EMOJI
        courtesy: set[Act] = set()
        open_clauses = []
        for clause in clauses:
            if _COURTESY_CLAUSE.fullmatch(clause):
                courtesy.update(act for act, pattern in _COURTESY if pattern.search(clause))
            else:
                open_clauses.append(clause)
        rest = " ".join(open_clauses)
        if _COMPLAINT.search(rest):
            return Act.COMPLAINT
        if not open_clauses:
            if asked and courtesy <= {Act.CONFIRM}:  # 好的？ 可以？ is asking, not agreeing
                return Act.POLAR
            return next(act for act, _ in _COURTESY if act in courtesy)
        if _OPEN_QUESTION.search(rest):
            return Act.QUESTION
        if asked or any(_POLAR.search(c) for c in open_clauses):
            return Act.POLAR
        if _PROBLEM.search(rest):
            return Act.COMPLAINT
        if _WAITING.search(rest):  # before requests: 我想想 is not 我想要
            return Act.WAIT
        if _REQUEST.search(rest):
            return Act.REQUEST
        return Act.STATEMENT
