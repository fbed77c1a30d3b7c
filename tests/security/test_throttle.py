"""Item 19: failures slow the failing address down, more each time, and do
not lock the account's owner out. Without TRUSTED_PROXIES, X-Forwarded-For is
ignored (see test_proxies.py for the other side)."""

from __future__ import annotations

import re
import time

import pytest

from workspace.auth.throttle import wait_after

# Timing-sensitive (a login inside a 1 s back-off): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial


def _login(client, email, password, **headers):
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )


def test_the_wait_doubles_and_is_capped():
    assert [wait_after(n, 3) for n in range(1, 9)] == [0, 0, 0, 1, 2, 4, 8, 16]
    assert [wait_after(n, 0) for n in range(1, 4)] == [1, 2, 4]
    assert wait_after(40, 3) == 15 * 60


def test_each_failure_past_the_free_ones_makes_the_address_wait_longer(client, make):
    user = make.user()
    assert [_login(client, user.email, "wrong").status_code for _ in range(4)] == [401] * 4
    waits = []
    for _round in range(3):
        held = _login(client, user.email, user.password)  # even the right one must wait
        assert held.status_code == 429
        error = held.get_json()["error"]
        assert error["code"] == "rate_limited" and "wait" in error["message"]
        seconds = int(held.headers["Retry-After"])
        assert f"wait {seconds} seconds" in error["message"]
        waits.append(seconds)
        time.sleep(seconds + 0.2)
        if _round < 2:
            assert _login(client, user.email, "wrong").status_code == 401  # heard again
    assert waits[0] == 1 and waits[1] >= 2 and waits[2] >= 3 and waits == sorted(waits)
    # After the wait the right password works, and the address starts afresh.
    assert _login(client, user.email, user.password).status_code == 200
    assert [_login(client, user.email, "wrong").status_code for _ in range(3)] == [401] * 3


def test_forwarded_for_is_ignored_without_trusted_proxies(client, make):
    user = make.user()
    for n in range(20):  # guessing many accounts from one address
        resp = _login(
            client, f"nobody{n}@example.test", "guess", **{"X-Forwarded-For": f"198.51.100.{n}"}
        )
        assert resp.status_code == 401
    # A new X-Forwarded-For does not buy a new bucket: the address is the socket's.
    refused = _login(client, user.email, user.password, **{"X-Forwarded-For": "203.0.113.9"})
    assert refused.status_code == 429 and "network" in refused.get_json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_the_login_page_says_how_long_to_wait(client, make):
    user = make.user()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = {"csrf_token": token, "email": user.email, "password": "wrong"}
    assert [client.post("/login", data=form).status_code for _ in range(4)] == [401] * 4
    held = client.post("/login", data={**form, "password": user.password})
    assert held.status_code == 429 and held.headers["Retry-After"] == "1"
    assert "wait 1 seconds" in held.get_data(as_text=True)
