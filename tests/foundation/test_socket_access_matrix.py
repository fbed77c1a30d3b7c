"""Socket.IO authorization matrix: every client event of the registered
handler table × every kind of caller, each answered as REST answers the same
caller with the same credential.

Generated from the table (`realtime.acks.EVENTS`): an event added without an
expectation here fails `test_every_event_has_an_expectation`. What happens
on an already-open socket when rights change: test_socket_revocation.py.
"""

from __future__ import annotations

import pytest
import socketio

from realtime.acks import EVENTS
from tests.documents.test_documents_api import statement_of
from tests.foundation.live_access import Conn, code_of, cookie_of, payloads
from workspace.db import db
from workspace.house import house_of
from workspace.portfolios.service import set_portfolio

OK, NF, FORBIDDEN, SCOPE = "ok", "not_found", "forbidden", "insufficient_scope"
REFUSED_AT_CONNECT = ("anonymous", "token_measurements")
CALLERS = (
    "non_member",
    "viewer",
    "editor",
    "owner",
    "manager_in",
    "manager_out",
    "admin",
    "cookie_editor",
    "token_read",
    "token_write",
)
_readers = {c: OK for c in CALLERS if c not in ("non_member", "manager_out")}
EXPECTED: dict[str, dict[str, str]] = {
    "feed:subscribe": {**_readers, "non_member": NF, "manager_out": NF},
    "feed:unsubscribe": dict.fromkeys(CALLERS, OK),
    "doc:join": {**_readers, "non_member": NF, "manager_out": NF},
    "doc:awareness": {**_readers, "non_member": NF, "manager_out": NF},
    "doc:update": {
        "non_member": NF,
        "viewer": FORBIDDEN,
        "editor": OK,
        "owner": OK,
        "manager_in": FORBIDDEN,
        "manager_out": NF,
        "admin": OK,
        "cookie_editor": OK,
        "token_read": SCOPE,
        "token_write": OK,
    },
    # Leaving only takes away; it answers the same whoever asks.
    "doc:leave": dict.fromkeys(CALLERS, OK),
}
CAN_EDIT = {
    "viewer": False,
    "editor": True,
    "owner": True,
    "manager_in": False,
    "admin": True,
    "cookie_editor": True,
    "token_read": False,
    "token_write": True,
}
# The REST question each event asks, to compare answers with.
REST = {
    "feed:subscribe": ("GET", "/workspaces/{w}/events"),
    "doc:join": ("GET", "/documents/{d}"),
    "doc:update": ("PUT", "/documents/{d}/text"),
}
# Joins before awareness, subscribing before unsubscribing.
ORDER = (
    "feed:subscribe",
    "doc:join",
    "doc:awareness",
    "doc:update",
    "doc:leave",
    "feed:unsubscribe",
)


def test_every_event_has_an_expectation(app):
    registered = {event for event, _ in house_of(app).socket_handlers} - {"connect", "disconnect"}
    # Every handler is declared with @handler, which re-checks the credential first.
    assert registered == set(EVENTS)
    assert set(EXPECTED) == set(EVENTS), "give each new Socket.IO event its expectations"
    for event, row in EXPECTED.items():
        assert set(row) == set(CALLERS), event
    assert EVENTS["doc:update"] == "write" and EVENTS["doc:join"] == "read"


def _world(make, live_server):
    ws = make.workspace()
    other = make.workspace()
    viewer, editor, cookie_editor = make.user(), make.user(), make.user()
    for user, role in ((viewer, "viewer"), (editor, "editor"), (cookie_editor, "editor")):
        make.add_member(ws, user, role)
    admin = make.admin()
    inside, outside = make.manager("Inside"), make.manager("Outside")
    with db.transaction() as s:
        set_portfolio(s, admin, inside.id, [], [ws.id])
        set_portfolio(s, admin, outside.id, [], [other.id])
    rw = ("read", "write")
    tokens = {
        "non_member": make.token(make.user(), rw),
        "viewer": make.token(viewer, rw),
        "editor": make.token(editor, rw),
        "owner": make.token(ws.owner, rw),
        "manager_in": make.token(inside, rw),
        "manager_out": make.token(outside, rw),
        "admin": make.token(admin, rw),
        "token_read": make.token(ws.owner, ("read",)),
        "token_write": make.token(ws.owner, ("write",)),
        "token_measurements": make.token(ws.owner, ("measurements:write",)),
    }
    cookie, http, csrf = cookie_of(live_server.url, cookie_editor)
    return ws, tokens, (cookie, http, csrf)


def _rest(live_server, api, ws, doc, caller, tokens, cookie_login, event):
    method, path = REST[event]
    path = "/api/v1" + path.format(w=ws.id, d=doc["id"])
    current = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
    body = {"text": current} if method == "PUT" else None
    if caller == "cookie_editor":
        _cookie, http, csrf = cookie_login
        res = http.request(
            method, live_server.url + path, json=body, headers={"X-CSRF-Token": csrf}, timeout=10
        )
        status, data = res.status_code, res.json()
    else:
        res = api.client.open(
            path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[caller]}"}
        )
        status, data = res.status_code, res.get_json()
    return "ok" if status < 300 else data["error"]["code"]


def test_every_event_for_every_caller(make, api, live_server):
    ws, tokens, cookie_login = _world(make, live_server)
    doc = statement_of(api, ws)
    before = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
    mismatches = []
    events = sorted(EVENTS, key=lambda e: ORDER.index(e) if e in ORDER else len(ORDER))
    for caller in CALLERS:
        conn = (
            Conn(live_server.url, cookie=cookie_login[0])
            if caller == "cookie_editor"
            else Conn(live_server.url, token=tokens[caller])
        )
        try:
            for event in events:
                ack = conn.call(event, payloads(ws.id, doc["id"])[event])
                got, want = code_of(ack), EXPECTED[event][caller]
                if got != want:
                    mismatches.append((caller, event, got, want, ack))
                if event == "doc:join" and ack.get("ok") and ack["can_edit"] != CAN_EDIT[caller]:
                    mismatches.append((caller, "can_edit", ack["can_edit"], CAN_EDIT[caller]))
                if event in REST:
                    rest = _rest(live_server, api, ws, doc, caller, tokens, cookie_login, event)
                    if rest != got:
                        mismatches.append((caller, event, "socket", got, "REST", rest))
        finally:
            conn.close()
    assert not mismatches, mismatches
    # Only the updates answered ok were stored; refused ones changed nothing.
    after = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
    accepted = sum(1 for caller in CALLERS if EXPECTED["doc:update"][caller] == OK)
    assert after.count("probe ") == accepted and after.replace("probe ", "") == before


@pytest.mark.parametrize("caller", REFUSED_AT_CONNECT)
def test_refused_at_connect(caller, make, live_server, client):
    ws = make.workspace()
    token = None if caller == "anonymous" else make.token(ws.owner, ("measurements:write",))
    with pytest.raises(socketio.exceptions.ConnectionError):
        Conn(live_server.url, token=token)
    # REST refuses the same caller the same way.
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    res = client.get(f"/api/v1/workspaces/{ws.id}", headers=headers)
    assert res.status_code == (401 if caller == "anonymous" else 403)
