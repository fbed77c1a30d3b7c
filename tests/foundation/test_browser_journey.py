"""A person in Chromium: log in, open the workspace, watch activity arrive live."""

from __future__ import annotations

from tests.conftest import browser_login, wait_for


def test_login_open_workspace_and_see_api_events_live(live_server, browser_context, make, api):
    ws = make.workspace(title="Porosity on line 3")
    page = browser_login(browser_context(), live_server.url, ws.partner)
    page.click("text=Porosity on line 3")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    members = page.inner_text('[data-testid="members"]')
    assert "Enterprise Lead" in members and "University Lead" in members

    api.as_(ws.owner).patch(f"/workspaces/{ws.id}", json={"title": "Porosity below 1.5%"})
    page.wait_for_selector('#activity li[data-type="workspace.updated"]')
    assert "Enterprise Lead updated the workspace" in page.inner_text("#activity li:first-child")

    # Offline for a while: events made meanwhile appear once after reconnecting.
    page.context.set_offline(True)
    page.wait_for_selector('[data-testid="connection"][data-state="reconnecting"]', timeout=30_000)
    newcomer = make.user(side="university", name="Dr. Sun")
    api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members", json={"user_id": newcomer.id, "role": "viewer"}
    )
    api.as_(ws.owner).patch(f"/workspaces/{ws.id}", json={"summary": "while offline"})
    page.context.set_offline(False)
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]', timeout=30_000)
    page.wait_for_selector('#activity li[data-type="member.added"]:has-text("Dr. Sun")')
    wait_for(lambda: page.locator('#activity li[data-type="workspace.updated"]').count() == 2)
    seqs = [
        int(s)
        for s in page.eval_on_selector_all("#activity li", "els => els.map(e => e.dataset.seq)")
    ]
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs, reverse=True)


def test_pages_speak_chinese_and_english_and_hide_other_workspaces(
    live_server, browser_context, make
):
    # The login page follows the browser; after login the user's own choice wins.
    ws = make.workspace(title="气孔率攻关", owner=make.user(side="enterprise", locale="zh-CN"))
    hidden = make.workspace(title="Someone else's")
    zh = browser_context(locale="zh-CN")
    page = zh.new_page()
    page.goto(f"{live_server.url}/login")
    assert page.inner_text("h1") == "登录"
    page.fill('input[name="email"]', ws.owner.email)
    page.fill('input[name="password"]', ws.owner.password)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/workspaces")
    assert page.inner_text("h1") == "工作空间"
    assert "气孔率攻关" in page.content() and "Someone else" not in page.content()
    page.click("text=English")
    page.wait_for_selector("h1:text('Workspaces')")
    page.goto(f"{live_server.url}/workspaces")  # the choice is kept on the account
    assert page.inner_text("h1") == "Workspaces"
    missing = page.goto(f"{live_server.url}/workspaces/{hidden.id}")
    assert missing.status == 404
    wrong = browser_context().new_page()
    wrong.goto(f"{live_server.url}/login")
    wrong.fill('input[name="email"]', ws.owner.email)
    wrong.fill('input[name="password"]', "not the password")
    wrong.click("button.primary")
    assert "Wrong email or password" in wrong.inner_text('[role="alert"]')


def test_manager_creates_a_workspace_and_invites_both_leads_in_the_page(
    live_server, browser_context, make, api
):
    manager = make.manager("PM Zhou")
    ent, uni = make.org("enterprise", "Huajing Auto Parts"), make.org("university", "ZJUT")
    lead = make.user(org=ent, name="Wang Lead")
    page = browser_login(browser_context(), live_server.url, manager)
    page.fill('#new-workspace input[name="title"]', "Die-casting porosity")
    page.select_option('#new-workspace select[name="enterprise_id"]', str(ent.id))
    page.select_option('#new-workspace select[name="university_id"]', str(uni.id))
    page.click("#new-workspace button.primary")
    page.wait_for_url(f"{live_server.url}/workspaces/*")
    assert page.inner_text("h1") == "Die-casting porosity"
    page.fill('form[data-action="add-member"] input[name="email"]', "nobody@nowhere.test")
    page.click('form[data-action="add-member"] button')
    error = page.wait_for_selector('form[data-action="add-member"] .error:not([hidden])')
    assert "No account has this email" in error.inner_text()
    page.fill('form[data-action="add-member"] input[name="email"]', lead.email)
    page.select_option('form[data-action="add-member"] select[name="role"]', "owner")
    page.click('form[data-action="add-member"] button')
    page.wait_for_selector('[data-testid="members"] li:has-text("Wang Lead")')
    ws_id = int(page.url.rsplit("/", 1)[1])
    assert api.as_(lead).get(f"/workspaces/{ws_id}").get_json()["my_role"] == "owner"
