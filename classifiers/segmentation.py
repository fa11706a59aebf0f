"""Word boundaries from jieba, for terms that must match whole words (操 must not hit 操作).

Uses its own `jieba.Tokenizer` (never the module-level `jieba.dt`), initialised at build time;
segmentation runs only for messages where a whole-word term matched, because jieba costs about
ten times the rest of the keyword path.
"""

from __future__ import annotations

import functools
import itertools
import logging

import jieba

# jieba's dictionary counts: slang spellings such as 煞笔 (3) or 沙比 (6) are listed with single-
# digit counts, everyday words (初审 79, 威信 521, 标志 3624) far above.
COMMON_WORD_FREQUENCY = 20
# First letters of jieba's tags for function words: adverbs (d, and zg for 很), measure words
# and numerals (q, m), pronouns (r), prepositions, conjunctions, particles, interjections.
_FUNCTION_TAGS = frozenset("dzqmrpcuyeo")
# First letters of jieba's tags for nouns, time words and place words.
_NOMINAL_TAGS = frozenset("nts")
# Kinship nouns: what a family curse names (你妈, 他娘的, 你大爷的) and what a possessive owns.
_KIN = frozenset("妈娘爹爷妹姐哥弟奶婆姥舅姑姨叔伯")
_DEMONSTRATIVES = frozenset("这那")
_PRONOUNS = frozenset("你我他她您")
# Verbs that a name follows (叫尼玛, 名叫…, 姓…).
_NAMING = frozenset("叫姓")


