"""DingTalk, Feishu and WeCom group bots: each platform's documented JSON
and signature, text in the workspace's language, and the rate limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import wait_for
from tests.webhooks.receiver import Reply, reach_milestone

# Timing-sensitive (events held for the ~5 s a window has left): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial


def _hook(api, ws, url, fmt, secret=None):
    body = {"url": url, "events": ["milestone.reached"], "format": fmt}
    if secret:
        body["secret"] = secret
    resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/webhooks", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["secret"] is None  # the platform's secret is never echoed
    return resp.get_json()


def _zh_workspace(make):
    lead = make.user(side="enterprise", locale="zh-CN", name="王工")
    return make.workspace(owner=lead)


def test_dingtalk_markdown_signed_in_the_query(ready, make, api, receiver):
    ws = _zh_workspace(make)
    receiver.default = Reply(200, '{"errcode":0,"errmsg":"ok"}')
    secret = "SEC0123456789abcdef"
    _hook(api, ws, receiver.url + "/robot/send?access_token=tok123", "dingtalk", secret)
    m = reach_milestone(api, ws, "良率 92%")
    got = wait_for(lambda: receiver.requests, timeout=15)[0]
    query = parse_qs(urlsplit(got.path).query)
    assert query["access_token"] == ["tok123"]
    ts = query["timestamp"][0]
    assert abs(int(ts) - time.time() * 1000) < 60_000  # milliseconds
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    body = got.json()
    assert body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    assert "里程碑已达成：良率 92%" in body["markdown"]["text"]
    assert f"/workspaces/{ws.id}#milestone-{m['id']}" in body["markdown"]["text"]


def test_feishu_post_signed_in_the_body(ready, make, api, receiver):
    owner = make.user(side="enterprise", locale="en")
    ws = make.workspace(owner=owner)
    receiver.default = Reply(200, '{"code":0,"msg":"success","data":{}}')
    secret = "feishu-secret"
    _hook(api, ws, receiver.url + "/open-apis/bot/v2/hook/abc", "feishu", secret)
    m = reach_milestone(api, ws, "良率 92%")
    body = wait_for(lambda: receiver.requests, timeout=15)[0].json()
    ts = body["timestamp"]
    assert abs(int(ts) - time.time()) < 60  # seconds, as a string
    key = f"{ts}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["en_us"]
    assert post["title"].startswith(ws.title)
    line = post["content"][0]
    assert line[0] == {"tag": "text", "text": "Milestone reached: 良率 92% "}
    assert line[1]["tag"] == "a"
    assert line[1]["href"].endswith(f"/workspaces/{ws.id}#milestone-{m['id']}")


def test_wecom_markdown_and_an_error_code_is_a_failure(ready, make, api, receiver):
    ws = _zh_workspace(make)
    receiver.replies = [Reply(200, '{"errcode":45009,"errmsg":"api freq out of limit"}')]
    receiver.default = Reply(200, '{"errcode":0,"errmsg":"ok"}')
    hook = _hook(api, ws, receiver.url + "/cgi-bin/webhook/send?key=k1", "wecom")
    reach_milestone(api, ws, "良率 92%")

    def settled():
        items = api.as_(ws.owner).get(f"/webhooks/{hook['id']}/deliveries").get_json()["items"]
        return items if items and items[0]["status"] == "succeeded" else None

    items = wait_for(settled, timeout=20)
    first, second = items[0]["attempts"][:2]
    assert "45009" in first["error"] and second["error"] is None
    body = receiver.requests[0].json()
    assert body["msgtype"] == "markdown" and "里程碑已达成" in body["markdown"]["content"]
    assert receiver.requests[0].path == "/cgi-bin/webhook/send?key=k1"


def test_over_the_rate_limit_events_are_held_and_merged_not_dropped(ready, make, api, receiver):
    """20 messages already went out in the last minute: three new events wait
    for the window to move, then arrive together in one message."""
    from workspace.db import db, utcnow
    from workspace.webhooks.models import Delivery, DeliveryAttempt

    ws = _zh_workspace(make)
    receiver.default = Reply(200, '{"errcode":0,"errmsg":"ok"}')
    hook = _hook(api, ws, receiver.url + "/send?key=k2", "wecom")
    earlier = utcnow() - timedelta(seconds=55)
    with db.transaction() as s:
        for i in range(20):
            d = Delivery(
                endpoint_id=hook["id"],
                event_id=None,
                event_type="webhook.ping",
                message_id=f"old{i}",
                payload={},
                status="succeeded",
            )
            s.add(d)
            s.flush()
            s.add(
                DeliveryAttempt(
                    delivery_id=d.id,
                    endpoint_id=hook["id"],
                    at=earlier,
                    response_status=200,
                    succeeded=True,
                    batch_size=1,
                )
            )
    for n in range(3):
        reach_milestone(api, ws, f"M{n}")
    time.sleep(2)
    assert receiver.requests == []  # held, not sent over the limit, not dropped
    got = wait_for(lambda: receiver.requests, timeout=20)
    time.sleep(1)
    assert len(receiver.requests) == 1
    text = got[0].json()["markdown"]["content"]
    assert all(f"M{n}" in text for n in range(3))
    items = api.as_(ws.owner).get(f"/webhooks/{hook['id']}/deliveries").get_json()["items"]
    fresh = [d for d in items if d["event_type"] == "milestone.reached"]
    assert len(fresh) == 3 and {d["status"] for d in fresh} == {"succeeded"}
