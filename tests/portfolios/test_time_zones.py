"""A reader whose stored time zone is not an IANA name (set before names
were checked) sees every time in the default zone, Asia/Shanghai: the page,
the dashboard and the weekly mail agree, and no page fails. (The Atom and
iCalendar feeds carry UTC instants; the reader's client shows them.)"""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy

from sqlalchemy import update

from tests.portfolios.builders import milestone, reach, world


def _login(client, user):
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200


def test_a_bad_stored_zone_reads_as_shanghai_in_page_mail_and_feed(
    app, make, api, client, settings
):
    from workspace.auth.models import User
    from workspace.db import db
    from workspace.events.models import Event
    from workspace.feeds.weekly import send_weekly_summary

    w = world(make, api)
    reach(api, w.by_hand, milestone(api, w.by_hand, "Bead geometry")["id"])
    # 16:30 UTC yesterday is 00:30 today in Shanghai (and would be 16:30 in UTC).
    at = (datetime.now(UTC) - timedelta(days=1)).replace(
        hour=16, minute=30, second=0, microsecond=0
    )
    local_day = (at + timedelta(hours=8)).date().isoformat()
    with db.transaction() as s:
        s.execute(
            update(Event)
            .where(Event.type == "milestone.reached", Event.workspace_id == w.by_hand.id)
            .values(occurred_at=at)
        )
        s.execute(update(User).where(User.id == w.manager.id).values(timezone="Mars/Olympus"))

    _login(client, w.manager)
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-timezone="Asia/Shanghai"' in html  # what JL.formatTime formats in
    item = re.search(r'data-type="milestone.reached"><time [^>]*>([^<]+)</time>', html)
    assert item is not None and item.group(1) == "00:30"
    assert f'data-day="{local_day}"' in html
    # Pages that format times on the server (Babel) open too.
    assert client.get("/account/sessions").status_code == 200

    with app.app_context():
        assert send_weekly_summary(w.manager.id) is True
    mail = next(
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in settings.outbox_path.glob("weekly-*.eml")
    )
    assert f"Bead geometry ({local_day} 00:30)" in mail.get_body(("plain",)).get_content()


def test_only_iana_names_are_accepted_as_a_time_zone(make, api):
    user = make.user()
    for bad in ("Mars/Olympus", "localtime", "posixrules", ""):
        resp = api.as_(user).put("/me/notification-preferences", json={"timezone": bad})
        assert resp.status_code == 422, bad
        resp = api.as_(user).patch("/me", json={"timezone": bad})
        assert resp.status_code == 422, bad
    assert api.as_(user).patch("/me", json={"timezone": "Europe/Berlin"}).status_code == 200
    assert (
        api.as_(user).get("/me/notification-preferences").get_json()["timezone"] == "Europe/Berlin"
    )
