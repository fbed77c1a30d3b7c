"""Webhook routes: owners manage endpoints, read the delivery log, ping,
redeliver and rotate secrets."""

from __future__ import annotations

from flask import current_app

from workspace.auth.access import Need
from workspace.auth.current import require_user
from workspace.config import settings_of
from workspace.db import db
from workspace.http import Page, PageQuerySchema, cursor_int, endpoint, page_of
from workspace.webhooks import service
from workspace.webhooks.schemas import (
    DeliverySchema,
    WebhookCreateSchema,
    WebhookSchema,
    WebhookUpdateSchema,
    WebhookWithSecretSchema,
)

FIELDS = (
    "id",
    "endpoint_id",
    "event_id",
    "event_type",
    "message_id",
    "status",
    "next_attempt_at",
    "created_at",
    "completed_at",
)


def delivery_payloads(s: object, rows: list) -> list[dict]:
    """Raw values with attempts attached; the route's schema dumps them once."""
    attempts = service.attempts_of(s, [d.id for d in rows])
    return [{**{f: getattr(d, f) for f in FIELDS}, "attempts": attempts[d.id]} for d in rows]


@endpoint(
    "/workspaces/<int:workspace_id>/webhooks",
    need=Need.MANAGE,
    summary="Webhooks of a workspace",
    tag="webhooks",
    response=WebhookSchema(),
    paginated=True,
)
def list_webhooks(workspace_id: int, query: dict) -> object:
    with db.reading() as s:
        rows = [
            w
            for w in service.list_webhooks(s, require_user(), workspace_id)
            if w.id > cursor_int(query["cursor"])
        ]
        return page_of(rows[: query["limit"] + 1], query["limit"])


@endpoint(
    "/workspaces/<int:workspace_id>/webhooks",
    "POST",
    need=Need.MANAGE,
    summary="Add a webhook",
    tag="webhooks",
    body=WebhookCreateSchema(),
    response=WebhookWithSecretSchema(),
    status=201,
    limits="url up to 2048 characters; 1 to 50 event types",
)
def create_webhook(workspace_id: int, data: dict) -> object:
    settings = settings_of(current_app)
    with db.transaction() as s:
        hook, secret = service.create_webhook(s, require_user(), workspace_id, data, settings)
        return {**WebhookSchema().dump(hook), "secret": secret}


@endpoint(
    "/webhooks/<int:webhook_id>",
    need=Need.MANAGE,
    summary="A webhook",
    tag="webhooks",
    response=WebhookSchema(),
)
def get_webhook(webhook_id: int) -> object:
    with db.reading() as s:
        return service.get_webhook(s, require_user(), webhook_id)


@endpoint(
    "/webhooks/<int:webhook_id>",
    "PATCH",
    need=Need.MANAGE,
    summary="Turn a webhook on or off, or change its events",
    tag="webhooks",
    body=WebhookUpdateSchema(),
    response=WebhookSchema(),
)
def update_webhook(webhook_id: int, data: dict) -> object:
    with db.transaction() as s:
        return service.update_webhook(s, require_user(), webhook_id, data)


@endpoint(
    "/webhooks/<int:webhook_id>",
    "DELETE",
    need=Need.MANAGE,
    summary="Delete a webhook",
    tag="webhooks",
)
def delete_webhook(webhook_id: int) -> object:
    with db.transaction() as s:
        service.delete_webhook(s, require_user(), webhook_id)
    return None


@endpoint(
    "/webhooks/<int:webhook_id>/rotate-secret",
    "POST",
    need=Need.MANAGE,
    summary="Rotate the secret; the old one keeps signing for 24 hours",
    tag="webhooks",
    response=WebhookWithSecretSchema(),
)
def rotate_secret(webhook_id: int) -> object:
    with db.transaction() as s:
        hook, secret = service.rotate_secret(s, require_user(), webhook_id)
        return {**WebhookSchema().dump(hook), "secret": secret}


@endpoint(
    "/webhooks/<int:webhook_id>/ping",
    "POST",
    need=Need.MANAGE,
    summary="Send a test delivery",
    tag="webhooks",
    response=DeliverySchema(),
    status=202,
)
def ping(webhook_id: int) -> object:
    with db.transaction() as s:
        delivery = service.ping(s, require_user(), webhook_id)
        return delivery_payloads(s, [delivery])[0]


@endpoint(
    "/webhooks/<int:webhook_id>/deliveries",
    need=Need.MANAGE,
    summary="Delivery log, newest first",
    tag="webhooks",
    response=DeliverySchema(),
    paginated=True,
    query=PageQuerySchema(),
)
def list_deliveries(webhook_id: int, query: dict) -> object:
    with db.reading() as s:
        rows = service.list_deliveries(
            s, require_user(), webhook_id, cursor_int(query["cursor"]), query["limit"]
        )
        page = page_of(rows, query["limit"])
        return Page(delivery_payloads(s, page.items), page.next_cursor)


@endpoint(
    "/deliveries/<int:delivery_id>",
    need=Need.MANAGE,
    summary="One delivery with its attempts",
    tag="webhooks",
    response=DeliverySchema(),
)
def get_delivery(delivery_id: int) -> object:
    with db.reading() as s:
        return delivery_payloads(s, [service.get_delivery(s, require_user(), delivery_id)])[0]


@endpoint(
    "/deliveries/<int:delivery_id>/redeliver",
    "POST",
    need=Need.MANAGE,
    summary="Send a delivery again with the same webhook-id",
    tag="webhooks",
    response=DeliverySchema(),
    status=202,
)
def redeliver(delivery_id: int) -> object:
    with db.transaction() as s:
        row = service.redeliver(s, require_user(), delivery_id)
        return delivery_payloads(s, [row])[0]
