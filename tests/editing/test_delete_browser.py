"""Chromium: deleting a milestone, an indicator and a planned trial, each after
a confirmation in the reader's language; refusals said in it too; the item
leaves the other open pages at once. And a running trial asks before it is
completed or aborted."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.trials.factory import add_indicators, measure, trial


def connected(page):
    expect(page.locator('[data-testid="connection"]')).to_have_attribute("data-state", "connected")
    return page


def answer_next_dialog(page, accept, seen):
    def handle(dialog):
        seen.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", handle)


def test_deletes_ask_first_and_vanish_live_from_other_pages(
    make, api, live_server, browser_context
):
    zh = make.user(side="university", locale="zh-CN", name="李老师")
    ws = make.workspace(members={"editor": zh})
    url = live_server.url
    porosity, _tensile = add_indicators(api, ws)
    spare = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/indicators",
            json={"key": "cycle_s", "label": "Cycle time", "comparator": "<=", "target": 60},
        )
        .get_json()
    )
    running = trial(api, ws, "running", title="Baseline")
    assert measure(api, ws, running["id"], {"porosity_scrap_pct": [1.1]}).status_code == 201
    planned = trial(api, ws, title="Lower die temperature")
    stale = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "Old target"})
        .get_json()
    )
    reached = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "First pour"})
        .get_json()
    )
    api.as_(ws.owner).post(f"/milestones/{reached['id']}/reach")

    board = browser_login(browser_context(), url, ws.owner)
    board.goto(f"{url}/workspaces/{ws.id}/trials")
    connected(board)
    other = browser_context(locale="zh-CN")
    overview = browser_login(other, url, zh)
    overview.goto(f"{url}/workspaces/{ws.id}")
    connected(overview)
    watching_trial = other.new_page()
    watching_trial.goto(f"{url}/trials/{planned['id']}")
    connected(watching_trial)
    watching_milestone = other.new_page()
    watching_milestone.goto(f"{url}/milestones/{stale['id']}")
    connected(watching_milestone)

    # A reached milestone offers no delete; an open one asks, and "no" keeps it.
    expect(board.locator(f'[data-testid="delete-milestone-{reached["id"]}"]')).to_have_count(0)
    seen: list[str] = []
    answer_next_dialog(board, False, seen)
    board.click(f'[data-testid="delete-milestone-{stale["id"]}"]')
    expect(board.locator(f"#milestone-{stale['id']}")).to_be_visible()
    assert seen == ["Delete the milestone “Old target”? This cannot be undone."]
    answer_next_dialog(board, True, seen)
    board.click(f'[data-testid="delete-milestone-{stale["id"]}"]')
    expect(board.locator(f"#milestone-{stale['id']}")).to_have_count(0)
    expect(overview.locator(f"#milestone-{stale['id']}")).to_have_count(0)
    expect(overview.locator(f"#milestone-{reached['id']}")).to_be_visible()
    expect(watching_milestone.locator('[data-testid="milestone-deleted"]')).to_have_text(
        "此里程碑已被删除。 打开试验看板"
    )

    # An indicator with measurements stays, and the page says why.
    answer_next_dialog(board, True, seen)
    board.click('[data-testid="delete-indicator-porosity_scrap_pct"]')
    row = board.locator('[data-indicator-key="porosity_scrap_pct"]')
    expect(row.locator('[data-role="indicator-error"]')).to_have_text(
        f"Trials #{running['number']} have measurements of this indicator; it stays."
    )
    answer_next_dialog(board, True, seen)
    board.click('[data-testid="delete-indicator-cycle_s"]')
    expect(board.locator('[data-indicator-key="cycle_s"]')).to_have_count(0)
    assert seen[-1] == "Delete the indicator “Cycle time”? This cannot be undone."
    keys = [
        i["key"]
        for i in api.as_(ws.owner).get(f"/workspaces/{ws.id}/indicators").get_json()["items"]
    ]
    assert "cycle_s" not in keys and "porosity_scrap_pct" in keys
    assert spare["id"] not in [
        i["id"]
        for i in api.as_(ws.owner).get(f"/workspaces/{ws.id}/indicators").get_json()["items"]
    ]

    # The planned trial: deleted from its own page, which then shows the board.
    page = board.context.new_page()
    page.goto(f"{url}/trials/{running['id']}")
    connected(page)
    expect(page.locator('[data-testid="delete-trial"]')).to_be_hidden()  # it ran
    page.goto(f"{url}/trials/{planned['id']}")
    connected(page)
    answer_next_dialog(page, True, seen)
    page.click('[data-testid="delete-trial"]')
    page.wait_for_url(f"{url}/workspaces/{ws.id}/trials")
    assert seen[-1] == "Delete this planned trial? This cannot be undone."
    expect(page.locator(f"#trial-{planned['id']}")).to_have_count(0)
    expect(overview.locator(f"#trial-{planned['id']}")).to_have_count(0)
    expect(overview.locator(f"#trial-{running['id']}")).to_be_visible()
    expect(watching_trial.locator('[data-testid="trial-deleted"]')).to_be_visible()
    expect(watching_trial.locator('[data-testid="trial-deleted"]')).to_contain_text(
        "此试验已被删除。"
    )
    expect(watching_trial.locator('[data-trial-action="running"]')).to_be_hidden()
    assert api.as_(ws.owner).get(f"/trials/{planned['id']}").status_code == 404


def test_chinese_delete_confirmation_and_refusal(make, api, live_server, browser_context):
    zh = make.user(side="university", locale="zh-CN", name="李老师")
    ws = make.workspace(members={"editor": zh})
    porosity, _tensile = add_indicators(api, ws)
    api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/milestones",
        json={
            "title": "两次达标",
            "criteria": {"indicators": [porosity["id"]], "consecutive_trials": 2},
        },
    )
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, zh)
    page.goto(f"{live_server.url}/workspaces/{ws.id}/trials")
    connected(page)
    seen: list[str] = []
    answer_next_dialog(page, True, seen)
    page.click('[data-testid="delete-indicator-porosity_scrap_pct"]')
    expect(
        page.locator('[data-indicator-key="porosity_scrap_pct"] [data-role="indicator-error"]')
    ).to_have_text("里程碑 两次达标 的达成条件使用了此指标，请先修改这些条件。")
    assert seen == ["删除指标“Porosity scrap”？此操作无法撤销。"]


def test_completing_and_aborting_a_trial_each_ask_first(make, api, live_server, browser_context):
    zh = make.user(side="university", locale="zh-CN", name="李老师")
    ws = make.workspace(members={"editor": zh})
    add_indicators(api, ws)
    first = trial(api, ws, "running")
    second = trial(api, ws, "running")
    seen: list[str] = []

    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/trials/{first['id']}")
    connected(page)
    for action in ("completed", "aborted"):  # "no" changes nothing
        answer_next_dialog(page, False, seen)
        page.click(f'[data-trial-action="{action}"]')
    assert seen == [
        "Complete this trial? Its results are then fixed and no more measurements are taken.",
        "Abort this trial? It cannot be restarted.",
    ]
    assert api.as_(ws.owner).get(f"/trials/{first['id']}").get_json()["status"] == "running"
    answer_next_dialog(page, True, seen)
    page.click('[data-trial-action="completed"]')
    expect(page.locator('[data-role="status"]').first).to_have_attribute("data-status", "completed")

    zh_page = browser_login(browser_context(locale="zh-CN"), live_server.url, zh)
    zh_page.goto(f"{live_server.url}/trials/{second['id']}")
    connected(zh_page)
    answer_next_dialog(zh_page, False, seen)
    zh_page.click('[data-trial-action="aborted"]')
    assert seen[-1] == "确定中止这次试验吗？中止后无法重新开始。"
    assert api.as_(ws.owner).get(f"/trials/{second['id']}").get_json()["status"] == "running"
    answer_next_dialog(zh_page, True, seen)
    zh_page.click('[data-trial-action="aborted"]')
    expect(zh_page.locator('[data-role="status"]').first).to_have_attribute(
        "data-status", "aborted"
    )
    assert api.as_(ws.owner).get(f"/trials/{second['id']}").get_json()["status"] == "aborted"
