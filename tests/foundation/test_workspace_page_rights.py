"""What the workspace page offers follows the rights in auth/access.py: owners
and admins manage (roles, webhooks), editors write documents, viewers read."""

from __future__ import annotations


def _page(app, user, ws_id):
    client = app.test_client()
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200
    page = client.get(f"/workspaces/{ws_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_page_offers_what_each_role_may_do(app, make):
    ws = make.workspace()
    editor, viewer = make.user(name="Ed"), make.user(name="Vi")
    make.add_member(ws, editor, "editor")
    make.add_member(ws, viewer, "viewer")
    offers = {}
    for who, user in (
        ("owner", ws.owner),
        ("admin", make.admin()),
        ("editor", editor),
        ("viewer", viewer),
    ):
        html = _page(app, user, ws.id)
        offers[who] = (
            'data-action="change-role"' in html,
            'data-testid="webhooks-panel"' in html,
            'data-action="create-answer"' in html,
        )
    assert offers == {
        "owner": (True, True, True),
        "admin": (True, True, True),
        "editor": (False, False, True),
        "viewer": (False, False, False),
    }
