"""KeywordMatcher: the lexicon compiled into Aho-Corasick automata, matched on the views of one
normalised message, with hits mapped back to spans of the original text.

Views (each exists because one view cannot serve every term):
- base: the normalised text; substring and whole-word terms, and the allow list.
- pinyin: homophone / pinyin / initials spellings of terms marked `variants=pinyin`.
- message: the whole message with punctuation, repeats and a trailing particle folded away,
  for whole-message terms (嗯, 哦, ？？？, 不知道哦).
The digits view belongs to the contact detector (contacts.py).

Constructing a matcher only stores its inputs; `build()` compiles the automata once.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from classifiers.errors import LexiconError, NotBuiltError
from classifiers.key_automaton import KeyAutomaton
from classifiers.lexicon import Lexicon, Term
from classifiers.normalize import Normalizer
from classifiers.normalize.base import NormalizedText
from classifiers.normalize.pinyin import PinyinView
from classifiers.normalize.repeats import fold_repeats
from classifiers.results import Match, MatchMode
from classifiers.segmentation import Boundaries, WordSegmenter
from classifiers.sound import Respelling, addressed, initials_runs, respellings
from classifiers.split_characters import SplitCharacters

# Modal particles and forms of address that do not change what a lone reply says:
# 不知道哦 is still 不知道, 亲，嗯嗯 is still 嗯.
_TRAILING_PARTICLES = frozenset("啊呀哦噢喔呢吧嘛啦哈呗咯喽嘞哇")
_LEADING_ADDRESS = ("亲亲", "亲爱的", "亲")
_NON_WORD = re.compile(r"[\W_]+")
# A capital letter standing alone among Chinese characters is a size or a grade (S全家福, A货),
# not an initial typed for a character: slang initials are typed in lower case (s全家).
# A model number after a latin code: a joiner and one to five digits, then no more digits.
_MODEL_NUMBER = re.compile(r"[-_/][0-9]{1,5}(?![0-9])")
_LONE_CAPITAL = re.compile(r"(?<![A-Za-z])[A-Z](?![A-Za-z])")
# Insults: their terms are also matched written with characters split into their parts
# (你女马的, 犭句东西), since insults are what writers disguise so (a channel's split, 力口 for 加,
# is left alone: its parts stand side by side in everyday words, 动力口碑); a one-character
# whole-word insult also as its syllable typed alone, when it is the character a reader takes
# that syllable for (gun，is 滚); and a substring term of theirs that both begins and ends inside
# an everyday word (周日|你妈妈 holds 日你妈) is two words' edges, not the insult.
INSULT_CATEGORIES = frozenset({"abuse", "discrimination"})


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int  # base-text span
    end: int
    term: Term
    view: str


@dataclass(frozen=True, slots=True)
class PartHit:
    """A member of a group (a term with `part=`) at `start:end` of the base text. `evasion`:
    spelled to hide it (a homophone with Chinese characters, or characters removed inside)."""

    start: int
    end: int
    group: str
    term: Term
    evasion: bool


class Hits(NamedTuple):
    """What the automata found: deny-term matches, and group members for the structure rules.
    (A named tuple: built for every message, and a frozen dataclass costs a microsecond.)"""

    matches: list[Match]
    parts: list[PartHit]


def message_keys(base: str, limit: int | None = None) -> list[str]:
    """The forms of a whole message that a message-mode term is compared with; none when the
    message's words (before folding repeats) are longer than `limit`."""
    stripped = base.strip()
    core = _NON_WORD.sub("", stripped)
    if limit is not None and len(core) > limit:
        return []
    keys = [fold_repeats(stripped)]
    core = fold_repeats(core)
    if core:
        keys.append(core)
        if len(core) > 1 and core[-1] in _TRAILING_PARTICLES:
            core = core[:-1]
            keys.append(core)
        for address in _LEADING_ADDRESS:
            if core.startswith(address) and len(core) > len(address):
                keys.append(core[len(address):])
                break
    return keys


def term_message_key(normalized: str) -> str:
    core = fold_repeats(_NON_WORD.sub("", normalized.strip()))
    return core or fold_repeats(normalized.strip())


def _is_latin(ch: str) -> bool:
    folded = unicodedata.normalize("NFKC", ch)
    return len(folded) == 1 and folded.isascii() and folded.isalnum()


