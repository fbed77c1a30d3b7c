"""Standard Webhooks delivery against a real local receiver."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.conftest import wait_for
from tests.webhooks.receiver import Reply, emit, reach_milestone


def _create(api, ws, url, events=("milestone.reached",), fmt="standard", **extra):
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks",
        json={"url": url, "events": list(events), "format": fmt, **extra},
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _deliveries(api, ws, hook_id):
    return api.as_(ws.owner).get(f"/webhooks/{hook_id}/deliveries").get_json()["items"]


def _settled(api, ws, hook_id, count=1):
    items = _deliveries(api, ws, hook_id)
    done = [d for d in items if d["status"] != "pending"]
    return items if len(items) >= count and len(done) == len(items) else None


def test_signed_delivery_verifies_and_secret_is_shown_once(ready, make, api, receiver):
    ws = make.workspace()
    hook = _create(api, ws, receiver.url + "/hooks")
    assert hook["secret"].startswith("whsec_")
    listed = api.as_(ws.owner).get(f"/workspaces/{ws.id}/webhooks").get_json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert "secret" not in api.as_(ws.owner).get(f"/webhooks/{hook['id']}").get_json()

    emit(ws.id, "trial.created", {"trial": {"id": 1, "number": 1}})  # filtered out
    milestone = reach_milestone(api, ws)  # milestone.created is filtered out too
    wait_for(lambda: receiver.requests, timeout=15)
    items = wait_for(lambda: _settled(api, ws, hook["id"]), timeout=15)
    got = receiver.requests[0]
    payload = Webhook(hook["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "milestone.reached"
    env = payload["data"]
    assert set(env) >= {"id", "seq", "type", "workspace_id", "actor", "occurred_at", "data"}
    assert env["data"]["milestone"]["id"] == milestone["id"] and env["workspace_id"] == ws.id
    assert env["actor"] == {"id": ws.owner.id, "name": ws.owner.name}
    assert got.headers["webhook-id"] == f"msg_{env['id']}_{hook['id']}"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(got.body, got.headers)
    assert len(items) == 1 and items[0]["status"] == "succeeded"
    assert items[0]["attempts"][0]["response_status"] == 200
    time.sleep(0.5)
    assert len(receiver.requests) == 1


def test_secrets_are_stored_encrypted_and_clear_ones_are_sealed_at_start(
    ready, make, api, receiver
):
    """A copy of the database alone does not reveal a secret that signs
    deliveries; a secret stored in clear by an earlier version keeps
    signing after it is sealed."""
    from sqlalchemy import String, cast, select, type_coerce, update

    from workspace.db import db
    from workspace.webhooks import stored_secrets
    from workspace.webhooks.models import WebhookEndpoint

    table = WebhookEndpoint.__table__
    ws = make.workspace()
    hook = _create(api, ws, receiver.url + "/hooks")
    with db.reading() as s:
        stored = s.scalar(select(cast(table.c.secret, String)).where(table.c.id == hook["id"]))
    assert stored.startswith("enc1:") and hook["secret"] not in stored

    legacy = "whsec_" + "QkVGT1JFLVRIRS1DSEFOR0UtMTIzNDU2Nzg5MA=="
    with db.transaction() as s:  # as an earlier version stored it
        s.execute(
            update(table).where(table.c.id == hook["id"]).values(secret=type_coerce(legacy, String))
        )
    with db.transaction() as s:
        assert stored_secrets.seal_legacy(s) == 1
    with db.reading() as s:
        stored = s.scalar(select(cast(table.c.secret, String)).where(table.c.id == hook["id"]))
    assert stored.startswith("enc1:") and legacy not in stored
    reach_milestone(api, ws)
    wait_for(lambda: receiver.requests, timeout=15)
    got = receiver.requests[0]
    assert Webhook(legacy).verify(got.body, got.headers)["type"] == "milestone.reached"


def test_500s_then_success_retries_with_the_same_id_and_stops(ready, make, api, receiver):
    ws = make.workspace()
    hook = _create(api, ws, receiver.url)
    receiver.replies = [Reply(500, "boom"), Reply(503, "busy")]
    reach_milestone(api, ws)
    items = wait_for(lambda: _settled(api, ws, hook["id"]), timeout=30)
    assert items[0]["status"] == "succeeded"
    assert [a["response_status"] for a in items[0]["attempts"]] == [500, 503, 200]
    assert items[0]["attempts"][0]["error"] == "HTTP 500"
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and ids == {items[0]["message_id"]}
    for r in receiver.requests:
        Webhook(hook["secret"]).verify(r.body, r.headers)
    time.sleep(2.5)  # longer than any retry wait: nothing more may come
    assert len(receiver.requests) == 3


def test_hanging_receiver_is_cut_at_the_timeout(ready, make, api, receiver):
    ws = make.workspace()
    hook = _create(api, ws, receiver.url)
    receiver.replies = [Reply(200, delay=6)]
    reach_milestone(api, ws)
    items = wait_for(lambda: _settled(api, ws, hook["id"]), timeout=30)
    first, second = items[0]["attempts"][:2]
    assert first["response_status"] is None and "timed out" in first["error"]
    assert 1500 <= first["duration_ms"] < 4500  # the 2 s limit of this suite, not the 6 s hang
    assert second["response_status"] == 200 and items[0]["status"] == "succeeded"


def test_redirect_is_not_followed_and_counts_as_failure(ready, make, api, receiver):
    ws = make.workspace()
    hook = _create(api, ws, receiver.url + "/in")
    receiver.replies = [Reply(302, headers={"Location": receiver.url + "/private"})]
    reach_milestone(api, ws)
    items = wait_for(lambda: _settled(api, ws, hook["id"]), timeout=30)
    first = items[0]["attempts"][0]
    assert first["response_status"] == 302 and "not followed" in first["error"]
    assert [r.path for r in receiver.requests] == ["/in", "/in"]


def test_410_disables_at_once_and_owners_are_emailed(ready, make, api, receiver, settings):
    ws = make.workspace()
    hook = _create(api, ws, receiver.url)
    receiver.default = Reply(410, "gone")
    reach_milestone(api, ws)
    wait_for(
        lambda: not api.as_(ws.owner).get(f"/webhooks/{hook['id']}").get_json()["active"],
        timeout=15,
    )
    shown = api.as_(ws.owner).get(f"/webhooks/{hook['id']}").get_json()
    assert "410" in shown["disabled_reason"]
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    disabled = [e for e in events if e["type"] == "webhook.disabled"]
    assert len(disabled) == 1 and "access_token" not in str(disabled[0])
    outbox = settings.outbox_path

    def disabled_mails():
        found = [p.read_text() for p in outbox.glob("*.eml")] if outbox.exists() else []
        return [m for m in found if "A webhook was disabled" in m]

    mails = wait_for(disabled_mails, timeout=20)
    wait_for(lambda: len(disabled_mails()) == 2, timeout=20)  # both owners
    assert any(ws.owner.email in m for m in mails + disabled_mails())
    reach_milestone(api, ws, "another")
    time.sleep(1)
    assert len(receiver.requests) == 1  # nothing goes to a disabled endpoint


def test_an_endpoint_failing_for_five_days_is_disabled(ready, make, api, receiver):
    from workspace.db import db, utcnow
    from workspace.webhooks.models import WebhookEndpoint

    ws = make.workspace()
    hook = _create(api, ws, receiver.url)
    with db.transaction() as s:
        s.get(WebhookEndpoint, hook["id"]).failing_since = utcnow() - timedelta(days=5, hours=1)
    receiver.default = Reply(500)
    reach_milestone(api, ws)
    wait_for(
        lambda: not api.as_(ws.owner).get(f"/webhooks/{hook['id']}").get_json()["active"],
        timeout=15,
    )
    assert (
        "5 days" in api.as_(ws.owner).get(f"/webhooks/{hook['id']}").get_json()["disabled_reason"]
    )


def test_redeliver_ping_and_secret_rotation(ready, make, api, receiver):
    ws = make.workspace()
    hook = _create(api, ws, receiver.url)
    reach_milestone(api, ws)
    items = wait_for(lambda: _settled(api, ws, hook["id"]), timeout=15)
    resp = api.as_(ws.owner).post(f"/deliveries/{items[0]['id']}/redeliver")
    assert resp.status_code == 202
    wait_for(lambda: len(receiver.requests) == 2, timeout=15)
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]

    rotated = api.as_(ws.owner).post(f"/webhooks/{hook['id']}/rotate-secret").get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert api.as_(ws.owner).post(f"/webhooks/{hook['id']}/ping").status_code == 202
    wait_for(lambda: len(receiver.requests) == 3, timeout=15)
    ping = receiver.requests[2]
    assert len(ping.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(hook["secret"]).verify(ping.body, ping.headers)["type"] == "webhook.ping"
    assert Webhook(rotated["secret"]).verify(ping.body, ping.headers)["type"] == "webhook.ping"


def test_only_owners_manage_webhooks_and_bad_input_changes_nothing(ready, make, api, receiver):
    editor = make.user(side="enterprise")
    ws = make.workspace(members={"editor": editor})
    outsider = make.user(side="university")
    body = {"url": receiver.url, "events": ["milestone.*"]}
    assert api.as_(editor).post(f"/workspaces/{ws.id}/webhooks", json=body).status_code == 403
    assert api.as_(outsider).post(f"/workspaces/{ws.id}/webhooks", json=body).status_code == 404
    assert api.as_(editor).get(f"/workspaces/{ws.id}/webhooks").status_code == 403
    for bad in (
        {"url": "ftp://example.com/x", "events": ["*"]},
        {"url": receiver.url, "events": ["milestone.exploded"]},
        {"url": receiver.url, "events": []},
        {"url": receiver.url, "events": ["*"], "format": "slack"},
        {"url": "http://", "events": ["*"]},
        {"url": 5, "events": "x"},
    ):
        resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/webhooks", json=bad)
        assert resp.status_code == 422, (bad, resp.get_json())
        assert resp.get_json()["error"]["code"] == "validation_failed"
    assert api.as_(ws.owner).get(f"/workspaces/{ws.id}/webhooks").get_json()["items"] == []
    hook = _create(api, ws, receiver.url)
    assert api.as_(editor).delete(f"/webhooks/{hook['id']}").status_code == 403
    assert api.as_(outsider).get(f"/webhooks/{hook['id']}/deliveries").status_code == 404
    assert api.as_(ws.owner).post("/deliveries/999999/redeliver").status_code == 404
    assert api.as_(ws.owner).delete(f"/webhooks/{hook['id']}").status_code == 204
    assert api.as_(ws.owner).get(f"/webhooks/{hook['id']}").status_code == 404
