"""Co-occurrence rules and cancelling scopes: a diversion is an invitation joined to a channel,
not a word, and a channel inside a refusal or a warning is not an invitation.

Both are data (lexicons/README.md): `@near A B within=N` raises a hit when a member of group A
and one of group B (terms marked `part=A`, `part=B`) occur within N characters of each other in
the base text; `@scope not=G not_in_message=W` cancels a category's hits when a member of G
stands in the same clause, or a member of W anywhere in the message, unless that member lies
inside another hit of the category (the 不 of 不走平台 negates nothing).

The automata already found every group member in the one pass they make over the message, so
this costs nothing for a message without members of both sides of some rule.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence

from classifiers.automaton import PartHit
from classifiers.lexicon import Lexicon, NearRule, Scope
from classifiers.normalize import Normalizer
from classifiers.normalize.base import NormalizedText
from classifiers.results import Match, MatchMode

# What ends a clause: sentence punctuation, line breaks, and white space between two non-latin
# characters (many agents write "亲 有人让你加微信退款都是骗子 退款只走淘宝" without commas).
_CLAUSE_ENDS = frozenset(",.!?;:，。！？；：\n\r\t…~～")
# What ends a sentence: a concession and the contrast that answers it stand in one sentence
# (我知道微信方便，但还是在这里聊吧), whatever commas lie between.
_SENTENCE_ENDS = frozenset("。！？!?；;\n\r")
# (The two sides of a co-occurrence must also stand in one clause.)

# A hit in a question is cancelled by a negation or refusal that opens the next clause, within
# this many characters: the agent repeats what the buyer asked and answers it (加个V？真不行 /
# 私下交易？那不中). Further in, the negation belongs to something else.
_QUESTION_MARKS = frozenset("?？")
# A clause ending in a question particle is a question with or without its mark (您要加V看实拍
# 是吧，不好意思…; 能加微信吗，不能的).
_QUESTION_ENDINGS = ("吗", "是吧", "对吧", "是不是")
_ANSWER_OPENING = 3

# A name in quotation marks between the two sides counts as its marks only: 搜「老李茶园」公众号
# is 搜 and 公众号 three characters apart, whatever the shop's name.
_QUOTED_MAX = 16
_QUOTED = re.compile(f"[「『“\"][^」』”\"]{{1,{_QUOTED_MAX}}}[」』”\"]")


class StructureMatcher:
    """Applies the lexicon's `@near` rules and `@scope` lines to the hits of one message."""

    def __init__(self, lexicon: Lexicon, normalizer: Normalizer) -> None:
        self.lexicon = lexicon
        self.normalizer = normalizer

    def build(self) -> StructureMatcher:
        self.rules_: tuple[NearRule, ...] = self.lexicon.near
        self.scopes_: dict[str, Scope] = {s.category: s for s in self.lexicon.scopes}
        self.rule_groups_ = frozenset(g for r in self.rules_ for g in (r.first, r.second))
        self.heads_ = frozenset(g for s in self.lexicon.scopes for g in s.product_head)
        return self

    def named(self, parts: list[PartHit]) -> tuple[list[PartHit], list[tuple[int, int]]]:
        """`parts` less the members inside a product's name, and the names (base-text
        spans): a member right before a `product_head` member (the QQ of QQ糖, the 美团外卖 of
        美团外卖保温箱) names the product, not a place to go; it and every member inside the
        name join no rule, scope or contact look-up, and the invitation model does not read
        the name either."""
        if not self.heads_ or not parts:
            return parts, []
        heads = {p.start: p.end for p in parts if p.group in self.heads_}
        if not heads:
            return parts, []
        names = sorted({(p.start, heads[p.end]) for p in parts
                        if p.end in heads and p.group not in self.heads_})
        if not names:
            return parts, []
        # every member inside the name goes with it (the 美团 and the 卖 of 美团外卖保温箱)
        return [p for p in parts if p.group in self.heads_
                or not any(a <= p.start and p.end <= b for a, b in names)], names

    def apply(self, text: NormalizedText, matches: list[Match],
              parts: Sequence[PartHit]) -> list[Match]:
        """`matches` with the co-occurrence hits added and the cancelled ones removed."""
        if not parts:
            return matches
        by_group: dict[str, list[PartHit]] = defaultdict(list)
        for part in parts:
            by_group[part.group].append(part)
        found = [self._near_match(text, rule, a, b) for rule in self.rules_
                 for a, b in _pairs(rule, by_group, text.text)
                 if not _CLAUSE_ENDS.intersection(text.text[min(a.end, b.end):
                                                             max(a.start, b.start)])]
        if found:
            matches = [*matches, *_one_per_rule(found)]
        if self.scopes_ and matches:
            matches = self._scoped(text, matches, by_group)
        return matches

    def _near_match(self, text: NormalizedText, rule: NearRule, a: PartHit,
                    b: PartHit) -> Match:
        start, end = min(a.start, b.start), max(a.end, b.end)
        o_start, o_end = text.span(start, end)
        first, second = sorted((a, b), key=lambda p: p.start)
        trace = (f"{text.text[first.start:first.end]} ({first.group}) … "
                 f"{text.text[second.start:second.end]} ({second.group}): "
                 f"within {rule.within} characters ({rule.source})",)
        return Match(rule.name, rule.category, rule.severity, o_start, o_end,
                     text.original[o_start:o_end], MatchMode.SUBSTRING, "near", trace,
                     a.evasion or b.evasion)

    def _scoped(self, text: NormalizedText, matches: list[Match],
                by_group: dict[str, list[PartHit]]) -> list[Match]:
        """Clauses are read on the ORIGINAL text: the separator step removes the spaces that
        many agents write instead of commas."""
        kept = []
        clause_ends: list[int] | None = None
        spans = {id(p): text.span(p.start, p.end) for ps in by_group.values() for p in ps}
        conceded: dict[str, list[tuple[int, int]]] = {}
        for match in matches:
            scope = self.scopes_.get(match.category)
            if scope is None or match.view == "contact":
                kept.append(match)
                continue
            # Terms shield the negation they contain (不走平台); co-occurrence spans do not
            # (加不了微信 is negated).
            own = [(m.start, m.end) for m in matches
                   if m.category == match.category and m.view != "near"]
            if any(_outside(spans[id(p)], own) for g in scope.not_in_message
                   for p in by_group.get(g, ())):
                continue
            if scope.not_in_clause:
                if clause_ends is None:
                    clause_ends = _clause_ends(text.original)
                lo = max((e + 1 for e in clause_ends if e < match.start), default=0)
                hi = min((e for e in clause_ends if e >= match.end), default=len(text.original))
                answer = _answer(text.original, hi, clause_ends)
                if any((lo <= spans[id(p)][0] and spans[id(p)][1] <= hi or answer is not None
                        and answer[0] <= spans[id(p)][0] < answer[0] + _ANSWER_OPENING
                        and spans[id(p)][1] <= answer[1])
                       and _outside(spans[id(p)], own)
                       for g in scope.not_in_clause for p in by_group.get(g, ())):
                    continue
            if scope.contrast:
                if match.category not in conceded:
                    conceded[match.category] = _conceded(
                        text.original, scope, by_group, spans, own)
                if any(lo <= match.start and match.end <= hi
                       for lo, hi in conceded[match.category]):
                    continue
            kept.append(match)
        return kept


    def unscoped(self, text: NormalizedText, category: str, matches: Sequence[Match],
                 parts: Sequence[PartHit], channels: Collection[str],
                 names: Sequence[tuple[int, int]] = ()) -> str | None:
        """The base text less what the category's `@scope` cancels, for a signal that reads
        the whole message (the invitation model): None when a `not_in_message` member stands
        in it (a scam warning), else the text without the clauses that hold a `not` member (a
        refusal, the platform, a product name: 不用加VX，课程在已购里直接能看 is read as
        课程在已购里直接能看) when the clause also names one of `channels` (members of those
        groups). A refusal that names no channel stays (这边不方便 is a reason to go elsewhere).
        Members inside a term hit of the category count as in `_scoped`. `names`: base-text
        spans of product names (from `named`), never read (QQ糖买三袋 is read as 买三袋)."""
        scope = self.scopes_.get(category)
        if scope is None or not parts:
            return _without(text.text, names)
        own = [(m.start, m.end) for m in matches if m.category == category and m.view != "near"]
        cancelling: list[tuple[int, int]] = []
        named: list[tuple[int, int]] = []
        by_group: dict[str, list[PartHit]] = defaultdict(list)
        for part in parts:
            span = text.span(part.start, part.end)
            by_group[part.group].append(part)
            if part.group in channels:
                named.append(span)
            elif (part.group in scope.not_in_message or part.group in scope.not_in_clause) \
                    and _outside(span, own):
                if part.group in scope.not_in_message:
                    return None
                cancelling.append(span)
        if not named:
            return _without(text.text, names)
        spans = {id(p): text.span(p.start, p.end) for p in parts}
        regions = _conceded(text.original, scope, by_group, spans, own) if scope.contrast else []
        if not cancelling and not regions:
            return _without(text.text, names)
        ends = _clause_ends(text.original)
        clauses = {_clause(ends, span, len(text.original)) for span in cancelling}
        dropped = clauses & {_clause(ends, span, len(text.original)) for span in named}
        dropped |= {(lo, hi) for lo, hi in regions
                    if any(lo <= a and b <= hi for a, b in named)}
        if not dropped:
            return _without(text.text, names)
        starts = text.original_starts()
        kept = "".join(ch for index, (ch, origin) in enumerate(zip(text.text, starts, strict=True))
                       if not any(lo <= origin <= hi for lo, hi in dropped)
                       and not any(lo <= index < hi for lo, hi in names))
        return kept if kept.strip(" ,.!?;:") else None


