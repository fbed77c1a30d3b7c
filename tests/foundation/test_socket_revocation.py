"""An already-open socket after its rights change: membership removed, role
lowered, token revoked, password changed, logout, session ended, user
disabled.

Each case runs twice. `pushed`: the change is made as users make it, and the
socket is told at once (`access:changed` or `session:ended`), taken out of
the document room and feed it lost (it stops receiving them while a
bystander keeps receiving), and its next call is refused. `per_call`: the
same change is written straight to the database, so no push can happen, and
the next call alone must notice it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
import socketio
from sqlalchemy import delete, update

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of
from tests.foundation.live_access import Conn, cookie_of, insert_update
from workspace.auth import sessions
from workspace.auth.models import ApiToken, User, UserSession
from workspace.auth.passwords import hash_password
from workspace.db import db
from workspace.spaces.models import Membership


@dataclass
class World:
    ws: Any
    doc: dict
    subject: Any  # the editor whose rights change
    observer: Conn  # a bystander who keeps every right
    writer: Conn  # the owner, editing


def _world(make, api, live_server) -> World:
    ws = make.workspace()
    doc = statement_of(api, ws)
    subject = make.user(name="Subject")
    make.add_member(ws, subject, "editor")
    observer = Conn(live_server.url, token=make.token(ws.partner, ("read",)))
    writer = Conn(live_server.url, token=make.token(ws.owner))
    for conn in (observer, writer):
        assert conn.call("doc:join", {"document_id": doc["id"]})["ok"]
    assert observer.call("feed:subscribe", {"workspace_id": ws.id})["ok"]
    return World(ws, doc, subject, observer, writer)


def _open(world: World, conn: Conn) -> Conn:
    assert conn.call("doc:join", {"document_id": world.doc["id"]})["can_edit"] is True
    assert conn.call("feed:subscribe", {"workspace_id": world.ws.id})["ok"]
    return conn


def _traffic(world: World, api, label: str) -> None:
    """A document edit and a feed event, both seen by the bystander."""
    label = f"{label} {len(world.observer.events)}"  # a new summary: a new event
    seen_updates, seen_events = len(world.observer.updates), len(world.observer.events)
    assert world.writer.call(
        "doc:update", {"document_id": world.doc["id"], "update": insert_update(label)}
    )["ok"]
    api.as_(world.ws.owner).patch(f"/workspaces/{world.ws.id}", json={"summary": label})
    wait_for(
        lambda: (
            len(world.observer.updates) > seen_updates and len(world.observer.events) > seen_events
        )
    )


def _still_receives(world: World, api, conn: Conn) -> None:
    updates, events = len(conn.updates), len(conn.events)
    _traffic(world, api, "still")
    wait_for(lambda: len(conn.updates) > updates and len(conn.events) > events)


def _receives_nothing_more(world: World, api, conn: Conn) -> None:
    updates, events = len(conn.updates), len(conn.events)
    _traffic(world, api, "after")
    time.sleep(0.3)  # relays to one room go out together; give a straggler its chance
    # The bystander has both; the client that lost them got neither.
    assert (len(conn.updates), len(conn.events)) == (updates, events)


def _edit(world: World, conn: Conn) -> dict:
    return conn.call(
        "doc:update", {"document_id": world.doc["id"], "update": insert_update("refused ")}
    )


def _text(api, world: World) -> str:
    return api.as_(world.ws.owner).get(f"/documents/{world.doc['id']}").get_json()["text"]


# ------------------------------------------------------------------ membership
@pytest.mark.parametrize("mode", ["pushed", "per_call"])
def test_membership_removed(mode, make, api, live_server):
    world = _world(make, api, live_server)
    other = make.workspace()
    make.add_member(other, world.subject, "viewer")
    conn = _open(world, Conn(live_server.url, token=make.token(world.subject)))
    everywhere = Conn(live_server.url, token=make.token(world.subject, ("read",)))
    assert everywhere.call("feed:subscribe", {})["ok"]
    _still_receives(world, api, conn)
    if mode == "pushed":
        res = api.as_(world.ws.owner).delete(
            f"/workspaces/{world.ws.id}/members/{world.subject.id}"
        )
        assert res.status_code == 204
        wait_for(lambda: conn.changed and everywhere.changed)
        assert conn.changed[-1] == {
            "reason": "membership_changed",
            "workspaces": [world.ws.id],
            "documents": [{"document_id": world.doc["id"], "can_read": False, "can_edit": False}],
        }
        assert everywhere.changed[-1]["workspaces"] == [world.ws.id]
        _receives_nothing_more(world, api, conn)
        _receives_nothing_more(world, api, everywhere)
        # The feed without a workspace still brings what it may read.
        api.as_(other.owner).patch(f"/workspaces/{other.id}", json={"summary": "visible"})
        wait_for(lambda: any(e["workspace_id"] == other.id for e in everywhere.events))
        assert {e["workspace_id"] for e in everywhere.events} == {world.ws.id, other.id}
        assert not any(e["type"] == "member.removed" for e in conn.events)
    else:
        with db.transaction() as s:
            s.execute(
                delete(Membership).where(
                    Membership.user_id == world.subject.id, Membership.workspace_id == world.ws.id
                )
            )
    before = _text(api, world)
    refused = _edit(world, conn)
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"
    assert _text(api, world) == before
    again = conn.call("feed:subscribe", {"workspace_id": world.ws.id})
    assert again["error"]["code"] == "not_found"
    assert conn.call("doc:join", {"document_id": world.doc["id"]})["error"]["code"] == "not_found"
    assert conn.client.connected  # the credential stands: only the rights went


@pytest.mark.parametrize("mode", ["pushed", "per_call"])
def test_role_lowered(mode, make, api, live_server):
    world = _world(make, api, live_server)
    conn = _open(world, Conn(live_server.url, token=make.token(world.subject)))
    if mode == "pushed":
        res = api.as_(world.ws.owner).patch(
            f"/workspaces/{world.ws.id}/members/{world.subject.id}", json={"role": "viewer"}
        )
        assert res.status_code == 200, res.get_json()
        wait_for(lambda: conn.changed)
        assert conn.changed[-1] == {
            "reason": "membership_changed",
            "workspaces": [],
            "documents": [{"document_id": world.doc["id"], "can_read": True, "can_edit": False}],
        }
    else:
        with db.transaction() as s:
            s.execute(
                update(Membership)
                .where(Membership.user_id == world.subject.id)
                .values(role="viewer")
            )
    before = _text(api, world)
    refused = _edit(world, conn)
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert _text(api, world) == before
    _still_receives(world, api, conn)  # a viewer still reads along
    assert conn.call("doc:join", {"document_id": world.doc["id"]})["can_edit"] is False


def test_workspace_taken_out_of_a_managers_portfolio(make, api, live_server):
    world = _world(make, api, live_server)
    admin, manager = make.admin(), make.manager("Overseer")
    other = make.workspace()
    portfolio = f"/managers/{manager.id}/portfolio"
    assert (
        api.as_(admin)
        .put(portfolio, json={"organization_ids": [], "workspace_ids": [world.ws.id]})
        .status_code
        == 200
    )
    conn = Conn(live_server.url, token=make.token(manager))
    assert conn.call("doc:join", {"document_id": world.doc["id"]})["can_edit"] is False
    assert conn.call("feed:subscribe", {"workspace_id": world.ws.id})["ok"]
    _still_receives(world, api, conn)
    res = api.as_(admin).put(portfolio, json={"organization_ids": [], "workspace_ids": [other.id]})
    assert res.status_code == 200
    wait_for(lambda: conn.changed)
    assert conn.changed[-1]["reason"] == "portfolio_changed"
    assert conn.changed[-1]["workspaces"] == [world.ws.id]
    assert conn.changed[-1]["documents"][0]["can_read"] is False
    _receives_nothing_more(world, api, conn)
    assert conn.call("doc:join", {"document_id": world.doc["id"]})["error"]["code"] == "not_found"


# ------------------------------------------------------------------ credentials
def _ended(world: World, api, conn: Conn, mode: str, reason: str, code: str) -> None:
    """After the change: told why, dropped, and nothing more reaches it."""
    if mode == "per_call":
        before = _text(api, world)
        refused = _edit(world, conn)
        assert refused["ok"] is False
        assert (refused["error"]["code"], refused["error"]["reason"]) == (code, reason)
        assert _text(api, world) == before
    wait_for(lambda: conn.ended and conn.dropped.is_set())
    assert conn.ended[-1]["reason"] == reason and conn.ended[-1]["message"]
    assert not conn.client.connected
    _receives_nothing_more(world, api, conn)


def _session_conn(world: World, live_server) -> tuple[Conn, Any, str, str]:
    cookie, http, csrf = cookie_of(live_server.url, world.subject)
    return _open(world, Conn(live_server.url, cookie=cookie)), http, csrf, cookie


def _refused_again(live_server, token: str | None = None, cookie: str | None = None) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        Conn(live_server.url, token=token, cookie=cookie)


@pytest.mark.parametrize("mode", ["pushed", "per_call"])
def test_token_revoked(mode, make, api, live_server):
    world = _world(make, api, live_server)
    token = make.token(world.subject)
    conn = _open(world, Conn(live_server.url, token=token))
    if mode == "pushed":
        listed = api.as_(world.subject).get("/me/tokens").get_json()["items"]
        token_id = next(t["id"] for t in listed if token.startswith(t["prefix"]))
        assert api.as_(world.subject).delete(f"/me/tokens/{token_id}").status_code == 204
    else:
        with db.transaction() as s:
            s.execute(
                update(ApiToken).where(ApiToken.prefix == token[:10]).values(revoked_at=db_now())
            )
    _ended(world, api, conn, mode, "token_revoked", "invalid_token")
    _refused_again(live_server, token=token)


@pytest.mark.parametrize("mode", ["pushed", "per_call"])
def test_password_changed(mode, make, api, live_server):
    world = _world(make, api, live_server)
    conn, _http, _csrf, cookie = _session_conn(world, live_server)
    if mode == "pushed":  # changed from another browser, as users do
        _cookie, laptop, laptop_csrf = cookie_of(live_server.url, world.subject)
        res = laptop.post(
            f"{live_server.url}/api/v1/me/password",
            timeout=10,
            headers={"X-CSRF-Token": laptop_csrf},
            json={
                "current_password": world.subject.password,
                "new_password": "a brand new password",
            },
        )
        assert res.status_code == 200, res.text
    else:
        with db.transaction() as s:
            s.get(User, world.subject.id).password_hash = hash_password("a brand new password")
    _ended(world, api, conn, mode, "password_changed", "unauthorized")
    _refused_again(live_server, cookie=cookie)


@pytest.mark.parametrize("mode", ["pushed", "per_call"])
def test_logout(mode, make, api, live_server):
    world = _world(make, api, live_server)
    conn, http, csrf, cookie = _session_conn(world, live_server)
    if mode == "pushed":
        res = http.post(
            f"{live_server.url}/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}, timeout=10
        )
        assert res.status_code == 204
    else:
        _end_rows(world.subject.id, "logout")
    _ended(world, api, conn, mode, "logout", "unauthorized")
    _refused_again(live_server, cookie=cookie)


@pytest.mark.parametrize("mode", ["pushed", "per_call"])
def test_session_ended_from_another_device(mode, make, api, live_server):
    world = _world(make, api, live_server)
    conn, _http, _csrf, cookie = _session_conn(world, live_server)
    _other_cookie, laptop, laptop_csrf = cookie_of(live_server.url, world.subject)
    if mode == "pushed":
        listed = laptop.get(f"{live_server.url}/api/v1/me/sessions", timeout=10).json()["items"]
        (target,) = [s["id"] for s in listed if not s["current"]]
        res = laptop.delete(
            f"{live_server.url}/api/v1/me/sessions/{target}",
            headers={"X-CSRF-Token": laptop_csrf},
            timeout=10,
        )
        assert res.status_code == 204
    else:
        with db.reading() as s:
            first = min(r.id for r in s.query(UserSession).filter_by(user_id=world.subject.id))
        _end_rows(world.subject.id, "ended_by_user", only=first)
    _ended(world, api, conn, mode, "ended_by_user", "unauthorized")
    _refused_again(live_server, cookie=cookie)
    assert laptop.get(f"{live_server.url}/api/v1/me", timeout=10).status_code == 200


@pytest.mark.parametrize("mode", ["pushed", "per_call"])
def test_user_disabled(mode, make, api, live_server):
    world = _world(make, api, live_server)
    by_cookie, _http, _csrf, cookie = _session_conn(world, live_server)
    token = make.token(world.subject)
    by_token = _open(world, Conn(live_server.url, token=token))
    if mode == "pushed":
        admin = make.admin()
        res = api.as_(admin).patch(f"/users/{world.subject.id}", json={"active": False})
        assert res.status_code == 200
    else:
        with db.transaction() as s:
            s.execute(update(User).where(User.id == world.subject.id).values(active=False))
    _ended(world, api, by_cookie, mode, "user_disabled", "unauthorized")
    _ended(world, api, by_token, mode, "user_disabled", "invalid_token")
    _refused_again(live_server, token=token)
    _refused_again(live_server, cookie=cookie)


def db_now():
    from workspace.db import utcnow

    return utcnow()


def _end_rows(user_id: int, reason: str, only: int | None = None) -> None:
    stmt = update(UserSession).where(UserSession.user_id == user_id)
    if only is not None:
        stmt = stmt.where(UserSession.id == only)
    with db.transaction() as s:
        s.execute(stmt.values(ended_at=db_now(), end_reason=reason))


def test_a_rolled_back_revocation_revokes_nothing(make, api, live_server):
    """Notices go out after commit: a change that rolls back is never pushed."""
    world = _world(make, api, live_server)
    conn, _http, _csrf, _cookie = _session_conn(world, live_server)
    token = make.token(world.subject)
    by_token = _open(world, Conn(live_server.url, token=token))
    try:
        with db.transaction() as s:
            sessions.end_sessions(s, world.subject.id, reason="user_disabled")
            s.get(User, world.subject.id).active = False
            s.execute(
                update(ApiToken).where(ApiToken.prefix == token[:10]).values(revoked_at=db_now())
            )
            raise RuntimeError("the request failed after revoking")
    except RuntimeError:
        pass
    for c in (conn, by_token):
        _still_receives(world, api, c)
        assert c.call(
            "doc:update", {"document_id": world.doc["id"], "update": insert_update("kept ")}
        )["ok"]
        assert c.ended == [] and c.changed == [] and c.client.connected
