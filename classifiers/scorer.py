"""Scorer: the one entry point of the text pipeline, normalise → match → classify → decide.

Built once from a lexicon directory and a policy file (`Scorer.load`) — automata, tables and the
word segmenter are made there, never per message — then `score(text, role)` returns a `Verdict`.
It only computes; what happens to the message is the gateway's business.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from classifiers.automaton import KeywordMatcher, PartHit
from classifiers.contacts import (
    ADDRESS_STARTS,
    CHANNEL_GROUPS,
    ContactDetector,
    without_addresses,
)
from classifiers.contacts import CATEGORY as CONTACT_CATEGORY
from classifiers.context import ContextReader, ContextSignal, DialogueActs
from classifiers.emoji_words import EmojiWords, Rewritten
from classifiers.errors import InputError, PolicyError
from classifiers.intent.classifier import IntentClassifier
from classifiers.invitation.model import POSITIVE as INVITED
from classifiers.invitation.model import InvitationModel
from classifiers.lexicon import Lexicon
from classifiers.masked_latin import MaskedLatin
from classifiers.normalize import Normalizer
from classifiers.normalize.base import NormalizedText
from classifiers.normalize.pinyin import PinyinView
from classifiers.policy.decide import Policy, ShopPolicy
from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS
from classifiers.resources import DEFAULT_MAX_CHARS
from classifiers.results import Match, MatchMode, Role, Verdict
from classifiers.segmentation import WordSegmenter
from classifiers.split_characters import SplitCharacters
from classifiers.structure import StructureMatcher
from classifiers.tone.answer import FILE_NAME as ANSWER_FILE
from classifiers.tone.classifier import PairedModels, ToneClassifier, ToneScores
from classifiers.tone.features import tone_view
from classifiers.tone.sarcasm import LABEL as SARCASM_LABEL
from classifiers.tone.sarcasm import SarcasmStage

# Categories whose words an emoji may stand for (你个🐷, 🐶东西, 🐧号, ➕V, 好评返🧧); not the tone
# categories, where a lone 🙂 (CLDR: 呵呵) is usually just a smile.
EMOJI_WORD_CATEGORIES = frozenset({"abuse", "discrimination", "off_platform", "review_incentive"})

# Control characters other than tab and newlines, and lone surrogates (undecodable bytes that
# reached us through surrogateescape): text no client should send.
# The groups whose members the invitation model must not read inside a refusal or under the
# platform's name (不用加VX, 不接受支付宝/微信直接转账): every way of naming a channel.
INVITATION_CHANNELS = frozenset({*CHANNEL_GROUPS, "pay_channel"})

# A number (digits, maybe split by spaces or marks, or masked with *) is one token to the
# invitation model: the contact detector tells a phone number from an order number, IMEI or date
# by its digits; the model reads the words around it.
_NUMBER = re.compile(r"[0-9*]+(?:[ \-./:]+[0-9*]+)*")
# A read with none of these characters holds no number and no address: it is left as it is
# after one search (three quarters of messages), where the address check and the number
# substitution would scan it twice.
_EDITED = re.compile("[0-9*" + re.escape(ADDRESS_STARTS) + "]")

# The invitation model reads wording: a message with fewer letters and numbers (a number counts
# one) than this (直接拒收, 我来取消, 号码) gives it a few n-grams and no context to go on, and
# short explicit invitations (加我V) are the rules' to catch.
MIN_INVITATION_WORDING = 8
_WORDING = re.compile(r"[^\W_]")

_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class Scorer:
    def __init__(self, lexicon: Lexicon, policy: Policy, *, tone: ToneClassifier | None = None,
                 intent: IntentClassifier | None = None,
                 invitation: InvitationModel | None = None,
                 max_chars: int = DEFAULT_MAX_CHARS, reuse: Scorer | None = None) -> None:
        """`reuse`: a scorer whose configuration-independent parts (word segmenter, pinyin
        tables, and the normaliser when the steps are the same) this one may share, which
        makes a reload ten times cheaper. They are read-only after construction."""
        self.lexicon = lexicon
        self.policy = policy
        self.tone = tone
        self.intent = intent
        self.invitation = invitation
        self.max_chars = max_chars
        if policy.tone_labels and tone is None:
            raise PolicyError(f"rules use tone ({', '.join(sorted(policy.tone_labels))}) but no "
                              "tone model is loaded (set REPLYGUARD_TONE_MODEL, or use a "
                              "policy without tone rules)", path=policy.source)
        if policy.uses_answer and (tone is None or tone.answer_ is None):
            raise PolicyError("rules use context unanswered but the tone model has no answer "
                              f"model ({ANSWER_FILE}; retrain with `replyguard train`)",
                              path=policy.source)
        if policy.intent_labels and intent is None:
            raise PolicyError(f"rules use intent ({', '.join(sorted(policy.intent_labels))}) "
                              "but no intent model is loaded (set REPLYGUARD_INTENT_MODEL, or "
                              "use a policy without intent rules)", path=policy.source)
        step_names = policy.model.normalization or DEFAULT_STEPS
        unknown = [name for name in step_names if name not in NORMALIZE_STEPS]
        if unknown:
            raise PolicyError(f"normalization: unknown step {unknown[0]!r}; known: "
                              f"{', '.join(NORMALIZE_STEPS)}", path=policy.source)
        self.step_names = tuple(step_names)
        self.normalizer: Normalizer
        if reuse is not None and reuse.step_names == self.step_names:
            self.normalizer = reuse.normalizer
        else:
            self.normalizer = Normalizer([NORMALIZE_STEPS[name]() for name in step_names])
        pinyin = reuse.matcher.pinyin if reuse is not None else PinyinView()
        segmenter = reuse.matcher.segmenter if reuse is not None else WordSegmenter()
        split = reuse.matcher.split if reuse is not None else SplitCharacters()
        self.matcher: KeywordMatcher = KeywordMatcher(lexicon, self.normalizer, pinyin,
                                                      segmenter, split).build(
            always_groups=CHANNEL_GROUPS)
        self.structure = StructureMatcher(lexicon, self.normalizer).build()
        self.masked_latin = MaskedLatin(lexicon.terms)
        # Shop overlays: a small matcher per shop that has one, consulted for that shop's
        # messages only; the shared automata (and the shared groups, rules and scopes, which
        # apply to every shop) stay shared. An overlay whose files did not change is reused
        # from the running scorer, so a reload costs what changed.
        self.overlays: dict[str, KeywordMatcher] = {}
        for shop, overlay in lexicon.shops.items():
            previous = reuse.overlays.get(shop) if reuse is not None else None
            if previous is not None and previous.normalizer is self.normalizer \
                    and reuse is not None and reuse.lexicon.shops[shop].digest == overlay.digest:
                self.overlays[shop] = previous
            else:
                self.overlays[shop] = KeywordMatcher(
                    Lexicon(overlay.terms, overlay.allow), self.normalizer, pinyin,
                    segmenter, split).build()
        self.contacts: ContactDetector = reuse.contacts if reuse is not None else ContactDetector(
            pinyin.syllables)
        self.emoji_words: EmojiWords = reuse.emoji_words if reuse is not None and \
            reuse.lexicon.digest == lexicon.digest else EmojiWords(
                (t.text for t in lexicon.terms if t.category in EMOJI_WORD_CATEGORIES),
                pinyin.syllables)
        self.context_reader: ContextReader = DialogueActs()
        # The sarcasm second stage runs only where a rule reads it, and then only for replies
        # to a known buyer message that the tone model leaves uncertain (it reads the pair;
        # docs/tone.md, "round 5"): a policy without such a rule never pays for it.
        self._sarcasm: SarcasmStage | None = tone.sarcasm_ \
            if tone is not None and SARCASM_LABEL in policy.tone_labels else None
        self._tone_and_invitation = PairedModels(tone, invitation.classifier, INVITED) \
            if tone is not None and invitation is not None else None
        model = tone.version if tone is not None else "-"
        if intent is not None:  # without one, versions stay what they were
            model += f":{intent.version}"
        invited = invitation.version if invitation is not None else "-"
        self.version = hashlib.sha256(
            f"{policy.digest}:{lexicon.digest}:{model}:{invited}".encode()).hexdigest()[:12]

    @classmethod
    def load(cls, lexicon_dir: Path | str, policy_file: Path | str, *,
             tone_model: Path | str | None = None, intent_model: Path | str | None = None,
             invitation_model: Path | str | None = None,
             max_chars: int = DEFAULT_MAX_CHARS, reuse: Scorer | None = None) -> Scorer:
        """Build from files. `tone_model`, `intent_model` and `invitation_model` are artefact
        directories, or None for no such model."""
        lexicon = Lexicon.load(lexicon_dir, reuse.lexicon if reuse is not None else None)
        tone = ToneClassifier.from_directory(tone_model) if tone_model is not None else None
        intent = IntentClassifier.from_directory(intent_model) \
            if intent_model is not None else None
        known = sorted({*lexicon.categories, CONTACT_CATEGORY})
        policy = Policy.load(policy_file, known_categories=known,
                             known_tone_labels=tone.policy_labels_ if tone is not None else None,
                             known_intent_labels=intent.labels_ if intent is not None else None)
        invitation = InvitationModel.from_directory(
            invitation_model, reuse.invitation if reuse is not None else None) \
            if invitation_model is not None else None
        return cls(lexicon, policy, tone=tone, intent=intent, invitation=invitation,
                   max_chars=max_chars, reuse=reuse)

    def check(self, text: str, what: str = "消息") -> None:
        """Raise InputError if `text` cannot be scored (`what` names it in the message)."""
        if not text or text.isspace():
            raise InputError(f"{what}为空")
        if len(text) > self.max_chars:
            raise InputError(f"{what}过长：{len(text)} 个字符（上限 {self.max_chars}）")
        bad = _BAD_CHARS.search(text)
        if bad:
            code = ord(bad.group())
            kind = "无效的 Unicode 代理字符" if 0xD800 <= code <= 0xDFFF else "控制字符"
            raise InputError(f"{what}第 {bad.start() + 1} 个字符是{kind} U+{code:04X}")

    def score(self, text: str, role: Role = Role.AGENT, *, shop: str | None = None,
              now: datetime | None = None, context: str | None = None) -> Verdict:
        """`shop` selects the shop's policy and its lexicon overlay; `now` (aware) is the time
        for time-window rules (default: the current time); `context` is the buyer's previous
        message in the conversation, which the reply answers (None: unknown; then rules with
        a context condition do not apply). Repeat offences are not applied here: they need
        counters, which the gateway's Moderator owns."""
        return self.score_under(self.policy.for_shop(shop), text, role, shop=shop, now=now,
                                context=context)

    def read_context(self, context: str) -> ContextSignal:
        """The buyer's message `context`, read for the policy when a rule first asks
        (InputError now if it is unusable)."""
        self.check(context, "上下文")
        return ContextSignal(context, self.context_reader.act, self.normalizer.fold)

    def score_under(self, policy: ShopPolicy, text: str, role: Role = Role.AGENT, *,
                    shop: str | None = None, now: datetime | None = None,
                    context: str | None = None) -> Verdict:
        """`score` with the shop's policy already chosen (one of `self.policy`'s): the
        Moderator looks it up once per message and uses it for scoring, escalation and the
        intervention alike. `shop` selects the lexicon overlay (a shop without a policy section
        of its own gets the default policy, which does not name it)."""
        started = time.perf_counter()
        self.check(text)
        signal = self.read_context(context) if context is not None else None
        rewritten = self.emoji_words.rewrite(text)
        normalized = self.normalizer(rewritten.text if rewritten is not None else text)
        overlay = self.overlays.get(shop) if shop is not None else None
        hits = self.matcher.match_hits(normalized, overlay)
        matches = hits.matches
        parts, names = self.structure.named(hits.parts)
        masked = self.masked_latin.find(normalized.original)
        if masked:  # a letter of another script the confusables read already matched (lοser)
            matches.extend(m for m in masked if not any(
                x.term == m.term and x.start < m.end and m.start < x.end for x in matches))
        channel_ends = [p.end for p in parts if p.group in CHANNEL_GROUPS]
        contacts = self._contacts(normalized, matches, channel_ends)
        if contacts:
            matches.extend(contacts)
        if parts:
            matches = self.structure.apply(normalized, matches, parts)
        # The invitation model is asked only when the rules have not already found a diversion
        # (a rule hit explains itself better), so most diverting messages skip its reading too.
        read = None
        # (the read is never longer than the base text: a shorter base has too little wording)
        if self.invitation is not None and len(normalized.text) >= MIN_INVITATION_WORDING \
                and not any(m.category == CONTACT_CATEGORY and m.severity >= 2 for m in matches):
            read = self._invitation_read(normalized, matches, parts, overlay, names)
            if read is not None and not _enough_wording(read):
                read = None
        # the tone and intent models read the same view (titles emptied): built once
        view = tone_view(normalized.text)
        invited: float | None = None
        tone: ToneScores | None
        if read is not None and read == view and self._tone_and_invitation is not None:
            # the invitation model reads what the tone model reads: one kernel pass for both
            tone, invited = self._tone_and_invitation.predict(view)
        else:
            tone = self.tone.predict(view) if self.tone is not None else None
            if read is not None and self.invitation is not None:
                invited = self.invitation.probability(read)
        if invited is not None and self.invitation is not None:
            hit = _invitation(self.invitation, normalized, invited)
            if hit is not None:
                matches.append(hit)
        if tone is not None and self._sarcasm is not None and signal is not None \
                and role is not Role.BUYER and self._sarcasm.uncertain(tone.scores):
            tone = _second_look(self._sarcasm, tone, view, signal)
        if signal is not None and self.tone is not None and self.tone.answer_ is not None:
            answer, reply = self.tone.answer_, normalized.text
            signal.answered_by(lambda read: answer.probability(read.folded, read.act, reply))
        # Intent is what a buyer asks for: agents' and bots' messages are not scored for it.
        intent = self.intent.predict(view) \
            if self.intent is not None and role is Role.BUYER else None
        if rewritten is not None:
            matches = [_from_emoji(m, text, rewritten) for m in matches]
        decision = policy.decide(role, matches, tone, intent=intent, text=text, now=now,
                                 context=signal)
        categories = tuple(sorted({m.category for m in matches})) if matches else ()
        return Verdict(text, role, decision.tier, decision.rule, decision.reason, categories,
                       tuple(sorted(matches, key=_span_order)), self.version,
                       (time.perf_counter() - started) * 1e6, normalized.text, tone,
                       intent=intent, context=signal)

    def invitation_text(self, text: str) -> str | None:
        """What the invitation model reads of an agent's `text` (the shared lexicons, as in
        `score_under`): training reads its rows through this, so that the model learns from
        what it will be shown."""
        rewritten = self.emoji_words.rewrite(text)
        normalized = self.normalizer(rewritten.text if rewritten is not None else text)
        hits = self.matcher.match_hits(normalized, None)
        parts, names = self.structure.named(hits.parts)
        return self._invitation_read(normalized, hits.matches, parts, None, names)

    def _invitation_read(self, normalized: NormalizedText, matches: list[Match],
                         parts: Sequence[PartHit], overlay: KeywordMatcher | None = None,
                         names: Sequence[tuple[int, int]] = ()) -> str | None:
        """The base text less what the off-platform `@scope` cancels and less addresses, with
        every number one token (numbers and addresses are the contact detector's business; the
        platform's own links are no invitation), and less the allow phrases of the shop's
        overlay: a shop's product name (QQ糖, 微信读书卡) is no wording of an invitation, nor the
        product names the shared `product_head` members make (`names`)."""
        read = self.structure.unscoped(normalized, CONTACT_CATEGORY, matches, parts,
                                       INVITATION_CHANNELS, names)
        if read is None:
            return None
        if overlay is not None:
            read = overlay.without_allowed(read)
        if _EDITED.search(read) is None:
            return read
        return _NUMBER.sub("0", without_addresses(read))

    def _contacts(self, normalized: NormalizedText, matches: list[Match],
                  channel_ends: list[int]) -> list[Match]:
        base = normalized.text
        keyword_ends = [self._base_end(normalized, m) for m in matches
                        if m.category == CONTACT_CATEGORY and m.view != "message"]
        keyword_ends.extend(channel_ends)
        found = []
        for hit in self.contacts.detect(base, keyword_ends, normalized.original):
            if hit.on_original:
                start, end = hit.start, hit.end
                found.append(Match(hit.kind, CONTACT_CATEGORY, hit.severity, start, end,
                                   normalized.original[start:end], MatchMode.SUBSTRING,
                                   "contact", ()))
                continue
            start, end = normalized.span(hit.start, hit.end)
            original = normalized.original[start:end]
            trace = self.normalizer.explain(original)
            digits = self.contacts.view(base[hit.start:hit.end])
            if digits != base[hit.start:hit.end]:
                trace.append(f"{base[hit.start:hit.end]}→{digits}: Chinese numerals → digits")
            found.append(Match(hit.kind, CONTACT_CATEGORY, hit.severity, start, end, original,
                               MatchMode.SUBSTRING, "contact", tuple(trace)))
        return found

    @staticmethod
    def _base_end(normalized: NormalizedText, match: Match) -> int:
        """Position in the base text just after the normalised characters of `match`."""
        return bisect_left(normalized.original_ends(), match.end) + 1


