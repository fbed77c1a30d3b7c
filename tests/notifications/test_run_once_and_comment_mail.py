"""`flask --app wsgi scheduler run-once` sends every waiting digest, whatever
each person's hour (SPEC: every periodic job "as if its time had come"); a
comment or mention mail carries what was said, escaped, in both languages.
Mail is read as received by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.conftest import wait_for
from tests.webhooks.receiver import ROOT, emit, worker_env


def _run_once(settings) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run-once"],
        cwd=ROOT,
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_run_once_sends_waiting_digests_whatever_their_hour(ready, make, api, inbox, settings):
    from workspace.db import db
    from workspace.notifications.models import DigestItem

    reader = make.user(side="university", locale="zh-CN", name="读者")
    other = make.user(side="university", locale="en", name="Other reader")
    ws = make.workspace(members={"viewer": reader, "viewer2": other})
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    for who in (reader, other):
        resp = api.as_(who).put(
            "/me/notification-preferences",
            json={
                "events": {"trial.completed": "digest", "comment.created": "digest"},
                "digest_hour": (hour + 12) % 24,
                "timezone": "Asia/Shanghai",
            },
        )
        assert resp.status_code == 200, resp.get_json()
    for n in (1, 2):
        emit(ws.id, "trial.completed", {"trial": {"id": n, "number": n, "outcome": "passed"}})
    emit(
        ws.id,
        "comment.created",
        {
            "comment": {"id": 1, "body": "<i>hi</i> 你好"},
            "document": {"id": 1, "title": "Statement"},
        },
        ws.owner,
    )

    def waiting():
        with db.reading() as s:
            return s.query(DigestItem).filter(DigestItem.mail_id.is_(None)).count() == 6

    wait_for(waiting, timeout=15)
    assert inbox.to(reader.email) == [] and inbox.to(other.email) == []

    done = _run_once(settings)
    assert done.returncode == 0, done.stderr
    assert "jobs.digest.run: 2" in done.stdout, done.stdout
    zh = wait_for(lambda: inbox.to(reader.email), timeout=30)[0]
    en = wait_for(lambda: inbox.to(other.email), timeout=30)[0]
    assert "JointLab 每日摘要" in zh["Subject"] and "daily digest" in en["Subject"]
    text = zh.get_body(("plain",)).get_content()
    assert "第 1 轮试验完成" in text and "第 2 轮试验完成" in text
    # A digest is a comment mail too: it carries the comment, escaped in HTML.
    assert "> <i>hi</i> 你好" in text
    assert "&lt;i&gt;hi&lt;/i&gt; 你好" in zh.get_body(("html",)).get_content()
    # Once a day: a second run finds today's digests made.
    again = _run_once(settings)
    assert again.returncode == 0 and "jobs.digest.run: 0" in again.stdout
    assert len(inbox.to(reader.email)) == 1 and len(inbox.to(other.email)) == 1


BODY = '@{name} see <b>this</b> & "that"\nsecond line 第二行 <script>x()</script>'


def test_comment_and_mention_mails_carry_the_comment_escaped(ready, make, api, inbox):
    watcher = make.user(side="university", locale="zh-CN", name="李教授")
    ws = make.workspace(members={"viewer": watcher})
    assert (
        api.as_(watcher)
        .put("/me/notification-preferences", json={"events": {"comment.created": "immediate"}})
        .status_code
        == 200
    )
    docs = api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents").get_json()["items"]
    statement = next(d for d in docs if d["kind"] == "problem_statement")
    body = BODY.format(name=ws.partner.name)
    resp = api.as_(ws.owner).post(
        f"/documents/{statement['id']}/comments", json={"body": body, "anchor": None}
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["mentions"] == [ws.partner.id]

    mention = wait_for(lambda: inbox.to(ws.partner.email), timeout=20)[0]  # English
    comment = wait_for(lambda: inbox.to(watcher.email), timeout=20)[0]  # Chinese
    assert "mentioned" in mention.get_body(("plain",)).get_content()
    for mail, opener in ((mention, "commented on"), (comment, "评论了")):
        text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = mail.get_body(("html",)).get_content()
        assert opener in text
        # The text part quotes it as written, line by line.
        assert f'> @{ws.partner.name} see <b>this</b> & "that"\n' in text
        assert "> second line 第二行 <script>x()</script>" in text
        # The HTML part shows the same words, escaped: nothing in it is markup.
        assert "see &lt;b&gt;this&lt;/b&gt; &amp; &#34;that&#34;" in html
        assert "&lt;script&gt;x()&lt;/script&gt;" in html
        assert "<b>this</b>" not in html and "<script>" not in html
