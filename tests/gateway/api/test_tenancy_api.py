"""Tenancy of the QA API: a QA token of one shop edits, reads, scores, audits, reloads and
replays its own shop only, and can change nothing for another shop; a platform-wide token
(`shop: *`) manages the shared lexicon and every shop's. Every QA endpoint is tried with two
shops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import TokenFor
from tests.gateway.api.helpers import bearer, store
from tests.gateway.log.records_factory import make_record

Headers = dict[str, str]


@pytest.fixture
def client(config_client: TestClient) -> TestClient:
    return config_client


def qa(token_for: TokenFor, shop: str) -> Headers:
    return bearer(token_for, "qa", "hq" if shop == "*" else f"q-{shop}", shop)


def tier(client: TestClient, headers: Headers, text: str, shop: str | None = None) -> str:
    response = client.post("/api/score", headers=headers, json={"text": text, "shop": shop})
    assert response.status_code == 200, response.text
    return str(response.json()["tier"])


def version(client: TestClient, headers: Headers) -> str:
    return str(client.get("/api/config", headers=headers).json()["version"])


def test_a_shop_token_edits_its_own_overlay_and_no_other_shop_sees_it(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    s1, s2, hq = qa(token_for, "s1"), qa(token_for, "s2"), qa(token_for, "*")
    lexicons = config_dir / "lexicons"
    shared = (lexicons / "off_platform.txt").read_text(encoding="utf-8")

    added = client.post("/api/lexicon/off_platform/terms", headers=s1,
                        json={"term": "拼夕夕", "severity": 3})
    assert added.status_code == 201, added.text
    assert added.json()["result"] == "applied"
    assert (lexicons / "shops/s1/off_platform.txt").read_text(encoding="utf-8") == \
        "拼夕夕\tseverity=3\n"
    assert (lexicons / "off_platform.txt").read_text(encoding="utf-8") == shared
    allowed = client.post("/api/lexicon/allow/terms", headers=s1, json={"term": "QQ星"})
    assert allowed.status_code == 201, allowed.text

    # enforced for s1's messages only
    assert tier(client, s1, "那个拼夕夕") == "block"
    assert tier(client, s2, "那个拼夕夕") == "none"
    assert tier(client, hq, "那个拼夕夕") == "none"
    assert tier(client, hq, "那个拼夕夕", shop="s1") == "block"
    # the allow phrase covers the channel qq, which then joins no shared @near rule for s1
    assert tier(client, s1, "去QQ星专区") == "none"
    assert tier(client, s2, "去QQ星专区") != "none"  # the shared go+channel still holds

    # s1 lists its own terms; s2 sees nothing of them and cannot address them
    [term] = client.get("/api/lexicon/off_platform/terms", headers=s1).json()
    assert (term["text"], term["shop"], term["source"]) == \
        ("拼夕夕", "s1", "shops/s1/off_platform.txt:1")
    assert client.get("/api/lexicon/off_platform/terms", headers=s2).json() == []
    categories = {c["category"]: c for c in client.get("/api/lexicon", headers=s1).json()}
    assert categories["off_platform"] == {"category": "off_platform", "terms": 1, "shop": "s1",
                                          "file": "shops/s1/off_platform.txt"}
    assert all(c["terms"] == 0 for c in client.get("/api/lexicon", headers=s2).json())
    for method, path in (("GET", "/api/lexicon"), ("GET", "/api/lexicon/off_platform/terms"),
                         ("POST", "/api/lexicon/off_platform/terms"),
                         ("DELETE", "/api/lexicon/off_platform/terms/拼夕夕")):
        response = client.request(method, path, headers=s2, params={"shop": "s1"},
                                  json={"term": "拼多少"} if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "forbidden"
    assert client.delete("/api/lexicon/off_platform/terms/拼夕夕", headers=s2
                         ).status_code == 404  # s2's own overlay has no such term
    assert client.post("/api/score", headers=s2, json={"text": "拼夕夕", "shop": "s1"}
                       ).status_code == 403

    # the shared lexicon: readable by a shop (shop=*), changed only by a platform token
    shared_terms = client.get("/api/lexicon/off_platform/terms", headers=s1,
                              params={"shop": "*", "q": "微信"}).json()
    assert shared_terms and all(t["shop"] is None for t in shared_terms)
    refused = client.post("/api/lexicon/off_platform/terms", headers=s1, params={"shop": "*"},
                          json={"term": "拼多少"})
    assert refused.status_code == 403 and "全平台" in refused.json()["detail"]
    by_platform = client.post("/api/lexicon/off_platform/terms", headers=hq,
                              params={"shop": "s2"}, json={"term": "拼多少"})
    assert by_platform.status_code == 201, by_platform.text
    assert tier(client, s2, "去拼多少上买") == "block"
    assert tier(client, s1, "去拼多少上买") == "none"

    # a term the shared lexicon already has is not repeated in an overlay, and a shop's allow
    # phrase may not be a shared deny term itself (that would switch the rule off for it)
    again = client.post("/api/lexicon/off_platform/terms", headers=s1, json={"term": "微信"})
    assert again.status_code == 422 and "共享词库" in again.json()["detail"]
    for phrase in ("微信", "加我薇信", "ＱＱ", "微信。", "微信 qq"):
        bypass = client.post("/api/lexicon/allow/terms", headers=s1, json={"term": phrase})
        assert bypass.status_code == 422 and "绕过平台规则" in bypass.json()["detail"], phrase
    assert client.post("/api/lexicon/allow/terms", headers=hq, params={"shop": "s2"},
                       json={"term": "微信"}).status_code == 201  # the platform may
    assert tier(client, s2, "加微信") == "block"  # the phrase 加微信 is still caught

    # the audit: each shop sees the changes of its own overlay, the platform all of them
    # (refused attempts are audited too; these are the applied ones)
    def audit(headers: Headers) -> list[tuple[str | None, str, str]]:
        return [(e["lexicon_shop"], e["action"], e["term"])
                for e in client.get("/api/lexicon/audit", headers=headers).json()
                if e["result"] == "applied"]

    refused = [e for e in client.get("/api/lexicon/audit", headers=s1).json()
               if e["result"] == "rejected"]
    assert [e["term"] for e in refused] == ["微信", "微信", "加我薇信", "ＱＱ", "微信。", "微信 qq"]
    assert all(e["lexicon_shop"] == "s1" and e["line"] is None for e in refused)

    assert audit(s1) == [("s1", "add", "拼夕夕"), ("s1", "add", "QQ星")]
    assert audit(s2) == [("s2", "add", "拼多少"), ("s2", "add", "微信")]
    assert audit(hq) == [("s1", "add", "拼夕夕"), ("s1", "add", "QQ星"),
                         ("s2", "add", "拼多少"), ("s2", "add", "微信")]

    # removing a shop's last terms removes its files: a shop without terms has no overlay
    for category, text in (("off_platform", "拼夕夕"), ("allow", "QQ星")):
        removed = client.delete(f"/api/lexicon/{category}/terms/{text}", headers=s1)
        assert removed.status_code == 200, removed.text
    assert not (lexicons / "shops/s1").exists()
    assert tier(client, s1, "那个拼夕夕") == "none"


@pytest.mark.parametrize(("term", "mode", "why"), [
    ("~", None, "只有标点或符号"),
    ("！？", "word", "只有标点或符号"),
    ("a", None, "只有一个字"),
    ("的", None, "只有一个字"),
    ("x", "word", "一个字母或数字"),
    ("7", "word", "一个字母或数字"),
])
def test_terms_too_weak_for_their_mode_are_refused(client: TestClient, token_for: TokenFor,
                                                   term: str, mode: str | None,
                                                   why: str) -> None:
    for shop in ("s1", "*"):
        response = client.post("/api/lexicon/abuse/terms", headers=qa(token_for, shop),
                               json={"term": term, "mode": mode})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid-request" and why in response.json()["detail"]


@pytest.mark.parametrize(("category", "term", "mode"), [
    ("abuse", "憨", "word"),          # one character on word boundaries
    ("perfunctory", "~", "message"),  # a whole message that is only a tilde
    ("abuse", "🖕", None),            # an emoji stands for a word
    ("off_platform", "+w", None),     # a symbol and a letter: two characters
])
def test_short_terms_that_suit_their_mode_are_accepted(client: TestClient, token_for: TokenFor,
                                                       category: str, term: str,
                                                       mode: str | None) -> None:
    response = client.post(f"/api/lexicon/{category}/terms", headers=qa(token_for, "s1"),
                           json={"term": term, "mode": mode})
    assert response.status_code == 201, response.text


def test_a_shop_token_reload_applies_only_its_own_changes(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    s1, s2, hq = qa(token_for, "s1"), qa(token_for, "s2"), qa(token_for, "*")
    lexicons, policy = config_dir / "lexicons", config_dir / "policies.yaml"

    def reload(headers: Headers) -> int:
        return int(client.post("/api/config/reload", headers=headers).status_code)

    # a shared change on disk: no shop may apply it, the platform may
    running = version(client, hq)
    with (lexicons / "sarcasm.txt").open("a", encoding="utf-8") as handle:
        handle.write("大聪明\n")
    refused = client.post("/api/config/reload", headers=s1)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert version(client, hq) == running
    # a shop's own edit while the shared change is pending is refused and rolled back
    edit = client.post("/api/lexicon/off_platform/terms", headers=s1, json={"term": "拼夕夕"})
    assert edit.status_code == 403
    assert not (lexicons / "shops/s1").exists() and version(client, hq) == running
    [entry] = client.get("/api/lexicon/audit", headers=s1).json()
    assert (entry["term"], entry["result"]) == ("拼夕夕", "refused")
    assert reload(hq) == 200 and version(client, hq) != running

    # s2's overlay on disk: s1 cannot apply it, s2 can
    (lexicons / "shops/s2").mkdir(parents=True)
    (lexicons / "shops/s2/sarcasm.txt").write_text("小机灵鬼\n", encoding="utf-8")
    running = version(client, hq)
    assert reload(s1) == 403 and version(client, hq) == running
    applied = client.post("/api/config/reload", headers=s2)
    assert applied.status_code == 200 and applied.json()["result"] == "applied"
    assert tier(client, s2, "你真是个小机灵鬼") != "none"
    assert tier(client, s1, "你真是个小机灵鬼") == "none"

    # the policy: a shop's own section is the shop's; the default belongs to the platform
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text + "shops:\n  s1:\n    tiers: {notice: {duration_s: 15}}\n",
                      encoding="utf-8")
    assert reload(s2) == 403
    assert reload(s1) == 200
    policy.write_text(text.replace("duration_s: 10}", "duration_s: 11}") +
                      "shops:\n  s1:\n    tiers: {notice: {duration_s: 15}}\n",
                      encoding="utf-8")
    assert reload(s1) == 403 and reload(hq) == 200


def test_a_shop_token_applies_a_policy_that_changes_only_its_own_section(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    s1, s2, hq = qa(token_for, "s1"), qa(token_for, "s2"), qa(token_for, "*")
    path = config_dir / "policies.yaml"
    text = path.read_text(encoding="utf-8")
    running = version(client, hq)

    def put(headers: Headers, candidate: str) -> int:
        return int(client.put("/api/policy", headers=headers,
                              json={"policy": candidate}).status_code)

    # the default part belongs to the platform: refused, the file and the version unchanged
    default_changed = text.replace("duration_s: 10}", "duration_s: 11}")
    assert default_changed != text
    refused = client.put("/api/policy", headers=s1, json={"policy": default_changed})
    assert refused.status_code == 403 and "shops: s1:" in refused.json()["detail"]
    assert path.read_text(encoding="utf-8") == text and version(client, hq) == running
    # another shop's section: refused too
    theirs = text + "shops:\n  s2:\n    tiers: {notice: {duration_s: 15}}\n"
    assert put(s1, theirs) == 403 and version(client, hq) == running
    # its own section: applied, and only that shop's notices change
    mine = text + "shops:\n  s1:\n    tiers: {notice: {duration_s: 15}}\n"
    assert put(s1, mine) == 200 and version(client, hq) != running
    assert path.read_text(encoding="utf-8") == mine
    assert put(s2, mine.replace("duration_s: 15", "duration_s: 16")) == 403
    # the platform changes anything
    assert put(hq, default_changed) == 200
    assert path.read_text(encoding="utf-8") == default_changed


def test_a_shop_token_reads_and_edits_its_view_of_the_policy_without_other_shops(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    s1, s2, hq = qa(token_for, "s1"), qa(token_for, "s2"), qa(token_for, "*")
    path = config_dir / "policies.yaml"
    sections = ("shops:\n  s1:\n    tiers: {notice: {duration_s: 15}}\n"
                "  s2:\n    disable: [repeat-attitude]   # 竞品店 secret\n")
    text = path.read_text(encoding="utf-8") + sections
    assert client.put("/api/policy", headers=hq, json={"policy": text}).status_code == 200

    def read(headers: Headers) -> str:
        answer = client.get("/api/policy", headers=headers)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["text"])

    view = read(s1)
    assert "duration_s: 15" in view and "竞品店" not in view and "s2" not in view
    assert "竞品店" in read(s2) and "duration_s: 15" not in read(s2)
    assert read(hq) == text
    # the console saves what it read, edited: s2's section is kept as it was
    saved = client.put("/api/policy", headers=s1,
                       json={"policy": view.replace("duration_s: 15", "duration_s: 20")})
    assert saved.status_code == 200, saved.text
    assert path.read_text(encoding="utf-8") == text.replace("duration_s: 15", "duration_s: 20")
    # the view's default part is the platform's: changing it is refused, nothing written
    before = path.read_text(encoding="utf-8")
    refused = client.put("/api/policy", headers=s1,
                         json={"policy": view.replace("duration_s: 10}", "duration_s: 11}")})
    assert refused.status_code == 403 and path.read_text(encoding="utf-8") == before


def test_config_errors_inside_another_shops_overlay_are_not_shown_to_a_shop(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    s1, hq = qa(token_for, "s1"), qa(token_for, "*")
    overlay = config_dir / "lexicons/shops/s2/abuse.txt"
    overlay.parent.mkdir(parents=True)
    overlay.write_text("机密词\n机密词\n", encoding="utf-8")
    rejected = client.post("/api/config/reload", headers=hq).json()
    assert rejected["result"] == "rejected" and "机密词" in rejected["error"]
    seen = client.get("/api/config", headers=s1).json()
    assert "机密词" not in str(seen) and seen["error"].startswith("另一店铺的词库有错误")
    assert "机密词" in client.get("/api/config", headers=hq).json()["error"]
    edit = client.post("/api/lexicon/abuse/terms", headers=s1, json={"term": "拼夕夕"})
    assert edit.status_code == 422 and edit.json()["code"] == "invalid-config"
    assert "机密词" not in edit.text and "另一店铺的词库有错误" in edit.json()["detail"]
    assert "机密词" not in str(client.get("/api/lexicon/audit", headers=s1).json())


def test_replay_and_exports_use_and_show_each_shops_own(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    s1, s2 = qa(token_for, "s1"), qa(token_for, "s2")
    now = datetime.now(UTC)
    store(client, make_record(time=now - timedelta(hours=1), shop="s1", text="去QQ星专区"),
          make_record(time=now - timedelta(hours=1), shop="s2", text="去QQ星专区"))
    assert client.post("/api/lexicon/allow/terms", headers=s1, json={"term": "QQ星"}
                       ).status_code == 201
    policy = (config_dir / "policies.yaml").read_text(encoding="utf-8")
    mine = client.post("/api/replay", headers=s1, json={"policy": policy}).json()
    theirs = client.post("/api/replay", headers=s2, json={"policy": policy}).json()
    assert (mine["total"], mine["tiers"]["none"]["current"]) == (1, 1)  # s1's allow phrase
    assert (theirs["total"], theirs["tiers"]["none"]["current"]) == (1, 0)  # not s2's
    for path in ("/api/qa/false-positives/allow-candidates",
                 "/api/qa/false-positives/training.csv"):
        assert client.get(path, headers=s2, params={"shop": "s1"}).status_code == 403


RIVAL_RULES = """  # 竞品店 only: its rival's sarcasm is blocked outright
  - id: s2-rival-brand
    when: {roles: [agent, bot], shops: [s2], categories: [sarcasm]}
    tier: block
    reason: 竞品店的专用拦截
  - id: shared-courier
    when: {roles: [agent, bot], shops: [s1, s2], categories: [sarcasm]}
    tier: force-edit

