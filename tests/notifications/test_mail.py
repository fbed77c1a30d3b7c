"""Mail through a real SMTP server (aiosmtpd): immediate, threaded, in the
reader's language, with a one-click unsubscribe that works."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from tests.conftest import wait_for
from tests.webhooks.receiver import emit, reach_milestone


def _bodies(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_milestone_reached_mails_each_member_in_their_language(ready, make, api, inbox):
    partner_zh = make.user(side="university", locale="zh-CN", name="李教授")
    ws = make.workspace(members={"editor": partner_zh})
    milestone = reach_milestone(api, ws, "良率 92%")
    zh = wait_for(lambda: inbox.to(partner_zh.email), timeout=15)[0]
    en = wait_for(lambda: inbox.to(ws.partner.email), timeout=15)[0]
    assert inbox.to(ws.owner.email) == []  # the one who reached it is not told
    assert zh["Subject"] == f"[{ws.title}] 里程碑已达成：良率 92%"
    assert en["Subject"] == f"[{ws.title}] Milestone reached: 良率 92%"
    text, html = _bodies(zh)
    link = f"https://jointlab.example.cn/workspaces/{ws.id}#milestone-{milestone['id']}"
    assert link in text and f'href="{link}"' in html
    assert "在 JointLab 中打开" in html
    for m in (zh, en):
        assert m["Message-ID"].startswith("<") and m["Message-ID"].endswith(">")
        assert m["References"] == f"<milestone-{milestone['id']}.ws-{ws.id}@jointlab.example.cn>"
        assert m["In-Reply-To"] == m["References"]
        assert m["List-Unsubscribe"].startswith("<https://jointlab.example.cn/unsubscribe/")
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert zh["Message-ID"] != en["Message-ID"]
    # Off by default: creating the milestone sent nothing.
    assert len(inbox.to(ws.partner.email)) == 1


def test_mails_about_one_milestone_share_a_thread(ready, make, api, inbox):
    ws = make.workspace()
    m = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "Pilot"})
        .get_json()
    )
    data = {"milestone": {"id": m["id"], "title": "Pilot", "workspace_id": ws.id}}
    emit(ws.id, "milestone.overdue", data)
    api.as_(ws.owner).post(f"/milestones/{m['id']}/reach")
    mails = wait_for(
        lambda: len(inbox.to(ws.partner.email)) == 2 and inbox.to(ws.partner.email), timeout=15
    )
    assert len({x["Message-ID"] for x in mails}) == 2
    assert len({x["References"] for x in mails}) == 1


def test_one_click_unsubscribe_switches_that_event_type_off(ready, make, api, inbox, client):
    ws = make.workspace()
    reach_milestone(api, ws, "First")
    mail = wait_for(lambda: inbox.to(ws.partner.email), timeout=15)[0]
    path = urlsplit(mail["List-Unsubscribe"].strip("<>")).path
    page = client.get(path)  # a GET (link scanners) changes nothing
    assert page.status_code == 200 and '<form method="post">' in page.get_data(as_text=True)
    prefs = api.as_(ws.partner).get("/me/notification-preferences").get_json()
    assert prefs["events"]["milestone.reached"] == "immediate"
    resp = client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert resp.status_code == 200 and 'data-testid="unsubscribed"' in resp.get_data(as_text=True)
    prefs = api.as_(ws.partner).get("/me/notification-preferences").get_json()
    assert prefs["events"]["milestone.reached"] == "off"
    assert prefs["events"]["milestone.overdue"] == "immediate"
    reach_milestone(api, ws, "Second")
    time.sleep(1.5)
    assert len(inbox.to(ws.partner.email)) == 1
    assert client.post("/unsubscribe/forged-token").status_code == 404


def test_mentions_always_notify(ready, make, api, inbox):
    ws = make.workspace()
    resp = api.as_(ws.partner).put(
        "/me/notification-preferences", json={"events": {"comment.created": "off"}}
    )
    assert resp.status_code == 200
    emit(
        ws.id,
        "comment.created",
        {
            "comment": {"id": 1, "body": "@partner look", "mentions": [ws.partner.id]},
            "document": {"id": 1, "title": "Statement"},
        },
        ws.owner,
    )
    mail = wait_for(lambda: inbox.to(ws.partner.email), timeout=15)[0]
    assert "mentioned" in mail.get_body(("plain",)).get_content()
