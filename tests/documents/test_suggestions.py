"""Suggested edits over REST (SPEC v1.1): who may suggest and decide, accepting
as a minimal live edit (a live peer's concurrent edit elsewhere survives),
outdated suggestions, withdrawing, deciding twice, the status filter and the
events."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import events_of, statement_of
from tests.portfolios.builders import portfolio

TEXT = "目标：良品率 95%\nCycle time 62 s\nScrap below 2 %.\n"


def _setup(make, api):
    viewer = make.user(side="university", name="王小明 Wang Xiaoming")
    editor = make.user(side="enterprise", name="Zhao Editor")
    ws = make.workspace(members={"viewer": viewer, "editor": editor})
    doc = statement_of(api, ws)
    api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": TEXT})
    return ws, viewer, editor, doc


def _at(words: str) -> dict[str, int]:
    start = TEXT.index(words)
    return {"from": start, "to": start + len(words)}


def test_any_member_suggests_and_readers_list_them(make, api):
    ws, viewer, editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/suggestions"
    made = api.as_(viewer).post(
        base, json={"anchor": _at("95%"), "text": "98%", "note": "客户要求 98%"}
    )
    assert made.status_code == 201
    s = made.get_json()
    assert s["anchor"] == {**_at("95%"), "quote": "95%", "found": True}
    assert s["text"] == "98%" and s["note"] == "客户要求 98%" and s["status"] == "open"
    assert s["author"] == {"id": viewer.id, "name": viewer.name}
    assert s["decided_by"] is None and s["decided_at"] is None and s["created_at"]
    # An empty range inserts; an empty text deletes.
    ins = api.as_(editor).post(
        base, json={"anchor": {"from": len(TEXT), "to": len(TEXT)}, "text": "Energy ≤ 3 kWh\n"}
    )
    assert ins.status_code == 201 and ins.get_json()["anchor"]["quote"] == ""
    dele = api.as_(ws.owner).post(base, json={"anchor": _at("Cycle time 62 s\n"), "text": ""})
    assert dele.status_code == 201
    listed = api.as_(ws.manager).get(base).get_json()["items"]
    assert [x["id"] for x in listed] == [s["id"], ins.get_json()["id"], dele.get_json()["id"]]
    assert api.as_(viewer).get(f"/suggestions/{s['id']}").get_json()["text"] == "98%"

    # Managers read but do not suggest; strangers learn nothing.
    body = {"anchor": _at("95%"), "text": "99%"}
    assert api.as_(ws.manager).post(base, json=body).status_code == 403
    # A manager without a portfolio oversees every workspace: a reader, so
    # refused before the body is read; one whose portfolio leaves W out is a
    # stranger to it.
    assert api.as_(make.user(role="manager")).post(base, json={"x": 1}).status_code == 403
    elsewhere = make.user(role="manager")
    portfolio(api, make.admin(), elsewhere, workspaces=(make.workspace(),))
    assert api.as_(elsewhere).post(base, json={"x": 1}).status_code == 404
    stranger = make.user()
    assert api.as_(stranger).post(base, json={"text": 5}).status_code == 404
    assert api.as_(stranger).get(base).status_code == 404
    assert api.as_(stranger).get(f"/suggestions/{s['id']}").status_code == 404
    # Bad bodies: 422, nothing stored.
    for bad in (
        {"anchor": {"from": 3, "to": 1}, "text": "x"},
        {"anchor": {"from": 0, "to": 10_000}, "text": "x"},
        {"anchor": _at("95%"), "text": "95%"},
        {"anchor": _at("95%")},
        {"text": "x"},
        {"anchor": _at("95%"), "text": 5},
        {"anchor": _at("95%"), "text": "x" * 10_001},
    ):
        answer = api.as_(viewer).post(base, json=bad)
        assert answer.status_code == 422, bad
    assert len(api.as_(viewer).get(base).get_json()["items"]) == 3
    created = events_of(api, ws, "suggestion.created")
    assert len(created) == 3
    first = created[0]["data"]
    assert first["suggestion"]["text"] == "98%" and first["suggestion"]["anchor"]["quote"] == "95%"
    # Those who can accept it are told (not its author).
    assert sorted(first["notify"]) == sorted([ws.owner.id, ws.partner.id, editor.id])
    assert sorted(created[1]["data"]["notify"]) == sorted([ws.owner.id, ws.partner.id])
    # The viewer's next suggestion within minutes is the same sitting: told once.
    api.as_(viewer).post(base, json={"anchor": _at("62 s"), "text": "58 s"})
    assert events_of(api, ws, "suggestion.created")[-1]["data"]["notify"] == []


def test_accepting_applies_a_minimal_edit_beside_a_live_peer(make, api, live_server):
    ws, viewer, editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/suggestions"
    s = (
        api.as_(viewer)
        .post(base, json={"anchor": _at("Scrap below 2 %"), "text": "Scrap below 1.5 %"})
        .get_json()
    )
    peer = Peer(make.token(editor), doc["id"], "editor")
    peer.connect(live_server.url)
    # The peer types at the start while the suggestion waits: its anchor follows.
    peer.insert(0, "【草稿】")
    peer.wait_acked()
    assert api.as_(viewer).post(f"/suggestions/{s['id']}/accept").status_code == 403
    accepted = api.as_(editor).post(f"/suggestions/{s['id']}/accept")
    assert accepted.status_code == 200
    a = accepted.get_json()
    assert a["status"] == "accepted" and a["decided_by"]["id"] == editor.id and a["decided_at"]
    expected = "【草稿】" + TEXT.replace("below 2 %", "below 1.5 %")
    assert api.as_(viewer).get(f"/documents/{doc['id']}").get_json()["text"] == expected
    # The live peer got the edit at once, and its own edit survived.
    wait_for(lambda: peer.text() == expected)
    peer.insert(len(peer.text()), "end")
    peer.wait_acked()
    assert api.as_(viewer).get(f"/documents/{doc['id']}").get_json()["text"] == expected + "end"
    peer.disconnect()
    # Deciding twice: 409.
    again = api.as_(ws.owner).post(f"/suggestions/{s['id']}/accept")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "suggestion_decided"
    assert api.as_(ws.owner).post(f"/suggestions/{s['id']}/reject").status_code == 409
    ev = events_of(api, ws, "suggestion.accepted")
    assert len(ev) == 1 and ev[0]["data"]["notify"] == [viewer.id]
    assert ev[0]["data"]["suggestion"]["status"] == "accepted"
    assert events_of(api, ws, "document.edited")  # an edit like any other


def test_a_suggestion_whose_words_changed_is_outdated(make, api):
    ws, viewer, _editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/suggestions"
    s = api.as_(viewer).post(base, json={"anchor": _at("62 s"), "text": "58 s"}).get_json()
    other = api.as_(viewer).post(base, json={"anchor": _at("95%"), "text": "97%"}).get_json()
    api.as_(ws.owner).put(
        f"/documents/{doc['id']}/text", json={"text": TEXT.replace("62 s", "60 s")}
    )
    seen = api.as_(viewer).get(f"/suggestions/{s['id']}").get_json()
    assert seen["anchor"]["found"] is False and seen["status"] == "open"
    answer = api.as_(ws.owner).post(f"/suggestions/{s['id']}/accept")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "suggestion_outdated"
    # The status change committed although the answer was 409; the text is untouched.
    assert api.as_(viewer).get(f"/suggestions/{s['id']}").get_json()["status"] == "outdated"
    assert api.as_(viewer).get(f"/documents/{doc['id']}").get_json()["text"] == TEXT.replace(
        "62 s", "60 s"
    )
    assert not events_of(api, ws, "suggestion.accepted")
    # The filter: one or several statuses.
    opened = api.as_(viewer).get(base + "?status=open").get_json()["items"]
    assert [x["id"] for x in opened] == [other["id"]]
    both = api.as_(viewer).get(base + "?status=open,outdated").get_json()["items"]
    assert [x["id"] for x in both] == [s["id"], other["id"]]
    assert api.as_(viewer).get(base + "?status=maybe").status_code == 422
    # An outdated suggestion can still be dismissed.
    gone = api.as_(viewer).post(f"/suggestions/{s['id']}/reject")
    assert gone.status_code == 200 and gone.get_json()["status"] == "rejected"


def test_its_author_or_an_editor_rejects_it(make, api):
    ws, viewer, editor, doc = _setup(make, api)
    other_viewer = make.user(name="Other Viewer")
    api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members", json={"user_id": other_viewer.id, "role": "viewer"}
    )
    base = f"/documents/{doc['id']}/suggestions"
    mine = api.as_(viewer).post(base, json={"anchor": _at("95%"), "text": "96%"}).get_json()
    assert api.as_(other_viewer).post(f"/suggestions/{mine['id']}/reject").status_code == 403
    assert api.as_(ws.manager).post(f"/suggestions/{mine['id']}/reject").status_code == 403
    assert api.as_(make.user()).post(f"/suggestions/{mine['id']}/reject").status_code == 404
    withdrawn = api.as_(viewer).post(f"/suggestions/{mine['id']}/reject").get_json()
    assert withdrawn["status"] == "rejected" and withdrawn["decided_by"]["id"] == viewer.id
    again = api.as_(viewer).post(f"/suggestions/{mine['id']}/reject")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "suggestion_decided"
    theirs = api.as_(viewer).post(base, json={"anchor": _at("95%"), "text": "97%"}).get_json()
    assert api.as_(editor).post(f"/suggestions/{theirs['id']}/reject").status_code == 200
    rejected = events_of(api, ws, "suggestion.rejected")
    # The author withdrawing tells nobody; an editor rejecting tells the author.
    assert [e["data"]["notify"] for e in rejected] == [[], [viewer.id]]
    assert api.as_(viewer).get(base + "?status=rejected").get_json()["items"][0]["id"] == mine["id"]
    # The text never changed.
    assert api.as_(viewer).get(f"/documents/{doc['id']}").get_json()["text"] == TEXT


def test_suggestion_events_are_named_in_words_in_settings_and_activity(make, client, api):
    ws, viewer, _editor, doc = _setup(make, api)
    api.as_(viewer).patch("/me", json={"locale": "zh-CN"})
    s = (
        api.as_(viewer)
        .post(f"/documents/{doc['id']}/suggestions", json={"anchor": _at("95%"), "text": "98%"})
        .get_json()
    )
    api.as_(ws.owner).post(f"/suggestions/{s['id']}/accept")
    client.post("/api/v1/auth/login", json={"email": viewer.email, "password": viewer.password})
    html = client.get("/settings/notifications").get_data(as_text=True)
    for words in ("有人提出修改建议", "修改建议被接受", "修改建议被拒绝"):
        assert words in html
    for key in ("suggestion.created", "suggestion.accepted", "suggestion.rejected"):
        assert f">{key}<" not in html  # a row shows words, not the raw key
    page = client.get(f"/workspaces/{ws.id}").get_data(as_text=True)
    assert "提出了修改建议" in page and "接受了《" in page


def test_an_insertion_follows_edits_beside_it_and_is_lost_with_its_context(make, api):
    ws, viewer, _editor, doc = _setup(make, api)
    base = f"/documents/{doc['id']}/suggestions"
    at = TEXT.index("\nCycle")
    s = (
        api.as_(viewer)
        .post(base, json={"anchor": {"from": at, "to": at}, "text": "，提高到 98%"})
        .get_json()
    )
    # Someone rewrites the words just before the insertion point: it still applies there.
    api.as_(ws.owner).put(
        f"/documents/{doc['id']}/text", json={"text": "前言\n" + TEXT.replace("95%", "905%")}
    )
    seen = api.as_(viewer).get(f"/suggestions/{s['id']}").get_json()
    assert seen["anchor"]["found"] is True
    assert api.as_(ws.owner).post(f"/suggestions/{s['id']}/accept").status_code == 200
    assert api.as_(viewer).get(f"/documents/{doc['id']}").get_json()[
        "text"
    ] == "前言\n" + TEXT.replace("95%", "905%，提高到 98%")
    # With its surroundings gone, it no longer applies.
    lost = api.as_(viewer).post(base, json={"anchor": {"from": 3, "to": 3}, "text": "x"}).get_json()
    api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": "全新的内容\n"})
    assert api.as_(ws.owner).post(f"/suggestions/{lost['id']}/accept").status_code == 409


def test_the_demo_statement_has_a_suggestion_waiting(app, api):
    from sqlalchemy import select

    from workspace.auth.models import User
    from workspace.db import db
    from workspace.demo import seed_demo

    assert seed_demo()
    with db.reading() as s:
        lead = s.scalar(select(User).where(User.email == "enterprise@demo.jointlab"))
    lead.password = "jointlab-demo"
    ws_id = api.as_(lead).get("/workspaces").get_json()["items"][0]["id"]
    doc = statement_of(api, type("W", (), {"id": ws_id, "owner": lead})())
    waiting = api.as_(lead).get(f"/documents/{doc['id']}/suggestions?status=open")
    [s] = waiting.get_json()["items"]
    assert s["anchor"]["quote"] == "连续 3 批" and s["text"] == "连续 5 批"
    assert s["anchor"]["found"] is True
