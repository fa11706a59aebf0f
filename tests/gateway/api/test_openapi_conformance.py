"""schemathesis against a real `replyguard serve`: every response of every operation is
declared in /openapi.json (status, content type, body schema), no input gives a 5xx, and invalid
input is refused. Supervisor routes run with a supervisor token, the others with a QA token;
the number of examples is bounded so the run stays CI-sized."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.result import Ok

from classifiers.resources import default_lexicon_dir, default_policy_file
from gateway.auth import TokenService, UserRole
from tests.conftest import TEST_SECRET, free_port, wait_ready

pytestmark = pytest.mark.issue(18)
EXAMPLES = 12


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    """A served gateway on copies of the shipped lexicons and policy (QA edits change files)."""
    root = tmp_path_factory.mktemp("openapi")
    shutil.copytree(default_lexicon_dir(), root / "lexicons")
    shutil.copy(default_policy_file(), root / "policies.yaml")
    port = free_port()
    output = (root / "serve.log").open("w")
    env = {**os.environ, "REPLYGUARD_DATA_DIR": str(root / "data"),
           "REPLYGUARD_SECRET": TEST_SECRET, "REPLYGUARD_WATCH_CONFIG": "false",
           "REPLYGUARD_LEXICON_DIR": str(root / "lexicons"),
           "REPLYGUARD_POLICY_FILE": str(root / "policies.yaml"),
           "REPLYGUARD_RETENTION_DAYS": "0"}
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port),
                                "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                               stderr=output, text=True)
    wait_ready(process, port, lambda: (root / "serve.log").read_text())
    yield schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/openapi.json")
    process.terminate()
    process.wait(timeout=30)
    output.close()
    problems = [line for line in (root / "serve.log").read_text().splitlines()
                if "Traceback" in line or "Exception in ASGI" in line]
    assert not problems, problems


TOKENS = TokenService(TEST_SECRET)
Operation = schemathesis.APIOperation[Any, Any, Any, Any]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Not asked of this API: a schema cannot say which cursor, record id or lexicon category
# exists, or that `since` must precede `until` (so schema-valid requests are refused with a
# declared 4xx); and unknown query parameters and headers are ignored, as HTTP APIs do.
LENIENT = [checks.positive_data_acceptance, checks.negative_data_rejection]


def role_of(operation: Operation) -> UserRole:
    tags = operation.tags or []
    return UserRole.SUPERVISOR if any(t.startswith("supervisor") for t in tags) else UserRole.QA


def failures_of(operation: Operation, mode: GenerationMode) -> list[str]:
    """Run `EXAMPLES` generated requests against `operation`; the failed checks, described."""
    headers = {"Authorization": f"Bearer {TOKENS.issue(role_of(operation), 'fuzz1', 's1', 600)}"}
    found: list[str] = []

    @given(operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case[Operation]) -> None:
        try:
            case.call_and_validate(headers=headers, excluded_checks=LENIENT)
        except (Exception, BaseExceptionGroup) as exc:  # every failure, reported at the end
            found.append(f"{operation.label} ({mode.value}): {exc}"[:1500])

    try:
        run()
    except Unsatisfiable:  # negative mode on an operation with nothing to make invalid
        assert mode is GenerationMode.NEGATIVE, operation.label
    return found


def test_openapi_every_response_is_declared(api_schema: schemathesis.BaseSchema) -> None:
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        for mode in MODES:
            failures += failures_of(operation, mode)
    assert not failures, "\n\n".join(dict.fromkeys(failures))
