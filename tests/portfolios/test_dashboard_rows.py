"""`/dashboard/rows`: the rows a live dashboard swaps in, rendered by the same
template as the page, inside the reader's portfolio and under its filters."""

from __future__ import annotations

from tests.portfolios.builders import world


def _login(app, user):
    client = app.test_client()
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200
    return client


def test_rows_are_the_pages_rows_and_stay_inside_the_portfolio(app, make, api):
    w = world(make, api)
    client = _login(app, w.manager)
    ids = f"{w.by_org.id},{w.by_hand.id},{w.outside.id}"
    rows = client.get(f"/dashboard/rows?workspace_id={ids}")
    assert rows.status_code == 200 and rows.mimetype == "text/html"
    html = rows.get_data(as_text=True)
    assert f'data-workspace-id="{w.by_org.id}"' in html
    assert f'data-workspace-id="{w.by_hand.id}"' in html
    assert f'data-workspace-id="{w.outside.id}"' not in html
    assert "Secret furnace" not in html and "<html" not in html
    page = client.get("/dashboard").get_data(as_text=True)
    start = page.index(f'<tr data-workspace-id="{w.by_org.id}"')
    assert page[start : page.index("</tr>", start)] in html  # one rendering of a row
    # The page's filters apply: a search that misses the row leaves it out.
    missed = client.get(f"/dashboard/rows?workspace_id={w.by_org.id}&q=weld")
    assert f'data-workspace-id="{w.by_org.id}"' not in missed.get_data(as_text=True)


def test_rows_need_a_login_and_good_filters(app, make, api):
    w = world(make, api)
    anonymous = app.test_client().get(f"/dashboard/rows?workspace_id={w.by_org.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    bad = _login(app, w.manager).get("/dashboard/rows?workspace_id=x")
    assert bad.status_code == 422
