"""The activity panels on the workspace and trials pages show the newest
events, newest first, however long the workspace's history is."""

from __future__ import annotations

import re

from tests.portfolios.builders import milestone


def _login(client, user):
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200


def _seqs(html: str, list_id: str) -> tuple[int, list[int]]:
    panel = re.search(rf'<ol id="{list_id}"[^>]*data-last-seq="(\d+)"[^>]*>(.*?)</ol>', html, re.S)
    assert panel is not None
    return int(panel.group(1)), [int(s) for s in re.findall(r'data-seq="(\d+)"', panel.group(2))]


def test_pages_show_the_newest_events_of_a_long_history(make, api, client):
    ws = make.workspace()
    for n in range(56):
        milestone(api, ws, f"Step {n}")

    def newest(up_to: int) -> list[int]:
        # Asked after the page: background jobs may have added events since.
        items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=500").get_json()["items"]
        return sorted((e["seq"] for e in items if e["seq"] <= up_to), reverse=True)

    _login(client, ws.owner)
    page = client.get(f"/workspaces/{ws.id}").get_data(as_text=True)
    last, shown = _seqs(page, "activity")
    expected = newest(last)
    assert len(expected) > 56  # more than either page shows
    assert (last, shown) == (expected[0], expected[:50])
    assert "The newest 50 events are shown; older ones are not." in page

    trials = client.get(f"/workspaces/{ws.id}/trials")
    assert trials.status_code == 200
    last, shown = _seqs(trials.get_data(as_text=True), "activity")
    expected = newest(last)
    assert (last, shown) == (expected[0], expected[:30])
    assert "The newest 30 events are shown; older ones are not." in trials.get_data(as_text=True)


def test_a_short_history_is_shown_whole_without_a_note(make, api, client):
    ws = make.workspace()
    milestone(api, ws, "Only step")
    _login(client, ws.owner)
    for path in (f"/workspaces/{ws.id}", f"/workspaces/{ws.id}/trials"):
        page = client.get(path).get_data(as_text=True)
        _last, shown = _seqs(page, "activity")
        assert shown
        assert 'data-testid="activity-more"' not in page


def test_the_note_is_in_the_readers_language(make, api, client):
    ws = make.workspace()
    for n in range(31):
        milestone(api, ws, f"Step {n}")
    api.as_(ws.owner).patch("/me", json={"locale": "zh-CN"})
    _login(client, ws.owner)
    page = client.get(f"/workspaces/{ws.id}/trials").get_data(as_text=True)
    assert "仅显示最新的 30 条动态，更早的未显示。" in page
