"""Files over REST: upload, read, download, delete, on the local folder and on
S3 (moto's server over HTTP)."""

from __future__ import annotations

import hashlib
import socket
import time
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from tests.conftest import wait_for
from tests.files.conftest import staging_leftovers, stored_keys, upload
from tests.trials.factory import trial

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100 + bytes(range(256)) * 40


def events_of(api, ws, prefix="file."):
    body = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?after=0&limit=500").get_json()
    return [e for e in body["items"] if e["type"].startswith(prefix)]


def file_rows(app):
    from workspace.db import db
    from workspace.files.models import StoredFile

    with app.app_context(), db.reading() as s:
        return s.scalar(select(func.count()).select_from(StoredFile))


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
def test_upload_read_download_delete_round_trip(app, make, api, storage_backend):
    ws = make.workspace()
    t = trial(api, ws)
    name = "气孔 X光 #3.png"
    resp = upload(api, ws.owner, ws.id, PNG, name=name, trial_id=t["id"])
    assert resp.status_code == 201, resp.get_json()
    f = resp.get_json()
    sha = hashlib.sha256(PNG).hexdigest()
    assert f["name"] == name and f["size"] == len(PNG) and f["sha256"] == sha
    assert f["content_type"] == "image/png"
    assert f["uploaded_by"] == {"id": ws.owner.id, "name": ws.owner.name}
    assert f["attached_to"] == {"type": "trial", "id": t["id"]}
    assert api.as_(ws.partner).get(f"/files/{f['id']}").get_json() == f
    listed = api.as_(ws.partner).get(f"/workspaces/{ws.id}/files?trial_id={t['id']}")
    assert listed.get_json()["items"] == [f]
    added = events_of(api, ws)
    assert [e["type"] for e in added] == ["file.added"]
    assert added[0]["data"]["file"]["sha256"] == sha
    assert stored_keys(app) == [f"sha256/{sha[:2]}/{sha[2:4]}/{sha}"]

    content = api.as_(ws.partner).get(f"/files/{f['id']}/content")
    assert content.status_code == 200 and content.data == PNG
    assert content.headers["ETag"] == f'"{sha}"'
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert content.headers["Content-Type"] == "image/png"
    assert content.headers["Content-Disposition"].startswith("inline;")
    assert f"filename*=UTF-8''{quote(name, safe='')}" in content.headers["Content-Disposition"]

    again = api.as_(ws.partner).get(
        f"/files/{f['id']}/content", headers={"If-None-Match": f'"{sha}"'}
    )
    assert again.status_code == 304 and again.data == b""
    part = api.as_(ws.partner).get(f"/files/{f['id']}/content", headers={"Range": "bytes=100-299"})
    assert part.status_code == 206 and part.data == PNG[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(PNG)}"
    tail = api.as_(ws.partner).get(f"/files/{f['id']}/content", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == PNG[-10:]
    bad = api.as_(ws.partner).get(
        f"/files/{f['id']}/content", headers={"Range": f"bytes={len(PNG) + 5}-"}
    )
    assert bad.status_code == 416 and bad.headers["Content-Range"] == f"bytes */{len(PNG)}"

    assert api.as_(ws.owner).delete(f"/files/{f['id']}").status_code == 204
    assert api.as_(ws.owner).get(f"/files/{f['id']}").status_code == 404
    assert [e["type"] for e in events_of(api, ws)] == ["file.added", "file.deleted"]
    assert staging_leftovers(app) == []


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
def test_same_bytes_twice_store_one_blob(app, make, api, storage_backend):
    ws = make.workspace()
    one = upload(api, ws.owner, ws.id, PNG, name="a.png").get_json()
    two = upload(api, ws.partner, ws.id, PNG, name="b.png").get_json()
    assert one["id"] != two["id"] and one["sha256"] == two["sha256"]
    assert len(stored_keys(app)) == 1
    # Deleting one leaves the other readable.
    assert api.as_(ws.owner).delete(f"/files/{one['id']}").status_code == 204
    assert api.as_(ws.owner).get(f"/files/{two['id']}/content").data == PNG


def test_what_could_run_in_a_browser_is_a_download(make, api):
    ws = make.workspace()
    for name, body in (
        ("report.html", b"<script>alert(1)</script>"),
        ("drawing.svg", b"<svg onload='alert(1)'/>"),
        ("notes.xml", b"<?xml version='1.0'?><a/>"),
        ("tool.js", b"alert(1)"),
        ("blob.bin", b"\x00\x01"),
    ):
        f = upload(api, ws.owner, ws.id, body, name=name).get_json()
        resp = api.as_(ws.owner).get(f"/files/{f['id']}/content")
        assert resp.status_code == 200 and resp.data == body
        assert resp.headers["Content-Type"] == "application/octet-stream", name
        assert resp.headers["Content-Disposition"].startswith("attachment;"), name
        assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    pdf = upload(api, ws.owner, ws.id, b"%PDF-1.4\n%%EOF", name="报告.pdf").get_json()
    resp = api.as_(ws.owner).get(f"/files/{pdf['id']}/content")
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("inline;")


def test_who_may_do_what(app, make, api):
    viewer, editor, stranger = make.user(), make.user(), make.user()
    ws = make.workspace(members={"viewer": viewer, "editor": editor})
    assert upload(api, stranger, ws.id, PNG).status_code == 404
    resp = upload(api, viewer, ws.id, PNG)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    f = upload(api, editor, ws.id, PNG).get_json()
    assert api.as_(viewer).get(f"/files/{f['id']}/content").data == PNG
    assert api.as_(stranger).get(f"/files/{f['id']}").status_code == 404
    assert api.as_(stranger).get(f"/files/{f['id']}/content").status_code == 404
    assert api.as_(stranger).get(f"/workspaces/{ws.id}/files").status_code == 404
    other = upload(api, ws.owner, ws.id, b"owner's").get_json()
    assert api.as_(editor).delete(f"/files/{other['id']}").status_code == 403
    assert api.as_(viewer).delete(f"/files/{f['id']}").status_code == 403
    assert api.as_(stranger).delete(f"/files/{f['id']}").status_code == 404
    assert api.as_(editor).delete(f"/files/{f['id']}").status_code == 204
    assert api.as_(ws.owner).delete(f"/files/{other['id']}").status_code == 204
    assert file_rows(app) == 0 and staging_leftovers(app) == []


def test_bad_uploads_are_refused_and_store_nothing(app, make, api):
    ws, other = make.workspace(), make.workspace()
    t_other = trial(api, other)
    t = trial(api, ws)
    cases = [
        (upload(api, ws.owner, ws.id, b"", name="empty.csv"), 422, "empty_file"),
        (upload(api, ws.owner, ws.id, PNG, trial_id=t_other["id"]), 422, "validation_failed"),
        (upload(api, ws.owner, ws.id, PNG, trial_id="abc"), 422, "validation_failed"),
        (
            upload(api, ws.owner, ws.id, PNG, trial_id=t["id"], milestone_id=1),
            422,
            "validation_failed",
        ),
        (
            api.as_(ws.owner).post(f"/workspaces/{ws.id}/files", json={"file": "x"}),
            400,
            "not_multipart",
        ),
        (
            api.as_(ws.owner).post(
                f"/workspaces/{ws.id}/files",
                data={"other": "1"},
                content_type="multipart/form-data",
            ),
            422,
            "validation_failed",
        ),
    ]
    for resp, status, code in cases:
        assert resp.status_code == status, resp.get_json()
        assert resp.get_json()["error"]["code"] == code
    assert file_rows(app) == 0
    assert events_of(api, ws) == []
    assert staging_leftovers(app) == []


@pytest.mark.parametrize("settings_overrides", [{"file_max_bytes": 1000}])
def test_too_large_names_the_limit_and_stores_nothing(app, make, api, settings_overrides):
    ws = make.workspace()
    resp = upload(api, ws.owner, ws.id, b"x" * 1001)
    assert resp.status_code == 413
    assert "1,000 bytes" in resp.get_json()["error"]["message"]
    assert upload(api, ws.owner, ws.id, b"x" * 1000).status_code == 201
    assert file_rows(app) == 1 and len(stored_keys(app)) == 1
    assert staging_leftovers(app) == []


@pytest.mark.parametrize("settings_overrides", [{"workspace_file_quota_bytes": 5000}])
def test_workspace_quota(app, make, api, settings_overrides):
    ws = make.workspace()
    assert upload(api, ws.owner, ws.id, b"a" * 3000).status_code == 201
    resp = upload(api, ws.owner, ws.id, b"b" * 2500)
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "quota_exceeded"
    assert file_rows(app) == 1 and len(stored_keys(app)) == 1


def test_an_interrupted_upload_leaves_nothing_behind(app, make, api, live_server):
    ws = make.workspace()
    token = make.token(ws.owner)
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + b"x" * 300_000
    )
    head = (
        f"POST /api/v1/workspaces/{ws.id}/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: multipart/form-data; boundary=B\r\n"
        f"Content-Length: {len(body) + 1_000_000}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live_server.port)) as sock:
        sock.sendall(head + body)
        time.sleep(0.3)
    wait_for(lambda: staging_leftovers(app) == [], timeout=10)
    assert file_rows(app) == 0 and stored_keys(app) == []


def test_openapi_documents_the_upload(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/workspaces/{workspace_id}/files"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "413" in post["responses"]
    assert "/files/{file_id}/content" in doc["paths"]


def test_bytes_that_look_like_the_boundary_survive(make, api):
    ws = make.workspace()
    tricky = b"\r\n--XyZx" + b"--XyZ" + b"\n--XyZ-" + b"\r\n--XyZ!"
    content = (b"\x00\r\n" * 400_000 + tricky) * 2 + b"tail\r\n"
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="trial_id"\r\n\r\n\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="t.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--XyZ--\r\n"
    )
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/files", data=body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert resp.status_code == 201, resp.get_json()
    f = resp.get_json()
    assert f["size"] == len(content) and f["sha256"] == hashlib.sha256(content).hexdigest()
    assert api.as_(ws.owner).get(f"/files/{f['id']}/content").data == content
    empty = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="e"\r\n\r\n\r\n--XyZ--\r\n'
    )
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/files", data=empty, content_type="multipart/form-data; boundary=XyZ"
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "empty_file"


