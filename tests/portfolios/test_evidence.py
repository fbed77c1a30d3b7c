"""Reaching a milestone produces an acceptance evidence pack (PDF) that the
leads and managers download; its content hash is printed and stored."""

from __future__ import annotations

import hashlib
import io

import pypdf

from tests.conftest import wait_for
from tests.portfolios.builders import GOOD, add_indicators, milestone, run_trial


def _ready(api, user, milestone_id):
    resp = api.as_(user).get(f"/milestones/{milestone_id}/evidence")
    body = resp.get_json()
    return body if resp.status_code == 200 and body["status"] == "ready" else None


def test_reached_milestone_gets_an_evidence_pack_for_leads_and_managers(make, api, worker):
    editor, viewer = make.user(side="enterprise"), make.user(side="university")
    ws = make.workspace(title="压铸气孔率攻关", members={"editor": editor, "viewer": viewer})
    add_indicators(api, ws)
    m = milestone(
        api,
        ws,
        "良率达标 Yield on target",
        due_in_days=3,
        criteria={"indicators": "all", "consecutive_trials": 2},
    )
    assert (
        api.as_(ws.manager)
        .put(f"/milestones/{m['id']}/funding", json={"amount": "200000", "currency": "CNY"})
        .status_code
        == 200
    )
    run_trial(api, ws, GOOD)
    run_trial(api, ws, GOOD)
    assert (
        api.as_(ws.owner).get(f"/workspaces/{ws.id}/milestones").get_json()["items"][0]["status"]
        == "reached"
    )

    pack = wait_for(lambda: _ready(api, ws.owner, m["id"]), timeout=30)
    assert len(pack["content_hash"]) == 64
    pdf = api.as_(ws.partner).get(f"/milestones/{m['id']}/evidence.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == pack["file_hash"]
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert pack["content_hash"] in text
    assert "良率达标" in text and "压铸气孔率攻关" in text
    assert "200000.00 CNY" in text
    assert "#1" in text and "#2" in text and "porosity_scrap_pct" in text
    assert api.as_(ws.manager).get(f"/milestones/{m['id']}/evidence.pdf").status_code == 200

    # Editors and viewers are not the leads; outsiders do not see it exists.
    assert api.as_(editor).get(f"/milestones/{m['id']}/evidence.pdf").status_code == 403
    assert api.as_(viewer).get(f"/milestones/{m['id']}/evidence").status_code == 403
    outsider = make.user(side="enterprise")
    assert api.as_(outsider).get(f"/milestones/{m['id']}/evidence.pdf").status_code == 404

    # The pack is announced in the feed, linking to the download.
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    ready = [e for e in events if e["type"] == "milestone.evidence_ready"]
    assert len(ready) == 1
    assert ready[0]["data"]["pack"]["url"] == f"/api/v1/milestones/{m['id']}/evidence.pdf"

    # A rerun of the job changes nothing: same hash, no second event.
    from workspace.evidence.build import build_pending_packs

    build_pending_packs()
    again = api.as_(ws.owner).get(f"/milestones/{m['id']}/evidence").get_json()
    assert again["content_hash"] == pack["content_hash"]
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    assert len([e for e in events if e["type"] == "milestone.evidence_ready"]) == 1


def test_open_milestones_have_no_pack_yet(make, api):
    ws = make.workspace()
    m = milestone(api, ws, "Not yet")
    resp = api.as_(ws.owner).get(f"/milestones/{m['id']}/evidence.pdf")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert api.as_(ws.owner).get("/milestones/999999/evidence").status_code == 404
