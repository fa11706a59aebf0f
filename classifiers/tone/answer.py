"""The answer model: does an agent's reply answer the buyer's message it replies to?

Perfunctory (回复敷衍) is a judgement of a PAIR, not of a reply: 好的 answers 谢谢 and
fails 这件会缩水吗; 看情况吧 fails 几天能到; 亲亲，欢迎光临～ fails 能开发票吗 however polite
it is; 有货 is curt and a full answer to 有货吗. The tone model sees the reply alone, so it
calls every lone acknowledgement perfunctory or none of them.

This model reads both messages: the buyer message's dialogue act (classifiers/context.py),
whether the reply carries an answer of the kind asked (a number to 多少/几, a time to
什么时候, a yes/no word to a yes/no question), their lexical overlap, the reply's length
and whether it is a lone acknowledgement or bare answer (classifiers/policy/shape.py), and
the reply's character unigrams and bigrams without forms of address and particles — each
feature twice, once as it is and once marked by whether the buyer's message needs an
answer, so that 好的 can weigh against a question and for a thanks. A binary logistic
regression (scikit-learn at training, classifiers/tone/answer_training.py) gives
P(unanswered). It ships inside the tone model's directory as `answer.json` (feature → weight,
intercept: plain data, nothing unpickled) and is scored here, only for replies whose buyer message
is known and only when a rule asks: the named features in Python (a few regular expressions and
dict look-ups), the reply's character grams and the overlap in the compiled kernel
(`GramWeights`, `shared_bigrams` in _kernel.pyx; `pair_features` stays the definition, which
training uses and a test pins the kernel to).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifiers.context import NEEDS_ANSWER, Act
from classifiers.errors import ConfigError
from classifiers.policy.shape import MessageShape
from classifiers.tone.weights_file import read_weights_file

if TYPE_CHECKING:
    from classifiers.tone._kernel import GramWeights

FORMAT = "replyguard-answer"
FORMAT_VERSION = 1
FILE_NAME = "answer.json"

# The buyer asks for a quantity (a price, a count, a size, a duration) or a time.
_ASKS_NUMBER = re.compile("多少|几|多大|多重|多高|多宽|多长|多久|价格|价钱|尺码|码数|尺寸|运费")
_ASKS_TIME = re.compile("什么时候|啥时候|几时|何时|多久|几天|哪天|几号|几点|时间|到货|发货")
_ASKS_WHERE = re.compile("哪|在哪|地址|物流|快递|单号")
_ASKS_WHY = re.compile("为什么|为啥|怎么回事|咋回事")
_ASKS_HOW = re.compile("怎么|如何|咋|怎样|方法|步骤")
# What an answer of each kind carries.
_DIGITS = re.compile(r"[0-9０-９一二三四五六七八九十两百千万半]")
_TIME = re.compile("今天|明天|后天|今晚|明早|上午|下午|晚上|周[一二三四五六日末]|星期"
                   "|[0-9一二三四五六七八九十两]+(?:天|号|点|小时|分钟|个?工作日|月|日)"
                   "|马上|立刻|已经|当天|次日|隔天")
# A yes or no first, after any greeting, address or filler (恩恩是的, 您好可以的: real agents open
# with them, and 恩恩 before 是的 read as no answer at all).
_POLAR_ANSWER = re.compile("^(?:(?:亲爱的|亲亲|亲|您好|你好|嗯+|恩+|哦+|噢+|好的)[，,。！!～~ ]*)*"
                           "(?:有|没有|没|是|不是|可以|不可以|不行|行|能|不能"
                           "|会|不会|支持|不支持|包|不包|送|不送|对|不对|要|不用|需要|不需要)")
_ACTION = re.compile("帮您|给您|为您|我这边|马上|已经|安排|处理|申请|补发|退款|换货|联系"
                     "|核实|查询|查了|登记|备注|反馈|催")
# Vague replies that commit to nothing, and canned replies that address no question.
_VAGUE = re.compile("看情况|应该|差不多|不一定|到时候|大概|可能|也许|估计|再说|不清楚"
                    "|不太清楚|不知道|说不好|说不准|看看吧|等等吧|都行|随便")
_TEMPLATE = re.compile("详情页|欢迎光临|关注店铺|收藏|活动|优惠|下单|拍下|客服在线|很高兴为您服务"
                       "|有什么可以帮|感谢您的支持|祝您|生活愉快|以页面为准|以实物为准")
# Features that are one pattern found or not: in the reply, and what the buyer asks.
_REPLY_KINDS = (("reply-action", _ACTION), ("reply-vague", _VAGUE), ("reply-template", _TEMPLATE))
_ASKS = (("asks-where", _ASKS_WHERE), ("asks-why", _ASKS_WHY), ("asks-how", _ASKS_HOW))
_CLAUSE = re.compile(r"[\W_]+")
# Forms of address and sentence-final particles carry register, not content: real agents put
# 亲 and 哦 in nearly every answer, while the writers' perfunctory replies carried them more
# often than their answers did, and the first model learnt 亲 and 哦 as signs of a non-answer.
# The reply's characters are read without them (the shape and length features still see them).
_REGISTER = re.compile("亲爱的|亲亲|亲|宝宝|宝|客官|哦+|噢+|喔+|呢|哈+|啦|呀|哒|滴|嘛|~|～")
_LENGTHS = (2, 4, 8, 16, 32)
# The length feature's name per length (the last for every longer reply).
_LENGTH_NAMES = [f"len<={next((n for n in _LENGTHS if length <= n), 'more')}"
                 for length in range(_LENGTHS[-1] + 2)]
# The needs-an-answer marks: every feature is present as it is and under one of them.
_MARKS = ("N|", "F|")


def _bigrams(chars: str) -> set[str]:
    """The character bigrams of `chars` (text with `_CLAUSE` already removed)."""
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _shared_bigrams(context_chars: str, reply_chars: str) -> int:
    """How many distinct bigrams the buyer's message and the reply share (both without
    `_CLAUSE`): the overlap feature. The compiled kernel's `shared_bigrams` counts the same."""
    return len(_bigrams(context_chars) & _bigrams(reply_chars))


