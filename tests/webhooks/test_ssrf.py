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


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",  # a DNS name resolving to 127.0.0.1
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_internal_urls_are_refused_at_creation(ready, make, api, url):
    ws = make.workspace()
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks", json={"url": url, "events": ["*"]}
    )
    assert resp.status_code == 422, resp.get_json()
    assert "url" in resp.get_json()["error"]["fields"]
    assert api.as_(ws.owner).get(f"/workspaces/{ws.id}/webhooks").get_json()["items"] == []


# Every way of writing an IPv4 address inside IPv6, and IPv4 spelled oddly.
EMBEDDED_AND_ODD = [
    "http://[::127.0.0.1]/hook",  # IPv4-compatible (deprecated)
    "http://[::8.8.8.8]/hook",  # IPv4-compatible, even of a public address
    "http://[::ffff:0:127.0.0.1]/hook",  # IPv4-translated (SIIT)
    "http://[::ffff:7f00:1]/hook",  # IPv4-mapped, hex
    "http://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::]/hook",  # 6to4 of 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo, client 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "http://[64:ff9b::10.0.0.1]/hook",  # NAT64 of a private address
    "http://[64:ff9b:1::8.8.8.8]/hook",  # local-use NAT64
    "http://[::]/hook",  # unspecified
    "http://[fec0::1]/hook",  # site-local (deprecated)
    "http://[fe80::1%25eth0]/hook",  # link-local with a zone
    "http://[ff02::1]/hook",  # multicast
    "http://2130706433/hook",  # 127.0.0.1 in decimal
    "http://0x7f000001/hook",  # in hex
    "http://017700000001/hook",  # in octal
    "http://0177.0.0.1/hook",  # octal dotted
    "http://0x7f.1/hook",  # hex, short form
    "http://127.1/hook",  # short form
    "http://0/hook",  # 0.0.0.0
    "http://2852039166/latest/meta-data",  # 169.254.169.254 in decimal
    "http://100.100.100.200/hook",  # CGNAT (cloud metadata)
    "http://240.0.0.1/hook",  # reserved
    "http://255.255.255.255/hook",  # broadcast
]


def test_every_embedded_or_odd_ipv4_form_is_refused_at_creation(ready, make, api):
    ws = make.workspace()
    owner = api.as_(ws.owner)
    for url in EMBEDDED_AND_ODD:
        for fmt in ("standard", "wecom"):
            resp = owner.post(
                f"/workspaces/{ws.id}/webhooks",
                json={
                    "url": url.replace("http:", "https:") if fmt != "standard" else url,
                    "events": ["*"],
                    "format": fmt,
                },
            )
            assert resp.status_code == 422, (url, resp.get_json())
            assert resp.get_json()["error"]["fields"]["url"], url
    assert owner.get(f"/workspaces/{ws.id}/webhooks").get_json()["items"] == []


@pytest.mark.parametrize("host", ["localhost", "[::ffff:127.0.0.1]", "2130706433"])
def test_delivery_rechecks_the_address_and_never_connects(ready, make, api, receiver, host):
    """An endpoint whose name now resolves to loopback (as after a DNS
    change) is refused when sending; the receiver sees nothing, though each
    of these forms would reach it."""
    from workspace.db import db
    from workspace.webhooks.models import WebhookEndpoint

    ws = make.workspace()
    with db.transaction() as s:
        row = WebhookEndpoint(
            workspace_id=ws.id,
            url=f"http://{host}:{receiver.port}/",
            events=["*"],
            format="standard",
            secret="whsec_" + "A" * 32,
        )
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
    for bad in (
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
        "::",
        "::127.0.0.1",
        "::7f00:1",
        "::8.8.8.8",
        "::ffff:0:7f00:1",
        "64:ff9b:1::808:808",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "fec0::1",
        "ff02::1",
        "fe80::1%eth0",
        "5f00::1",
        "100::1",
        "2001:db8::1",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "192.0.2.1",
        "not an address",
    ):
        assert is_forbidden(bad), bad
    for good in (
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ):
        assert not is_forbidden(good), good
