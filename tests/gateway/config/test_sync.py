"""The configuration bundle that travels between nodes carries the shop overlays with the
shared files, and a bundle can only write inside the lexicon directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config.sync import read_bundle, write_bundle


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*.txt"))}


def test_bundle_carries_shop_overlays_and_removes_what_a_node_no_longer_has(
        tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root, files in ((a, {"abuse.txt": "傻逼\n", "shops/s1/abuse.txt": "拼夕夕\n",
                             "shops/s1/allow.txt": "QQ糖\n"}),
                        (b, {"abuse.txt": "傻逼\n", "shops/s2/abuse.txt": "旧词\n"})):
        for name, text in files.items():
            (root / "lexicons" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "lexicons" / name).write_text(text, encoding="utf-8")
        (root / "policies.yaml").write_text("version: 1\nrules: []\n", encoding="utf-8")
    bundle = read_bundle(a / "policies.yaml", a / "lexicons")
    assert set(bundle["lexicons"]) == {"abuse.txt", "shops/s1/abuse.txt", "shops/s1/allow.txt"}
    assert write_bundle(bundle, b / "policies.yaml", b / "lexicons")
    assert _files(b / "lexicons") == _files(a / "lexicons")
    assert not (b / "lexicons/shops/s2").exists()  # s2's overlay was removed on node A
    assert read_bundle(b / "policies.yaml", b / "lexicons")["digest"] == bundle["digest"]
    assert not write_bundle(bundle, b / "policies.yaml", b / "lexicons")


@pytest.mark.parametrize("name", ["../policies.txt", "shops/../../x.txt", "shops/s1/../a.txt",
                                  "/etc/x.txt", "shops/.hidden/a.txt", "other/s1/a.txt",
                                  "shops/s1/a.yaml"])
def test_bundle_refuses_names_outside_the_lexicon_directory(tmp_path: Path, name: str) -> None:
    (tmp_path / "lexicons").mkdir()
    bundle = {"digest": "x", "policy": "version: 1\n", "lexicons": {name: "x\n"}}
    with pytest.raises(ValueError, match="bad lexicon file name"):
        write_bundle(bundle, tmp_path / "policies.yaml", tmp_path / "lexicons")
    assert not any(tmp_path.rglob("x.txt")) and not (tmp_path / "policies.yaml").exists()
