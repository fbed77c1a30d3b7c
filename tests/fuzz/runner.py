"""Schemathesis against a served JointLab, as an owner, a viewer and a manager.

The app is served for real (Werkzeug, threaded, a free port) over the
access matrix's seeded world (tests/foundation/matrix_world.py: a workspace
holding one of every kind of object). Schemathesis reads
`/api/v1/openapi.json` and runs its coverage and fuzzing phases with the
server-error, status-code, content-type and response-schema checks, once per
token. Path ids are pinned to the world's rows, so generated bodies and
queries reach the code behind them rather than stopping at a 404 (the 404s
of other ids are the access matrix's job); ids that a DELETE would consume
point at spares, so one token's run does not end the next one's.

    python -m tests.fuzz.runner --examples 400      # what tests/fuzz/run does

The pytest module (test_schemathesis.py) calls `fuzz()` at a small size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.foundation.matrix_params import PATH_IDS

CALLERS = {
    "owner": ("read", "write", "measurements:write"),
    "viewer": ("read", "write"),
    "manager_in": ("read", "write"),
}
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
# Path parameter -> the world's id it takes (World.ids keys); a member and a
# token that a DELETE may consume are spares.
PARAMS = {**PATH_IDS, "user_id": "spare_member", "token_id": "spare_token"}


@dataclass
class Result:
    caller: str
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    output: str = ""


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if found is None:
        raise RuntimeError("schemathesis is not installed: pip install -r tests/requirements.txt")
    return found


def _config(world: Any, base: Path, examples: int, seed: int) -> Path:
    from workspace.auth.tokens import create_token
    from workspace.db import db

    ids = dict(world.ids)
    with db.transaction() as s:  # a token of the owner's the fuzzer may revoke
        ids["spare_token"] = create_token(s, world.users["owner"], "spare", ["read"])[0].id
    lines = [
        f"seed = {seed}",
        "[generation]",
        f"max-examples = {examples}",
        # Header values must be Latin-1; NUL is refused by every layer first.
        "allow-x00 = false",
        "[parameters]",
    ]
    lines += [f'"path.{name}" = {json.dumps(ids[key])}' for name, key in PARAMS.items()]
    path = base / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_one(
    base_url: str,
    token: str,
    caller: str,
    config: Path,
    report_dir: Path,
    workers: int,
    tags: list[str] | None = None,
) -> subprocess.Popen:
    report = report_dir / f"{caller}.ndjson"
    cmd = [
        _st(),
        "--config-file",
        str(config),
        "run",
        f"{base_url}/api/v1/openapi.json",
        "--phases",
        "coverage,fuzzing",
        "--checks",
        CHECKS,
        "-H",
        f"Authorization: Bearer {token}",
        "--workers",
        str(workers),
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
    ]
    for tag in tags or ():
        cmd += ["--include-tag", tag]
    log = (report_dir / f"{caller}.log").open("w")
    return subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=config.parent,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
    )


def finish_one(proc: subprocess.Popen, caller: str, report_dir: Path) -> Result:
    returncode = proc.wait()
    result = Result(caller, output=(report_dir / f"{caller}.log").read_text())
    _read_report(report_dir / f"{caller}.ndjson", result)
    if returncode != 0 and not result.failures:
        result.failures.append(f"schemathesis exited {returncode}")
    return result


def _read_report(report: Path, result: Result) -> None:
    """Count the requests sent and collect the failed checks."""
    if not report.exists():
        return
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for name, body in event.items():
            if not isinstance(body, dict):
                continue
            if name in ("NonFatalError", "FatalError"):
                # Schemathesis could not run a scenario: coverage was lost.
                value = body.get("value") or {}
                result.failures.append(
                    f"{name} in {body.get('label')}: "
                    f"{value.get('type')}: {value.get('message', '')}"[:600]
                )
            if name == "ScenarioFinished":
                recorder = body.get("recorder") or {}
                result.requests += sum(
                    len(i) if isinstance(i, list) else 1
                    for i in (recorder.get("interactions") or {}).values()
                )
                for checks in (recorder.get("checks") or {}).values():
                    for check in checks:
                        if str(check.get("status", "")).lower() == "failure":
                            failure = check.get("failure_info") or {}
                            result.failures.append(_describe(check, failure))


def _describe(check: dict[str, Any], failure: dict[str, Any]) -> str:
    found = failure.get("failure") or {}
    return f"{check.get('name')}: {found.get('title', '')} {found.get('message', '')}"[:600]


def tag_slices(world: Any, turn: int) -> list[list[str]]:
    """At CI size: the document's tags dealt into six groups, three per turn,
    one to each caller. Turn 0 (the SQLite pass) and turn 1 (PostgreSQL)
    together fuzz every operation once, each by one of the callers; the full
    run (no turn) fuzzes every operation as every caller."""
    doc = world.app.test_client().get("/api/v1/openapi.json").get_json()
    tags = sorted(
        {t for ops in doc["paths"].values() for op in ops.values() for t in op.get("tags", [])}
    )
    groups = 2 * len(CALLERS)
    return [
        [t for i, t in enumerate(tags) if i % groups == n + turn * len(CALLERS)]
        for n in range(len(CALLERS))
    ]


def fuzz(
    world: Any,
    base_url: str,
    examples: int,
    workers: int = 1,
    seed: int = 17,
    report_dir: Path | None = None,
    turn: int | None = None,
) -> list[Result]:
    """Each caller over every operation; with `turn`, over its slice of them."""
    base = Path(tempfile.mkdtemp(prefix="jl-fuzz-"))
    # Absolute: schemathesis runs in `base` (where its config is).
    report_dir = (report_dir or base).resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    config = _config(world, base, examples, seed)
    slices = tag_slices(world, turn) if turn is not None else [None] * len(CALLERS)
    # The three callers run side by side: each is mostly waiting on the server.
    running = []
    for (caller, scopes), tags in zip(CALLERS.items(), slices, strict=True):
        token = world.token_for(world.users[caller], scopes)[1]
        running.append(
            (caller, start_one(base_url, token, caller, config, report_dir, workers, tags))
        )
    return [finish_one(proc, caller, report_dir) for caller, proc in running]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--examples", type=int, default=400, help="test cases per operation and phase (default 400)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--report-dir", type=Path, default=Path("fuzz-report"))
    args = parser.parse_args(argv)

    from tests.fuzz.served import served_world

    with served_world() as (world, base_url):
        results = fuzz(world, base_url, args.examples, args.workers, args.seed, args.report_dir)
    total = sum(r.requests for r in results)
    failures = sum(len(r.failures) for r in results)
    for r in results:
        print(f"{r.caller:>10}: {r.requests:>7} requests, {len(r.failures)} failures")
        for f in r.failures[:20]:
            print(f"            - {f}")
    print(f"{'total':>10}: {total:>7} requests, {failures} failures (reports in {args.report_dir})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
