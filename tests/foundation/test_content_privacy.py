"""What the cross-workspace outputs contain, per caller: the dashboard
exports (CSV, XLSX), the event feed, Atom, both calendars, the dashboard, the
timeline and workspace list pages, the weekly summary and the daily digest
carry nothing of a workspace the caller cannot read, and do carry what they
can (so an empty answer cannot pass).

The seeded world (matrix_world.py) has W and X: W is read by its members and
the manager overseeing it, X ("Secret furnace ZX-9") by its owner (the
matrix's non-member of W), the manager overseeing it, and the admin.
"""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from tests.foundation.access_rights import READERS
from tests.foundation.matrix_app import module_world
from tests.foundation.matrix_world import (
    W_MILESTONE,
    W_TITLE,
    X_MILESTONE,
    X_TITLE,
    World,
)

PEOPLE = ("non_member", "viewer", "editor", "owner", "manager_in", "manager_out", "admin")
X_READERS = {"non_member", "manager_out", "admin"}
W_MARKS = (W_TITLE, W_MILESTONE, "Alpha overdue milestone", "Alpha open milestone")
X_MARKS = (X_TITLE, X_MILESTONE, "ZX-9 overdue milestone")


@pytest.fixture(scope="module")
def world(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from module_world(database_template, tmp_path_factory.mktemp("privacy"))


def assert_private(text: str, caller: str, what: str, shown: tuple[str, ...] = ()) -> None:
    """Nothing of a workspace the caller cannot read; `shown`: the marks that
    must appear for those who can (at least one of each readable workspace)."""
    for marks, readers in ((W_MARKS, READERS), (X_MARKS, X_READERS)):
        if caller in readers:
            wanted = [m for m in marks if m in shown]
            assert not wanted or any(m in text for m in wanted), (
                f"{what} as {caller} lacks all of {wanted}"
            )
        else:
            leaked = [m for m in marks if m in text]
            assert not leaked, f"{what} as {caller} shows {leaked}"


def get(world: World, caller: str, path: str, status: int = 200) -> Any:
    session = world.sessions[caller]
    resp = session.client.get(path)
    assert resp.status_code == status, (path, caller, resp.status_code)
    return resp


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("caller", PEOPLE)
def test_dashboard_export_holds_only_readable_workspaces(
    world: World, caller: str, fmt: str
) -> None:

    session = world.sessions[caller]
    created = session.client.post(
        "/api/v1/exports", json={"format": fmt}, headers={"X-CSRF-Token": session.csrf}
    )
    assert created.status_code == 202, created.get_json()
    task = created.get_json()["id"]
    world.run_export(task)
    world._until(
        lambda: get(world, caller, f"/api/v1/exports/{task}").get_json()["status"] == "done"
    )
    content = get(world, caller, f"/api/v1/exports/{task}/download").data
    if fmt == "csv":
        text = content.decode("utf-8-sig")
    else:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        text = "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    assert_private(text, caller, f"the {fmt} export", shown=(W_TITLE, X_TITLE))


FEEDS = {
    "/api/v1/feed?limit=200": (W_MILESTONE, X_MILESTONE),
    "/api/v1/feed.atom": (W_MILESTONE, X_MILESTONE),
    "/api/v1/milestones.ics": (W_MILESTONE, X_MILESTONE, W_TITLE, X_TITLE),
    "/api/v1/dashboard": (W_TITLE, X_TITLE),
    "/api/v1/workspaces": (W_TITLE, X_TITLE),
    "/dashboard": (W_TITLE, X_TITLE, W_MILESTONE, X_MILESTONE),
    "/dashboard/timeline": (W_TITLE, X_TITLE),
    "/workspaces": (W_TITLE, X_TITLE),
}


@pytest.mark.parametrize("path", list(FEEDS))
@pytest.mark.parametrize("caller", PEOPLE)
def test_feeds_and_pages_show_only_readable_workspaces(
    world: World, caller: str, path: str
) -> None:
    text = get(world, caller, path).get_data(as_text=True)
    assert_private(text, caller, path, shown=FEEDS[path])


@pytest.mark.parametrize("caller", PEOPLE)
def test_dashboard_totals_count_only_readable_workspaces(world: World, caller: str) -> None:
    totals = get(world, caller, "/api/v1/dashboard/totals").get_json()
    assert totals["workspaces"] == (caller in READERS) + (caller in X_READERS), totals


@pytest.mark.parametrize("path", ["/api/v1/feed.atom", "/api/v1/milestones.ics"])
def test_feed_readers_with_a_token_in_the_address_see_the_same(world: World, path: str) -> None:
    """SPEC: calendar and Atom readers pass ?token= with a read token."""
    client = world.app.test_client()
    text = client.get(f"{path}?token={world.tokens['token_read']}").get_data(as_text=True)
    assert_private(text, "owner", path, shown=(W_MILESTONE,))
    scoped = client.get(f"{path}?token={world.tokens['token_measurements']}")
    assert scoped.status_code == 403
    assert scoped.get_json()["error"]["code"] == "insufficient_scope"


def _mail_text(path: Any) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    parts = [message["Subject"] or ""]
    parts += [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
    return "\n".join(parts)


@pytest.mark.parametrize("caller", ["manager_in", "manager_out"])
def test_weekly_summary_reports_only_the_portfolio(world: World, caller: str) -> None:
    from workspace.feeds.weekly import send_weekly_summary

    manager = world.users[caller]
    with world.app.app_context():
        assert send_weekly_summary(manager.id) is True
    mails = list(world.settings.outbox_path.glob(f"weekly-{manager.id}-*.eml"))
    assert len(mails) == 1
    assert_private(
        _mail_text(mails[0]),
        caller,
        "the weekly summary",
        shown=(W_MILESTONE, X_MILESTONE, "Alpha overdue milestone"),
    )


def _digest_reader(world: World, name: str, hour: int) -> tuple[Any, str]:
    person = world.person(name, role="member")
    world.admin(
        "POST",
        f"/workspaces/{world.ids['workspace']}/members",
        201,
        json={"user_id": person.id, "role": "viewer"},
    )
    token = world.token_for(person, ("read", "write"))[1]
    world.call(
        token,
        "PUT",
        "/me/notification-preferences",
        json={"events": {"milestone.created": "digest"}, "digest_hour": hour},
    )
    return person, token


def test_mail_leaves_out_a_workspace_the_reader_was_removed_from(world: World) -> None:
    """Digest items wait for the reader's hour, and a mail that failed waits
    for its retry: one removed meanwhile gets none of the workspace, one still
    a member gets it (the control)."""
    from jobs.outbox import process_outbox
    from workspace.db import db
    from workspace.events.models import Event
    from workspace.notifications.digest import send_due_digests
    from workspace.notifications.models import OutgoingMail
    from workspace.notifications.outgoing import send_mail
    from workspace.zones import zone

    now = datetime.now(UTC)
    hour = now.astimezone(zone("Asia/Shanghai")).hour
    gone, _t = _digest_reader(world, "Dora Departed", hour)
    stays, _t = _digest_reader(world, "Dina Digest", hour)
    world.owner(
        "POST",
        f"/workspaces/{world.ids['workspace']}/milestones",
        201,
        json={"title": "Alpha digest milestone"},
    )
    with world.app.app_context():
        process_outbox()
    world.admin("DELETE", f"/workspaces/{world.ids['workspace']}/members/{gone.id}", 204)
    with world.app.app_context(), db.transaction() as s:
        event_id = s.scalar(
            select(Event.id)
            .where(Event.type == "milestone.created")
            .order_by(Event.id.desc())
            .limit(1)
        )
        for person in (gone, stays):  # immediate mails waiting for a retry
            s.add(
                OutgoingMail(
                    user_id=person.id,
                    kind="immediate",
                    reason="milestone.created",
                    event_id=event_id,
                    status="pending",
                    next_attempt_at=now,
                )
            )
    with world.app.app_context():
        send_due_digests(datetime.now(UTC))
        with db.reading() as s:
            mails = [
                (m.user_id, m.kind, m.id)
                for m in s.scalars(
                    select(OutgoingMail).where(OutgoingMail.user_id.in_([gone.id, stays.id]))
                )
            ]
        for _user, _kind, mail_id in mails:
            send_mail(mail_id, world.settings)  # or the background already is

    def finished() -> bool:
        with db.reading() as s:
            return all(s.get(OutgoingMail, m).status != "pending" for _u, _k, m in mails)

    world._until(finished)
    assert sorted((u, k) for u, k, _m in mails) == sorted(
        (p.id, k) for p in (gone, stays) for k in ("digest", "immediate")
    )
    for user, kind, mail_id in mails:
        files = list(world.settings.outbox_path.glob(f"*-{kind}-{mail_id}.eml"))
        text = "\n".join(_mail_text(f) for f in files)
        if user == stays.id:
            assert "Alpha digest milestone" in text, kind
        else:
            assert "Alpha digest milestone" not in text and W_TITLE not in text, kind
            with db.reading() as s:
                assert s.get(OutgoingMail, mail_id).status == "failed"


# The owner of W names a row of X through a route of W: refused like a row
# that does not exist, nothing of X in the answer, nothing changed.
CROSS = {
    "version of another document": (
        "GET",
        "/documents/{document}/versions/{other_version}",
        None,
        404,
    ),
    "diff against it": (
        "GET",
        "/documents/{document}/diff?from={other_version}&to=current",
        None,
        404,
    ),
    "restore it": ("POST", "/documents/{document}/versions/{other_version}/restore", {}, 404),
    "approve it": ("POST", "/documents/{document}/versions/{other_version}/approve", {}, 404),
    "a parent trial": (
        "POST",
        "/workspaces/{workspace}/trials",
        {"title": "Cross", "parent_id": "{other_trial}"},
        422,
    ),
    "re-parent a trial": ("PATCH", "/trials/{trial}", {"parent_id": "{other_trial}"}, 422),
    "criteria": (
        "POST",
        "/workspaces/{workspace}/milestones",
        {
            "title": "Cross",
            "criteria": {"indicators": ["{other_indicator}"], "consecutive_trials": 1},
        },
        422,
    ),
    "change criteria": (
        "PATCH",
        "/milestones/{milestone}",
        {"criteria": {"indicators": ["{other_indicator}"], "consecutive_trials": 1}},
        422,
    ),
    "its metric": (
        "POST",
        "/trials/{trial}/measurements",
        [{"metric": "zx9_secret_rate", "value": 1}],
        422,
    ),
    "remove its member": ("DELETE", "/workspaces/{workspace}/members/{non_member}", None, 404),
}


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if (
        isinstance(value, str)
        and value.startswith("{")
        and value.endswith("}")
        and value[1:-1] in ids
    ):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize("name", list(CROSS))
def test_a_row_of_another_workspace_named_through_ours_is_refused(world: World, name: str) -> None:
    method, path, body, status = CROSS[name]
    before, last_event = world.fingerprint(), world.last_event_id()
    resp = world.client.open(
        "/api/v1" + _fill(path, world.ids),
        method=method,
        json=_fill(body, world.ids),
        headers={"Authorization": f"Bearer {world.owner_token}"},
    )
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert "ZX-9" not in resp.get_data(as_text=True)
    assert world.events_by_people_after(last_event) == []
    assert world.fingerprint() == before


def test_filters_naming_another_workspace_show_nothing_of_it(world: World) -> None:

    ids, org = world.ids, world.orgs["other"]
    for path in (
        f"/workspaces/{ids['workspace']}/trials/compare?ids={ids['other_trial']}",
        f"/dashboard?organization_id={org}",
        f"/api/v1/dashboard?workspace_id={ids['other_workspace']}",
        f"/api/v1/dashboard?organization_id={org}",
        "/api/v1/feed?limit=200&after=0&types=milestone.*",
    ):
        text = get(world, "owner", path).get_data(as_text=True)
        assert not [m for m in (*X_MARKS, "ZX-9") if m in text], path
    task = world.owner("POST", "/exports", 202, json={"format": "csv", "organization_id": org})
    world.run_export(task["id"])
    world._until(lambda: world.owner("GET", f"/exports/{task['id']}")["status"] == "done")
    content = world.client.get(
        f"/api/v1/exports/{task['id']}/download",
        headers={"Authorization": f"Bearer {world.owner_token}"},
    ).data.decode("utf-8-sig")
    assert "ZX-9" not in content and len(content.splitlines()) == 1  # the header alone


@pytest.mark.parametrize("caller", ["viewer", "editor", "manager_in"])
def test_webhook_addresses_stay_with_the_owners(world: World, caller: str) -> None:
    """Webhooks are the owners'; a receiver's path is often its only secret
    (a topic name, a key): the event log every reader sees names the host."""
    secret = f"topic-{caller}-s3cr3t"
    url = f"http://127.0.0.1:9/t/{secret}"
    world.owner(
        "POST",
        f"/workspaces/{world.ids['workspace']}/webhooks",
        201,
        json={"url": url, "events": ["webhook.disabled"]},
    )
    wid = world.ids["workspace"]
    for path in (
        f"/api/v1/workspaces/{wid}/events?limit=200",
        "/api/v1/feed?limit=200",
        f"/workspaces/{wid}",
    ):
        text = get(world, caller, path).get_data(as_text=True)
        assert "webhook.created" in text or "added a webhook" in text, path
        assert secret not in text, path
    listed = get(world, "owner", f"/api/v1/workspaces/{wid}/webhooks?limit=200").get_json()
    assert url in [w["url"] for w in listed["items"]]
