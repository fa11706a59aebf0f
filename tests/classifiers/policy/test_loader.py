"""Reading a policy document: what cannot even be parsed is a PolicyError naming the file."""

from __future__ import annotations

import pytest

from classifiers.errors import PolicyError
from classifiers.policy.loader import read


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
