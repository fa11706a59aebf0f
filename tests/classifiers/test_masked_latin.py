"""Latin insults with symbols or letters of another script typed for some of their letters."""

from __future__ import annotations

import pytest

from classifiers.lexicon import Term
from classifiers.masked_latin import MaskedLatin
from classifiers.results import MatchMode, Role
from classifiers.scorer import Scorer

TERMS = [Term("fuck", "abuse", 3), Term("idiot", "abuse", 3, MatchMode.WORD),
         Term("loser", "abuse", 2), Term("hello", "sarcasm", 1)]


@pytest.mark.parametrize(("text", "term", "span"), [
    ("f#ck this order", "fuck", "f#ck"), ("what a f**king mess", "fuck", "f**k"),
    ("you 1d!ot", None, None),  # a digit is the look-alike digits' business, not a mask
    ("idi%t", "idiot", "idi%t"), ("lo¥er", "loser", "lo¥er"), ("lοser", "loser", "lοser"),
    ("h*llo", None, None),  # not an insult category
    ("*uck", None, None), ("fuc*", None, None),  # first and last letters are typed
    ("f**k", "fuck", "f**k"), ("f***", None, None),  # at most half masked
    ("an idi*tic plan", None, None),  # a word term is the whole run
    ("e-mail me, self-check", None, None),
])
def test_a_masked_letter_inside_a_latin_word(text: str, term: str | None,
                                             span: str | None) -> None:
    found = MaskedLatin(TERMS).find(text)
    assert [(m.term, m.text) for m in found] == ([(term, span)] if term else [])
    assert all(m.evasion and "inside a latin word" in m.trace[0] for m in found)


def test_the_scorer_holds_a_masked_insult(scorer: Scorer) -> None:
    verdict = scorer.score("sh!t, 又是你", Role.AGENT)
    assert [m.text for m in verdict.matches if m.category == "abuse"] == ["sh!t"]
    assert verdict.tier.severity > 0
