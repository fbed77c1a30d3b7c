"""Pages ask the same named permission questions as the API
(`access.sees_portfolio_dashboard`, `access.creates_workspaces`)."""

from __future__ import annotations

import pytest


def _login(client, user) -> None:
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200


@pytest.mark.parametrize(("role", "shown"), [("member", False), ("manager", True), ("admin", True)])
def test_dashboard_link_and_new_workspace_form_follow_access(
    make, client, role: str, shown: bool
) -> None:
    user = make.admin() if role == "admin" else make.user(role=role)
    _login(client, user)
    page = client.get("/workspaces")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ('data-testid="nav-dashboard"' in html) is shown
    assert ('id="new-workspace"' in html) is shown
