"""Schemathesis against the served API, at CI size (issue 12, "what it must
show"): coverage and fuzzing phases with the server-error, status-code,
content-type and response-schema checks, as an owner, a viewer and a
manager token, each over a sixth of the operations (the SQLite pass fuzzes
three sixths, the PostgreSQL pass the other three, so the two passes cover
every operation). 0 failures and 0 scenarios schemathesis could not run.

The full size (every operation for every token, >= 20,000 requests) is
`bash tests/fuzz/run`; see README, "Input".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import USE_PG
from tests.foundation.matrix_app import module_world
from tests.fuzz.runner import fuzz
from tests.fuzz.served import served


@pytest.fixture(scope="module")
def served_world(
    database_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str]]:
    for world in module_world(database_template, tmp_path_factory.mktemp("fuzz")):
        with served(world) as url:
            yield world, url


# A few thousand requests through a real server: well under a minute on a quiet
# machine, minutes on a busy one; the suite's 120 s per test is too tight here.
@pytest.mark.timeout(480)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(served_world, tmp_path):
    world, url = served_world
    results = fuzz(world, url, examples=1, workers=1, report_dir=tmp_path, turn=1 if USE_PG else 0)
    summary = {r.caller: (r.requests, r.failures) for r in results}
    for r in results:
        assert r.requests > 100, (r.caller, r.output[-3000:])
        assert not r.failures, (r.caller, r.failures[:20], f"reports in {tmp_path}")
    print(summary)