def _without(base: str, names: Sequence[tuple[int, int]]) -> str:
    """`base` less the spans `names` (sorted, not overlapping one another's starts)."""
    if not names:
        return base
    pieces, last = [], 0
    for start, end in names:
        pieces.append(base[last:max(start, last)])
        last = max(end, last)
    pieces.append(base[last:])
    return "".join(pieces)


def _pairs(rule: NearRule, by_group: dict[str, list[PartHit]],
           text: str) -> list[tuple[PartHit, PartHit]]:
    firsts, seconds = by_group.get(rule.first), by_group.get(rule.second)
    if not firsts or not seconds:
        return []
    pairs = []
    for a in firsts:
        for b in seconds:
            if a.start < b.end and b.start < a.end:
                continue  # overlapping: one piece of text cannot be both sides
            gap = b.start - a.end if a.end <= b.start else a.start - b.end
            if rule.ordered and a.end > b.start:
                continue
            if gap > rule.within and gap <= rule.within + _QUOTED_MAX:
                gap = len(_QUOTED.sub("「」", text[min(a.end, b.end):max(a.start, b.start)]))
            if gap <= rule.within:
                pairs.append((a, b))
    return pairs


def _one_per_rule(found: list[Match]) -> list[Match]:
    """The first (leftmost) pair of each rule is enough to explain the verdict."""
    seen: dict[str, Match] = {}
    for match in sorted(found, key=lambda m: m.start):
        seen.setdefault(match.term, match)
    return list(seen.values())