def test_a_large_upload_does_not_sit_in_memory(make, live_server):
    import http.client
    import tracemalloc

    ws = make.workspace()
    token = make.token(ws.owner)
    size = 48 * 1024 * 1024
    head = b'--B0und\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
    tail = b"\r\n--B0und--\r\n"
    block = bytes(range(256)) * 4096  # 1 MiB, made once

    def body():
        yield head
        for _ in range(size // len(block)):
            yield block
        yield tail

    tracemalloc.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=60)
        conn.request(
            "POST",
            f"/api/v1/workspaces/{ws.id}/files",
            body=body(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "multipart/form-data; boundary=B0und",
                "Content-Length": str(len(head) + size + len(tail)),
            },
        )
        resp = conn.getresponse()
        answer = resp.read()
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.status == 201, answer
    # Server and client share this process: a few 1 MiB chunks, not 48 MiB.
    assert peak < 16 * 1024 * 1024, peak


@pytest.mark.parametrize("storage_backend", ["s3"])
def test_s3_multipart_upload_and_ranged_reads(app, make, api, storage_backend):
    ws = make.workspace()
    data = bytes(range(256)) * (17 * 4096) + b"!"  # past boto3's 16 MiB multipart threshold
    f = upload(api, ws.owner, ws.id, data, name="scan.bin").get_json()
    assert f["size"] == len(data)
    from workspace.files.storage import blob_key, storage

    with app.app_context():
        st = storage()
        head = st.client.head_object(Bucket=st.bucket, Key=st.prefix + blob_key(f["sha256"]))
    assert head["ETag"].strip('"').endswith("-2")  # stored in two parts
    edge = 16 * 1024 * 1024
    part = api.as_(ws.owner).get(
        f"/files/{f['id']}/content", headers={"Range": f"bytes={edge - 10}-{edge + 9}"}
    )
    assert part.status_code == 206 and part.data == data[edge - 10 : edge + 10]
    assert api.as_(ws.owner).get(f"/files/{f['id']}/content").data == data
