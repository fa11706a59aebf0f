"""`replyguard policy check`: each error class, with its line and column, all in one run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.main import app

RULE = "  - {id: a, when: {categories: [cold]}, tier: notice}\n"


def check(tmp_path: Path, text: str, *args: str) -> tuple[int, list[dict[str, object]]]:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(path), "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)["problems"]


def test_policy_check_shipped_policy_is_clean() -> None:
    result = CliRunner().invoke(app, ["policy", "check"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


@pytest.mark.parametrize(("text", "severity", "message", "line", "column"), [
    ("version: 1\nrules: [\n", "error", "YAML syntax error", 3, 1),
    ("version: 1\nrules:\n  - {id: a, when: {categories: [cold]}, tier: shout}\n",
     "error", "rules.0.tier: Input should be", 3, 47),
    ("version: 1\nrules:\n  - {id: a, when: {categories: [colt]}, tier: notice}\n",
     "error", "unknown category 'colt'", 3, 33),
    ("version: 1\nrules:\n  - {id: a, when: {tone: {grumpy: 0.5}}, tier: notice}\n",
     "error", "unknown tone label 'grumpy'", 3, 35),
    ("version: 1\nrules:\n  - {id: a, when: {tone: {cold: 1.5}}, tier: notice}\n",
     "error", "must be in (0, 1]", 3, 19),
    ("version: 1\nrules:\n  - {id: a, when: {categories: [cold], during: [d11]}, tier: notice}\n",
     "error", "unknown period 'd11'", 3, 49),
    ("version: 1\nrules:\n" + RULE + "  - {id: b, when: {roles: [agent], categories: [cold]},"
     " tier: notice}\n", "warning", "rule 'b' is shadowed by 'a'", 4, 19),
    ("version: 1\nrules:\n  - {id: a, when: {categories: [cold], views: [contact]}, "
     "tier: notice}\n", "warning", "unreachable", 3, 19),
    ("version: 1\nperiods:\n  a: {start: 2020-11-10T00:00, end: 2020-11-12T00:00}\nrules:\n"
     "  - {id: a, when: {categories: [cold], during: [a]}, tier: notice}\n",
     "warning", "periods (a) have all ended", 5, 19),
    ("version: 1\nperiods:\n  a: {start: 2030-11-10T00:00, end: 2030-11-12T00:00}\n"
     "  b: {start: 2030-11-11T00:00, end: 2030-11-13T00:00}\nrules:\n" + RULE,
     "warning", "period 'b' overlaps period 'a'", 4, 6),
    ("version: 1\nperiods:\n  a: {daily: {from: '22:00', to: '02:00'}}\n"
     "  b: {daily: {from: '01:00', to: '03:00'}}\nrules:\n" + RULE,
     "warning", "period 'b' overlaps period 'a'", 4, 6),
    ("version: 1\nrules:\n" + RULE + "shops:\n  s1:\n    disable: [nope]\n",
     "error", "no rule or escalation 'nope'", 6, 15),
    ("version: 1\nrules:\n" + RULE + "shops:\n  s1:\n    rules:\n"
     "      - {id: a, when: {categories: [cold, colt]}}\n",
     "error", "unknown category 'colt'", 7, 43),
    ("version: 1\nrules:\n" + RULE + "shops:\n  s1:\n    rules:\n"
     "      - {id: a, tier: block-with-warning, when: {roles: [buyer]}}\n",
     "error", "would hold a buyer's message", 7, 23),
])
def test_policy_check_reports_each_error_class_with_position(
        tmp_path: Path, text: str, severity: str, message: str, line: int, column: int) -> None:
    code, problems = check(tmp_path, text)
    found = [p for p in problems if message in str(p["message"])]
    assert found, problems
    assert (found[0]["severity"], found[0]["line"], found[0]["column"]) == (severity, line, column)
    assert code == (3 if severity == "error" else 0)


def test_policy_check_reports_every_problem_not_only_the_first(tmp_path: Path) -> None:
    text = ("version: 1\nrules:\n"
            "  - {id: a, when: {categories: [cold]}, tier: shout}\n"
            "  - {id: b, when: {categories: [cold], during: [x]}, tier: notice}\n"
            "  - {id: c, when: {tone: {grumpy: 0.5}}, tier: notice}\n")
    code, problems = check(tmp_path, text)
    assert code == 3
    assert [p["line"] for p in problems] == [3, 4, 5]


def test_policy_check_strict_fails_on_warnings(tmp_path: Path) -> None:
    text = "version: 1\nrules:\n" + RULE + RULE.replace("id: a", "id: b")
    assert check(tmp_path, text)[0] == 0
    assert check(tmp_path, text, "--strict")[0] == 3


def test_policy_check_text_output_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nrules:\n  - {id: a, when: {categories: [colt]}, tier: notice}\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 3
    assert f"{path}:3:33: error: rules.0.when.categories.0: unknown category 'colt'" \
        in result.output


def test_policy_check_missing_file_is_a_message(tmp_path: Path) -> None:
    # a missing input file is an unusable argument, exit 2, as for every command
    result = CliRunner().invoke(app, ["policy", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml: no such file" in result.output
