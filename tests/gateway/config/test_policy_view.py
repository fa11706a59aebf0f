"""A shop's view of the policy file and its edit put back: other shops' sections are never
shown to it, and the platform's part and other sections stay byte for byte as they were."""

from __future__ import annotations

import pytest
import yaml

from gateway.config.policy_view import merge_shop_edit, shop_view
from gateway.errors import ConfigRejected, Forbidden, InvalidRequest

DEFAULT = """version: 1
rules:   # the platform's rules
  - {id: cold, when: {categories: [cold]}, tier: notice}
"""
SHOPS = """shops:                 # per-shop overrides
  # 海淀店 sells phones: its brand rule
  s2:
    rules:
      - id: s2-brand           # a rival's name
        when: {categories: [off_platform]}
        tier: block
  s1:
    tiers: {notice: {duration_s: 15}}

  # s3 is new
  s3:
    disable: [cold]
"""
FILE = DEFAULT + SHOPS


def test_a_shop_sees_the_default_and_its_own_section_only() -> None:
    view = shop_view(FILE, "s1")
    assert view == DEFAULT + "shops:                 # per-shop overrides\n" \
        "  s1:\n    tiers: {notice: {duration_s: 15}}\n"
    assert "s2" not in view and "海淀店" not in view and "s3" not in view
    assert yaml.safe_load(view)["shops"] == {"s1": {"tiers": {"notice": {"duration_s": 15}}}}


def test_a_shop_without_a_section_sees_no_shops_block() -> None:
    view = shop_view(FILE, "s9")
    assert view == DEFAULT and "shops" not in yaml.safe_load(view)
    assert shop_view(DEFAULT, "s1") == DEFAULT


def test_an_edit_of_the_own_section_replaces_only_that_section() -> None:
    edited = shop_view(FILE, "s1").replace("duration_s: 15", "duration_s: 20")
    merged = merge_shop_edit(FILE, edited, "s1")
    assert merged == FILE.replace("duration_s: 15", "duration_s: 20")
    assert shop_view(merged, "s2") == shop_view(FILE, "s2")


@pytest.mark.parametrize("indent", [2, 4])
def test_a_new_section_is_added_at_the_files_indentation(indent: int) -> None:
    pad = " " * indent
    mine = DEFAULT + f"shops:\n{pad}s9:\n{pad}  disable: [cold]\n"
    merged = merge_shop_edit(FILE, mine, "s9")
    assert merged == FILE + "  s9:\n    disable: [cold]\n"
    assert yaml.safe_load(merged)["shops"]["s9"] == {"disable": ["cold"]}
    # a file with no shops yet gets the block at its end
    assert merge_shop_edit(DEFAULT, mine, "s9") == DEFAULT + "shops:\n  s9:\n    disable: [cold]\n"


def test_removing_the_own_section_keeps_the_others() -> None:
    merged = merge_shop_edit(FILE, DEFAULT, "s1")
    assert set(yaml.safe_load(merged)["shops"]) == {"s2", "s3"}
    assert "s2-brand" in merged and "duration_s" not in merged
    # the only section: the block goes, since an empty `shops:` is null
    alone = DEFAULT + "shops:\n  s1:\n    disable: [cold]\n"
    assert merge_shop_edit(alone, DEFAULT, "s1") == DEFAULT


@pytest.mark.parametrize("candidate", [
    DEFAULT.replace("tier: notice", "tier: block") + "shops:\n  s1:\n    disable: [cold]\n",
    DEFAULT + "shops:\n  s1:\n    disable: [cold]\n  s2:\n    disable: []\n",
    DEFAULT + "escalation: []\n",
])
def test_a_change_outside_the_own_section_is_forbidden(candidate: str) -> None:
    with pytest.raises(Forbidden, match="shops: s1:"):
        merge_shop_edit(FILE, candidate, "s1")


def test_comments_and_layout_of_the_default_part_are_kept() -> None:
    # the view's default part is compared by meaning; the file keeps the platform's own text
    candidate = shop_view(FILE, "s1").replace("# the platform's rules", "# mine now")
    assert merge_shop_edit(FILE, candidate, "s1") == FILE


