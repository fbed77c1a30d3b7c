"""`GET, PUT /me/notification-preferences`."""

from __future__ import annotations

from workspace.auth.current import require_user
from workspace.db import db
from workspace.http import endpoint
from workspace.notifications import preferences
from workspace.notifications.schemas import PreferencesSchema, PreferencesUpdateSchema


@endpoint(
    "/me/notification-preferences",
    summary="My notification preferences",
    tag="notifications",
    response=PreferencesSchema(),
)
def get_preferences() -> object:
    user = require_user()
    with db.reading() as s:
        return preferences.get_preferences(s, user)


@endpoint(
    "/me/notification-preferences",
    "PUT",
    summary="Change my notification preferences",
    tag="notifications",
    body=PreferencesUpdateSchema(),
    response=PreferencesSchema(),
    limits="events: keys are event types or `mention`; digest_hour 0..23; IANA timezone",
)
def put_preferences(data: dict) -> object:
    user = require_user()
    with db.transaction() as s:
        return preferences.update_preferences(s, user, data)
