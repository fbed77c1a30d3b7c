"""Item 15: a strict Content-Security-Policy and the other safety headers on
every response; templates keep nothing inline that the policy would refuse."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "workspace" / "templates"


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _login(client, user):
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": user.password}
        ).status_code
        == 200
    )


def test_every_page_has_a_strict_policy(client, make):
    ws = make.workspace()
    pages = {"/login": 200, "/api/v1/docs": 200}
    for path, status in pages.items():
        _check_page(client.get(path), status)
    _login(client, ws.owner)
    for path, status in {
        "/workspaces": 200,
        f"/workspaces/{ws.id}": 200,
        f"/workspaces/{ws.id}/trials": 200,
        "/settings/notifications": 200,
        "/settings/password": 200,
        f"/workspaces/{ws.id}/webhooks": 200,
        "/workspaces/99999": 404,
        "/dashboard": 200,
    }.items():
        _check_page(client.get(path), status)


def _check_page(resp, status):
    assert resp.status_code == status and resp.mimetype == "text/html"
    csp = _directives(resp.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no other host
    assert csp["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["style-src-attr"]
    assert all(w == "'unsafe-hashes'" or w.startswith("'sha256-") for w in csp["style-src-attr"])
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert set(csp["connect-src"]) == {"'self'", "ws://localhost", "wss://localhost"}
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in resp.headers  # PUBLIC_URL is http here


def test_api_answers_and_feeds_can_load_nothing(api, make, client):
    ws = make.workspace()
    token = make.token(ws.owner, ("read",))
    for resp in (
        api.as_(ws.owner).get(f"/workspaces/{ws.id}"),
        client.get("/api/v1/me"),
        client.get(f"/api/v1/feed.atom?token={token}"),
        client.get("/api/v1/openapi.json"),
        client.get("/healthz"),
    ):
        assert (
            resp.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        )
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_a_policy_allows_the_style_attributes_it_is_given_and_none_otherwise() -> None:
    from workspace.documents.pages import CURSOR_STYLES
    from workspace.security.headers import page_policy, style_attribute_hashes

    hashes = style_attribute_hashes([*CURSOR_STYLES, CURSOR_STYLES[0]])
    assert len(hashes) == len(CURSOR_STYLES)
    allowed = _directives(page_policy("h", None, hashes))["style-src-attr"]
    assert allowed == ["'unsafe-hashes'", *hashes]
    assert _directives(page_policy("h"))["style-src-attr"] == ["'none'"]


def test_the_document_page_allows_exactly_the_cursor_colours(client, make, api):
    from workspace.documents.pages import COLOURS

    ws = make.workspace()
    doc = api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents").get_json()["items"][0]
    _login(client, ws.owner)
    resp = client.get(f"/documents/{doc['id']}")
    csp = _directives(resp.headers["Content-Security-Policy"])
    hashes = csp["style-src-attr"]
    assert hashes[0] == "'unsafe-hashes'" and len(hashes) == 1 + len(COLOURS)
    # CodeMirror's <style> element: a nonce of this response only, handed to the editor.
    nonce = re.fullmatch(r"'nonce-([\w-]{24})'", csp["style-src"][1]).group(1)
    assert csp["style-src"][0] == "'self'" and f'"cspNonce": "{nonce}"' in resp.get_data(
        as_text=True
    )
    again = _directives(client.get(f"/documents/{doc['id']}").headers["Content-Security-Policy"])
    assert again["style-src"][1] != csp["style-src"][1]
    assert len(client.get("/workspaces").headers["Content-Security-Policy"].split("nonce")) == 1


def test_templates_carry_no_inline_script_handler_or_style():
    """The CSP would refuse these; a new template cannot bring one back.
    (Mail templates are not pages: mail clients need inline styles.)"""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "email" in path.parts or path.name.startswith("weekly_email"):
            continue
        text = path.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attrs = match.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: inline event handler")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path.name}: style attribute")
        if "javascript:" in text.lower():
            offenders.append(f"{path.name}: javascript: URL")
    assert offenders == []