class KeywordMatcher:
    def __init__(self, lexicon: Lexicon, normalizer: Normalizer, pinyin: PinyinView,
                 segmenter: WordSegmenter, split: SplitCharacters | None = None) -> None:
        """`split`: derive split-character spellings of the terms of `INSULT_CATEGORIES`
        (none without it)."""
        self.lexicon = lexicon
        self.normalizer = normalizer
        self.pinyin = pinyin
        self.segmenter = segmenter
        self.split = split
        self._undoes_evasion = {step.name: step.undoes_evasion for step in normalizer.steps}

    # -- build --------------------------------------------------------------------------

    def build(self, *, always_groups: frozenset[str] = frozenset()) -> KeywordMatcher:
        """`always_groups`: groups whose members are reported whenever a latin letter or digit
        follows them within five characters (the contact detector reads account ids after
        them); other group members are reported only when
        some `@near` rule has members of both its groups in the message, a deny hit of a
        `@scope`d category needs its scope checked, or the member may be disguised."""
        base: dict[str, list[Term]] = {}
        variants: dict[str, list[Term]] = {}
        messages: dict[str, list[Term]] = {}
        context: dict[str, list[Term]] = {}
        normalized_terms: dict[Term, str] = {}
        # Keys that are a spelling the engine derived, and the view a hit on them is reported
        # in: a term written with split characters (split), a lone syllable (pinyin).
        derived: dict[str, str] = {}
        initials: dict[str, list[Term]] = {}
        commonest: dict[str, str] | None = None
        anchors = anchor_groups(self.lexicon, always_groups)
        term_texts = frozenset(term.text for term in self.lexicon.terms)
        for term in self.lexicon.terms:
            normalized = self._normalize_term(term)
            normalized_terms[term] = normalized
            if term.mode is MatchMode.MESSAGE:
                messages.setdefault(term_message_key(normalized), []).append(term)
                continue
            target = context if term.parts and anchors.isdisjoint(term.parts) else base
            if self.split is not None and term.category in INSULT_CATEGORIES:
                for form in self.split.spellings(normalized):
                    key = self.normalizer(form).text
                    target.setdefault(key, []).append(term)
                    derived[key] = "split"
            if term.category in INSULT_CATEGORIES and term.mode is MatchMode.WORD \
                    and len(normalized) == 1 and ord(normalized) in self.pinyin.syllables:
                if commonest is None:
                    commonest = self._commonest_characters()
                syllable = self.pinyin.syllables[ord(normalized)]
                if commonest.get(syllable) == normalized:
                    target.setdefault(syllable, []).append(term)
                    derived[syllable] = "pinyin"
                for rare in (self._rare_homophones(normalized, term_texts)
                             if not term.parts else ()):  # (苟 of 一丝不苟 is no coded 狗)
                    target.setdefault(rare, []).append(term)
                    derived[rare] = "pinyin"
            if target is context:
                context.setdefault(normalized, []).append(term)
                continue
            base.setdefault(normalized, []).append(term)
            for form in (digit_spellings(normalized) + b_digits(normalized)
                         if term.mode is MatchMode.WORD else []) + numeral_digits(normalized):
                base.setdefault(form, []).append(term)
            chinese = sum(1 for c in normalized if ord(c) in self.pinyin.syllables)
            if term.variants != "none" and chinese >= 2:
                for form in self.pinyin.term_forms(normalized,
                                                   initials=term.variants == "initials",
                                                   latin_only=term.variants == "latin"):
                    variants.setdefault(form, []).append(term)
            if term.category in INSULT_CATEGORIES and not term.parts and chinese >= 2 \
                    and chinese == len(normalized):
                # Every insult is also read by sound: its Chinese homophones (kept only where
                # none of their characters forms a word there: `_plausible_homophone`) and,
                # when the message shows them, digits and initials (`classifiers/sound.py`).
                if term.variants in ("none", "latin"):
                    by_sound = self.pinyin.sound_form(normalized)
                    if by_sound is not None:
                        variants.setdefault(by_sound, []).append(term)
                if term.variants != "initials" and chinese <= 4:
                    initials.setdefault("".join(
                        self.pinyin.syllables[ord(c)][0] for c in normalized), []).append(term)
        self.base_automaton_ = _automaton(base)
        self.variant_automaton_ = _automaton(variants)
        self.context_automaton_ = _automaton(context)
        self.allow_automaton_ = _automaton(
            {self._normalize_term(t): [t] for t in self.lexicon.allow})
        self.message_terms_ = messages
        self.initials_ = initials
        self.normalized_terms_ = normalized_terms
        written = set(normalized_terms.values())
        self.derived_views_ = {key: view for key, view in derived.items() if key not in written}
        # A message much longer than the longest whole-message term cannot fold down to one
        # (repeats aside: 嗯嗯嗯嗯 folds to 嗯, hence the factor).
        longest = max(map(len, messages), default=0)
        self.message_limit_ = 4 * longest + 8
        self.message_core_limit_ = 2 * longest + 2
        # Every form of a message that is compared keeps its word characters, less a leading
        # address and a trailing particle: one word character that no whole-message term has
        # (most messages have several) rules them all out, in one search.
        kept = set("".join(messages)) | set("".join(_LEADING_ADDRESS)) | _TRAILING_PARTICLES
        self.message_excluded_ = re.compile(
            "[^" + "".join(map(re.escape, sorted(kept))) + r"\W_]")
        self.needs_words_ = any(t.mode is MatchMode.WORD for t in self.lexicon.terms)
        self.always_groups_ = always_groups
        # `@near` rules by either group: the groups each group needs beside it (a message
        # names one or two groups; looking them up beats testing every rule).
        partners: dict[str, set[str]] = {}
        for rule in self.lexicon.near:
            partners.setdefault(rule.first, set()).add(rule.second)
            partners.setdefault(rule.second, set()).add(rule.first)
        self.rule_partners_ = {group: frozenset(other) for group, other in partners.items()}
        self.scoped_ = frozenset(s.category for s in self.lexicon.scopes)
        self.scope_groups_ = frozenset(g for s in self.lexicon.scopes for g in s.groups)
        return self

    def _normalize_term(self, term: Term) -> str:
        normalized = self.normalizer(term.text).text
        if not normalized.strip():
            raise LexiconError(f"term {term.text!r} is empty after normalisation", path=term.source)
        return normalized

    # -- match --------------------------------------------------------------------------

    def match(self, text: NormalizedText, overlay: KeywordMatcher | None = None) -> list[Match]:
        return self.match_hits(text, overlay).matches

    def match_hits(self, text: NormalizedText, overlay: KeywordMatcher | None = None, *,
                   every_member: bool = False) -> Hits:
        """The matches of `text` and the group members found in it. `overlay` is a shop's own
        matcher (built from its overlay lexicon, which holds no groups): its deny terms add hits
        that the shared scopes apply to like any other, and its allow phrases suppress hits of
        both, group members included (so a covered member joins no `@near` rule).
        `every_member`: report every group member, not only those a rule or scope can use here
        (to tell whether a shop's allow phrase would switch a shared rule off)."""
        try:
            base_automaton = self.base_automaton_
        except AttributeError:
            raise NotBuiltError("KeywordMatcher.match() called before build()") from None
        base = text.text
        hits: list[_Hit] = []
        # Group members are many (不, 上, 加 …) and mostly irrelevant: the context groups are
        # looked for only when an anchor group member or a scoped hit was found, and members
        # are turned into hits only when some rule or scope can use them.
        raw_parts: list[tuple[int, int, tuple[Term, ...], str]] = []
        groups: set[str] = set()
        derived = self.derived_views_
        for end, (key, terms, parts, part_groups) in base_automaton.find(base):
            start = end - len(key) + 1
            seen_as = derived.get(key, "base") if derived else "base"
            if terms:
                hits.extend(_Hit(start, end + 1, term, seen_as) for term in terms)
            if parts:
                raw_parts.append((start, end + 1, parts, seen_as))
                groups |= part_groups
        if self.variant_automaton_.count:
            for end, (form, terms, parts, part_groups) in \
                    self.variant_automaton_.find_spelled(base, self.pinyin):
                span = self.pinyin.base_span(base, end - len(form) + 1, end + 1)
                if span is None:
                    continue
                hits.extend(_Hit(span[0], span[1], term, "pinyin") for term in terms)
                if parts:
                    raw_parts.append((span[0], span[1], parts, "pinyin"))
                    groups |= part_groups
            hits += self._respelled_hits(text)
        message_hits = self._match_message(base) if len(base) <= self.message_limit_ else []
        if overlay is not None:
            hits += overlay._overlay_hits(base)
            if overlay.message_terms_ and len(base) <= overlay.message_limit_:
                message_hits += overlay._match_message(base)
        if self.context_automaton_.count and (every_member or raw_parts or hits and any(
                hit.term.category in self.scoped_ for hit in hits)):
            for end, (key, _, parts, part_groups) in self.context_automaton_.find(base):
                raw_parts.append((end - len(key) + 1, end + 1, parts,
                                  self.derived_views_.get(key, "base")))
                groups |= part_groups
        if raw_parts:
            if not every_member and not self._parts_needed(base, groups, hits, raw_parts):
                # Only a disguised member (a hit on its own) can still matter: a homophone
                # (not the same span read literally) or one spread by separators.
                literal = {(raw[0], raw[1]) for raw in raw_parts if raw[3] == "base"}
                disguised = [raw for raw in raw_parts if raw[3] == "split" or (
                    raw[3] == "pinyin" and (raw[0], raw[1]) not in literal) or (
                    text.starts is not None and _spread_span(text, raw[0], raw[1]))]
                # A disguised member is a hit of its category, which that category's scope
                # cancels like any other (V信红包不算数): its members stay.
                raw_parts = disguised + [raw for raw in raw_parts if any(
                    not self.scope_groups_.isdisjoint(term.parts) for term in raw[2])] \
                    if disguised else []
            hits.extend(_Hit(start, end, term, view)
                        for start, end, parts, view in raw_parts for term in parts)
        if not hits and not message_hits:
            return Hits([], [])
        matches: list[Match] = []
        members: list[PartHit] = []
        for hit in self._filter(text, hits, overlay):
            if not hit.term.parts:
                matches.append(self._to_match(text, hit, overlay))
                continue
            evasion = self._part_evasion(text, hit)
            members.extend(PartHit(hit.start, hit.end, group, hit.term, evasion)
                           for group in hit.term.parts)
            if evasion:
                # Nobody writes 薇信 or 微.信 except to get past a filter: the disguise is the
                # signal, with or without an invitation around it.
                matches.append(self._to_match(text, hit, overlay))
        matches.extend(self._message_match(text, term, key) for term, key in message_hits)
        return Hits(matches, members)

    def _respelled_hits(self, text: NormalizedText) -> list[_Hit]:
        """Insults spelled by sound with digits or initials (`classifiers/sound.py`): the
        pinyin view of the message with its disguised characters read, matched against the
        same spellings; a hit must cover a character that was read."""
        base = text.text
        hits: list[_Hit] = []
        for spelling in respellings(base, self.segmenter.tag):
            for end, (form, terms, _, _) in self.variant_automaton_.find_spelled(
                    spelling.text, self.pinyin):
                span = self.pinyin.base_span(spelling.text, end - len(form) + 1, end + 1)
                if span is None or not spelling.covers(*span):
                    continue
                hits.extend(_Hit(span[0], span[1], term, "pinyin") for term in terms
                            if term.category in INSULT_CATEGORIES and _respelling_fits(
                                spelling, span, self.normalized_terms_[term]))
        if self.initials_:
            for start, end in initials_runs(base):
                initialled = self.initials_.get(base[start:end])
                # (a run the automaton already reads, zz for 智障, is that term's spelling)
                if initialled and addressed(base, start, end) \
                        and base[start:end] not in self.variant_automaton_:
                    found = [_Hit(start, end, term, "pinyin") for term in initialled]
                    hits.extend(hit for hit in found if _lower_case(text, hit))
        return hits

    def _overlay_hits(self, base: str) -> list[_Hit]:
        """Hits of this (shop overlay) matcher's deny terms."""
        hits: list[_Hit] = []
        if self.base_automaton_.count:  # a shop overlay may hold allow phrases only
            for end, (key, terms, *_) in self.base_automaton_.find(base):
                start = end - len(key) + 1
                seen_as = self.derived_views_.get(key, "base")
                hits.extend(_Hit(start, end + 1, term, seen_as) for term in terms)
        if self.variant_automaton_.count:
            for end, (form, terms, *_) in self.variant_automaton_.find_spelled(base, self.pinyin):
                span = self.pinyin.base_span(base, end - len(form) + 1, end + 1)
                if span is not None:
                    hits.extend(_Hit(span[0], span[1], term, "pinyin") for term in terms)
        return hits

    def _rare_homophones(self, char: str, written: frozenset[str]) -> list[str]:
        """The characters read exactly as `char` (toneless) that jieba's dictionary counts at
        most a tenth as often (衮 186 for 滚 2737): a writer picks one for its sound alone,
        nobody means it in a reply, and it is read as `char` where a lone syllable would be
        (said alone or ending an order: 衮！, 赶紧衮). Everyday homophones (棍 of 滚) are not;
        nor an adjective or a verb of its own (糙 of 操: 有点糙 is said of cloth), nor a
        character the normaliser does not keep (滾, a traditional form, is read as 滚 itself;
        丨, a stroke, is a separator), nor one that is a term of its own (`written`: 艹)."""
        syllable = self.pinyin.syllables[ord(char)]
        frequency = self.segmenter.tokenizer.FREQ
        most = frequency.get(char, 0) // _RARE_HOMOPHONE_RATIO
        return [rare for code, read in self.pinyin.syllables.items()
                if read == syllable and code != ord(char) and 0x4E00 <= code <= 0x9FFF
                and frequency.get(rare := chr(code), 0) <= most
                and self.segmenter.tag(rare)[:1] not in "avx"
                and rare not in written and self.normalizer(rare).text == rare]

    def _commonest_characters(self) -> dict[str, str]:
        """Toneless syllable → the character jieba's dictionary counts most often among those
        read so: what a reader takes a lone syllable for (gun is 滚; shi is 是, not 屎)."""
        best: dict[str, tuple[int, str]] = {}
        frequency = self.segmenter.tokenizer.FREQ
        for code, syllable in self.pinyin.syllables.items():
            char = chr(code)
            count = frequency.get(char, 0)
            if count > best.get(syllable, (-1, ""))[0]:
                best[syllable] = (count, char)
        return {syllable: char for syllable, (_, char) in best.items()}

    def without_allowed(self, text: str) -> str:
        """`text` (normalised) less every span an allow phrase of this matcher covers."""
        if not self.allow_automaton_.count:
            return text
        spans = sorted((end - len(key) + 1, end + 1)
                       for end, (key, *_) in self.allow_automaton_.find(text))
        pieces: list[str] = []
        position = 0
        for start, end in spans:
            if end <= position:
                continue
            pieces.append(text[position:max(start, position)])
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def _parts_needed(self, base: str, groups: set[str], hits: list[_Hit],
                      raw_parts: list[tuple[int, int, tuple[Term, ...], str]]) -> bool:
        partners = self.rule_partners_
        for group in groups:
            other = partners.get(group)
            if other is not None and not groups.isdisjoint(other):
                return True
        if any(hit.term.category in self.scoped_ for hit in hits):
            return True
        # An always-reported member matters to the contact detector only when an id (latin
        # letters or digits) may follow it: 微 of 稍微 or 扣 of 折扣 does not need reporting.
        return not groups.isdisjoint(self.always_groups_) and any(
            not self.always_groups_.isdisjoint(term.parts) and _latin_soon(base, end)
            for _, end, parts, _ in raw_parts for term in parts)

    @staticmethod
    def _part_evasion(text: NormalizedText, hit: _Hit) -> bool:
        """Cheap evasion test for group members (they are many; the full trace is built only
        for hits that become matches): a homophone written with Chinese characters, or an
        original span longer than the term (separators or invisible characters inside)."""
        start, end = text.span(hit.start, hit.end)
        if end - start > hit.end - hit.start or hit.view == "split":
            return True
        return hit.view == "pinyin" and not text.original[start:end].isascii()

    def _match_message(self, base: str) -> list[tuple[Term, str]]:
        if self.message_excluded_.search(base) is not None:
            return []
        found: dict[str, tuple[Term, str]] = {}
        for key in message_keys(base, self.message_core_limit_):
            for term in self.message_terms_.get(key, ()):
                found.setdefault(term.source, (term, key))
        return list(found.values())

    def _filter(self, text: NormalizedText, hits: list[_Hit],
                overlay: KeywordMatcher | None) -> Iterable[_Hit]:
        base = text.text
        allow_spans = [(end - len(key) + 1, end + 1)
                       for end, (key, *_) in self.allow_automaton_.find(base)] \
            if self.allow_automaton_.count else []
        if overlay is not None and overlay.allow_automaton_.count:
            allow_spans += [(end - len(key) + 1, end + 1)
                            for end, (key, *_) in overlay.allow_automaton_.find(base)]
        words: Boundaries | None = None
        titled = "《" in base
        quoted = any(mark in base for mark in _QUOTE_PAIRS)
        seen: set[tuple[int, int, str]] = set()
        literal = {(h.start, h.end, h.term.category) for h in hits if h.view == "base"}
        # A term written as its parts (贝戋货) is read there; the sound of one part (戋货) is not
        # a second hit.
        split = [(h.start, h.end, h.term.category) for h in hits if h.view == "split"]
        for hit in hits:
            identity = (hit.start, hit.end, hit.term.source)
            if identity in seen:
                continue
            if hit.view == "pinyin" and (hit.start, hit.end, hit.term.category) in literal:
                continue
            if split and hit.view == "pinyin" and any(
                    a <= hit.start and hit.end <= b and c == hit.term.category
                    for a, b, c in split):
                continue
            # An allow phrase covering the hit wins: it is the longer (or equal) match. A group
            # member is only suppressed by a LONGER phrase: the allow phrase 买家 is there for the
            # 买 inside it, not for the member 买家 itself.
            if any(a <= hit.start and hit.end <= b
                   and (not hit.term.parts or b - a > hit.end - hit.start)
                   for a, b in allow_spans):
                continue
            if not self._latin_edges_ok(text, hit):
                continue
            if titled and _inside_title(base, hit.start, hit.end):
                continue
            # (a cancelling member, 京东 in “京东卡助手”, still cancels: the name is the
            # platform's all the same)
            if quoted and _names_a_thing(base, hit.start, hit.end) and (
                    not hit.term.parts or self.scope_groups_.isdisjoint(hit.term.parts)):
                continue
            if hit.view == "pinyin" and not self._mixed_keeps_term(
                    base, hit, self._normalized(hit.term, overlay)):
                continue
            if hit.view == "pinyin" and hit.term.variants == "latin" and _lone_capital(text, hit):
                continue
            if hit.view == "pinyin" and len(self._normalized(hit.term, overlay)) == 1 and not (
                    (_stands_alone(base, hit.start, hit.end) or self.segmenter.ends_after_adverb(
                        base, hit.start, hit.end)) and _lower_case(text, hit)):
                continue  # a lone syllable is the insult only said alone, in lower case
            # (a space or a mark after it ends the curse: 妈的 会员又掉了, 尼玛 退个款)
            if hit.term.category in INSULT_CATEGORIES and hit.view != "split" \
                    and "的" in base[hit.end - 1:hit.end + 1] \
                    and not _spread_span(text, hit.start, min(len(base), hit.end + 2)) \
                    and self.segmenter.owns_a_noun(base, hit.start, hit.end):
                continue  # 你妈的名字, 他妈的生日: a relative's
            if hit.view == "base" and hit.term.category in INSULT_CATEGORIES \
                    and not _spread_span(text, hit.start, min(len(base), hit.end + 1)) \
                    and self.segmenter.names_someone(base, hit.start, hit.end):
                continue  # 尼玛次仁: a Tibetan name
            # (a lone syllable said so is checked: the sound-view checks below are for words)
            lone = hit.view == "pinyin" and len(self._normalized(hit.term, overlay)) == 1
            straddles = hit.term.mode is MatchMode.SUBSTRING and hit.view == "base" \
                and hit.term.category in INSULT_CATEGORIES
            # Characters read only by their sound are checked even when spaces stood between
            # them (机构 是随机 is no 狗屎): separators are no evidence that they were chosen.
            by_sound = hit.term.variants in ("none", "latin") \
                and hit.term.category in INSULT_CATEGORIES and self._is_chinese_homophone(base, hit)
            # A latin hit already stands between latin word edges of the message as sent
            # (`_latin_edges_ok`); jieba reads the normalised text, where the space of `fat
            # loser` is gone, and would see one word `fatloser`. (Digits alone keep jieba's
            # words: look-alike digits of other scripts, ❶❷❸, are no latin word edges.)
            if (hit.term.mode is MatchMode.WORD or straddles
                    or self._is_chinese_homophone(base, hit)) \
                    and hit.view != "split" and (by_sound or not _spread(text, hit)) and not (
                        hit.view == "base" and _stands_alone(base, hit.start, hit.end)) \
                    and not (hit.view == "base" and base[hit.start:hit.end].isascii()
                             and not base[hit.start:hit.end].isdigit()) \
                    and not lone:
                if words is None:
                    words = self.segmenter.boundaries(base)
                boundaries = words.around(hit.start, hit.end)
                if straddles:
                    if hit.start not in boundaries and hit.end not in boundaries:
                        continue
                elif hit.start not in boundaries or hit.end not in boundaries:
                    continue
                elif hit.view == "base" and hit.term.category in INSULT_CATEGORIES:
                    if self.segmenter.verb_of_the_sentence(base, hit.start, hit.end):
                        continue  # 滚开的水, 越滚越多: a verb describing a thing
                    if hit.end - hit.start == 1:
                        if self.segmenter.inside_compound(base, hit.start):
                            continue  # 鸭|屎|香, 草|泥墙: a character of a compound
                    else:
                        if self.segmenter.fused_start(base, hit.start):
                            continue  # 宝妈|的: the insult begins inside an everyday word
                if hit.view == "pinyin" and not self._plausible_homophone(
                        base, hit, boundaries, self._normalized(hit.term, overlay)):
                    continue
            seen.add(identity)
            yield hit

    @staticmethod
    def _mixed_keeps_term(base: str, hit: _Hit, term: str) -> bool:
        """A spelling mixing latin letters and Chinese characters (V信, wei信, 微x) keeps its
        Chinese characters from the term: V型 and V领 are shapes, not 微信."""
        spelled = base[hit.start:hit.end]
        chinese = [c for c in spelled if not c.isascii()]
        if not chinese or len(chinese) == len(spelled):
            return True
        return set(chinese) <= set(term)

    @staticmethod
    def _is_chinese_homophone(base: str, hit: _Hit) -> bool:
        return hit.view == "pinyin" and not any(
            c.isascii() for c in base[hit.start:hit.end])

    def _normalized(self, term: Term, overlay: KeywordMatcher | None) -> str:
        """The normalised form of a term of this matcher or of the shop overlay."""
        found = self.normalized_terms_.get(term)
        if found is None and overlay is not None:
            return overlay.normalized_terms_[term]
        assert found is not None, term
        return found

    def _plausible_homophone(self, base: str, hit: _Hit, boundaries: set[int],
                             term: str) -> bool:
        """A homophone spelling is not itself an everyday word, and it either keeps some
        characters of the term (薇信) or is a word of its own (煞笔, 沙比); everyday words that
        happen to sound alike (为|新客户, 作为|新人, 标志, 拣货) are not evasions."""
        spelled = base[hit.start:hit.end]
        by_sound = hit.term.category in INSULT_CATEGORIES and not any(
            c.isascii() for c in spelled)
        if by_sound and hit.term.variants in ("none", "latin"):
            # Only its sound was derived (its homophones are everyday words: 收件人, 拣货):
            # characters chosen for their sound alone, never a word.
            return not self.segmenter.is_common_word(spelled) and \
                self.segmenter.loose_characters(base, hit.start, hit.end, boundaries)
        if self.segmenter.is_common_word(spelled):
            # 标志 is not a spelling of 婊子, 卫星 alone not of 微信 (卫星号 is). A word of three
            # or more characters said on its own, a clause of its own (草泥马！), is the slang
            # spelling the dictionary lists it for; inside a sentence it is the thing it names
            # (草泥马玩偶) or a misreading of two words (水草泥|马上). An insult's homophone called
            # someone (你个白吃, 真是个白吃) or counted as one (白吃一个。) is the insult; after
            # 这个 or 是 alone it is the thing (这个标志, 你这个标志贴歪了).
            return len(spelled) >= 3 and _stands_alone(base, hit.start, hit.end) or by_sound \
                and (base.endswith(_CALLED, 0, hit.start) or _counted_as_one(base, hit.end))
        if any(a == b for a, b in zip(spelled, term)) or any(
                not c.isascii() and c in term for c in spelled):
            return True  # keeps characters of the term: 薇信, or ruo智 (latin beside them)
        # One word (煞笔), or, for an insult, characters that form no word there (沙|币)
        return not any(hit.start < b < hit.end for b in boundaries) or by_sound and \
            self.segmenter.loose_characters(base, hit.start, hit.end, boundaries)

    @staticmethod
    def _latin_edges_ok(text: NormalizedText, hit: _Hit) -> bool:
        """Latin/digit terms (sb, tmd, vx, 12315) are whole words: 'is bad' holds no 'sb';
        and letters joined to a short number are a model code (SB-5000, VX-300), where an
        account id or phone number after them (QQ-12345678) is longer."""
        base, original = text.text, text.original
        start, end = text.span(hit.start, hit.end)
        if base[hit.start].isascii() and base[hit.start].isalnum() and start > 0 \
                and _is_latin(original[start - 1]):
            return False
        if not (base[hit.end - 1].isascii() and base[hit.end - 1].isalnum()):
            return True
        if end < len(original) and _is_latin(original[end]):
            return False
        return not (base[hit.start:hit.end].isascii() and base[hit.start].isalpha()
                    and _MODEL_NUMBER.match(original, end))

    # -- results ------------------------------------------------------------------------

    def _to_match(self, text: NormalizedText, hit: _Hit,
                  overlay: KeywordMatcher | None) -> Match:
        start, end = text.span(hit.start, hit.end)
        original = text.original[start:end]
        steps = self.normalizer.explain_steps(original)
        trace = [line for _, line in steps]
        evasion = hit.view in ("pinyin", "split") or any(
            self._undoes_evasion.get(name, False) for name, _ in steps)
        if hit.view == "pinyin":
            trace.append(self.pinyin.describe(text.text[hit.start:hit.end],
                                              self._normalized(hit.term, overlay)))
        elif hit.view == "split":
            trace.append(f"{text.text[hit.start:hit.end]}→{self._normalized(hit.term, overlay)}"
                         ": characters written as their parts")
        return Match(hit.term.text, hit.term.category, hit.term.severity, start, end, original,
                     hit.term.mode, hit.view, tuple(trace), evasion)

    def _message_match(self, text: NormalizedText, term: Term, key: str) -> Match:
        original = text.original
        start = len(original) - len(original.lstrip())
        end = len(original.rstrip())
        trace = self.normalizer.explain(original[start:end])
        if key != text.text.strip():
            trace.append(f"{text.text.strip()}→{key}: whole message, punctuation/repeats/"
                         "particles folded")
        return Match(term.text, term.category, term.severity, start, end, original[start:end],
                     term.mode, "message", tuple(trace))


