"""A shop's view of the policy file, and a shop's edit of that view put back into the file.

The policy file holds every shop's `shops: <shop>:` section, and default rules limited to some
shops (`when: {shops: [...]}`). A QA token of one shop sees the default part as it applies to
the shop and its own section, never another shop's business: other shops' sections and the
default rules limited to other shops are left out (with the comments written just above them),
and a rule it shares with other shops shows only its own id in `shops:`. Its edit comes back as
the view; the file written is the running file with only the shop's own section replaced, so
the platform's part (what the view hid included) and the other sections stay byte for byte as
they were (comments included). The work is done on the text, with the marks PyYAML's composer
gives each node, so that nothing is re-serialised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from gateway.errors import ConfigRejected, Forbidden, InvalidRequest

SHOPS_KEY = "shops"
RULES_KEY = "rules"


@dataclass(frozen=True, slots=True)
class _Entry:
    shop: str
    start: int                 # first line (comments just above the key belong to the entry)
    end: int                   # one past the last line


@dataclass(frozen=True, slots=True)
class _Section:
    key_line: int              # the `shops:` line
    end: int                   # one past its last entry
    indent: int | None         # the entries' indentation; None when there are none
    entries: tuple[_Entry, ...]


@dataclass(frozen=True, slots=True)
class _Hidden:
    """What a shop's view leaves out of the default `rules:` or rewrites in it."""
    cuts: tuple[tuple[int, int, str], ...]  # (start, end, replacement), character offsets
    rule_ids: frozenset[str]                 # the default rules limited to other shops


