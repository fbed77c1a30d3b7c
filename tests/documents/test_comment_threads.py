"""Comment threads over REST (SPEC v1.1): replies, mentions by id, edit and
delete, resolve and reopen, the open/resolved filter, and their events."""

from __future__ import annotations

from tests.documents.test_documents_api import events_of, statement_of


def _setup(make, api):
    viewer = make.user(side="university", name="王小明 Wang Xiaoming", email="wxm@uni.example")
    editor = make.user(side="enterprise", name="Zhao Editor")
    ws = make.workspace(members={"viewer": viewer, "editor": editor})
    doc = statement_of(api, ws)
    api.as_(ws.owner).put(
        f"/documents/{doc['id']}/text", json={"text": "目标：良品率 95%\nCycle time 62 s\n"}
    )
    return ws, viewer, editor, doc


def test_a_reply_joins_its_thread_and_takes_its_anchor(make, api):
    ws, viewer, _editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/comments"
    top = api.as_(ws.owner).post(
        base, json={"body": "Is 95% enough?", "anchor": {"from": 3, "to": 6}}
    )
    assert top.status_code == 201
    top = top.get_json()
    assert top["parent_id"] is None and top["resolved"] is False
    assert top["resolved_by"] is None and top["resolved_at"] is None
    assert top["edited_at"] is None and top["anchor"]["quote"] == "良品率"

    reply = (
        api.as_(viewer)
        .post(
            base,
            json={"body": "Aim for 98%.", "parent_id": top["id"], "anchor": {"from": 0, "to": 1}},
        )
        .get_json()
    )
    assert reply["parent_id"] == top["id"]
    assert reply["anchor"]["quote"] == "良品率"  # the thread's, not the one sent

    # One level deep; only comments of this document.
    deeper = api.as_(ws.owner).post(base, json={"body": "x", "parent_id": reply["id"]})
    assert deeper.status_code == 422 and "parent_id" in deeper.get_json()["error"]["fields"]
    other = statement_of(api, make.workspace(owner=ws.owner))
    elsewhere = api.as_(ws.owner).post(
        f"/documents/{other['id']}/comments", json={"body": "x", "parent_id": top["id"]}
    )
    assert elsewhere.status_code == 422
    assert api.as_(ws.owner).post(base, json={"body": "x", "parent_id": "1"}).status_code == 422
    created = events_of(api, ws, "comment.created")
    assert [e["data"]["parent_id"] for e in created] == [None, top["id"]]
    assert created[1]["data"]["comment"]["body"] == "Aim for 98%."
    assert len(api.as_(ws.owner).get(base).get_json()["items"]) == 2


def test_mentions_by_id_must_be_members_and_add_to_names(make, api):
    ws, viewer, editor, doc = _setup(make, api)
    outsider = make.user(name="Outsider")
    base = f"/documents/{doc['id']}/comments"
    refused = api.as_(ws.owner).post(base, json={"body": "hi", "mentions": [outsider.id]})
    assert refused.status_code == 422
    assert "mentions" in refused.get_json()["error"]["fields"]
    assert api.as_(ws.owner).post(base, json={"body": "hi", "mentions": ["x"]}).status_code == 422
    assert api.as_(ws.owner).get(base).get_json()["items"] == []  # nothing stored

    made = (
        api.as_(ws.owner)
        .post(base, json={"body": "@Zhao Editor please check", "mentions": [viewer.id, viewer.id]})
        .get_json()
    )
    assert made["mentions"] == [editor.id, viewer.id]


def test_only_the_author_edits_and_newly_mentioned_people_are_named(make, api):
    ws, viewer, editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/comments"
    c = api.as_(viewer).post(base, json={"body": "First @Zhao Editor"}).get_json()
    url = f"/comments/{c['id']}"
    assert api.as_(ws.owner).patch(url, json={"body": "hijack"}).status_code == 403
    assert api.as_(make.user()).patch(url, json={"body": "x"}).status_code == 404
    assert api.as_(viewer).patch(url, json={"body": "   "}).status_code == 422
    assert api.as_(viewer).patch("/comments/99999", json={"body": "x"}).status_code == 404

    edited = api.as_(viewer).patch(
        url, json={"body": "Second @Zhao Editor", "mentions": [ws.owner.id]}
    )
    assert edited.status_code == 200
    edited = edited.get_json()
    assert edited["body"] == "Second @Zhao Editor" and edited["edited_at"] is not None
    assert edited["mentions"] == [editor.id, ws.owner.id]
    # Editing again with the same people tells nobody anew.
    api.as_(viewer).patch(url, json={"body": "Third @Zhao Editor", "mentions": [ws.owner.id]})
    events = events_of(api, ws, "comment.edited")
    assert [e["data"]["notify"] for e in events] == [[ws.owner.id], []]
    assert events[-1]["data"]["comment"]["body"] == "Third @Zhao Editor"
    assert api.as_(ws.owner).get(base).get_json()["items"][0]["body"] == "Third @Zhao Editor"


