"""Many deliveries at once: a burst to many endpoints arrives once each, a
slow receiver does not hold up the others, and a job never leases more
deliveries than it asked for (what it cannot send before its lease ends
would be sent twice)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import wait_for
from tests.webhooks.receiver import Receiver, Reply, reach_milestone


@pytest.fixture
def settings(settings: Any) -> Any:
    # Room for a receiver that is slow but within the limit.
    return settings.with_overrides(webhook_timeout=6.0)


def _hook(api, ws, url):
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks", json={"url": url, "events": ["milestone.reached"]}
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _deliveries(api, ws, hook_id):
    return api.as_(ws.owner).get(f"/webhooks/{hook_id}/deliveries").get_json()["items"]


def test_a_burst_to_many_endpoints_arrives_once_each_and_a_failure_is_retried_alone(
    ready, make, api, receiver
):
    ws = make.workspace()
    hooks = {f"/h{i}": _hook(api, ws, f"{receiver.url}/h{i}") for i in range(30)}
    receiver.replies = [Reply(500, "busy")]  # whichever request comes first fails once
    reach_milestone(api, ws)

    def all_settled():
        items = [d for h in hooks.values() for d in _deliveries(api, ws, h["id"])]
        return (
            items if len(items) == 30 and all(d["status"] == "succeeded" for d in items) else None
        )

    items = wait_for(all_settled, timeout=60, interval=0.3)
    assert len(receiver.requests) == 31
    by_path: dict[str, list] = {}
    for got in receiver.requests:
        by_path.setdefault(got.path, []).append(got)
        payload = Webhook(hooks[got.path]["secret"]).verify(got.body, got.headers)
        assert payload["type"] == "milestone.reached"
        assert got.headers["webhook-id"] == f"msg_{payload['data']['id']}_{hooks[got.path]['id']}"
    assert sorted(len(v) for v in by_path.values()) == [1] * 29 + [2]
    retried = next(v for v in by_path.values() if len(v) == 2)
    assert retried[0].headers["webhook-id"] == retried[1].headers["webhook-id"]
    attempts = sorted([a["response_status"] for a in d["attempts"]] for d in items)
    assert attempts == [[200]] * 29 + [[500, 200]]
    time.sleep(1.5)  # past the retry wait: nothing more may come
    assert len(receiver.requests) == 31


def test_a_slow_receiver_does_not_hold_up_the_others(ready, make, api, receiver):
    slow = Receiver()
    try:
        slow.default = Reply(200, delay=4)  # under the 6 s limit: a slow success
        ws = make.workspace()
        slow_hook = _hook(api, ws, slow.url)
        fast = [_hook(api, ws, f"{receiver.url}/f{i}") for i in range(6)]
        reach_milestone(api, ws)
        wait_for(lambda: slow.requests, timeout=30)

        def fast_succeeded() -> bool:
            items = [_deliveries(api, ws, h["id"]) for h in fast]
            return all(i and i[0]["status"] == "succeeded" for i in items)

        wait_for(fast_succeeded, timeout=30)
        # the others did not wait for it
        assert _deliveries(api, ws, slow_hook["id"])[0]["status"] == "pending"
        wait_for(
            lambda: _deliveries(api, ws, slow_hook["id"])[0]["status"] == "succeeded", timeout=30
        )
        assert len(slow.requests) == 1
    finally:
        slow.stop()


def test_a_job_leases_no_more_deliveries_than_it_asked_for(app, make, settings):
    from sqlalchemy import func, select

    from workspace.db import db
    from workspace.webhooks import batch
    from workspace.webhooks.models import Delivery, WebhookEndpoint

    ws = make.workspace()
    with db.transaction() as s:
        endpoint = WebhookEndpoint(
            workspace_id=ws.id,
            url="http://127.0.0.1:9/x",
            events=["*"],
            format="standard",
            secret="whsec_" + "A" * 32,
        )
        s.add(endpoint)
        s.flush()
        s.add_all(
            [
                Delivery(
                    endpoint_id=endpoint.id,
                    event_id=None,
                    event_type="webhook.ping",
                    message_id=f"msg_t{i}",
                    payload={"type": "webhook.ping"},
                )
                for i in range(20)
            ]
        )
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    with app.app_context():
        got_first = batch.claim(5, first, settings)
        got_second = batch.claim(5, second, settings)
    # The app's own drain (woken when the rows were committed) may be claiming
    # too; whatever each claim got, it never leased more than it asked for.
    assert len(got_first) <= 5 and len(got_second) <= 5
    assert not {c.delivery_id for c in got_first} & {c.delivery_id for c in got_second}
    with db.reading() as s:
        leased = dict(
            s.execute(
                select(Delivery.lease_token, func.count())
                .where(Delivery.lease_token.in_([first, second]))
                .group_by(Delivery.lease_token)
            ).all()
        )
    assert leased.get(first, 0) == len(got_first)
    assert leased.get(second, 0) == len(got_second)