def _second_look(stage: SarcasmStage, tone: ToneScores, view: str,
                 signal: ContextSignal) -> ToneScores:
    """The tone scores with the sarcasm stage's probability added (`sarcastic_shape`)."""
    return ToneScores(tone.label, {**tone.scores,
                                   SARCASM_LABEL: stage.probability(view, signal.folded,
                                                                    signal.act, tone.scores)})


def _invitation(model: InvitationModel, normalized: NormalizedText,
                probability: float) -> Match | None:
    """The invitation model's hit for its `probability`, if any."""
    severity = model.severity(probability)
    if not severity:
        return None
    original = normalized.original
    start = len(original) - len(original.lstrip())
    end = len(original.rstrip())
    threshold = model.block if severity == 2 else model.notice
    return Match("站外引导意图", CONTACT_CATEGORY, severity, start, end, original[start:end],
                 MatchMode.MESSAGE, "invitation",
                 (f"invitation model: p = {probability:.2f} ≥ {threshold}",))


def _enough_wording(read: str) -> bool:
    """At least MIN_INVITATION_WORDING letters and numbers; counted only when the length
    leaves a doubt (most messages are clearly long enough or too short)."""
    if len(read) < MIN_INVITATION_WORDING:
        return False
    return len(read) >= 2 * MIN_INVITATION_WORDING or \
        len(_WORDING.findall(read)) >= MIN_INVITATION_WORDING


def _from_emoji(match: Match, text: str, rewritten: Rewritten) -> Match:
    """A match on the emoji-rewritten text, on the message as sent: its span, its text, and
    for a match that covers an emoji read as a word, evasion and a trace line."""
    if match.end <= match.start:
        return match
    start, end = rewritten.span(match.start, match.end)
    read = [f"{char}→{name}: emoji read as its CLDR name" for a, b, char, name in
            rewritten.replaced if start <= a and b <= end]
    return dataclasses.replace(match, start=start, end=end, text=text[start:end],
                               trace=(*read, *match.trace), evasion=match.evasion or bool(read))


def _span_order(match: Match) -> tuple[int, int, str]:
    return match.start, -match.end, match.category
