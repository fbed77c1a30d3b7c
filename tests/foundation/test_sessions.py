"""Server-side sessions: a copy of a cookie dies with its session; users see
and end their sessions; admins disable accounts; bearer calls stay stateless."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from workspace.auth import sessions
from workspace.auth.devices import browser_and_system, describe
from workspace.auth.models import User, UserSession
from workspace.db import db, utcnow

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def login(app, user, agent: str = CHROME_WINDOWS):
    """A fresh test client logged in by cookie, and its CSRF token."""
    browser = app.test_client()
    res = browser.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": user.password},
        headers={"User-Agent": agent},
    )
    assert res.status_code == 200, res.get_data(as_text=True)
    return browser, res.get_json()["csrf_token"]


def copy_of(app, browser):
    """Another client holding a saved copy of the same cookie."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def session_rows(user_id: int) -> list[UserSession]:
    with db.reading() as s:
        return list(
            s.scalars(
                select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)
            )
        )


def test_a_saved_copy_of_the_cookie_dies_at_logout(app, make):
    user = make.user()
    browser, csrf = login(app, user)
    saved = copy_of(app, browser)
    cookie = browser.get_cookie("session").value
    assert saved.get("/api/v1/me").get_json()["id"] == user.id
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert browser.get("/api/v1/me").status_code == 401
    gone = saved.get("/api/v1/me")
    assert gone.status_code == 401 and gone.get_json()["error"]["code"] == "unauthorized"
    assert saved.get("/workspaces").status_code == 302  # pages: back to the login form
    (row,) = session_rows(user.id)
    assert row.ended_at is not None and row.end_reason == "logout"
    # The cookie does not carry the secret's digest: a read of the table is no key.
    assert row.secret_hash not in cookie


def test_page_logout_ends_the_session_too(app, make):
    user = make.user()
    browser, _csrf = login(app, user)
    saved = copy_of(app, browser)
    form = browser.get("/workspaces").get_data(as_text=True)
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert saved.get("/api/v1/me").status_code == 401


def test_users_list_and_end_their_sessions(app, make, api):
    user, other = make.user(), make.user()
    laptop, laptop_csrf = login(app, user, CHROME_WINDOWS)
    phone, _ = login(app, user, SAFARI_IPHONE)
    login(app, other)
    listed = laptop.get("/api/v1/me/sessions").get_json()
    assert [s["device"] for s in listed["items"]] == ["Chrome on Windows", "Safari on iOS"]
    assert [s["current"] for s in listed["items"]] == [True, False]
    assert listed["next_cursor"] is None
    assert set(listed["items"][0]) >= {"id", "created_at", "last_seen_at", "user_agent", "ip"}
    phone_id = listed["items"][1]["id"]
    # Another user's session, an unknown one: 404, and nothing ends.
    others = session_rows(other.id)[0].id
    for missing in (others, 999_999):
        res = laptop.delete(f"/api/v1/me/sessions/{missing}", headers={"X-CSRF-Token": laptop_csrf})
        assert res.status_code == 404 and res.get_json()["error"]["code"] == "not_found"
    assert session_rows(other.id)[0].ended_at is None
    # Without the CSRF token a cookie cannot end anything.
    assert laptop.delete(f"/api/v1/me/sessions/{phone_id}").status_code == 403
    assert phone.get("/api/v1/me").status_code == 200
    ended = laptop.delete(f"/api/v1/me/sessions/{phone_id}", headers={"X-CSRF-Token": laptop_csrf})
    assert ended.status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 200
    again = laptop.delete(f"/api/v1/me/sessions/{phone_id}", headers={"X-CSRF-Token": laptop_csrf})
    assert again.status_code == 404
    assert [s["id"] for s in laptop.get("/api/v1/me/sessions").get_json()["items"]] != [phone_id]
    # A token lists them too (none is "current": bearer calls have no session).
    by_token = api.as_(user).get("/me/sessions").get_json()["items"]
    assert len(by_token) == 1 and by_token[0]["current"] is False


def test_end_sessions_keeps_only_the_given_one(app, make):
    """What a password change calls: every other session ends."""
    user = make.user()
    keep, _ = login(app, user)
    drop, _ = login(app, user)
    keep_id = keep.get("/api/v1/me/sessions").get_json()["items"][0]["id"]
    with db.transaction() as s:
        assert sessions.end_sessions(s, user.id, except_id=keep_id) == 1
    assert keep.get("/api/v1/me").status_code == 200
    assert drop.get("/api/v1/me").status_code == 401
    reasons = {r.id: r.end_reason for r in session_rows(user.id)}
    assert reasons[keep_id] is None and "password_changed" in reasons.values()


def test_a_rolled_back_change_ends_no_session(app, make):
    user = make.user()
    browser, _ = login(app, user)
    try:
        with db.transaction() as s:
            sessions.end_sessions(s, user.id)
            raise RuntimeError("the request failed after ending sessions")
    except RuntimeError:
        pass
    assert browser.get("/api/v1/me").status_code == 200


