"""Item 15: HSTS only when the site is served over https (PUBLIC_URL)."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings(settings):
    return settings.with_overrides(public_url="https://lab.example.cn")


def test_https_sites_send_hsts_on_every_answer(client):
    for path in ("/login", "/api/v1/openapi.json", "/healthz", "/static/js/app.js"):
        resp = client.get(path, base_url="https://lab.example.cn")
        assert resp.headers["Strict-Transport-Security"] == "max-age=63072000", path
