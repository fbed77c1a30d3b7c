"""Milestones through the API: by hand, automatic on completion (once),
missed by owners and managers, due-date reminders and the calendar feed."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from jobs.schedule import run_once
from tests.trials.factory import BAD, GOOD, add_indicators, run_trial


def events(api, ws, prefix="milestone."):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    return [e for e in items if e["type"].startswith(prefix)]


def milestone(api, ws, **fields):
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/milestones", json={"title": "Scrap below 1.5%", **fields}
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def get_ms(api, ws, mid):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/milestones").get_json()["items"]
    return next(m for m in items if m["id"] == mid)


def test_automatic_milestone_is_reached_once_after_n_trials_in_a_row(make, api):
    ws = make.workspace()
    inds = add_indicators(api, ws)
    m = milestone(api, ws, criteria={"indicators": [inds[0]["id"]], "consecutive_trials": 2})
    run_trial(api, ws, GOOD)
    run_trial(api, ws, GOOD, finish="aborted")  # breaks the streak
    run_trial(api, ws, GOOD)
    now = get_ms(api, ws, m["id"])
    assert now["status"] == "open" and now["progress"]["streak"] == 1
    assert now["progress"]["needed"] == 2
    last = run_trial(api, ws, GOOD)
    now = get_ms(api, ws, m["id"])
    assert now["status"] == "reached" and now["reached_by_trial_id"] == last["id"]
    run_trial(api, ws, GOOD)  # still holds: never fired again
    reached = [e for e in events(api, ws) if e["type"] == "milestone.reached"]
    assert len(reached) == 1
    assert reached[0]["data"]["trial"]["id"] == last["id"]
    assert api.as_(ws.owner).post(f"/milestones/{m['id']}/reach").status_code == 409


def test_failing_trials_do_not_reach_it(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    m = milestone(api, ws, criteria={"indicators": "all", "consecutive_trials": 1})
    run_trial(api, ws, BAD)
    run_trial(api, ws, {})  # no measurements at all
    assert get_ms(api, ws, m["id"])["status"] == "open"
    run_trial(api, ws, GOOD)
    assert get_ms(api, ws, m["id"])["status"] == "reached"


def test_manual_milestone_reached_by_hand_and_missed_by_owner_or_manager(make, api):
    editor = make.user(side="enterprise")
    ws = make.workspace(members={"editor": editor})
    a = milestone(api, ws, title="Pilot run signed off")
    resp = api.as_(editor).post(f"/milestones/{a['id']}/reach")
    assert resp.status_code == 200 and resp.get_json()["status"] == "reached"
    assert api.as_(editor).post(f"/milestones/{a['id']}/reach").status_code == 409

    b = milestone(api, ws, title="Second milestone")
    assert (
        api.as_(editor).patch(f"/milestones/{b['id']}", json={"status": "missed"}).status_code
        == 403
    )
    assert (
        api.as_(ws.manager).patch(f"/milestones/{b['id']}", json={"title": "nope"}).status_code
        == 403
    )
    resp = api.as_(ws.manager).patch(f"/milestones/{b['id']}", json={"status": "missed"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "missed"
    assert (
        api.as_(ws.owner).patch(f"/milestones/{a['id']}", json={"status": "missed"}).status_code
        == 409
    )
    assert (
        api.as_(ws.owner).patch(f"/milestones/{b['id']}", json={"status": "reached"}).status_code
        == 422
    )
    types = [e["type"] for e in events(api, ws)]
    assert types.count("milestone.reached") == 1 and "milestone.missed" in types


def test_bad_criteria_are_refused(make, api):
    ws, other = make.workspace(), make.workspace()
    foreign = add_indicators(api, other)[0]
    for criteria in (
        {"indicators": [foreign["id"]], "consecutive_trials": 1},
        {"indicators": "all", "consecutive_trials": 0},
        {"indicators": [], "consecutive_trials": 2},
        {"indicators": "some", "consecutive_trials": 2},
        "yes",
    ):
        resp = api.as_(ws.owner).post(
            f"/workspaces/{ws.id}/milestones", json={"title": "x", "criteria": criteria}
        )
        assert resp.status_code == 422, criteria
        assert "criteria" in resp.get_json()["error"]["fields"]
    assert api.as_(ws.owner).get(f"/workspaces/{ws.id}/milestones").get_json()["items"] == []


def sweep(app) -> None:
    """The periodic jobs, as the scheduler runs them (in the app's context)."""
    with app.app_context():
        run_once()


def test_due_soon_and_overdue_are_emitted_once_by_the_scheduled_job(app, make, api):
    ws = make.workspace()
    today = date.today()
    soon = milestone(api, ws, title="Soon", due_date=(today + timedelta(days=2)).isoformat())
    late = milestone(api, ws, title="Late", due_date=(today - timedelta(days=1)).isoformat())
    milestone(api, ws, title="Far", due_date=(today + timedelta(days=30)).isoformat())
    done = milestone(api, ws, title="Done", due_date=(today - timedelta(days=1)).isoformat())
    api.as_(ws.owner).post(f"/milestones/{done['id']}/reach")
    sweep(app)
    sweep(app)
    got = [
        (e["type"], e["data"]["milestone"]["id"])
        for e in events(api, ws)
        if e["type"] in ("milestone.due_soon", "milestone.overdue")
    ]
    assert sorted(got) == sorted(
        [("milestone.due_soon", soon["id"]), ("milestone.overdue", late["id"])]
    )
    assert get_ms(api, ws, late["id"])["status"] == "open"  # can still be reached late
    assert get_ms(api, ws, late["id"])["overdue"] is True
    # A new due date earns a new reminder.
    api.as_(ws.owner).patch(
        f"/milestones/{late['id']}", json={"due_date": (today + timedelta(days=1)).isoformat()}
    )
    sweep(app)
    assert ("milestone.due_soon", late["id"]) in [
        (e["type"], e["data"]["milestone"]["id"]) for e in events(api, ws)
    ]


def test_calendar_feed_parses_and_accepts_a_read_token(make, api, client):
    ws = make.workspace()
    dated = milestone(
        api,
        ws,
        title="试产验收 Pilot acceptance",
        due_date="2026-06-30",
        description="Three good batches in a row",
    )
    milestone(api, ws, title="No date yet")
    token = make.token(ws.partner, ("read",))
    resp = client.get(f"/api/v1/workspaces/{ws.id}/milestones.ics?token={token}")
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar"
    cal = Calendar.from_ical(resp.data)
    vevents = [c for c in cal.walk("VEVENT")]
    assert len(vevents) == 1
    assert str(vevents[0]["SUMMARY"]) == "试产验收 Pilot acceptance"
    assert vevents[0].decoded("DTSTART") == date(2026, 6, 30)
    # The event opens the workspace page at the milestone, like the feed and mails.
    assert str(vevents[0]["URL"]).endswith(f"/workspaces/{ws.id}#milestone-{dated['id']}")
    assert client.get(f"/api/v1/workspaces/{ws.id}/milestones.ics").status_code == 401
    outsider = make.token(make.user(), ("read",))
    assert (
        client.get(f"/api/v1/workspaces/{ws.id}/milestones.ics?token={outsider}").status_code == 404
    )