"""


def test_a_shop_never_sees_default_rules_limited_to_another_shop_and_its_save_keeps_them(
        client: TestClient, token_for: TokenFor, config_dir: Path) -> None:
    s1, s2, hq = qa(token_for, "s1"), qa(token_for, "s2"), qa(token_for, "*")
    path = config_dir / "policies.yaml"
    default = path.read_text(encoding="utf-8")
    anchor = "  - id: cold-hostile\n"
    assert default.count(anchor) == 1
    text = default.replace(anchor, RIVAL_RULES + anchor)
    assert client.put("/api/policy", headers=hq, json={"policy": text}).status_code == 200
    assert tier(client, s2, "呵呵") == "block" and tier(client, s1, "呵呵") == "force-edit"

    def read(headers: Headers) -> str:
        answer = client.get("/api/policy", headers=headers)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["text"])

    view = read(s1)
    for secret in ("s2-rival-brand", "竞品店", "s2"):
        assert secret not in view, secret
    assert "id: shared-courier\n    when: {roles: [agent, bot], shops: [s1], " in view
    theirs = read(s2)
    assert "s2-rival-brand" in theirs and "shops: [s2], categories" in theirs
    assert "s1" not in theirs
    assert read(hq) == text
    # the console checks and saves what it read, edited: what it did not see stays as it was
    mine = view + "shops:\n  s1:\n    tiers: {notice: {duration_s: 15}}\n"
    checked = client.post("/api/policy/check", headers=s1, json={"policy": mine})
    assert checked.status_code == 200 and checked.json()["valid"], checked.text
    saved = client.put("/api/policy", headers=s1, json={"policy": mine})
    assert saved.status_code == 200, saved.text
    written = text + "shops:\n  s1:\n    tiers: {notice: {duration_s: 15}}\n"
    assert path.read_text(encoding="utf-8") == written
    assert tier(client, s2, "呵呵") == "block" and tier(client, s1, "呵呵") == "force-edit"
    # its section may not take over a rule it cannot see (it would inherit its conditions)
    taken = mine + ("    rules:\n      - {id: s2-rival-brand, when: {categories: [cold]}, "
                    "tier: notice}\n")
    refused = client.put("/api/policy", headers=s1, json={"policy": taken})
    assert refused.status_code == 422 and "s2-rival-brand" in refused.json()["detail"]
    # changing the shared rule's default part is the platform's, as before
    widened = mine.replace("shops: [s1], categories: [sarcasm]", "categories: [sarcasm]")
    assert client.put("/api/policy", headers=s1, json={"policy": widened}).status_code == 403
    assert path.read_text(encoding="utf-8") == written
