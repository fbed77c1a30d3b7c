"""The daily digest: one mail grouping everything, at the chosen local hour,
never two for one person and day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.conftest import wait_for
from tests.webhooks.receiver import emit


def test_digest_groups_the_day_and_is_sent_once(ready, make, api, inbox, app):
    from jobs.digest import run
    from jobs.send_email import sweep
    from workspace.db import db
    from workspace.notifications.models import DigestItem

    reader = make.user(side="university", locale="zh-CN")
    ws = make.workspace(members={"viewer": reader})
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    resp = api.as_(reader).put(
        "/me/notification-preferences",
        json={
            "events": {"trial.completed": "digest", "milestone.reached": "digest"},
            "digest_hour": hour,
            "timezone": "Asia/Shanghai",
        },
    )
    assert resp.status_code == 200, resp.get_json()
    for n in (1, 2):
        emit(ws.id, "trial.completed", {"trial": {"id": n, "number": n, "outcome": "passed"}})

    def items():
        with db.reading() as s:
            return s.query(DigestItem).filter_by(user_id=reader.id).count() == 2

    wait_for(items, timeout=15)
    assert inbox.to(reader.email) == []  # nothing immediate

    with app.app_context():
        assert run() == 1
        assert run() == 0  # the same day again: nothing
        sweep()
    mail = wait_for(lambda: inbox.to(reader.email), timeout=15)[0]
    text = mail.get_body(("plain",)).get_content()
    assert "JointLab 每日摘要" in mail["Subject"]
    assert ws.title in text and "第 1 轮试验完成" in text and "第 2 轮试验完成" in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    emit(ws.id, "trial.completed", {"trial": {"id": 3, "number": 3, "outcome": "failed"}})
    with app.app_context():
        assert run() == 0  # tomorrow's digest, not a second one today
    assert len(inbox.to(reader.email)) == 1
