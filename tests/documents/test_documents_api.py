"""Documents over REST: the statement from its template, answers, replacing
text with Chinese and emoji, limits, permissions, coalesced edit events."""

from __future__ import annotations

import re
from datetime import timedelta

from workspace.db import db
from workspace.documents import service, store
from workspace.documents.models import Document


def statement_of(api, ws) -> dict:
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents").get_json()["items"]
    return next(d for d in items if d["kind"] == "problem_statement")


def events_of(api, ws, type_: str) -> list[dict]:
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    return [e for e in items if e["type"] == type_]


def test_each_workspace_starts_with_one_bilingual_statement(make, api):
    ws = make.workspace(title="压铸件气孔率攻关")
    docs = api.as_(ws.partner).get(f"/workspaces/{ws.id}/documents").get_json()["items"]
    assert [d["kind"] for d in docs] == ["problem_statement"]
    text = docs[0]["text"]
    assert "压铸件气孔率攻关" in text
    for heading in (
        "背景 Background",
        "技术瓶颈 Technical bottleneck",
        "目标指标 Target indicators",
        "约束条件 Constraints",
        "验收标准 Acceptance criteria",
        "知识产权与保密 IP and confidentiality",
    ):
        assert re.search(rf"^## \d\. {heading}$", text, re.M), heading
    again = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/documents", json={"title": "Second", "kind": "problem_statement"}
    )
    assert again.status_code == 409
    assert len(api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents").get_json()["items"]) == 1


def test_answers_are_created_read_and_replaced_with_chinese_and_emoji(make, api):
    ws = make.workspace()
    made = api.as_(ws.partner).post(
        f"/workspaces/{ws.id}/documents", json={"title": "方案 A", "text": "初稿 🚀"}
    )
    assert made.status_code == 201, made.get_json()
    doc = made.get_json()
    assert doc["kind"] == "answer" and doc["text"] == "初稿 🚀"
    assert events_of(api, ws, "document.created")[-1]["data"]["document"]["title"] == "方案 A"

    new_text = "初稿 🚀\n## 方案 Proposal 👨‍👩‍👧\n真空度 ≤ 80 mbar ✅"
    put = api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": new_text})
    assert put.status_code == 200 and put.get_json()["text"] == new_text
    assert api.as_(ws.partner).get(f"/documents/{doc['id']}").get_json()["text"] == new_text
    # The stored CRDT state says the same (no plain-text copy anywhere to drift).
    with db.reading() as s:
        assert service.current_text(s, doc["id"]) == new_text
    # A small edit stores a small update, not the whole text again.
    put2 = api.as_(ws.owner).put(
        f"/documents/{doc['id']}/text", json={"text": new_text.replace("80", "60")}
    )
    assert put2.status_code == 200
    with db.reading() as s:
        states = store.load_states(s, doc["id"])
    assert len(states[-1]) < 60


def test_text_limit_and_bad_input_change_nothing(make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    huge = "字" * (1024 * 1024 // 3 + 1)  # just over 1 MB of UTF-8, under 1 M characters
    resp = api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": huge})
    assert resp.status_code == 413
    assert "1048576" in resp.get_json()["error"]["message"]
    for body in ({}, {"text": 5}, [], {"text": None}):
        bad = api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json=body)
        assert bad.status_code == 422, body
    assert (
        api.as_(ws.owner).post(f"/workspaces/{ws.id}/documents", json={"title": ""}).status_code
        == 422
    )
    assert (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/documents", json={"title": "x", "kind": "memo"})
        .status_code
        == 422
    )
    assert api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"] == doc["text"]


def test_who_may_read_and_edit(make, api):
    viewer = make.user(side="university", name="Viewer")
    ws = make.workspace(members={"viewer": viewer})
    outsider = make.user(side="enterprise")
    doc = statement_of(api, ws)
    path = f"/documents/{doc['id']}"
    assert api.as_(viewer).get(path).status_code == 200
    assert api.as_(viewer).put(path + "/text", json={"text": "x"}).status_code == 403
    assert api.as_(ws.manager).get(path).status_code == 200
    assert api.as_(ws.manager).put(path + "/text", json={"text": "x"}).status_code == 403
    assert api.as_(outsider).get(path).status_code == 404
    assert api.as_(outsider).put(path + "/text", json={"text": "x"}).status_code == 404
    assert api.as_(outsider).get(f"/workspaces/{ws.id}/documents").status_code == 404
    assert (
        api.as_(viewer).post(f"/workspaces/{ws.id}/documents", json={"title": "x"}).status_code
        == 403
    )
    assert api.as_(ws.owner).get("/documents/999999").status_code == 404
    assert api.as_(ws.owner).get(path).get_json()["text"] == doc["text"]


def test_document_edited_is_coalesced_to_one_a_minute_naming_the_editors(make, api, app):
    editor = make.user(side="enterprise", name="Zhao")
    ws = make.workspace(members={"editor": editor})
    doc = statement_of(api, ws)
    path = f"/documents/{doc['id']}/text"
    api.as_(ws.owner).put(path, json={"text": "one"})
    api.as_(editor).put(path, json={"text": "two"})
    api.as_(ws.partner).put(path, json={"text": "three"})
    edited = events_of(api, ws, "document.edited")
    assert len(edited) == 1  # the first edit at once, the others wait for the minute
    assert edited[0]["data"]["editors"] == ["Enterprise Lead"]

    # A minute later the waiting editors get their event from the periodic job.
    with db.transaction() as s:
        row = s.get(Document, doc["id"])
        row.edited_event_at -= timedelta(seconds=61)
        row.updated_at -= timedelta(seconds=1)
    assert service.flush_edited_events() == 1
    edited = events_of(api, ws, "document.edited")
    assert len(edited) == 2
    assert edited[1]["data"]["editors"] == ["Zhao", "University Lead"]
    assert edited[1]["data"]["editor_ids"] == [editor.id, ws.partner.id]
    assert service.flush_edited_events() == 0  # nothing twice


def test_preview_is_sanitised_html(make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    resp = api.as_(ws.partner).post(
        f"/documents/{doc['id']}/preview", json={"text": "**粗体** <script>alert(1)</script>"}
    )
    assert resp.status_code == 200
    html = resp.get_json()["html"]
    assert "<strong>粗体</strong>" in html and "<script" not in html


def test_openapi_lists_the_document_routes_and_limits(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/documents/{document_id}/text",
        "/documents/{document_id}/versions",
        "/documents/{document_id}/diff",
        "/documents/{document_id}/comments",
        "/documents/{document_id}/versions/{version_id}/approve",
    ):
        assert any(p.endswith(path) for p in spec["paths"]), path
    put = next(v for p, v in spec["paths"].items() if p.endswith("/text"))["put"]
    assert "1 MB" in put.get("description", "")
