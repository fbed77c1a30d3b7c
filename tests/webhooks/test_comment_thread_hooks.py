"""A webhook subscribed to `comment.*` receives every thread event (SPEC
v1.1) with the comment's words, signed, from a real local receiver."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of


def test_comment_star_delivers_every_thread_event(ready, make, api, receiver):
    ws = make.workspace()
    hook = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks",
        json={"url": receiver.url + "/hooks", "events": ["comment.*"], "format": "standard"},
    )
    assert hook.status_code == 201, hook.get_json()
    secret = hook.get_json()["secret"]
    doc = statement_of(api, ws)
    base = f"/documents/{doc['id']}/comments"
    top = api.as_(ws.owner).post(base, json={"body": "Thread 讨论"}).get_json()
    reply = (
        api.as_(ws.partner)
        .post(base, json={"body": "Reply 回复", "parent_id": top["id"]})
        .get_json()
    )
    api.as_(ws.partner).patch(f"/comments/{reply['id']}", json={"body": "Reply edited"})
    api.as_(ws.partner).post(f"/comments/{top['id']}/resolve")
    api.as_(ws.owner).post(f"/comments/{top['id']}/reopen")
    api.as_(ws.owner).delete(f"/comments/{top['id']}")

    wait_for(lambda: len(receiver.requests) >= 6, timeout=20)
    got = [Webhook(secret).verify(r.body, r.headers)["data"] for r in receiver.requests]
    by_type = {}
    for env in got:
        by_type.setdefault(env["type"], []).append(env["data"])
    assert sorted(by_type) == [
        "comment.created",
        "comment.deleted",
        "comment.edited",
        "comment.reopened",
        "comment.resolved",
    ]
    assert sorted(d["parent_id"] for d in by_type["comment.created"] if d["parent_id"]) == [
        top["id"]
    ]
    assert by_type["comment.edited"][0]["comment"]["body"] == "Reply edited"
    assert by_type["comment.resolved"][0]["comment"]["body"] == "Thread 讨论"
    assert by_type["comment.deleted"][0]["replies"] == [reply["id"]]