def pair_features(context: str, act: Act, reply: str) -> dict[str, float]:
    """The features of (buyer message, reply), both already normalised by the scorer
    (`context` folded, `reply` the normalised base view), each present (1.0) as it is and
    marked by whether the message needs an answer. Training computes them here too."""
    mark = "N|" if act in NEEDS_ANSWER else "F|"
    shape = _named_features(context, act, reply, _shared_bigrams)
    features: dict[str, float] = {}
    for name in [*shape, *(_gram_name(g) for g in _grams(_chunks(reply)))]:
        features[name] = 1.0
        features[mark + name] = 1.0
    return features


def _gram_name(gram: str) -> str:
    return f"c:{gram}" if len(gram) == 1 else f"b:{gram}"


def _chunks(reply: str) -> str:
    """The reply's runs of letters and digits without forms of address and particles,
    separated by single spaces: what its character grams are read from."""
    return _CLAUSE.sub(" ", _REGISTER.sub(" ", reply))


def _grams(chunks: str) -> set[str]:
    """The character unigrams of `chunks` and its bigrams within a chunk, each once (the
    features are binary). The compiled kernel's `GramWeights.total` reads the same grams."""
    grams: set[str] = set()
    for chunk in chunks.split():
        grams.update(chunk)
        grams.update(chunk[i:i + 2] for i in range(len(chunk) - 1))
    return grams


