"""Headers every response carries: a strict Content-Security-Policy, HSTS on
https, and the usual hardening.

Pages get a policy that runs only our own script files: no inline script, no
inline event handler, no eval, no plugin, no <base>, no framing, forms post
only here. Styles come from our files; a page whose script library must add a
<style> element asks for a nonce (`csp_nonce()`, the editor page) and only
that response allows it; a `style="…"` attribute is refused unless its exact
text is allowed by hash (a capability declares it with
`house.allow_style_attributes`), which the editor's coloured remote cursors
need. Everything that is not a page (JSON, feeds, files) gets
`default-src 'none'`, as GitHub's API does: even opened directly in a
browser, it can load and run nothing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from flask import Flask, g, request

from workspace.house import house_of

# Two years, as GitLab sends by default; subdomains are the operator's to decide.
HSTS = "max-age=63072000"
NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"


def style_attribute_hashes(values: Iterable[str]) -> list[str]:
    """The CSP hash sources of these exact `style` attribute texts."""
    hashes = set()
    for value in values:
        digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
        hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def csp_nonce() -> str:
    """This response's nonce for <style> elements, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def page_policy(host: str, nonce: str | None = None, style_hashes: Iterable[str] = ()) -> str:
    hashes = list(style_hashes)
    style_attributes = " ".join(["'unsafe-hashes'", *hashes]) if hashes else "'none'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'" + (f" 'nonce-{nonce}'" if nonce else ""),
            f"style-src-attr {style_attributes}",
            # Documents may show pictures from other sites over https (as GitLab allows).
            "img-src 'self' data: https:",
            "font-src 'self'",
            # Socket.IO: long-polling is 'self'; the WebSocket is named for browsers
            # that do not count ws: as 'self'.
            f"connect-src 'self' ws://{host} wss://{host}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def install(app: Flask, public_url: str) -> None:
    https = public_url.startswith("https://")
    # What the app's capabilities declared (workspace/bootstrap.py), hashed once.
    style_hashes = style_attribute_hashes(house_of(app).style_attributes)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            policy = page_policy(request.host, g.get("csp_nonce"), style_hashes)
            headers.setdefault("Content-Security-Policy", policy)
            headers.setdefault("X-Frame-Options", "DENY")
        else:
            headers.setdefault("Content-Security-Policy", NOT_A_PAGE)
        if https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
