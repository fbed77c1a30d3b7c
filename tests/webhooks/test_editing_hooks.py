"""Renames and deletes reach webhooks like every other change: a filter on
`document.*`, `milestone.*`, `indicator.*` and `trial.*` receives them, signed."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of


def test_renames_and_deletes_are_delivered(ready, make, api, receiver):
    ws = make.workspace()
    hook = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks",
        json={
            "url": receiver.url + "/hooks",
            "format": "standard",
            "events": [
                "document.renamed",
                "milestone.deleted",
                "indicator.deleted",
                "trial.deleted",
            ],
        },
    )
    assert hook.status_code == 201, hook.get_json()
    secret = hook.get_json()["secret"]
    doc = statement_of(api, ws)
    assert (
        api.as_(ws.owner)
        .patch(f"/documents/{doc['id']}", json={"title": "问题陈述 v2"})
        .status_code
        == 200
    )
    m = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "Pilot"})
        .get_json()
    )
    ind = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/indicators",
            json={"key": "yield_pct", "label": "Yield", "comparator": ">=", "target": 92},
        )
        .get_json()
    )
    t = api.as_(ws.owner).post(f"/workspaces/{ws.id}/trials", json={"title": "Try"}).get_json()
    for path in (f"/milestones/{m['id']}", f"/indicators/{ind['id']}", f"/trials/{t['id']}"):
        assert api.as_(ws.owner).delete(path).status_code == 204

    wait_for(lambda: len(receiver.requests) >= 4, timeout=20)
    got = {}
    for r in receiver.requests:
        env = Webhook(secret).verify(r.body, r.headers)["data"]
        got[env["type"]] = env["data"]
    assert sorted(got) == [
        "document.renamed",
        "indicator.deleted",
        "milestone.deleted",
        "trial.deleted",
    ]
    assert got["document.renamed"]["document"]["title"] == "问题陈述 v2"
    assert got["document.renamed"]["previous_title"] == doc["title"]
    assert got["milestone.deleted"]["milestone"]["id"] == m["id"]
    assert got["indicator.deleted"]["indicator"]["key"] == "yield_pct"
    assert got["trial.deleted"]["trial"]["number"] == t["number"]
