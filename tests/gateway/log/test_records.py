"""Record values: built from a real verdict, refusing what the log could not store honestly."""

from __future__ import annotations

from datetime import datetime

import pytest

from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from gateway.log import InterceptionRecord, LogFilter, Outcome, Review, ReviewState
from gateway.log.errors import InvalidCursor
from gateway.log.filters import Cursor
from tests.gateway.log.records_factory import T0, make_record


def test_from_verdict_keeps_what_the_scorer_decided(mini_scorer: Scorer) -> None:
    verdict = mini_scorer.score("加我薇信", Role.AGENT)
    record = InterceptionRecord.from_verdict(
        verdict, id="abc", shop="s", user="u", conversation="c", buyer="b",
        outcome=Outcome.BLOCKED, time=T0)
    assert (record.tier, record.rule, record.categories) == (
        Tier.BLOCK, "off-platform", ("off_platform",))
    assert record.matches == tuple(m.to_dict() for m in verdict.matches)
    assert record.text == "加我薇信" and record.normalized == verdict.normalized
    assert record.version == verdict.version and record.tone is None


def test_a_buyer_verdict_keeps_its_intent_scores(scorer: Scorer) -> None:
    verdict = scorer.score("你们这机器人听不懂人话，给我转人工！！", Role.BUYER)
    assert verdict.tier is Tier.ROUTE_TO_HUMAN and verdict.intent is not None
    record = InterceptionRecord.from_verdict(
        verdict, id="r1", shop="s", user="buyer-9", conversation="c", buyer="buyer-9",
        outcome=Outcome.ROUTED, time=T0)
    assert record.intent == verdict.intent.to_dict()
    assert record.intent["label"] == "wants_human"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        make_record(time=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        LogFilter(since=datetime(2025, 1, 1))


def test_a_review_must_decide() -> None:
    with pytest.raises(ValueError):
        Review("x", ReviewState.UNREVIEWED, None, "qa")


def test_cursor_round_trips_and_foreign_cursors_are_refused() -> None:
    cursor = Cursor(T0, "abc")
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ("", "garbage!", "W10", Cursor(T0, "a").encode()[:-3]):
        with pytest.raises(InvalidCursor):
            Cursor.decode(bad)


def test_scoping_narrows_and_never_widens() -> None:
    assert LogFilter().scoped_to(["a"]).shops == frozenset({"a"})
    assert LogFilter(shops=frozenset({"a", "b"})).scoped_to(["b", "c"]).shops == frozenset({"b"})
    assert LogFilter(shops=frozenset({"x"})).scoped_to(["a"]).shops == frozenset()
