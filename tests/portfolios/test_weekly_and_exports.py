"""The weekly summary mail (once per manager and week) and the dashboard
exports as CSV and XLSX made by a background job."""

from __future__ import annotations

import email
import io
from email import policy

import openpyxl

from tests.conftest import wait_for
from tests.portfolios.builders import milestone, reach, world


def _mails_to(settings, address):
    out = []
    for path in sorted(settings.outbox_path.glob("weekly-*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if msg["To"] == address:
            out.append(msg)
    return out


def test_weekly_summary_reports_reached_overdue_and_is_sent_once(app, make, api, settings):
    from workspace.feeds.weekly import send_weekly_summaries

    w = world(make, api)
    done = milestone(api, w.by_org, "Porosity halved")
    reach(api, w.by_org, done["id"])
    milestone(api, w.by_hand, "Seam report", due_in_days=-2)
    hidden = milestone(api, w.outside, "Furnace secret")
    reach(api, w.outside, hidden["id"])

    with app.app_context():
        send_weekly_summaries()
        send_weekly_summaries()  # the scheduler ran again this week: nothing new
    mails = _mails_to(settings, w.manager.email)
    assert len(mails) == 1
    mail = mails[0]
    assert "1 reached, 1 overdue, 0 agreed" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "Porosity halved" in body and "Seam report" in body
    assert "Furnace secret" not in body
    html = mail.get_body(("html",)).get_content()
    assert "Seam report" in html and "/dashboard" in html


def test_weekly_summary_speaks_the_managers_language(app, make, api, settings):
    from workspace.feeds.weekly import send_weekly_summary

    manager = make.user(role="manager", locale="zh-CN", name="李主任")
    ws = make.workspace()
    reach(api, ws, milestone(api, ws, "中试完成")["id"])
    with app.app_context():
        assert send_weekly_summary(manager.id) is True
        assert send_weekly_summary(manager.id) is False
    mail = _mails_to(settings, manager.email)[0]
    assert "已达成" in mail["Subject"]
    assert "中试完成" in mail.get_body(("plain",)).get_content()


def _finished(api, user, task_id):
    task = api.as_(user).get(f"/exports/{task_id}").get_json()
    return task if task["status"] in ("done", "failed") else None


def test_xlsx_export_has_the_dashboard_columns_in_the_users_language(make, api, worker):
    w = world(make, api)
    milestone(api, w.by_org, "Late", due_in_days=-1)
    zh = make.user(role="manager", locale="zh-CN")
    api.as_(w.admin).put(f"/managers/{zh.id}/portfolio", json={"organization_ids": [w.acme.id]})
    created = api.as_(zh).post("/exports", json={"format": "xlsx", "overdue": True})
    assert created.status_code == 202
    assert created.get_json()["status"] in ("queued", "running", "done")
    task = wait_for(lambda: _finished(api, zh, created.get_json()["id"]))
    assert task["status"] == "done" and task["done"] == task["total"] == 1
    assert task["filename"].endswith(".xlsx")
    resp = api.as_(zh).get(f"/exports/{task['id']}/download")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "工作空间" and "逾期数" in rows[0]
    assert rows[1][1] == "Acme porosity" and rows[1][13] == 1
    # Values people read are in their language too (issue 15), not raw keys.
    assert rows[1][4] == "进行中" and rows[1][5] in ("是", "否", "")
    assert sheet.title == "项目组合"
    assert len(rows) == 2


def test_bad_export_requests_are_refused(make, api):
    manager = make.manager()
    for body in (
        {"format": "pdf"},
        {},
        {"format": "csv", "status": "asleep"},
        {"format": "csv", "organization_id": "3"},
    ):
        resp = api.as_(manager).post("/exports", json=body)
        assert resp.status_code == 422, body
    assert api.as_(manager).get("/exports/export-nope").status_code == 404
    assert api.as_(manager).get("/exports/export-nope/download").status_code == 404


def test_an_export_whose_job_was_lost_is_made_by_the_periodic_sweep(make, api, worker, monkeypatch):
    """The queue is down when the export is asked for: the task is kept,
    queued, and the sweep the composition root schedules makes it."""
    from datetime import timedelta

    from jobs.queue import jobs, resolve
    from workspace.db import db, utcnow
    from workspace.exports.models import ExportTask
    from workspace.house import house_of

    manager = world(make, api).manager  # oversees two of the three workspaces

    def down(*_args, **_kwargs):
        raise ConnectionError("the queue is down")

    with monkeypatch.context() as queue:
        queue.setattr(jobs.backend, "enqueue", down)
        created = api.as_(manager).post("/exports", json={"format": "csv"})
    assert created.status_code == 202
    task_id = created.get_json()["id"]
    assert api.as_(manager).get(f"/exports/{task_id}").get_json()["status"] == "queued"
    sweeps = [p for p in house_of(worker).periodic if p.path.startswith("workspace.exports.")]
    assert [p.path for p in sweeps] == ["workspace.exports.build.sweep"]
    with worker.app_context():
        assert resolve(sweeps[0].path)() == 0  # a queued task is given time to be claimed
    with db.transaction() as s:
        s.get(ExportTask, task_id).created_at = utcnow() - timedelta(minutes=5)
    with worker.app_context():
        assert resolve(sweeps[0].path)() == 1
    task = wait_for(lambda: _finished(api, manager, task_id))
    assert task["status"] == "done" and task["done"] == task["total"] == 2
    assert api.as_(manager).get(f"/exports/{task_id}/download").status_code == 200
