"""Versions, diffs, restore, sign-off and comments over REST."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.documents.test_documents_api import events_of, statement_of
from workspace.db import db
from workspace.documents import versions
from workspace.documents.models import Document, DocumentUpdate


def test_versions_diff_and_restore_as_a_new_edit(make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    owner = api.as_(ws.owner)
    base = f"/documents/{doc['id']}"
    owner.put(base + "/text", json={"text": "目标：良品率 95% 😀\n节拍 62 s\n"})
    v1 = owner.post(base + "/versions", json={"label": "初稿 draft"}).get_json()
    owner.put(base + "/text", json={"text": "目标：良品率 98.5% 🎯\n节拍 62 s\n"})
    v2 = owner.post(base + "/versions", json={}).get_json()
    assert v1["label"] == "初稿 draft" and v1["author"]["name"] == "Enterprise Lead"
    assert v2["label"] == "v2" and v2["text"] == "目标：良品率 98.5% 🎯\n节拍 62 s\n"

    listed = owner.get(base + "/versions").get_json()["items"]
    assert [v["id"] for v in listed] == [v2["id"], v1["id"]]
    one = owner.get(f"{base}/versions/{v1['id']}").get_json()
    assert one["text"] == "目标：良品率 95% 😀\n节拍 62 s\n"

    diff = owner.get(f"{base}/diff?from={v1['id']}&to={v2['id']}").get_json()
    assert diff["from"] == v1["id"] and diff["to"] == v2["id"]
    lines = diff["unified"].splitlines()
    assert "-目标：良品率 95% 😀" in lines and "+目标：良品率 98.5% 🎯" in lines
    assert " 节拍 62 s" not in lines[:2]
    assert owner.get(f"{base}/diff?from={v2['id']}&to=current").get_json()["unified"] == ""
    assert owner.get(f"{base}/diff?from=abc&to=current").status_code == 422
    assert owner.get(f"{base}/diff?from={v1['id']}").status_code == 422
    assert owner.get(f"{base}/diff?from=999999&to=current").status_code == 404

    with db.reading() as s:
        updates_before = s.scalar(select(func.count()).select_from(DocumentUpdate))
    restored = owner.post(f"{base}/versions/{v1['id']}/restore")
    assert restored.status_code == 200
    assert restored.get_json()["text"] == v1["text"]
    assert owner.get(base).get_json()["text"] == v1["text"]
    with db.reading() as s:  # history was added to, not rewritten
        assert s.scalar(select(func.count()).select_from(DocumentUpdate)) == updates_before + 1
    assert len(owner.get(base + "/versions").get_json()["items"]) == 2
    assert [
        e["data"]["version"]["label"] for e in events_of(api, ws, "document.version_created")
    ] == ["初稿 draft", "v2"]

    other = statement_of(api, make.workspace())
    assert owner.get(f"/documents/{other['id']}/versions/{v1['id']}").status_code == 404
    assert owner.get(f"{base}/versions/{v1['id'] + 1000}").status_code == 404
    assert owner.post(base + "/versions", json={"label": "x" * 201}).status_code == 422


def test_both_sides_approving_one_version_agrees_the_statement_once(make, api):
    engineer = make.user(side="enterprise", name="Zhao")
    viewer = make.user(side="university", name="Viewer")
    ws = make.workspace(members={"editor": engineer, "viewer": viewer})
    doc = statement_of(api, ws)
    base = f"/documents/{doc['id']}"
    v1 = api.as_(ws.owner).post(base + "/versions", json={"label": "v1"}).get_json()
    v2 = api.as_(ws.owner).post(base + "/versions", json={"label": "v2"}).get_json()

    first = api.as_(ws.owner).post(f"{base}/versions/{v1['id']}/approve").get_json()
    assert first["agreed"] is False
    # The other side approving a *different* version does not agree anything.
    assert (
        api.as_(ws.partner).post(f"{base}/versions/{v2['id']}/approve").get_json()["agreed"]
        is False
    )
    assert api.as_(viewer).post(f"{base}/versions/{v1['id']}/approve").status_code == 403
    assert api.as_(ws.manager).post(f"{base}/versions/{v1['id']}/approve").status_code == 403
    assert events_of(api, ws, "statement.agreed") == []

    done = api.as_(ws.partner).post(f"{base}/versions/{v1['id']}/approve").get_json()
    assert done["agreed"] is True and done["agreed_version_id"] == v1["id"]
    sides = {a["side"] for a in done["version"]["approvals"]}
    assert sides == {"enterprise", "university"}
    # More approvals of the same version (or the same one again) agree nothing new.
    api.as_(engineer).post(f"{base}/versions/{v1['id']}/approve")
    api.as_(ws.partner).post(f"{base}/versions/{v1['id']}/approve")
    agreed = events_of(api, ws, "statement.agreed")
    assert len(agreed) == 1 and agreed[0]["data"]["version"]["id"] == v1["id"]
    assert len(events_of(api, ws, "document.approved")) == 4

    now = api.as_(viewer).get(base).get_json()
    assert now["agreed_version_id"] == v1["id"] and now["changed_since_agreed"] is False
    api.as_(ws.owner).put(base + "/text", json={"text": now["text"] + "\n补充 ✍️"})
    moved = api.as_(viewer).get(base).get_json()
    assert moved["agreed_version_id"] == v1["id"] and moved["changed_since_agreed"] is True


def test_a_quiet_document_gets_an_automatic_version_once(make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    assert versions.auto_version_documents() == 0  # a fresh template is not "edited"
    api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": "改过 edited"})
    assert versions.auto_version_documents() == 0  # not quiet yet
    with db.transaction() as s:
        row = s.get(Document, doc["id"])
        row.updated_at -= timedelta(minutes=6)
        row.last_version_at -= timedelta(minutes=7)
    assert versions.auto_version_documents() == 1
    assert versions.auto_version_documents() == 0
    items = api.as_(ws.owner).get(f"/documents/{doc['id']}/versions").get_json()["items"]
    assert len(items) == 1 and items[0]["label"].startswith("Auto ")
    assert items[0]["author"] is None and items[0]["text"] == "改过 edited"


def test_anchored_comments_follow_the_text_and_mentions_are_found(make, api):
    viewer = make.user(side="university", name="李教授", email="prof.li@uni.test")
    ws = make.workspace(members={"viewer": viewer})
    doc = statement_of(api, ws)
    base = f"/documents/{doc['id']}"
    api.as_(ws.owner).put(base + "/text", json={"text": "背景😀：气孔率太高。"})
    start = "背景😀：".__len__()
    made = api.as_(viewer).post(
        base + "/comments",
        json={
            "body": "请@Enterprise Lead 和 @university lead 确认数据来源",
            "anchor": {"from": start, "to": start + 3},
        },
    )
    assert made.status_code == 201, made.get_json()
    comment = made.get_json()
    assert comment["anchor"] == {"from": start, "to": start + 3, "quote": "气孔率", "found": True}
    assert set(comment["mentions"]) == {ws.owner.id, ws.partner.id}

    # Text typed before the range moves it; text typed right at its edges
    # stays outside it.
    head = "👨‍👩‍👧 新增一段。\n背景😀："
    api.as_(ws.owner).put(base + "/text", json={"text": head + "气孔率（X光）太高。"})
    api.as_(ws.owner).put(base + "/text", json={"text": head + "压铸气孔率（X光）太高。"})
    listed = api.as_(ws.partner).get(base + "/comments").get_json()["items"]
    assert listed[0]["anchor"]["quote"] == "气孔率"
    assert listed[0]["anchor"]["from"] == len(head) + 2
    assert listed[0]["body"].startswith("请@Enterprise Lead")

    created = events_of(api, ws, "comment.created")[-1]
    assert set(created["data"]["mentions"]) == {ws.owner.id, ws.partner.id}
    assert created["actor"]["id"] == viewer.id

    plain = api.as_(ws.partner).post(base + "/comments", json={"body": "@prof.li 👍"})
    assert plain.get_json()["anchor"] is None and plain.get_json()["mentions"] == [viewer.id]
    for bad in (
        {"body": ""},
        {"body": "   "},
        {"body": "x", "anchor": {"from": 3, "to": 1}},
        {"body": "x", "anchor": {"from": 0, "to": 9999}},
        {"body": "x", "anchor": 5},
    ):
        assert api.as_(viewer).post(base + "/comments", json=bad).status_code == 422, bad
    assert api.as_(ws.manager).post(base + "/comments", json={"body": "hi"}).status_code == 403
    assert len(api.as_(ws.owner).get(base + "/comments").get_json()["items"]) == 2