def shop_view(text: str, shop: str) -> str:
    """The file as `shop` may read it: every other shop's section, and the default rules
    limited to other shops, left out."""
    lines = text.splitlines(keepends=True)
    try:
        section = _section(text, lines)
        hidden = _foreign_rules(text, lines, shop)
    except yaml.YAMLError:
        raise ConfigRejected("磁盘上的策略文件现在不是有效的 YAML，无法只显示本店铺的部分；"
                             "请由全平台（shop: *）令牌修复") from None
    starts = _line_starts(lines)
    cuts = list(hidden.cuts)
    if section is not None:
        others = [e for e in section.entries if e.shop != shop]
        if len(others) == len(section.entries) and section.entries:
            # the shop has no section: the whole `shops:` block is other shops' business
            cuts.append((starts[section.key_line], starts[section.end], ""))
        else:
            cuts += [(starts[e.start], starts[e.end], "") for e in others]
    for start, end, replacement in sorted(cuts, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def merge_shop_edit(current: str, candidate: str, shop: str) -> str:
    """The file to write when `shop` saves `candidate`, an edit of its view of `current`.

    Raises Forbidden when the candidate changes anything but the shop's own section, and
    InvalidRequest when the candidate is not a YAML mapping (the policy check says why) or its
    section names a rule the view hid (it would inherit that rule's conditions)."""
    old, new = _mapping(shop_view(current, shop)), _mapping(candidate)
    foreign = sorted(set(new.get(SHOPS_KEY) or {}) - {shop})
    if _without_shops(old) != _without_shops(new) or foreign:
        raise Forbidden(f"店铺令牌只能修改策略中本店铺的部分（shops: {shop}:）；默认规则、"
                        "等级和其他店铺的部分由全平台（shop: *）令牌修改，文件未改动")
    hidden = _foreign_rules(current, current.splitlines(keepends=True), shop).rule_ids
    own = (new.get(SHOPS_KEY) or {}).get(shop) or {}
    taken = sorted({str(rule.get("id")) for rule in own.get("rules") or ()
                    if isinstance(rule, dict)} & hidden) if isinstance(own, dict) else []
    if taken:
        raise InvalidRequest(f"规则 id {'、'.join(taken)} 已被占用，请为本店铺的规则换一个 id；"
                             "文件未改动")
    current_lines = current.splitlines(keepends=True)
    if current_lines and not current_lines[-1].endswith("\n"):
        current_lines[-1] += "\n"
    candidate_lines = candidate.splitlines(keepends=True)
    if candidate_lines and not candidate_lines[-1].endswith("\n"):
        candidate_lines[-1] += "\n"
    mine = _own_lines(candidate, candidate_lines, shop)
    section = _section(current, current_lines)
    entry = next((e for e in section.entries if e.shop == shop), None) if section else None
    if section is None:
        if not mine:
            return current
        return "".join(current_lines) + f"{SHOPS_KEY}:\n" + "".join(_reindent(mine, 2))
    if entry is not None:
        if not mine and len(section.entries) == 1:
            # an empty `shops:` would be null, which the schema refuses: drop the block
            return "".join(current_lines[:section.key_line] + current_lines[section.end:])
        indent = section.indent if section.indent is not None else 2
        return "".join(current_lines[:entry.start] + _reindent(mine, indent)
                       + current_lines[entry.end:])
    if not mine:
        return current
    if section.indent is None:
        raise InvalidRequest("策略文件的 shops 部分不是逐行（块）格式，店铺令牌无法在其中加入"
                             "本店铺的部分；请由全平台（shop: *）令牌修改")
    return "".join(current_lines[:section.end] + _reindent(mine, section.indent)
                   + current_lines[section.end:])


def _mapping(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRequest(f"策略不是有效的 YAML：{exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("策略文件的顶层必须是映射（version、rules …）")
    return data


def _without_shops(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != SHOPS_KEY}


def _own_lines(text: str, lines: list[str], shop: str) -> list[str]:
    section = _section(text, lines)
    if section is None:
        return []
    entry = next((e for e in section.entries if e.shop == shop), None)
    if entry is None:
        return []
    if section.indent is None:
        raise InvalidRequest("本店铺的部分请写成逐行（块）格式：shops: 换行后缩进写店铺 id")
    return lines[entry.start:entry.end]


def _section(text: str, lines: list[str]) -> _Section | None:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value != SHOPS_KEY:
            continue
        if not isinstance(value, yaml.MappingNode) or value.flow_style or not value.value:
            end = value.end_mark.line + (1 if value.end_mark.column else 0)
            return _Section(key.start_mark.line, max(end, key.start_mark.line + 1), None, ())
        indent = value.value[0][0].start_mark.column
        starts = [_leading_comments(lines, k.start_mark.line, indent, key.start_mark.line)
                  for k, _ in value.value]
        last = value.value[-1][1]
        end = _trim_trailing(lines, last.end_mark.line + (1 if last.end_mark.column else 0),
                             indent, starts[-1])
        entries = tuple(_Entry(str(k.value), start, stop) for (k, _), start, stop
                        in zip(value.value, starts, [*starts[1:], end], strict=True))
        return _Section(key.start_mark.line, end, indent, entries)
    return None


def _foreign_rules(text: str, lines: list[str], shop: str) -> _Hidden:
    """The default rules `shop` must not see (limited to other shops), each with the comments
    just above it, and in the rules it shares with other shops their `shops:` list cut down to
    `shop`."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    key, rules = next(((k, v) for k, v in root.value if k.value == RULES_KEY), (None, None)) \
        if isinstance(root, yaml.MappingNode) else (None, None)
    if key is None or not isinstance(rules, yaml.SequenceNode) or not rules.value:
        return _Hidden((), frozenset())
    starts = _line_starts(lines)
    cuts: list[tuple[int, int, str]] = []
    ids: set[str] = set()
    foreign: list[int] = []
    for number, rule in enumerate(rules.value):
        shops = _rule_shops(rule)
        if shops is None:
            continue
        names = [str(n.value) for n in shops.value] if isinstance(shops, yaml.SequenceNode) \
            else [str(shops.value)]
        if shop not in names:
            foreign.append(number)
            ids.add(_rule_id(rule))
        elif len(names) > 1:  # shared with other shops: only this one is named
            last = shops.value[-1] if isinstance(shops, yaml.SequenceNode) \
                and not shops.flow_style else shops
            cuts.append((shops.start_mark.index, last.end_mark.index, f"[{shop}]"))
    if not foreign:
        return _Hidden(tuple(cuts), frozenset())
    if rules.flow_style:
        raise ConfigRejected("策略文件的 rules 不是逐行（块）格式，无法对店铺隐藏其他店铺的"
                             "规则；请由全平台（shop: *）令牌改写为块格式")
    dash = rules.start_mark.column
    key_line = key.start_mark.line
    firsts = []
    for rule in rules.value:  # each item's `-` line, and the comments just above it
        line = rule.start_mark.line
        while line > key_line + 1 and lines[line][dash:dash + 1] != "-":
            line -= 1
        firsts.append(_leading_comments(lines, line, dash, key_line))
    last = rules.value[-1]
    end = _trim_trailing(lines, last.end_mark.line + (1 if last.end_mark.column else 0),
                         dash, firsts[-1])
    bounds = [*firsts[1:], end]
    cuts += [(starts[firsts[n]], starts[bounds[n]], "") for n in foreign]
    if len(foreign) == len(rules.value):  # an empty `rules:` would be null: the list stays
        colon = text.index(":", key.end_mark.index) + 1
        cuts.append((colon, colon, " []"))
    return _Hidden(tuple(cuts), frozenset(ids))


def _rule_shops(rule: yaml.Node) -> yaml.Node | None:
    when = _value(rule, "when")
    return _value(when, SHOPS_KEY) if when is not None else None


def _rule_id(rule: yaml.Node) -> str:
    node = _value(rule, "id")
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _value(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if k.value == key), None)


def _line_starts(lines: list[str]) -> list[int]:
    """The character offset of each line, and of the end."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def _leading_comments(lines: list[str], line: int, indent: int, floor: int) -> int:
    """The first line of an entry: comments written at its indentation, and blank lines, just
    above it (so that a section's range never ends in a separator the next one needs)."""
    while line - 1 > floor and (not lines[line - 1].strip()
                                or _is_comment_at(lines[line - 1], indent)):
        line -= 1
    return line


def _trim_trailing(lines: list[str], end: int, indent: int, start: int) -> int:
    """Blank lines and shallower comments after the last entry belong to what follows."""
    while end - 1 > start and (not lines[end - 1].strip()
                               or (lines[end - 1].lstrip().startswith("#")
                                   and _indent(lines[end - 1]) < indent)):
        end -= 1
    return end


def _is_comment_at(line: str, indent: int) -> bool:
    return line.lstrip().startswith("#") and _indent(line) == indent


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _reindent(lines: list[str], indent: int) -> list[str]:
    first = next((_indent(line) for line in lines if line.strip()), indent)
    shift = indent - first
    if shift == 0:
        return lines
    if shift > 0:
        return [" " * shift + line if line.strip() else line for line in lines]
    return [line[min(-shift, _indent(line)):] for line in lines]
