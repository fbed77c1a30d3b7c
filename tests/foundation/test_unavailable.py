"""The database out of reach: a clear 503 with Retry-After, never a 500
(the fault run tests/faults/test_db_outage.py does it for real, for 10 s
behind a proxy)."""

from __future__ import annotations

from typing import Any

from tests.documents.test_documents_api import statement_of
from tests.foundation.live_access import insert_update


def _unreachable(settings: Any) -> str:
    if settings.database_url.startswith("sqlite"):
        return "sqlite:////nonexistent-dir/jointlab.db"  # cannot be opened
    return "postgresql+psycopg://postgres@127.0.0.1:1/none"  # nothing listens


def test_requests_get_503_service_unavailable_while_the_database_is_away(
    app, settings, make, api, sio
):
    from workspace.db import db

    ws = make.workspace()
    doc = statement_of(api, ws)
    owner = api.as_(ws.owner)
    editor = sio.connect(token=make.token(ws.owner))
    assert editor.call("doc:join", {"document_id": doc["id"]}, timeout=10)["ok"]
    db.dispose()
    db.configure(_unreachable(settings))
    try:
        for res in (
            owner.get(f"/workspaces/{ws.id}"),
            owner.patch(f"/workspaces/{ws.id}", json={"summary": "lost?"}),
        ):
            assert res.status_code == 503, res.get_json()
            assert res.get_json()["error"]["code"] == "service_unavailable"
            assert int(res.headers["Retry-After"]) > 0
        ack = editor.call(
            "doc:update", {"document_id": doc["id"], "update": insert_update("x")}, timeout=10
        )
        assert ack["error"]["code"] == "service_unavailable"
    finally:
        db.dispose()
        db.configure(settings.database_url)
    res = owner.get(f"/workspaces/{ws.id}")
    assert res.status_code == 200 and res.get_json()["summary"] != "lost?"