def test_a_candidate_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        merge_shop_edit(FILE, "- just a list\n", "s1")


LIMITED = """version: 1
rules:
  # 竞品店 s2: a rival's name
  - id: s2-brand
    when: {categories: [off_platform], shops: [s2]}
    tier: block

  - {id: shared, when: {shops: [s2, s1], categories: [cold]}, tier: notice}
  - id: cold
    when: {categories: [cold]}
    tier: notice
  - id: listed
    when:
      shops:
        - s3
        - "s1"
    tier: block
  - id: s3-last
    when: {shops: [s3]}
    tier: notice
escalation: []
shops:
  s1:
    disable: [cold]
"""
LIMITED_FOR_S1 = """version: 1
rules:

  - {id: shared, when: {shops: [s1], categories: [cold]}, tier: notice}
  - id: cold
    when: {categories: [cold]}
    tier: notice
  - id: listed
    when:
      shops:
        [s1]
    tier: block
escalation: []
shops:
  s1:
    disable: [cold]
"""


def test_default_rules_limited_to_other_shops_are_not_in_a_shops_view() -> None:
    view = shop_view(LIMITED, "s1")
    assert view == LIMITED_FOR_S1
    for secret in ("s2", "s3", "竞品店"):
        assert secret not in view
    rules = yaml.safe_load(view)["rules"]
    assert [r["id"] for r in rules] == ["shared", "cold", "listed"]
    assert shop_view(LIMITED, "s2").count("id: ") == 3  # s2-brand, shared, cold


def test_a_view_with_every_default_rule_hidden_keeps_an_empty_rule_list() -> None:
    text = "version: 1\nrules:   # all limited\n  - {id: a, when: {shops: [s2]}, tier: notice}\n"
    view = shop_view(text, "s1")
    assert view == "version: 1\nrules: []   # all limited\n"
    assert yaml.safe_load(view)["rules"] == []
    assert merge_shop_edit(text, view + "shops:\n  s1:\n    disable: [b]\n", "s1") \
        == text + "shops:\n  s1:\n    disable: [b]\n"


def test_a_save_of_the_view_puts_the_hidden_rules_back_as_they_were() -> None:
    edited = shop_view(LIMITED, "s1").replace("disable: [cold]", "disable: [shared]")
    assert merge_shop_edit(LIMITED, edited, "s1") == \
        LIMITED.replace("disable: [cold]", "disable: [shared]")
    # without a section before: added, the hidden rules kept too
    without = LIMITED[:LIMITED.index("\nshops:\n") + 1]
    mine = shop_view(without, "s1") + "shops:\n  s1:\n    disable: [cold]\n"
    assert merge_shop_edit(without, mine, "s1") == LIMITED


@pytest.mark.parametrize("candidate", [
    # the shared rule widened to every shop, or the hidden rule written back in
    LIMITED_FOR_S1.replace("shops: [s1], ", ""),
    LIMITED_FOR_S1.replace("rules:\n", "rules:\n  - {id: s2-brand, when: {categories: [cold]}, "
                                        "tier: block}\n"),
])
def test_a_change_to_the_default_rules_of_the_view_is_forbidden(candidate: str) -> None:
    with pytest.raises(Forbidden, match="shops: s1:"):
        merge_shop_edit(LIMITED, candidate, "s1")


def test_a_shops_section_may_not_take_over_a_rule_it_cannot_see() -> None:
    candidate = LIMITED_FOR_S1 + "    rules:\n      - {id: s2-brand, tier: notice}\n"
    with pytest.raises(InvalidRequest, match="s2-brand"):
        merge_shop_edit(LIMITED, candidate, "s1")


def test_flow_style_rules_with_a_rule_of_another_shop_cannot_be_shown() -> None:
    text = "version: 1\nrules: [{id: a, when: {shops: [s2]}, tier: notice}]\n"
    with pytest.raises(ConfigRejected):
        shop_view(text, "s1")
    assert shop_view(text, "s2") == text
