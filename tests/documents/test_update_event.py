"""What every doc:update event costs before the writer: its payload is read
without marshmallow when it is the usual one (UpdateSchema.plain), and no
session is opened for it (Flask-SocketIO installs the connection's own);
neither changes what an event is told."""

from __future__ import annotations

from typing import Any

import flask
import pytest
from flask.sessions import SecureCookieSession

from realtime.documents import UpdateSchema
from workspace.fields import MAX_ID

UPDATE = b"\x01\x01\x02\x00"


@pytest.mark.parametrize(
    "payload", [{"document_id": 1, "update": UPDATE}, {"update": b"", "document_id": MAX_ID}]
)
def test_the_usual_payload_is_read_as_marshmallow_reads_it(payload: dict[str, Any]) -> None:
    schema = UpdateSchema()
    assert schema.plain(payload) == schema.load(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"document_id": True, "update": UPDATE},
        {"document_id": 0, "update": UPDATE},
        {"document_id": -3, "update": UPDATE},
        {"document_id": MAX_ID + 1, "update": UPDATE},
        {"document_id": 1.0, "update": UPDATE},
        {"document_id": "1", "update": UPDATE},
        {"document_id": None, "update": UPDATE},
        {"document_id": 1},
        {"update": UPDATE},
        {"document_id": 1, "update": None},
        {"document_id": 1, "update": "text"},
        {"document_id": 1, "update": [1, 2]},
        {"document_id": 1, "update": bytearray(UPDATE)},
        {"document_id": 1, "update": UPDATE, "extra": 1},
        {"document_id": 1, "extra": UPDATE},
        {},
    ],
)
def test_anything_else_is_left_to_marshmallow(payload: dict[str, Any]) -> None:
    # The handler then answers what `load` returns or raises, as before.
    assert UpdateSchema().plain(payload) is None


def test_an_event_on_a_connection_gets_the_session_saved_at_connect(app: Any) -> None:
    saved = SecureCookieSession({"marker": 1})
    with app.test_request_context("/socket.io/", environ_overrides={"saved_session": saved}):
        assert current_session() is saved
    with app.test_request_context("/socket.io/"):
        assert current_session() is not saved and "marker" not in current_session()


def current_session() -> Any:
    return flask.session._get_current_object()  # type: ignore[attr-defined]
