"""A milestone's evidence pack lists the files attached to it and to the
trials it stands on, with their SHA-256, and shows the pictures."""

from __future__ import annotations

import hashlib
import io

import pypdf

from tests.conftest import wait_for
from tests.files.conftest import upload
from tests.files.test_thumbnails import png
from tests.portfolios.builders import GOOD, add_indicators, milestone
from tests.trials.factory import measure, set_status, trial


def _ready(api, user, milestone_id):
    resp = api.as_(user).get(f"/milestones/{milestone_id}/evidence")
    body = resp.get_json()
    return body if resp.status_code == 200 and body["status"] == "ready" else None


def test_evidence_pack_lists_files_with_sha256_and_images(make, api, worker):
    ws = make.workspace()
    add_indicators(api, ws)
    m = milestone(
        api,
        ws,
        "Yield on target",
        due_in_days=3,
        criteria={"indicators": "all", "consecutive_trials": 1},
    )
    t = trial(api, ws, "running")
    picture = png(800, 600, (220, 40, 40))
    report = b"tensile test report\n" * 50
    upload(api, ws.owner, ws.id, picture, name="气孔 X光.png", trial_id=t["id"])
    upload(api, ws.owner, ws.id, report, name="report.txt", milestone_id=m["id"])
    upload(api, ws.owner, ws.id, b"unrelated", name="elsewhere.txt")
    assert measure(api, ws, t["id"], GOOD).status_code == 201
    set_status(api, ws, t["id"], "completed")

    pack = wait_for(lambda: _ready(api, ws.owner, m["id"]), timeout=60)
    pdf = api.as_(ws.owner).get(f"/milestones/{m['id']}/evidence.pdf").data
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = text.replace("\n", "")
    for data in (picture, report):
        assert hashlib.sha256(data).hexdigest() in flat
    assert "report.txt" in text and "X光" in text and "elsewhere.txt" not in text
    assert sum(len(p.images) for p in reader.pages) == 1
    assert len(pack["content_hash"]) == 64