# How many times more often jieba counts a one-character insult than a homophone read as it.
_RARE_HOMOPHONE_RATIO = 10


# Digits written for the letters they look like (1d10t, m0r0n, 3vil).
_DIGIT_FOR_LETTER = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5", "t": "7"}


def digit_spellings(term: str, most: int = 64) -> list[str]:
    """A latin word of four or more letters spelled with look-alike digits, every combination
    with at least one digit and one letter left (idiot → 1d10t, id1ot …; at most `most`).
    Shorter words are product codes as often as not (5B, 2B pencils)."""
    if len(term) < 4 or not (term.isascii() and term.isalpha()):
        return []
    options = [(c, _DIGIT_FOR_LETTER[c]) if c in _DIGIT_FOR_LETTER else (c,) for c in term]
    forms = []
    for spelled in itertools.islice(itertools.product(*options), 1, None):
        form = "".join(spelled)
        if any(c.isalpha() for c in form):
            forms.append(form)
        if len(forms) >= most:
            break
    return forms


_NUMERAL_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
                   "七": "7", "八": "8", "九": "9"}


def b_digits(term: str) -> list[str]:
    """A latin b of a coded insult written as 13, the two digits that look like it side by side
    (傻b → 傻13, 低b → 低13); not after a digit, where 13 would be read as part of a number."""
    if "b" not in term or len(term) > 3:
        return []  # a longer latin word (dumbass) is spelled with look-alike digits above
    spelled = "".join("13" if c == "b" and (i == 0 or not term[i - 1].isdigit()) else c
                      for i, c in enumerate(term))
    return [spelled] if spelled != term and not spelled.isdigit() else []


