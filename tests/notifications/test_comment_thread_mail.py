"""Threads and mail (SPEC v1.1): a reply tells the thread's earlier authors
as a mention would; an edit tells only the people it newly mentions; the
mail carries the comment's words and links to its thread. Mail is read as
received by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of


def _plain(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_replies_and_edits_notify_the_right_people_once(ready, make, api, inbox):
    viewer = make.user(side="university", locale="zh-CN", name="李晓华")
    ws = make.workspace(members={"viewer": viewer})
    doc = statement_of(api, ws)
    base = f"/documents/{doc['id']}/comments"
    # The partner comments; the owner's `mention` choice is the default (immediate).
    top = api.as_(ws.partner).post(base, json={"body": "Is 95% the goal?"}).get_json()
    reply = (
        api.as_(ws.owner)
        .post(base, json={"body": "Yes, 95% by June.", "parent_id": top["id"]})
        .get_json()
    )
    mail = wait_for(lambda: inbox.to(ws.partner.email), timeout=20)[0]
    text = _plain(mail)
    assert "> Yes, 95% by June." in text and "mentioned" in text
    assert f"/documents/{doc['id']}#comment-{top['id']}" in text

    # The viewer replies: both earlier authors hear of it.
    api.as_(viewer).post(base, json={"body": "我同意", "parent_id": top["id"]})
    wait_for(lambda: len(inbox.to(ws.partner.email)) == 2, timeout=20)
    got = wait_for(
        lambda: [m for m in inbox.to(ws.owner.email) if "我同意" in _plain(m)], timeout=20
    )
    assert len(got) == 1

    # An edit that mentions the viewer tells the viewer (in Chinese), once.
    url = f"/comments/{reply['id']}"
    assert (
        api.as_(ws.owner).patch(url, json={"body": "Yes, 95% by June. @李晓华 agrees?"}).status_code
        == 200
    )
    zh = wait_for(lambda: inbox.to(viewer.email), timeout=20)[0]
    assert "> Yes, 95% by June. @李晓华 agrees?" in _plain(zh)
    api.as_(ws.owner).patch(url, json={"body": "Yes, 95% by July. @李晓华 agrees?"})
    # A later mention is the barrier: when it has arrived, the second edit's would have.
    api.as_(ws.owner).post(base, json={"body": "barrier", "mentions": [viewer.id]})
    wait_for(lambda: any("barrier" in _plain(m) for m in inbox.to(viewer.email)), timeout=20)
    assert not any("July" in _plain(m) for m in inbox.to(viewer.email))
    assert len(inbox.to(viewer.email)) == 2