class WordSegmenter:
    def __init__(self) -> None:
        jieba.setLogLevel(logging.WARNING)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()

    def words(self, text: str) -> list[str]:
        words: list[str] = self.tokenizer.lcut(text, HMM=True)
        return words

    def is_common_word(self, text: str) -> bool:
        """True for an everyday word of jieba's dictionary (标志, 卫星, 拣货 …), as opposed to a
        rare or slang spelling (煞笔, 沙比). Homophone hits that are everyday words are real words,
        not evasions."""
        frequency: int = self.tokenizer.FREQ.get(text, 0)
        return frequency >= COMMON_WORD_FREQUENCY

    def boundaries(self, text: str) -> Boundaries:
        """Indices where a jieba word starts or ends, read as far as a caller needs them.

        Dictionary words only (no HMM): the HMM joins unknown characters into invented words,
        and an evasion spelling is exactly such a run (薇信聊 became 薇|信聊, hiding 薇信)."""
        return Boundaries(text, self.tokenizer)

    def fused_start(self, text: str, index: int) -> bool:
        """Whether jieba's HMM reads the character at `index` as the end of a two-character
        word begun by the character before it, from characters its dictionary left single
        (宝|妈|的 → 宝妈|的): a two-character insult starting there (妈的) is the edge of an
        everyday word. A function word before it (an adverb, measure word, pronoun,
        particle: 真|贱, 很|白目, 你|妈) only modifies or addresses the insult, so it is no
        evidence. Runs only for a hit already found on dictionary boundaries, so on few
        messages, and segments only the jieba piece holding `index` (a two-character word
        never spans two)."""
        for first, last in _pieces(text):
            if first <= index < last:
                break
        else:
            return False
        position = first
        for word in self.tokenizer.cut(text[first:last], HMM=True):
            # two characters only: a longer invented run (係咪腦 in 你係咪腦殘) is dialect or
            # typing the dictionary does not know, not a word
            if position + 1 == index:
                return len(word) == 2 and \
                    self._single_tags.get(word[0], "")[:1] not in _FUNCTION_TAGS
            position += len(word)
            if position >= index:
                return False
        return False

    def inside_compound(self, text: str, index: int) -> bool:
        """The one character at `index`, a noun by jieba's tags, stands between two Chinese
        characters that are not function words, the one before it no verb either (鸭|屎|香,
        猫|屎|咖啡, 子|草|泥墙): a noun of abuse said to someone ends its clause, stands by a
        pronoun, adverb or particle (草，, 你就是坨屎) or is a verb's object (吃屎, 端屎端尿),
        not inside a run of content characters. Adjectives and verbs (蠢, 滚) are said inside
        such runs (真是蠢到家), so they are not read so."""
        if index == 0 or index + 1 >= len(text):
            return False
        tags = self._single_tags
        before, after = text[index - 1], text[index + 1]
        return tags.get(text[index], "")[:1] == "n" and not tags.get(before, "v").startswith(
            "v") and all(_is_chinese(c) and tags.get(c, "")[:1] not in _FUNCTION_TAGS
                         for c in (before, after))

    def tag(self, char: str) -> str:
        """jieba's part-of-speech tag of one character as a word of its own ('' if none)."""
        return self._single_tags.get(char, "")

    def loose_characters(self, text: str, start: int, end: int, boundaries: set[int]) -> bool:
        """Each character of `text[start:end]` is a word of its own (none forms a word with a
        neighbour), none of them a function word, and what stands before them is the start of
        a clause, a function word or 是 (沙|币, 你个|剑|人): characters chosen for their sound
        alone, not words of the sentence (为|新 is a preposition, 持|剑|人 a verb's object,
        狗|是 a subject and its copula). The first may not be a verb either: a verb and its
        object are words of the sentence (做|私|单). Each must be a word of jieba's dictionary:
        a character that is none (tag x) is the part of a character written split (贝|戋)."""
        if any(index not in boundaries for index in range(start, end + 1)):
            return False
        if any(self.tag(c)[:1] in _FUNCTION_TAGS or c == "是" or self.tag(c) in ("", "x")
               for c in text[start:end]) or self.tag(text[start]).startswith("v"):
            return False  # (a character no dictionary word: a part of a split one, 贝戋)
        before = text[start - 1] if start else ""
        return not _is_chinese(before) or before == "是" or \
            self.tag(before)[:1] in _FUNCTION_TAGS

    def ends_after_adverb(self, text: str, start: int, end: int) -> bool:
        """The span ends its clause right after an adverb or a pronoun (就gun, 你gun): an order
        given to someone, as said alone, where a name or a code is followed by more (就gun系列).
        The adverb may be a word of two characters (赶紧gun)."""
        return start > 0 and (self.tag(text[start - 1])[:1] in "dr"
                              or text[max(0, start - 2):start] in self._dictionary[3]) and (
            end == len(text) or not text[end].isalnum())

    def verb_of_the_sentence(self, text: str, start: int, end: int) -> bool:
        """The verb at `start:end` (jieba tags its first character a verb: 滚, 滚开, 去死)
        describes a thing, not the buyer: it qualifies a noun through 的 (滚开的水) or stands in
        a degree construction 越…越 (越滚越多), it is said in its tentative form X一X (滚一滚:
        an action tried), or, one character with 了 after it, a noun is its subject (汤滚了:
        the soup has boiled; 穷鬼滚 is an order). Said
        to someone it ends its clause or is followed by the one addressed (滚开，, 滚吧你)."""
        if not self.tag(text[start]).startswith("v"):
            return False
        if start > 0 and text[start - 1] == "越" and text[end:end + 1] == "越":
            return True
        verb = text[start:end]
        if text[end:end + 1 + len(verb)] == "一" + verb \
                or text[max(0, start - 1 - len(verb)):start] == verb + "一":
            return True
        if end - start == 1 and start > 0 and self.tag(text[start - 1]) == "n" \
                and text[end:end + 1] == "了":
            return True  # (one character, done: 汤滚了; 穷鬼滚, 一群|变态 are said to someone)
        return text[end:end + 1] == "的" and self.tag(text[end + 1:end + 2]).startswith("n")

    def owns_a_noun(self, text: str, start: int, end: int) -> bool:
        """The relative named by the span (你妈, 他妈的, 你大爷的) owns what follows: 的 and then
        a noun, a time or place word of jieba's dictionary (你妈的名字, 他妈的生日), a
        demonstrative with a measure word (您妈的那张床), or 的话 (if it is your mother …): a
        member of someone's family, not a curse. The curse ends its clause or goes on with
        what is said or done (他妈的快点, 你妈的什么意思, 你妈的 还给差评), or splits a verb
        from its object (排你妈的队)."""
        after = end + 1 if text[end:end + 1] == "的" else end
        if after < 2 or text[after - 1] != "的" or text[after - 2] not in _KIN:
            return False
        owner = start - 1 if text[start] in _KIN and text[start - 1:start] in _PRONOUNS else start
        if text[owner] not in _PRONOUNS and text[owner] not in _KIN:
            return False  # (去你妈的: a curse whatever follows)
        following = text[after:after + 4]
        # The curse inside a verb and its object (排你妈的队, 退你妈的货, 道你妈的歉): the verb
        # before it and the noun after it are one word of the dictionary.
        verb = text[owner - 1:owner] if owner else ""
        if verb and any(self.tokenizer.FREQ.get(verb + following[:size], 0) > 0
                        for size in range(1, len(following) + 1)):
            return False
        if following[:1] == "话":
            return True  # (的话: if …; 的话费 is a noun all the same)
        if following[:1] in _DEMONSTRATIVES:
            return self.tag(following[1:2])[:1] in ("q", "m", "n")  # 那张床, 这双鞋
        if self.tag(following[:1]) == "n":
            return True  # 你妈的票
        nouns = self._dictionary[1]
        return any(f"\n{following[:size]}\n" in nouns for size in range(len(following), 1, -1))

    def names_someone(self, text: str, start: int, end: int) -> bool:
        """The span is a transliterated given name by jieba's dictionary (tag nrt: Tibetan 尼玛,
        a softened swear too) with more of the name or a title after it (尼玛次仁, 尼玛先生), or
        after a verb of naming (叫尼玛): the swear ends its clause, is owned (尼玛的, 你尼玛) or
        opens an exclamation."""
        if text[start:end] not in self._dictionary[2]:
            return False
        if text[max(0, start - 1):start] in _NAMING:
            return True
        return end < len(text) and _is_chinese(text[end]) and text[end] != "的" \
            and text[start - 1:start] != "你"

    @property
    def _single_tags(self) -> dict[str, str]:
        return self._dictionary[0]

    @functools.cached_property
    def _dictionary(self) -> tuple[dict[str, str], str, frozenset[str], frozenset[str]]:
        """jieba's dictionary (its dict.txt), read once: the part-of-speech tag of each
        one-character word, and its words of two or more characters tagged as nouns, time or
        place words, each between line breaks (one string of about 2 MB, where a set of them
        would take ten times that: it is searched only for the rare hit `owns_a_noun` reads);
        its transliterated names (tag nrt, a few thousand) and its adverbs of two characters
        (tag d, a few thousand). About half a second, paid when the keyword matcher is
        built (its one-character insults ask for tags), not by a message."""
        tags: dict[str, str] = {}
        nouns: list[str] = [""]
        names: set[str] = set()
        adverbs: set[str] = set()
        with self.tokenizer.get_dict_file() as handle:
            for raw in handle:
                word, _, tag = raw.decode("utf-8").split()
                if len(word) == 1:
                    tags[word] = tag
                elif tag == "d" and len(word) == 2 and word[1] != "是":
                    adverbs.add(word)  # (就是, 还是 end in the copula: 这款就是gun names it)
                elif tag[:1] in _NOMINAL_TAGS:
                    nouns.append(word)
                    if tag == "nrt":
                        names.add(word)
        nouns.append("")
        return tags, "\n".join(nouns), frozenset(names), frozenset(adverbs)