def test_delete_by_author_or_owner_and_a_thread_goes_with_its_replies(make, api):
    ws, viewer, editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/comments"
    top = api.as_(editor).post(base, json={"body": "Thread"}).get_json()
    r1 = api.as_(viewer).post(base, json={"body": "r1", "parent_id": top["id"]}).get_json()
    r2 = api.as_(ws.owner).post(base, json={"body": "r2", "parent_id": top["id"]}).get_json()
    # Neither the thread's author nor an owner: refused, nothing gone.
    assert api.as_(viewer).delete(f"/comments/{top['id']}").status_code == 403
    assert api.as_(editor).delete(f"/comments/{r2['id']}").status_code == 403
    assert api.as_(ws.manager).delete(f"/comments/{r1['id']}").status_code == 403
    assert len(api.as_(viewer).get(base).get_json()["items"]) == 3

    assert api.as_(viewer).delete(f"/comments/{r1['id']}").status_code == 204
    assert [c["id"] for c in api.as_(viewer).get(base).get_json()["items"]] == [top["id"], r2["id"]]
    assert api.as_(ws.owner).delete(f"/comments/{top['id']}").status_code == 204
    assert api.as_(viewer).get(base).get_json()["items"] == []
    assert api.as_(ws.owner).delete(f"/comments/{r2['id']}").status_code == 404
    deleted = events_of(api, ws, "comment.deleted")
    assert [e["data"]["comment"]["id"] for e in deleted] == [r1["id"], top["id"]]
    assert deleted[1]["data"]["replies"] == [r2["id"]]


def test_resolve_reopen_and_the_filter(make, api):
    ws, viewer, _editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/comments"
    a = api.as_(ws.owner).post(base, json={"body": "A"}).get_json()
    b = api.as_(ws.owner).post(base, json={"body": "B"}).get_json()
    ra = api.as_(viewer).post(base, json={"body": "ra", "parent_id": a["id"]}).get_json()

    assert api.as_(viewer).post(f"/comments/{ra['id']}/resolve").status_code == 422
    assert api.as_(ws.manager).post(f"/comments/{a['id']}/resolve").status_code == 403
    assert api.as_(make.user()).post(f"/comments/{a['id']}/resolve").status_code == 404
    done = api.as_(viewer).post(f"/comments/{a['id']}/resolve")
    assert done.status_code == 200
    done = done.get_json()
    assert done["resolved"] is True and done["resolved_by"]["name"] == viewer.name
    assert done["resolved_at"] is not None
    # A second resolve changes nothing and records nothing.
    assert (
        api.as_(ws.owner).post(f"/comments/{a['id']}/resolve").get_json()["resolved_by"]["id"]
        == viewer.id
    )

    def ids(q: str) -> list[int]:
        return [c["id"] for c in api.as_(ws.owner).get(base + q).get_json()["items"]]

    assert ids("?resolved=true") == [a["id"], ra["id"]]
    assert ids("?resolved=false") == [b["id"]]
    assert ids("") == [a["id"], b["id"], ra["id"]]
    assert api.as_(ws.owner).get(base + "?resolved=maybe").status_code == 422

    again = api.as_(ws.owner).post(f"/comments/{a['id']}/reopen").get_json()
    assert again["resolved"] is False
    assert again["resolved_by"] is None and again["resolved_at"] is None
    assert ids("?resolved=true") == []
    assert [e["actor"]["id"] for e in events_of(api, ws, "comment.resolved")] == [viewer.id]
    reopened = events_of(api, ws, "comment.reopened")
    assert len(reopened) == 1 and reopened[0]["data"]["comment"]["body"] == "A"

    # As in Google Docs, a reply to a resolved thread reopens it.
    api.as_(viewer).post(f"/comments/{b['id']}/resolve")
    api.as_(ws.owner).post(base, json={"body": "not done", "parent_id": b["id"]})
    assert ids("?resolved=true") == []
    reopened = events_of(api, ws, "comment.reopened")
    assert [e["data"]["comment"]["id"] for e in reopened] == [a["id"], b["id"]]
    assert reopened[1]["actor"]["id"] == ws.owner.id


def test_access_is_decided_before_the_body_is_read(make, api):
    ws, viewer, _editor, doc = _setup(make, api)
    c = api.as_(viewer).post(f"/documents/{doc['id']}/comments", json={"body": "x"}).get_json()
    stranger = make.user()
    bad = {"body": 12, "mentions": "nobody"}
    assert api.as_(stranger).post(f"/documents/{doc['id']}/comments", json=bad).status_code == 404
    assert api.as_(ws.manager).post(f"/documents/{doc['id']}/comments", json=bad).status_code == 403
    assert api.as_(stranger).patch(f"/comments/{c['id']}", json=bad).status_code == 404
    assert api.as_(ws.owner).patch(f"/comments/{c['id']}", json=bad).status_code == 403
    assert api.as_(viewer).patch(f"/comments/{c['id']}", json=bad).status_code == 422


def test_thread_events_are_named_in_words_in_settings_and_activity(make, client, api):
    ws, viewer, _editor, doc = _setup(make, api)
    api.as_(viewer).patch("/me", json={"locale": "zh-CN"})
    c = api.as_(viewer).post(f"/documents/{doc['id']}/comments", json={"body": "x"}).get_json()
    api.as_(viewer).post(f"/comments/{c['id']}/resolve")
    client.post("/api/v1/auth/login", json={"email": viewer.email, "password": viewer.password})
    html = client.get("/settings/notifications").get_data(as_text=True)
    for words in ("有人编辑评论", "有人删除评论", "评论讨论被标记为已解决", "评论讨论被重新打开"):
        assert words in html
    for key in ("comment.edited", "comment.deleted", "comment.resolved", "comment.reopened"):
        assert f">{key}<" not in html  # a row shows words, not the raw key
    page = client.get(f"/workspaces/{ws.id}").get_data(as_text=True)
    assert "解决了《" in page
