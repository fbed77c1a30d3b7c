"""The orphan sweep deletes blobs, thumbnails and dead temp files nothing
refers to, and never a blob an upload in flight is about to refer to."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from tests.files.conftest import staging_leftovers, stored_keys, upload
from tests.files.test_thumbnails import make_now, png


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
def test_sweep_removes_only_what_nothing_refers_to(app, make, api, storage_backend):
    from workspace.files.storage import storage
    from workspace.files.sweep import sweep_orphans

    ws = make.workspace()
    kept_bytes, gone_bytes = png(60, 40, (1, 2, 3)), png(50, 50, (9, 9, 9))
    kept = upload(api, ws.owner, ws.id, kept_bytes, name="kept.png").get_json()
    upload(api, ws.owner, ws.id, kept_bytes, name="kept-too.png")
    gone = upload(api, ws.owner, ws.id, gone_bytes, name="gone.png").get_json()
    make_now(app, kept["id"]), make_now(app, gone["id"])
    assert len(stored_keys(app)) == 2 and len(stored_keys(app, "thumbs/")) == 2
    assert api.as_(ws.owner).delete(f"/files/{gone['id']}").status_code == 204
    with app.app_context():
        dead = storage().staging_file()
        dead.write(b"half an upload")
        dead.close()
        os.utime(dead.name, (time.time() - 7200, time.time() - 7200))
    assert len(staging_leftovers(app)) == 1

    with app.app_context():
        # Blobs are younger than the grace period; the dead temp file is not.
        assert sweep_orphans() == {"temp": 1, "blobs": 0, "thumbnails": 0}
    time.sleep(1.1)  # S3 times have one-second resolution
    with app.app_context():
        report = sweep_orphans(grace=0)
    assert report == {"temp": 0, "blobs": 1, "thumbnails": 0}
    sha = hashlib.sha256(kept_bytes).hexdigest()
    assert stored_keys(app) == [f"sha256/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert stored_keys(app, "thumbs/") == [f"thumbs/{sha[:2]}/{sha}.png"]
    assert staging_leftovers(app) == []
    assert api.as_(ws.owner).get(f"/files/{kept['id']}/content").data == kept_bytes


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
def test_sweep_waits_for_an_upload_in_flight(app, make, storage_backend):
    from workspace.db import db
    from workspace.files.models import StoredFile
    from workspace.files.service import guard_blob
    from workspace.files.storage import blob_key, storage
    from workspace.files.sweep import sweep_orphans

    ws = make.workspace()
    data = b"bytes of an upload in flight"
    sha = hashlib.sha256(data).hexdigest()
    outcome: dict = {}

    def sweep() -> None:
        with app.app_context():
            outcome["report"] = sweep_orphans(grace=0)

    with app.app_context():
        store = storage()
        with db.transaction() as s:  # what POST /files does, held open
            guard_blob(s, sha)
            with store.staging_file() as fh:
                fh.write(data)
            store.put(blob_key(sha), fh.name)
            time.sleep(1.1)
            sweeper = threading.Thread(target=sweep)
            sweeper.start()
            time.sleep(0.5)
            assert sweeper.is_alive()  # blocked on the blob's guard
            s.add(
                StoredFile(
                    workspace_id=ws.id,
                    name="x.bin",
                    size=len(data),
                    content_type="application/octet-stream",
                    sha256=sha,
                    uploaded_by_id=ws.owner.id,
                )
            )
        sweeper.join(timeout=30)
    assert outcome["report"]["blobs"] == 0
    assert stored_keys(app) == [blob_key(sha)]