def numeral_digits(term: str) -> list[str]:
    """A term with Chinese numerals and other characters spelled with digits for them, each
    numeral alone and all together (二百五 → 2百五, 二百5, 2百5; 死八婆 → 死8婆). A term that is
    only numerals derives nothing: digits alone are prices and sizes."""
    positions = [i for i, c in enumerate(term) if c in _NUMERAL_DIGITS]
    if not positions or len(positions) == len(term):
        return []
    forms = []
    for mask in range(1, 2 ** min(len(positions), 4)):
        chars = list(term)
        for bit, index in enumerate(positions[:4]):
            if mask >> bit & 1:
                chars[index] = _NUMERAL_DIGITS[chars[index]]
        forms.append("".join(chars))
    return forms


def anchor_groups(lexicon: Lexicon, always: frozenset[str]) -> frozenset[str]:
    """Groups looked for in every message: `always`, and for each `@near` rule the side whose
    members are rarer in text (longer shortest member, then fewer members). The other sides,
    and the groups of `@scope` lines, are context: looked for only when an anchor was seen."""
    members: dict[str, list[str]] = {}
    for term in lexicon.terms:
        for group in term.parts:
            members.setdefault(group, []).append(term.text)

    def rarity(group: str) -> tuple[int, int]:
        texts = members.get(group, [""])
        return min(map(len, texts)), -len(texts)

    anchors = set(always)
    for rule in lexicon.near:
        anchors.add(max((rule.first, rule.second), key=rarity))
    return frozenset(anchors)


