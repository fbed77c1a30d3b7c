"""Thumbnails: made in the background, bounded, and hostile images make none
(and crash nothing)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from tests.files.conftest import stored_keys, upload


def png(width: int, height: int, colour=(10, 120, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG")
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def thumbnail_state(app, file_id):
    from workspace.db import db
    from workspace.files.models import StoredFile

    with app.app_context(), db.reading() as s:
        return s.get(StoredFile, file_id).thumbnail


def make_now(app, file_id):
    from workspace.files.thumbs import make_thumbnail

    with app.app_context():
        return make_thumbnail(file_id)


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
def test_an_image_gets_a_bounded_thumbnail_once(app, make, api, client, storage_backend):
    from PIL import Image

    ws = make.workspace()
    big = png(2400, 1200)
    one = upload(api, ws.owner, ws.id, big, name="porosity.png").get_json()
    two = upload(api, ws.owner, ws.id, big, name="copy.png").get_json()
    assert make_now(app, one["id"]) in ("ready", "nothing to do")
    assert thumbnail_state(app, one["id"]) == "ready"
    assert thumbnail_state(app, two["id"]) == "ready"  # same bytes: decoded once
    assert len(stored_keys(app, "thumbs/")) == 1
    client.post("/api/v1/auth/login", json={"email": ws.owner.email, "password": ws.owner.password})
    resp = client.get(f"/files/{one['id']}/thumbnail")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    with Image.open(io.BytesIO(resp.data)) as im:
        assert im.size == (512, 256)
    page = client.get(f"/workspaces/{ws.id}/files").get_data(as_text=True)
    assert f'src="/files/{one["id"]}/thumbnail"' in page


def test_hostile_and_broken_images_get_no_thumbnail(app, make, api, client):
    ws = make.workspace()
    cases = {
        "bomb.png": png_header_only(100_000, 100_000),
        "truncated.png": png(300, 300)[:200],
        "not-really.jpg": b"\xff\xd8\xff\xe0 this is not a jpeg at all" * 20,
        "gif.gif": b"GIF89a" + b"\xff" * 50,
    }
    ids = {
        name: upload(api, ws.owner, ws.id, data, name=name).get_json()["id"]
        for name, data in cases.items()
    }
    for name, file_id in ids.items():
        assert make_now(app, file_id) in ("none", "nothing to do"), name
        assert thumbnail_state(app, file_id) == "none", name
    assert stored_keys(app, "thumbs/") == []
    client.post("/api/v1/auth/login", json={"email": ws.owner.email, "password": ws.owner.password})
    assert client.get(f"/files/{ids['bomb.png']}/thumbnail").status_code == 404
    # The file itself is still there and downloadable.
    assert api.as_(ws.owner).get(f"/files/{ids['bomb.png']}/content").data == cases["bomb.png"]


def test_the_background_job_makes_it_after_upload(app, make, api, worker):
    from tests.conftest import wait_for

    ws = make.workspace()
    f = upload(api, ws.owner, ws.id, png(100, 80), name="x.png").get_json()
    txt = upload(api, ws.owner, ws.id, b"hello", name="notes.txt").get_json()

    def done():
        from jobs.outbox import process_outbox

        with app.app_context():
            process_outbox()
        return thumbnail_state(app, f["id"]) == "ready"

    wait_for(done, timeout=30)
    assert thumbnail_state(app, txt["id"]) is None  # not an image: no job
