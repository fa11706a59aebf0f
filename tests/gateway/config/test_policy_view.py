"""A shop's view of the policy file and its edit put back: other shops' sections are never
shown to it, and the platform's part and other sections stay byte for byte as they were."""

from __future__ import annotations

import pytest
import yaml

from gateway.config.policy_view import merge_shop_edit, shop_view
from gateway.errors import Forbidden, InvalidRequest

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