def _clause_ends(original: str) -> list[int]:
    ends = []
    last = len(original) - 1
    for index, ch in enumerate(original):
        if ch in _CLAUSE_ENDS or (ch.isspace() and 0 < index < last
                                  and not original[index - 1].isascii()
                                  and not original[index + 1].isascii()):
            ends.append(index)
    return ends


def _conceded(original: str, scope: Scope, by_group: dict[str, list[PartHit]],
              spans: dict[int, tuple[int, int]],
              own: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The conceded parts of `original` (first and last index): from the start of a sentence
    to a `contrast` member that opens a later clause of it, when a `stance` member follows the
    marker in the sentence (想加微信的心情理解，但按店规都在平台内沟通). A marker inside a
    clause (不但, 但凡 …) opens no contrast."""
    markers = [spans[id(p)] for g in scope.contrast for p in by_group.get(g, ())]
    if not markers:
        return []
    stances = [spans[id(p)] for g in scope.stance for p in by_group.get(g, ())
               if _outside(spans[id(p)], own)]
    regions = []
    for start, end in markers:
        opening = start
        while opening > 0 and original[opening - 1].isspace():
            opening -= 1
        if opening == 0 or original[opening - 1] not in _CLAUSE_ENDS \
                and not original[start - 1].isspace():
            continue
        first = max((i + 1 for i in range(opening) if original[i] in _SENTENCE_ENDS), default=0)
        last = next((i for i in range(end, len(original)) if original[i] in _SENTENCE_ENDS),
                    len(original))
        if first < opening and any(end <= a and b <= last for a, b in stances):
            regions.append((first, opening - 1))
    return regions


def _answer(original: str, end: int, ends: list[int]) -> tuple[int, int] | None:
    """The clause right after a question that ends at `end` (its first and last index), or
    None when the clause at `end` is no question."""
    if end >= len(original) or original[end] not in _QUESTION_MARKS and not (
            original[end] in _CLAUSE_ENDS and original[:end].endswith(_QUESTION_ENDINGS)):
        return None
    start = end + 1
    while start < len(original) and (original[start].isspace()
                                     or original[start] in _QUESTION_MARKS):
        start += 1
    return start, min((e for e in ends if e >= start), default=len(original))


def _clause(ends: list[int], span: tuple[int, int], length: int) -> tuple[int, int]:
    """The original-text clause (first and last index) around `span`."""
    start, end = span
    return (max((e + 1 for e in ends if e < start), default=0),
            min((e for e in ends if e >= end), default=length))


def _outside(span: tuple[int, int], own: list[tuple[int, int]]) -> bool:
    """True when `span` is not strictly inside a term hit of the category."""
    start, end = span
    return not any(a <= start and end <= b and b - a > end - start for a, b in own)
