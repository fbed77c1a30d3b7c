"""Who wants what: per event type immediate, digest or off.

Defaults (SPEC): immediate for mentions, milestone reached/overdue, the
statement agreed and a disabled webhook; off for everything else. Mentions
always notify: they may go to the digest but cannot be switched off.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.errors import ValidationFailed
from workspace.events import types as ev
from workspace.notifications.models import CHOICES, NotificationPreference
from workspace.zones import is_zone

MENTION = "mention"
IMMEDIATE_BY_DEFAULT = frozenset(
    {
        MENTION,
        ev.MILESTONE_REACHED,
        ev.MILESTONE_OVERDUE,
        ev.STATEMENT_AGREED,
        ev.WEBHOOK_DISABLED,
    }
)
DEFAULT_DIGEST_HOUR = 8


def known_keys() -> list[str]:
    return [MENTION, *sorted(ev.ALL_TYPES)]


def default_choice(key: str) -> str:
    return "immediate" if key in IMMEDIATE_BY_DEFAULT else "off"


def choice(pref: NotificationPreference | None, key: str) -> str:
    if pref is not None:
        chosen = (pref.events or {}).get(key)
        if chosen in CHOICES:
            return chosen
    return default_choice(key)


def preferences_payload(pref: NotificationPreference | None, user: User) -> dict[str, Any]:
    return {
        "events": {key: choice(pref, key) for key in known_keys()},
        "digest_hour": pref.digest_hour if pref is not None else DEFAULT_DIGEST_HOUR,
        "timezone": user.timezone,
    }


def get_preferences(session: Session, user: User) -> dict[str, Any]:
    return preferences_payload(session.get(NotificationPreference, user.id), user)


def validate(data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    events = data.get("events") or {}
    keys = set(known_keys())
    for key, value in events.items():
        if key not in keys:
            errors.setdefault("events", []).append(f"Unknown event type {key!r}.")
        elif value not in CHOICES:
            errors.setdefault("events", []).append(
                f"{key}: choose immediate, digest or off, not {value!r}."
            )
        elif key == MENTION and value == "off":
            errors.setdefault("events", []).append(
                "mention: mentions always notify; choose immediate or digest."
            )
    tz = data.get("timezone")
    if tz is not None and not is_zone(tz):
        errors["timezone"] = [f"{tz!r} is not an IANA time zone such as Asia/Shanghai."]
    if errors:
        raise ValidationFailed("Some preferences are invalid.", fields=errors)


def update_preferences(session: Session, user: User, data: dict[str, Any]) -> dict[str, Any]:
    """PUT semantics for the keys given: events not named keep their choice."""
    validate(data)
    pref = session.get(NotificationPreference, user.id)
    if pref is None:
        pref = NotificationPreference(user_id=user.id, events={}, digest_hour=DEFAULT_DIGEST_HOUR)
        session.add(pref)
    if "events" in data:
        pref.events = {**(pref.events or {}), **data["events"]}
    if data.get("digest_hour") is not None:
        pref.digest_hour = data["digest_hour"]
    db_user = session.get(User, user.id)
    if data.get("timezone") and db_user is not None:
        db_user.timezone = data["timezone"]
        user = db_user
    session.flush()
    return preferences_payload(pref, user)


def switch_off(session: Session, user_id: int, key: str) -> str:
    """For unsubscribe links: the choice that is now in force for `key`."""
    pref = session.get(NotificationPreference, user_id)
    if pref is None:
        pref = NotificationPreference(user_id=user_id, events={}, digest_hour=DEFAULT_DIGEST_HOUR)
        session.add(pref)
    events = dict(pref.events or {})
    if key == "digest":
        for k in known_keys():
            if choice(pref, k) == "digest" and k != MENTION:
                events[k] = "off"
        pref.events = events
        return "off"
    new = "digest" if key == MENTION else "off"
    events[key] = new
    pref.events = events
    return new