def _respelling_fits(spelling: Respelling, span: tuple[int, int], term: str) -> bool:
    """A digit read as its numeral's syllable stands for another character of the term (4 for
    死, not 四: numerals written as digits are the engine's other spellings, 2百5); letters read
    from look-alike digits spell at least three letters of pinyin (5h4b1), not bare initials
    (5b is a pencil)."""
    start, end = span
    if spelling.latin:
        return sum(1 for c in spelling.text[start:end] if c.isascii() and c.isalpha()) >= 3
    return len(term) == end - start and all(
        term[p - start] != spelling.text[p] for p in spelling.positions if start <= p < end)


# What someone is called by (你个…, 真是个…): a name for a person follows.
_CALLED = ("你个", "妳个", "你是个", "您是个", "真是个")


def _counted_as_one(base: str, end: int) -> bool:
    """一个 and the end of the clause follow: a person or a thing counted, said of someone
    (…一个，), where 一个月 or 一个人 goes on."""
    return base.startswith("一个", end) and (end + 2 == len(base) or not base[end + 2].isalnum())


def _lower_case(text: NormalizedText, hit: _Hit) -> bool:
    start, end = text.span(hit.start, hit.end)
    return not any(c.isupper() for c in text.original[start:end])


def _lone_capital(text: NormalizedText, hit: _Hit) -> bool:
    start, end = text.span(hit.start, hit.end)
    return _LONE_CAPITAL.search(text.original, start, end) is not None


