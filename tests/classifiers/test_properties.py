"""Property tests: normalisation never raises, and every match span is honest."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.errors import InputError
from classifiers.normalize import Normalizer
from classifiers.scorer import Scorer

# Text that looks like chat: CJK, latin, digits, punctuation, separators, invisible characters,
# full-width forms, and pieces of real terms so that matches actually happen.
_ALPHABET = st.sampled_from(list(
    "傻逼煞笔微信薇威卫星号加我嗯哦不知道你妈您滚筒操作呵嘻哈亲好的，。！？ *_-.❤😊"
    "\u200b\ufe0fｓｂＳＢsbvxwxqQ１３８0123456789一三八幺發貨\t\n"))
CHATTY = st.lists(st.one_of(_ALPHABET, st.characters(codec="utf-8")), max_size=60).map("".join)

PROFILE = settings(max_examples=300, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROFILE
@given(text=CHATTY)
def test_normalisation_never_raises_and_offsets_stay_inside(normalizer: Normalizer,
                                                            text: str) -> None:
    result = normalizer(text)
    starts, ends = result.original_starts(), result.original_ends()
    assert len(starts) == len(ends) == len(result.text)
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends))
    assert list(starts) == sorted(starts)


@PROFILE
@given(text=CHATTY)
def test_every_match_span_lies_inside_and_covers_the_matched_text(scorer: Scorer,
                                                                  text: str) -> None:
    try:
        verdict = scorer.score(text)
    except InputError:
        return
    for match in verdict.matches:
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start:match.end] == match.text
        covered = scorer.normalizer(match.text).text
        assert covered.strip(), "a match covers at least one visible character"
