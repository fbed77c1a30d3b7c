"""With WEBHOOK_ALLOW_PRIVATE off, internal addresses are refused at
creation and again at delivery (DNS can change after creation)."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for
from tests.webhooks.receiver import reach_milestone
from workspace.webhooks.ssrf import is_forbidden


@pytest.fixture
def settings(settings):
    return settings.with_overrides(webhook_allow_private=False)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",            # a DNS name resolving to 127.0.0.1
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://10.1.2.3/hook",
    "http://[::ffff:192.168.0.1]/hook",
    "http://0.0.0.0/hook",
])
def test_internal_urls_are_refused_at_creation(ready, make, api, url):
    ws = make.workspace()
    resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/webhooks",
                                  json={"url": url, "events": ["*"]})
    assert resp.status_code == 422, resp.get_json()
    assert "url" in resp.get_json()["error"]["fields"]
    assert api.as_(ws.owner).get(f"/workspaces/{ws.id}/webhooks").get_json()["items"] == []


def test_delivery_rechecks_the_address_and_never_connects(ready, make, api, receiver):
    """An endpoint whose name now resolves to loopback (as after a DNS
    change) is refused when sending; the receiver sees nothing."""
    from workspace.db import db
    from workspace.webhooks.models import WebhookEndpoint

    ws = make.workspace()
    with db.transaction() as s:
        row = WebhookEndpoint(workspace_id=ws.id, url=f"http://localhost:{receiver.port}/",
                              events=["*"], format="standard", secret="whsec_" + "A" * 32)
        s.add(row)
        s.flush()
        hook_id = row.id
    reach_milestone(api, ws)

    def first_attempt():
        items = api.as_(ws.owner).get(f"/webhooks/{hook_id}/deliveries").get_json()["items"]
        return items and items[0]["attempts"] and items[0]["attempts"][0]

    attempt = wait_for(first_attempt, timeout=15)
    assert attempt["error"].startswith("refused") and "127.0.0.1" in attempt["error"]
    assert receiver.requests == []


def test_address_classification():
    for bad in ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
                "100.100.100.200", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00:ec2::254",
                "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "::"):
        assert is_forbidden(bad), bad
    for good in ("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"):
        assert not is_forbidden(good), good