def _stands_alone(base: str, start: int, end: int) -> bool:
    """Nothing but punctuation, space or the ends of the text around the span: it is a whole
    word whatever jieba would say, and jieba need not run."""
    return (start == 0 or not base[start - 1].isalnum()) and (
        end == len(base) or not base[end].isalnum())


def _inside_title(base: str, start: int, end: int) -> bool:
    """The span lies inside title marks (《白痴》 is a novel, 《我的微信》 a song): a work's
    name, not something said to the buyer."""
    opening = base.rfind("《", 0, start)
    if opening < 0 or "》" in base[opening:start]:
        return False
    closing = base.find("》", end)
    return closing >= 0 and "《" not in base[end:closing]


# Quotation marks, opening → closing ("" closes itself).
_QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』", '"': '"'}
_QUOTED_NAME_MAX = 16


def _names_a_thing(base: str, start: int, end: int) -> bool:
    """The span lies inside a quoted name longer than it that qualifies the next word (“微信红”
    色号, 「咸鱼翻身」挂件, "作死"的做法): the quotation names a colour, a product or a saying,
    as title marks name a work. A quoted term alone (加“微信”), or a quotation that ends the
    clause (外号“…”。), is still said."""
    for opening, closing in _QUOTE_PAIRS.items():
        left = base.rfind(opening, max(0, start - _QUOTED_NAME_MAX), start)
        if left < 0 or closing in base[left + 1:start]:
            continue
        right = base.find(closing, end, end + _QUOTED_NAME_MAX)
        if right < 0 or right - left - 1 > _QUOTED_NAME_MAX or opening in base[end:right]:
            continue
        after = base[right + 1:right + 3]
        if right - left - 1 > end - start and after[:1] == "的":
            after = after[1:]
        return right - left - 1 > end - start and after[:1] >= "\u4e00" and after[:1] <= "\u9fff"
    return False


def _latin_soon(base: str, end: int) -> bool:
    return any(c.isascii() and c.isalnum() for c in base[end:end + 5])


def _spread(text: NormalizedText, hit: _Hit) -> bool:
    """Characters were removed between those of the hit (傻*逼, 薇-芯, 滚…蛋): the message shows
    evasion, so word boundaries and everyday-word checks no longer apply."""
    return _spread_span(text, hit.start, hit.end)


def _spread_span(text: NormalizedText, start: int, end: int) -> bool:
    first, last = text.span(start, end)
    return last - first > end - start


_Entry = tuple[str, tuple[Term, ...], tuple[Term, ...], frozenset[str]]


def _automaton(entries: dict[str, list[Term]]) -> KeyAutomaton[_Entry]:
    """Values: (key, deny terms, group members, the members' groups)."""
    values: dict[str, _Entry] = {}
    for key, terms in entries.items():
        parts = tuple(t for t in terms if t.parts)
        values[key] = (key, tuple(t for t in terms if not t.parts), parts,
                       frozenset(g for t in parts for g in t.parts))
    return KeyAutomaton(values)