class Boundaries:
    """Word boundaries of one text, segmented only where a caller looks: jieba segments each
    run of Chinese characters, letters and digits (its `re_han_default`) on its own and makes
    every other character a word, so a run that no asked span touches is never segmented
    (only its edges are boundaries there). A hit late in a message no longer pays for the
    clauses before it."""

    __slots__ = ("_cut", "_pieces", "_text", "_tokenizer")

    def __init__(self, text: str, tokenizer: jieba.Tokenizer) -> None:
        self._text = text
        self._tokenizer = tokenizer
        self._pieces: list[tuple[int, int]] | None = None
        self._cut: dict[int, list[int]] = {}  # a segmented piece's start: its word ends

    def around(self, start: int, end: int) -> set[int]:
        """Every boundary from `start` to `end`, both included (0 and the text's length are
        boundaries; perhaps some outside the span)."""
        pieces = self._pieces
        if pieces is None:
            pieces = self._pieces = _pieces(self._text)
        found = {0, len(self._text)}
        for first, last in pieces:
            found.add(first)
            found.add(last)
            if first <= end and start <= last and last - first > 1:
                ends = self._cut.get(first)
                if ends is None:
                    ends = self._cut[first] = list(itertools.accumulate(
                        map(len, self._tokenizer.cut(self._text[first:last], HMM=False)),
                        initial=first))
                found.update(ends)
        return found


def _pieces(text: str) -> list[tuple[int, int]]:
    """The spans jieba's `cut` splits `text` into before segmenting them: its runs of
    `re_han_default` and the text between them (itself split into words by `cut`)."""
    spans = []
    position = 0
    for piece in jieba.re_han_default.split(text):
        if piece:
            spans.append((position, position + len(piece)))
            position += len(piece)
    return spans


def _is_chinese(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"