def test_admins_disable_a_user_everywhere(app, make, api, client):
    admin, user, member = make.admin(), make.user(), make.user()
    browser, _ = login(app, user)
    token = make.token(user, ("read",))
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    # Who may is decided before the body is looked at.
    for body in ({"active": False}, {"active": "nope"}, [], {"x": 1}):
        res = api.as_(member).patch(f"/users/{user.id}", json=body)
        assert res.status_code == 403 and res.get_json()["error"]["code"] == "forbidden"
    for body in ({"active": "no"}, {"active": None}, {}, {"active": False, "role": "admin"}):
        res = api.as_(admin).patch(f"/users/{user.id}", json=body)
        assert res.status_code == 422, body
    assert api.as_(admin).patch("/users/999999", json={"active": False}).status_code == 404
    own = api.as_(admin).patch(f"/users/{admin.id}", json={"active": False})
    assert own.status_code == 409
    assert browser.get("/api/v1/me").status_code == 200  # nothing changed so far
    done = api.as_(admin).patch(f"/users/{user.id}", json={"active": False})
    assert done.status_code == 200 and done.get_json()["active"] is False
    assert browser.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert session_rows(user.id)[0].end_reason == "user_disabled"
    relogin = app.test_client().post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert relogin.status_code == 401
    assert relogin.get_json()["error"]["code"] == "account_disabled"
    back = api.as_(admin).patch(f"/users/{user.id}", json={"active": True})
    assert back.status_code == 200 and back.get_json()["active"] is True
    assert browser.get("/api/v1/me").status_code == 401  # ended sessions stay ended
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    login(app, user)


def test_bearer_calls_make_no_session(app, make, client):
    user = make.user()
    token = make.token(user, ("read",))
    for path in ("/api/v1/me", "/api/v1/me/sessions", "/api/v1/workspaces"):
        assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(UserSession)) == 0


def test_last_seen_is_written_at_most_every_few_minutes_and_idle_sessions_expire(app, make):
    user = make.user()
    browser, _ = login(app, user)
    (row,) = session_rows(user.id)
    for _ in range(3):
        browser.get("/api/v1/me")
    assert session_rows(user.id)[0].last_seen_at == row.last_seen_at
    earlier = utcnow() - sessions.TOUCH_EVERY - timedelta(seconds=5)
    with db.transaction() as s:
        s.execute(update(UserSession).values(last_seen_at=earlier))
    browser.get("/api/v1/me")
    assert session_rows(user.id)[0].last_seen_at > earlier + timedelta(seconds=5)
    with db.transaction() as s:
        s.execute(
            update(UserSession).values(
                last_seen_at=utcnow() - sessions.IDLE_LIFETIME - timedelta(minutes=1)
            )
        )
    assert browser.get("/api/v1/me").status_code == 401


def test_a_new_login_in_the_same_browser_ends_the_previous_session(app, make):
    first, second = make.user(), make.user()
    browser, _ = login(app, first)
    browser.post("/api/v1/auth/login", json={"email": second.email, "password": second.password})
    assert browser.get("/api/v1/me").get_json()["id"] == second.id
    assert session_rows(first.id)[0].end_reason == "replaced"


def test_sessions_page_in_both_languages(app, make):
    user = make.user(locale="zh-CN")
    browser, _ = login(app, user)
    other, _ = login(app, user, SAFARI_IPHONE)
    page = browser.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "结束会话" in html and "iOS 上的 Safari" in html
    assert 'data-testid="nav-sessions"' in browser.get("/workspaces").get_data(as_text=True)
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    phone_id = session_rows(user.id)[1].id
    refused = browser.post(f"/account/sessions/{phone_id}/end", data={})
    assert refused.status_code == 400 and other.get("/api/v1/me").status_code == 200
    done = browser.post(f"/account/sessions/{phone_id}/end", data={"csrf_token": token})
    assert done.status_code == 302 and other.get("/api/v1/me").status_code == 401
    with db.transaction() as s:
        s.get(User, user.id).locale = "en"
    english = browser.get("/account/sessions").get_data(as_text=True)
    assert "End session" not in english and "Sign out here" in english  # only this one left


def test_openapi_documents_the_session_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get"} <= set(paths["/me/sessions"])
    assert {"delete"} <= set(paths["/me/sessions/{session_id}"])
    body = paths["/users/{user_id}"]["patch"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["active"]["type"] == "boolean"


def test_device_names():
    assert describe(CHROME_WINDOWS) == "Chrome on Windows"
    assert describe(SAFARI_IPHONE) == "Safari on iOS"
    assert browser_and_system(
        "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
    ) == ("Firefox", "Linux")
    assert browser_and_system(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0"
    ) == ("Edge", "Windows")
    assert browser_and_system(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    ) == ("Chrome", "Android")
    assert describe("python-requests/2.32.3") == "python-requests"
    assert describe("") == "unknown" and describe(None) == "unknown"
