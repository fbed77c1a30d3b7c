"""Item 11: text that is not valid Unicode is a 422 naming the field wherever
text comes in, and JSON nested too deep is refused, never a 500; nothing is
stored. (JSON bodies of every REST route: tests/foundation/test_hostile_bodies.py.)"""

from __future__ import annotations

import io

from tests.conftest import login_cookie

SURROGATE_UTF8 = "%ED%A0%80"  # how a lone U+D800 would be percent-encoded


def test_a_query_string_that_is_not_utf8_is_a_422_naming_the_parameter(client, make):
    ws = make.workspace()
    bearer = {"Authorization": f"Bearer {make.token(ws.owner)}"}
    for query, field in (
        (f"cursor={SURROGATE_UTF8}", "cursor"),
        ("limit=%FF", "limit"),
        (f"after=1&{SURROGATE_UTF8}=1", "\ufffd\ufffd\ufffd"),
    ):
        resp = client.get(f"/api/v1/workspaces/{ws.id}/events?{query}", headers=bearer)
        assert resp.status_code == 422, (query, resp.get_data())
        assert field in resp.get_json()["error"]["fields"], resp.get_json()
    # Percent-encoded UTF-8 reaches the route as the text it spells.
    ok = client.get("/api/v1/feed?types=%E9%87%8C.*", headers=bearer)
    assert "里.*" in ok.get_json()["error"]["fields"]["types"][0], ok.get_data()


def test_a_page_form_that_is_not_utf8_is_a_422_naming_the_field(live_server, make):
    user = make.user()
    session, csrf = login_cookie(live_server.url, user)
    body = f"csrf_token={csrf}&locale=zh-CN&next=/workspaces{SURROGATE_UTF8}"
    resp = session.post(
        f"{live_server.url}/locale",
        data=body,
        allow_redirects=False,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 422, resp.text[:300]
    assert session.get(f"{live_server.url}/api/v1/me").json()["locale"] == user.locale


def test_an_upload_whose_name_is_not_utf8_is_not_a_500(client, make):
    """Werkzeug decodes a multipart file name with replacement: the bytes that
    are not UTF-8 become U+FFFD, never a surrogate; the upload is stored."""
    ws = make.workspace()
    bearer = {"Authorization": f"Bearer {make.token(ws.owner)}"}
    boundary = "jlboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f"filename*=UTF-8''notes{SURROGATE_UTF8}.txt\r\nContent-Type: text/plain\r\n\r\n"
        f"hello\r\n--{boundary}--\r\n"
    ).encode()
    resp = client.post(
        f"/api/v1/workspaces/{ws.id}/files",
        data=io.BytesIO(body).read(),
        headers={**bearer, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert resp.status_code < 500, resp.get_data()
    if resp.status_code == 201:
        resp.get_json()["name"].encode("utf-8")  # valid Unicode


def test_socket_payloads_with_invalid_text_or_deep_nesting_are_refused(sio, make):
    ws = make.workspace()
    conn = sio.connect(token=make.token(ws.owner))
    bad = conn.call("feed:subscribe", {"workspace_id": ws.id, "note": "x\ud800"})
    assert bad["ok"] is False and "note" in bad["error"]["fields"], bad
    nested: dict = {"a": 1}
    for _ in range(40):
        nested = {"a": nested}
    deep = conn.call("feed:subscribe", {"workspace_id": ws.id, "deep": nested})
    assert deep["ok"] is False and deep["error"]["code"] == "json_too_deep", deep
    assert conn.call("feed:subscribe", {"workspace_id": ws.id})["ok"]  # still connected
