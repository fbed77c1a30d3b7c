"""A manager with a portfolio sees nothing outside it: Socket.IO feed, Atom,
iCalendar, exports and pages, not only REST."""

from __future__ import annotations

import csv
import io

import feedparser
import icalendar

from tests.conftest import login_cookie, wait_for
from tests.portfolios.builders import milestone, reach, world


def test_socket_feed_without_workspace_carries_only_portfolio_events(make, api, sio):
    w = world(make, api)
    client = sio.connect(token=make.token(w.manager, ("read",)))
    assert client.call("feed:subscribe", {}, timeout=10)["ok"] is True
    hidden = milestone(api, w.outside, "Hidden")
    reach(api, w.outside, hidden["id"])
    seen = milestone(api, w.by_hand, "Seen")
    reach(api, w.by_hand, seen["id"])
    wait_for(lambda: any(e["type"] == "milestone.reached" for e in client.received))
    assert {e["workspace_id"] for e in client.received} == {w.by_hand.id}

    # Replay from a cursor honours the portfolio too.
    replay = sio.connect(token=make.token(w.manager, ("read",)))
    assert (
        replay.call("feed:subscribe", {"after": 0, "types": ["milestone.*"]}, timeout=10)["ok"]
        is True
    )
    wait_for(lambda: len(replay.received) >= 2)
    assert {e["workspace_id"] for e in replay.received} == {w.by_hand.id}
    assert (
        replay.call("feed:subscribe", {"workspace_id": w.outside.id}, timeout=10)["error"]["code"]
        == "not_found"
    )


def test_portfolio_change_applies_to_an_open_socket_feed(make, api, sio):
    w = world(make, api)
    client = sio.connect(token=make.token(w.manager, ("read",)))
    assert client.call("feed:subscribe", {}, timeout=10)["ok"] is True
    api.as_(w.admin).put(
        f"/managers/{w.manager.id}/portfolio", json={"workspace_ids": [w.outside.id]}
    )
    milestone(api, w.by_hand, "No longer mine")
    milestone(api, w.outside, "Now mine")
    wait_for(lambda: client.received)
    wait_for(lambda: any(e["workspace_id"] == w.outside.id for e in client.received))
    assert all(e["workspace_id"] == w.outside.id for e in client.received)


def test_atom_and_calendar_feeds_parse_and_stay_inside_the_portfolio(make, api, client):
    w = world(make, api)
    mine = milestone(api, w.by_org, "良率达到95%", due_in_days=7)
    reach(api, w.by_org, mine["id"])
    milestone(api, w.by_hand, "Seam test", due_in_days=14)
    other = milestone(api, w.outside, "Hidden furnace milestone", due_in_days=3)
    reach(api, w.outside, other["id"])
    token = make.token(w.manager, ("read",))

    atom = client.get(f"/api/v1/feed.atom?token={token}")
    assert atom.status_code == 200
    assert atom.mimetype == "application/atom+xml"
    parsed = feedparser.parse(atom.data)
    assert not parsed.bozo, parsed.bozo_exception
    titles = [e.title for e in parsed.entries]
    assert any("良率达到95%" in t and "Milestone reached" in t for t in titles), titles
    assert any("Seam test" in t for t in titles)
    assert not any("Hidden" in t for t in titles)
    assert all(e.link.startswith("http") for e in parsed.entries)
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)

    ics = client.get(f"/api/v1/milestones.ics?token={token}")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(ics.data)
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert sorted(summaries) == sorted(["✓ Acme porosity: 良率达到95%", "Weld seams: Seam test"])

    # Revoking the token closes both feeds; a write-less token is enough.
    tokens = api.as_(w.manager).get("/me/tokens").get_json()["items"]
    feed_token = next(t for t in tokens if t["prefix"] == token[:10])
    assert api.as_(w.manager).delete(f"/me/tokens/{feed_token['id']}").status_code == 204
    assert client.get(f"/api/v1/feed.atom?token={token}").status_code == 401
    assert client.get(f"/api/v1/milestones.ics?token={token}").status_code == 401
    assert client.get("/api/v1/feed.atom").status_code == 401
    assert client.get("/api/v1/feed.atom?token=jl_nope").status_code == 401


def test_exports_and_pages_stay_inside_the_portfolio(make, api, live_server, worker):
    w = world(make, api)
    pm = api.as_(w.manager)
    task = pm.post("/exports", json={"format": "csv"}).get_json()
    done = wait_for(
        lambda: (lambda t: t if t["status"] == "done" else None)(
            pm.get(f"/exports/{task['id']}").get_json()
        )
    )
    body = pm.get(done["download_url"].removeprefix("/api/v1")).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert sorted(r[1] for r in rows[1:]) == ["Acme porosity", "Weld seams"]

    session, _csrf = login_cookie(live_server.url, w.manager)
    page = session.get(f"{live_server.url}/dashboard", timeout=10)
    assert page.status_code == 200
    assert "Acme porosity" in page.text and "Secret furnace" not in page.text
    timeline = session.get(f"{live_server.url}/dashboard/timeline", timeout=10).text
    assert "Secret furnace" not in timeline
    outside = session.get(f"{live_server.url}/workspaces/{w.outside.id}", timeout=10)
    assert outside.status_code == 404
    assert "Not found, or not yours to see." in outside.text
    assert "Secret furnace" not in outside.text
    # The error page speaks the reader's language.
    assert (
        session.patch(
            f"{live_server.url}/api/v1/me",
            json={"locale": "zh-CN"},
            headers={"X-CSRF-Token": _csrf},
            timeout=10,
        ).status_code
        == 200
    )
    outside = session.get(f"{live_server.url}/workspaces/{w.outside.id}", timeout=10)
    assert outside.status_code == 404 and "未找到，或您无权查看。" in outside.text
    assert session.get(f"{live_server.url}/workspaces/{2**40}", timeout=10).status_code == 404
    listing = session.get(f"{live_server.url}/workspaces", timeout=10).text
    assert "Weld seams" in listing and "Secret furnace" not in listing
    # Someone else's export is not theirs to read.
    other = make.manager("PM Other")
    assert api.as_(other).get(f"/exports/{task['id']}").status_code == 404
