"""One composition root (workspace/bootstrap.py): what the capabilities plug in
is what an operator and a user see, once each, however many apps a process
builds (tests build one per test; each must get everything, not twice)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.foundation.test_operator_commands import CLI, ROOT, _env
from tests.trials.factory import GOOD, add_indicators, measure, set_status, trial

PERIODIC = {
    "jobs.outbox.process_outbox",
    "workspace.documents.store.compact_documents",
    "workspace.documents.versions.auto_version_documents",
    "workspace.documents.service.flush_edited_events",
    "workspace.milestones.reminders.check_due_dates",
    "workspace.feeds.weekly.send_weekly_summaries",
    "workspace.evidence.build.build_pending_packs",
    "workspace.exports.build.sweep",
    "workspace.files.sweep.sweep_orphans",
    "workspace.files.thumbs.sweep_thumbnails",
    "jobs.deliver_webhook.sweep",
    "jobs.send_email.sweep",
    "jobs.digest.run",
}
CONSUMERS = {"evidence", "thumbnails", "notifications"}
PANELS = ("documents-panel", "trials-panel", "files-panel", "webhooks-panel")


@pytest.fixture
def built_before(settings: Any) -> Iterator[None]:
    """An app built (and left) earlier in this process, as the previous test's."""
    from jobs.queue import jobs
    from workspace.app import create_app

    create_app(settings)
    if jobs.backend is not None:
        jobs.backend.shutdown()
    yield


def _listed(app: Any) -> list[str]:
    from workspace.cli import register_cli

    register_cli(app)
    result = app.test_cli_runner().invoke(args=["scheduler", "list"])
    assert result.exit_code == 0, result.output
    return [line.split(":")[0] for line in result.output.splitlines() if line]


def test_a_second_app_lists_every_periodic_job_once(built_before, app):
    listed = _listed(app)
    assert sorted(listed) == sorted(PERIODIC)
    # The outbox goes first: the sweeps after it see what it fanned out.
    assert listed[0] == "jobs.outbox.process_outbox"


def test_the_operator_commands_see_every_job_and_consumer(app, settings, tmp_path):
    env = _env(settings, settings.database_url, tmp_path)
    listed = subprocess.run(
        [sys.executable, "-c", CLI, "scheduler", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    jobs = [
        line.split(":")[0]
        for line in listed.stdout.splitlines()
        if line and not line.startswith("THREADS")
    ]
    assert sorted(jobs) == sorted(PERIODIC)
    ran = subprocess.run(
        [sys.executable, "-c", CLI, "scheduler", "run-once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert {
        line.split(":")[0]
        for line in ran.stdout.splitlines()
        if line and not line.startswith("THREADS")
    } == PERIODIC
    # Each consumer keeps a cursor once it ran: the health report lists them.
    health = app.test_client().get("/healthz").get_json()
    assert set(health["outbox_lag"]) == CONSUMERS


def test_every_capability_has_its_panel_on_the_workspace_page(built_before, app, make):
    ws = make.workspace()
    client = app.test_client()
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": ws.owner.email, "password": ws.owner.password}
        ).status_code
        == 200
    )
    html = client.get(f"/workspaces/{ws.id}").get_data(as_text=True)
    at = [html.find(f'data-testid="{panel}"') for panel in PANELS]
    assert all(i >= 0 for i in at), dict(zip(PANELS, at, strict=True))
    assert at == sorted(at), "panels appear in the order the capabilities register"
    for panel in PANELS:
        assert html.count(f'data-testid="{panel}"') == 1, panel


def test_reactions_run_once_in_a_second_app(built_before, make, api):
    ws = make.workspace()
    docs = api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents").get_json()["items"]
    assert [d["kind"] for d in docs] == ["problem_statement"]

    add_indicators(api, ws)
    mid = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/milestones",
            json={
                "title": "One good trial",
                "criteria": {"indicators": "all", "consecutive_trials": 1},
            },
        )
        .get_json()["id"]
    )
    t = trial(api, ws, "running")
    assert measure(api, ws, t["id"], GOOD).status_code == 201
    set_status(api, ws, t["id"], "completed")

    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    reached = [e for e in items if e["type"] == "milestone.reached"]
    assert [e["data"]["milestone"]["id"] for e in reached] == [mid]
    completed = next(e for e in items if e["type"] == "trial.completed")
    # In the completing transaction: right after the completion, nothing between.
    assert reached[0]["seq"] == completed["seq"] + 1


def test_a_second_app_allows_the_declared_style_attributes_once(built_before, app, client):
    """The editor's cursor styles reach the pages' CSP because the documents
    capability declares them, not because its pages module was imported."""
    from workspace.documents.pages import CURSOR_STYLES
    from workspace.house import house_of

    assert house_of(app).style_attributes == list(CURSOR_STYLES)
    policy = client.get("/login").headers["Content-Security-Policy"]
    allowed = next(p.split()[1:] for p in policy.split(";") if p.split()[0] == "style-src-attr")
    assert allowed[0] == "'unsafe-hashes'" and len(allowed) == 1 + len(CURSOR_STYLES)
