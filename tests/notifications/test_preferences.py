"""`GET, PUT /me/notification-preferences` and the settings page."""

from __future__ import annotations


def test_defaults_follow_the_spec(make, api):
    user = make.user()
    prefs = api.as_(user).get("/me/notification-preferences").get_json()
    immediate = {k for k, v in prefs["events"].items() if v == "immediate"}
    assert immediate == {
        "mention",
        "milestone.reached",
        "milestone.overdue",
        "statement.agreed",
        "webhook.disabled",
    }
    assert set(prefs["events"].values()) == {"immediate", "off"}
    assert 0 <= prefs["digest_hour"] <= 23 and prefs["timezone"]


def test_bad_preferences_are_refused_and_change_nothing(make, api):
    user = make.user()
    me = api.as_(user)
    before = me.get("/me/notification-preferences").get_json()
    for bad in (
        {"events": {"milestone.exploded": "immediate"}},
        {"events": {"milestone.reached": "sometimes"}},
        {"events": {"mention": "off"}},
        {"digest_hour": 24},
        {"digest_hour": "8"},
        {"timezone": "Mars/Olympus"},
        {"events": "all"},
    ):
        resp = me.put("/me/notification-preferences", json=bad)
        assert resp.status_code == 422, (bad, resp.get_json())
        assert resp.get_json()["error"]["fields"]
    assert me.get("/me/notification-preferences").get_json() == before
    ok = me.put(
        "/me/notification-preferences",
        json={
            "events": {"trial.completed": "digest"},
            "digest_hour": 18,
            "timezone": "Europe/Berlin",
        },
    )
    assert ok.status_code == 200
    after = ok.get_json()
    assert after["events"]["trial.completed"] == "digest"
    assert after["events"]["milestone.reached"] == "immediate"
    assert after["digest_hour"] == 18 and after["timezone"] == "Europe/Berlin"


def test_settings_page_saves_in_both_languages(make, client):
    user = make.user(locale="zh-CN")
    client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    page = client.get("/settings/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "通知" in html
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post(
        "/settings/notifications",
        data={
            "csrf_token": token,
            "event:trial.completed": "digest",
            "event:mention": "immediate",
            "digest_hour": "7",
            "timezone": "Asia/Shanghai",
        },
    )
    assert resp.status_code == 200 and 'data-testid="saved"' in resp.get_data(as_text=True)
    prefs = client.get("/api/v1/me/notification-preferences").get_json()
    assert prefs["events"]["trial.completed"] == "digest" and prefs["digest_hour"] == 7
    bad = client.post(
        "/settings/notifications",
        data={"csrf_token": token, "digest_hour": "30", "timezone": "Asia/Shanghai"},
    )
    assert bad.status_code == 422
