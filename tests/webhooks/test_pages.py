"""The webhook page in Chromium, and /healthz's notifications section."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.conftest import browser_login, wait_for


def test_owner_creates_pings_and_sees_the_delivery_log(
    ready, make, live_server, receiver, browser_context
):
    ws = make.workspace()
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    page.click('[data-testid="manage-webhooks"]')
    page.wait_for_url(f"{live_server.url}/workspaces/{ws.id}/webhooks")
    page.fill('[data-testid="webhook-form"] input[name="url"]', receiver.url + "/in")
    page.fill('[data-testid="webhook-form"] input[name="events"]', "milestone.*")
    page.click('[data-testid="webhook-form"] button[type="submit"]')
    shown = page.locator('[data-testid="secret-once"] code', has_text="whsec_")
    shown.wait_for()
    secret = shown.text_content()
    assert secret.startswith("whsec_")
    row = page.locator('[data-testid="webhook-list"] tr[data-webhook-id]')
    row.wait_for()
    assert row.count() == 1 and "milestone.*" in row.text_content()

    row.locator('[data-action="ping"]').click()
    wait_for(lambda: receiver.requests, timeout=15)
    got = receiver.requests[0]
    assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook.ping"
    log = page.locator('[data-testid="delivery-log"] tr[data-status="succeeded"]')
    log.first.wait_for()
    assert "webhook.ping" in log.first.text_content() and "HTTP 200" in log.first.text_content()

    log.first.locator('[data-action="redeliver"]').click()
    wait_for(lambda: len(receiver.requests) == 2, timeout=15)
    assert receiver.requests[1].headers["webhook-id"] == got.headers["webhook-id"]

    page.reload()  # the secret is shown once only
    page.locator('[data-testid="webhook-list"] tr[data-webhook-id]').wait_for()
    assert page.locator('[data-testid="secret-once"]').is_hidden()
    assert secret not in page.content()


def test_webhook_page_is_for_owners_and_speaks_chinese(make, live_server, browser_context):
    viewer = make.user(side="university", locale="zh-CN")
    ws = make.workspace(members={"viewer": viewer})
    page = browser_login(browser_context("zh-CN"), live_server.url, viewer)
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    assert page.locator('[data-testid="webhooks-panel"]').count() == 0
    resp = page.goto(f"{live_server.url}/workspaces/{ws.id}/webhooks")
    assert resp.status == 403
    page.goto(f"{live_server.url}/settings/notifications")
    assert "每日摘要" in page.content()


def test_healthz_reports_failing_endpoints_and_pending_deliveries(ready, make, api, client):
    from workspace.db import db, utcnow
    from workspace.webhooks.models import Delivery, WebhookEndpoint

    ws = make.workspace()
    with db.transaction() as s:
        hook = WebhookEndpoint(
            workspace_id=ws.id,
            url="http://127.0.0.1:9/",
            events=["x.*"],
            format="standard",
            secret="whsec_" + "A" * 32,
            failing_since=utcnow(),
        )
        s.add(hook)
        s.flush()
        # Due far in the future, so no job touches it during the test.
        s.add(
            Delivery(
                endpoint_id=hook.id,
                event_type="webhook.ping",
                message_id="m",
                payload={},
                status="pending",
                next_attempt_at=utcnow().replace(year=utcnow().year + 1),
            )
        )
    report = client.get("/healthz").get_json()
    assert report["webhooks"]["failing_endpoints"] == 1
    assert report["webhooks"]["pending_deliveries"] == 1
    assert "queues" in report and "mail" in report