def _named_features(context: str, act: Act, reply: str,
                    shared_bigrams: Callable[[str, str], int]) -> list[str]:
    """The pair's features other than the reply's character grams, without the
    needs-an-answer mark (`shared_bigrams` counts the overlap: `_shared_bigrams` or the
    kernel's)."""
    own: list[str] = [f"act={act}"]
    # the reply's characters without punctuation and spaces, stripped once for the length,
    # marks-only and overlap features
    chars = _CLAUSE.sub("", reply)
    length = len(chars)
    own.append(_LENGTH_NAMES[min(length, len(_LENGTH_NAMES) - 1)])
    lone = MessageShape(reply).lone
    if lone is not None:
        own.append(f"lone={lone}")
    if not chars:
        own.append("marks-only")
    shared = shared_bigrams(_CLAUSE.sub("", context), chars)
    own.append("overlap=0" if not shared else "overlap=1" if shared == 1 else "overlap=2+")
    has_digits = _DIGITS.search(reply) is not None
    has_time = _TIME.search(reply) is not None
    if has_digits:
        own.append("reply-number")
    if has_time:
        own.append("reply-time")
    own.extend(name for name, pattern in _REPLY_KINDS if pattern.search(reply))
    if _ASKS_NUMBER.search(context):
        own.append("asks-number" + ("+given" if has_digits else "-missing"))
    # a yes or no answers a yes/no question about a time (今天能发货吗 → 可以的) as fully as a time
    polar_answered = act is Act.POLAR and _POLAR_ANSWER.search(reply) is not None
    if _ASKS_TIME.search(context):
        own.append("asks-time" + ("+given" if has_time or has_digits or polar_answered
                                  else "-missing"))
    own.extend(name for name, pattern in _ASKS if pattern.search(context))
    if act is Act.POLAR:
        own.append("polar" + ("+answered" if polar_answered else "-unanswered"))
    return own


class AnswerModelError(ConfigError):
    """The answer model file is damaged or of another format version."""


class AnswerModel:
    """P(the reply leaves the buyer's message unanswered), from `answer.json`."""

    def __init__(self, weights: dict[str, float], intercept: float, meta: dict[str, Any], *,
                 accelerated: bool = True) -> None:
        """`accelerated`: read the reply's characters with the compiled kernel when it is
        built (the same sum; a test pins it to `pair_features`); False forces Python."""
        self.weights = weights
        self.intercept = intercept
        self.meta = meta
        # Per mark, each feature's weight plus its marked twin's: the named features keyed by
        # name, the character grams by the gram itself: one look-up per feature at inference,
        # and no name built per character.
        self._named: dict[str, dict[str, float]] = {}
        self._grams: dict[str, dict[str, float]] = {}
        for mark in _MARKS:
            named: dict[str, float] = {}
            grams: dict[str, float] = {}
            for name, weight in weights.items():
                plain = name.removeprefix(mark)
                if plain != name or "|" not in name[:2]:
                    if plain.startswith(("c:", "b:")):
                        grams[plain[2:]] = grams.get(plain[2:], 0.0) + weight
                    else:
                        named[plain] = named.get(plain, 0.0) + weight
            self._named[mark], self._grams[mark] = named, grams
        self.kernel_: GramWeights | None = None
        self._overlap: Callable[[str, str], int] = _shared_bigrams
        if not accelerated:
            return
        try:  # imported here: the kernel module imports numpy, which the CLI's start-up avoids
            from classifiers.tone._kernel import GramWeights, shared_bigrams
        except ImportError:  # a checkout never installed, or a pure-Python build on purpose
            return
        # one row per gram, one column per mark (in _MARKS' order)
        every = sorted({g for grams in self._grams.values() for g in grams if 1 <= len(g) <= 2})
        self.kernel_ = GramWeights(every, [[self._grams[m].get(g, 0.0) for m in _MARKS]
                                           for g in every])
        self._overlap = shared_bigrams

    @classmethod
    def from_file(cls, path: Path, *, accelerated: bool = True) -> AnswerModel:
        data = read_weights_file(path, FORMAT, FORMAT_VERSION, "answer model", AnswerModelError)
        weights = data.get("weights")
        intercept = data.get("intercept")
        if not isinstance(weights, dict) or not isinstance(intercept, (int, float)) or not all(
                isinstance(v, (int, float)) for v in weights.values()):
            raise AnswerModelError("answer model weights are malformed", path=path)
        meta = {k: v for k, v in data.items() if k != "weights"}
        return cls({str(k): float(v) for k, v in weights.items()}, float(intercept), meta,
                   accelerated=accelerated)

    def probability(self, context: str, act: Act, reply: str) -> float:
        # pair_features' weighted sum without building its dict
        mark = "N|" if act in NEEDS_ANSWER else "F|"
        named = self._named[mark]
        z = self.intercept
        for key in _named_features(context, act, reply, self._overlap):
            z += named.get(key, 0.0)
        if self.kernel_ is not None:
            z += self.kernel_.total(_chunks(reply), _MARKS.index(mark))
        else:
            grams = self._grams[mark]
            for gram in _grams(_chunks(reply)):
                z += grams.get(gram, 0.0)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
