"""Reading a policy document: what cannot even be parsed is a PolicyError naming the file."""

from __future__ import annotations

import pytest

from classifiers.errors import PolicyError
from classifiers.policy.loader import read, validate


@pytest.mark.issue(18)
@pytest.mark.parametrize(("raw", "message"), [
    ("version: 1\nrules: \x06\n", r"U\+0006"),       # a control character YAML refuses
    ("version: 1\nrules: []\n# \ud800\n", "not valid Unicode"),  # a JSON body's lone surrogate
    (b"version: 1\n\xff\n", "not valid UTF-8"),
])
def test_loader_unreadable_text_is_a_policy_error(raw: str | bytes, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as error:
        read(raw, "candidate-policy.yaml")
    assert error.value.path == "candidate-policy.yaml"


def test_loader_reports_reference_problems_alongside_schema_errors() -> None:
    text = ("version: 1\n"
            "periods:\n"
            "  night: {from: '22:00'}\n"                                   # 3: schema error
            "rules:\n"
            "  - {id: a, when: {categories: [cold]}, tier: notice}\n"      # 5
            "  - {id: b, when: {categories: [colt], during: [night]}, tier: notice}\n"
            "  - {id: a, when: {categories: [cold]}, tier: notice}\n"      # 7: duplicate
            "  - {id: c, when: {categories: [cold]}, tier: blok}\n"        # 8: schema error
            "escalation:\n"
            "  - {id: e1, when: {categories: [abusee]}, count: 3, within: 1h}\n"
            "shops:\n"
            "  s9: {disable: [zzz]}\n")
    document = validate(read(text, "p.yaml"), known_categories=["cold", "abuse"],
                        known_tone_labels=None)
    found = {(p.line, p.column, p.message.split(":")[0]) for p in document.errors}
    assert (3, 17, "periods.night.from") in found
    assert (8, 47, "rules.3.tier") in found
    assert (7, 10, "rules.2.id") in found               # the duplicate at its own line
    assert (6, 33, "rules.1.when.categories.0") in found
    assert (10, 34, "escalation.0.when.categories.0") in found
    assert (12, 18, "shops.s9.disable.0") in found
    # a malformed period is reported once, not again as "unknown" where a rule names it
    assert not any("unknown period" in p.message for p in document.errors)
    assert not any(p.line == 1 and p.column == 1 for p in document.errors)
