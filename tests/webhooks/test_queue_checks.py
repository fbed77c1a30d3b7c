"""Routes that queue a webhook job (ping, redeliver) check first what the job
will need: a job that could only send an unsigned request is not queued."""

from __future__ import annotations

from sqlalchemy import String, type_coerce, update

from tests.conftest import wait_for
from tests.webhooks.receiver import reach_milestone


def test_ping_and_redeliver_refuse_a_secret_sealed_under_another_key(ready, make, api, receiver):
    from cryptography.fernet import Fernet

    from workspace.db import db
    from workspace.webhooks.models import WebhookEndpoint

    ws = make.workspace()
    owner = api.as_(ws.owner)
    hook = owner.post(
        f"/workspaces/{ws.id}/webhooks",
        json={"url": receiver.url + "/h", "events": ["milestone.reached"]},
    ).get_json()
    reach_milestone(api, ws)

    def settled():
        items = owner.get(f"/webhooks/{hook['id']}/deliveries").get_json()["items"]
        return items if items and items[0]["status"] != "pending" else None

    delivery = wait_for(settled, timeout=15)[0]
    assert delivery["status"] == "succeeded"
    # As after SECRET_KEY was changed: sealed with a key this process lacks.
    foreign = "enc1:" + Fernet(Fernet.generate_key()).encrypt(b"whsec_old").decode()
    with db.transaction() as s:
        s.execute(
            update(WebhookEndpoint.__table__)
            .where(WebhookEndpoint.__table__.c.id == hook["id"])
            .values(secret=type_coerce(foreign, String))
        )
    for path in (f"/webhooks/{hook['id']}/ping", f"/deliveries/{delivery['id']}/redeliver"):
        resp = owner.post(path)
        assert resp.status_code == 409, (path, resp.get_json())
        assert resp.get_json()["error"]["code"] == "webhook_secret_unreadable"
    items = owner.get(f"/webhooks/{hook['id']}/deliveries").get_json()["items"]
    assert [(d["id"], d["status"]) for d in items] == [(delivery["id"], "succeeded")]
    assert len(receiver.requests) == 1
    # Rotating gives it a readable secret again; then a ping goes out.
    assert owner.post(f"/webhooks/{hook['id']}/rotate-secret").status_code == 200
    assert owner.post(f"/webhooks/{hook['id']}/ping").status_code == 202
    wait_for(lambda: len(receiver.requests) == 2, timeout=15)
