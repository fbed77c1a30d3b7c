"""Item 19: behind TRUSTED_PROXIES reverse proxies, each client has its own
login bucket, and an account's owner logs in while someone guesses at it."""

from __future__ import annotations

import pytest

from workspace.config import ConfigError, load_settings


@pytest.fixture
def settings(settings):
    return settings.with_overrides(trusted_proxies=1)


def _login(client, email, password, address):
    return client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


def test_the_setting_is_read_and_checked(tmp_path):
    base = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 20}
    assert load_settings(base).trusted_proxies == 0
    assert load_settings({**base, "TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    for bad in ("-1", "yes", "11"):
        with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
            load_settings({**base, "TRUSTED_PROXIES": bad})


def test_each_client_behind_the_proxy_has_its_own_bucket(client, make):
    user = make.user()
    for n in range(20):
        assert _login(client, f"nobody{n}@example.test", "guess", "198.51.100.7").status_code == 401
    assert _login(client, user.email, user.password, "198.51.100.7").status_code == 429
    # Everyone else behind the same proxy is unaffected.
    assert _login(client, user.email, user.password, "203.0.113.20").status_code == 200
    # The proxy appends the real address; a value the client sent itself is not believed.
    spoofed = _login(client, user.email, user.password, "203.0.113.21, 198.51.100.7")
    assert spoofed.status_code == 429
    # The scheme and host the proxy saw are taken too (links, cookies, origin checks).
    seen = client.get(
        "/api/v1/openapi.json",
        headers={
            "X-Forwarded-For": "203.0.113.5",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "lab.example.cn",
        },
    )
    assert seen.status_code == 200


def test_guessing_at_an_account_does_not_lock_its_owner_out(client, make):
    user = make.user()
    attackers = [f"198.51.100.{n}" for n in range(1, 4)]
    for address in attackers:  # 3 free failures each: 9 on the account
        codes = [_login(client, user.email, "guess", address).status_code for _ in range(3)]
        assert codes == [401, 401, 401]
    # The owner, from an address that has not been failing, logs straight in.
    assert _login(client, user.email, user.password, "203.0.113.30").status_code == 200
    # The 10th failure puts the account on alert: a new guessing address waits
    # after its first failure...
    assert _login(client, user.email, "guess", "198.51.100.77").status_code == 401
    held = _login(client, user.email, "guess", "198.51.100.77")
    assert held.status_code == 429 and held.headers["Retry-After"] == "1"
    # ...and an earlier one after its next, long enough to feel it (2^3 s)...
    assert _login(client, user.email, "guess", attackers[0]).status_code == 401
    waiting = _login(client, user.email, user.password, attackers[0])
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) >= 7
    # ...while the owner still gets in from anywhere else.
    assert _login(client, user.email, user.password, "203.0.113.31").status_code == 200
