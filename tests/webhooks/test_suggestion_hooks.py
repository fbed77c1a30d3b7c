"""A webhook subscribed to `suggestion.*` receives every suggestion event
(SPEC v1.1) with the suggested words, signed, from a real local receiver."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of


def test_suggestion_star_delivers_created_accepted_rejected(ready, make, api, receiver):
    ws = make.workspace()
    hook = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks",
        json={"url": receiver.url + "/hooks", "events": ["suggestion.*"], "format": "standard"},
    )
    assert hook.status_code == 201, hook.get_json()
    secret = hook.get_json()["secret"]
    doc = statement_of(api, ws)
    api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": "Yield 95%\n"})
    base = f"/documents/{doc['id']}/suggestions"
    one = (
        api.as_(ws.partner)
        .post(base, json={"anchor": {"from": 6, "to": 9}, "text": "98% 良品率"})
        .get_json()
    )
    two = (
        api.as_(ws.partner)
        .post(base, json={"anchor": {"from": 0, "to": 0}, "text": "Goal: "})
        .get_json()
    )
    api.as_(ws.owner).post(f"/suggestions/{one['id']}/accept")
    api.as_(ws.owner).post(f"/suggestions/{two['id']}/reject")

    wait_for(lambda: len(receiver.requests) >= 4, timeout=20)
    # Deliveries run in parallel: put them in the log's order.
    got = sorted(
        (Webhook(secret).verify(r.body, r.headers)["data"] for r in receiver.requests),
        key=lambda env: env["id"],
    )
    assert [env["type"] for env in got] == [
        "suggestion.created",
        "suggestion.created",
        "suggestion.accepted",
        "suggestion.rejected",
    ]
    created = got[0]["data"]["suggestion"]
    assert created["text"] == "98% 良品率" and created["anchor"]["quote"] == "95%"
    assert got[0]["data"]["document"]["id"] == doc["id"]
    assert got[2]["data"]["suggestion"]["status"] == "accepted"
    assert got[2]["data"]["suggestion"]["decided_by"]["id"] == ws.owner.id
    assert got[3]["data"]["suggestion"]["id"] == two["id"]
