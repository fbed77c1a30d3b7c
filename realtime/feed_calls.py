"""The feed:* calls (SPEC, Socket.IO table): subscribe with a cursor and an
optional workspace and types, unsubscribe. What a subscription is given, and
when, is the pump's (realtime/feed.py)."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, ValidationError, fields, validates_schema

from realtime import clients, guard
from realtime.acks import handler
from realtime.feed import pump
from realtime.feed_limits import budget
from realtime.feed_sending import Subscription
from workspace import cooperative
from workspace.events.schemas import FeedQuerySchema, parse_types
from workspace.fields import MAX_EVENT_ID, MAX_ID, id_range


class SubscribeSchema(Schema):
    workspace_id = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=id_range()
    )
    after = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=id_range(0, MAX_EVENT_ID)
    )
    types = fields.Raw(load_default=None)

    @validates_schema
    def _seq_in_range(self, data: dict[str, Any], **_: Any) -> None:
        # With a workspace, `after` is a seq, an `integer` column.
        if data.get("workspace_id") is not None and (data.get("after") or 0) > MAX_ID:
            raise ValidationError(f"Must be at most {MAX_ID}.", field_name="after")


@handler("feed:subscribe", SubscribeSchema())
def subscribe(payload: dict[str, Any]) -> dict[str, Any]:
    client = clients.current()
    user = guard.current_user()
    types = payload["types"]
    if isinstance(types, list):
        types = ",".join(str(t) for t in types)
    types = FeedQuerySchema().load({"types": types})["types"] if types else None
    workspace_id = payload["workspace_id"]
    sub = Subscription(
        sid=client.sid,
        user_id=user.id,
        workspace_id=workspace_id,
        allowed=set(),
        types=parse_types(types),
    )
    pump.subscribe(
        sub, user, payload["after"], workspace_id is not None, cooperative.current_task()
    )
    return {"high_water": pump.high_water}


@handler("feed:unsubscribe")
def unsubscribe(_payload: Any) -> None:
    pump.unsubscribe_all(request.sid)  # type: ignore[attr-defined]


def reset_state() -> None:
    """A new app starts with no replays counted (see realtime/install.py)."""
    budget.reset()
