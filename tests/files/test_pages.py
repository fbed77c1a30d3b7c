"""The files panel on workspace, trial, milestone and document pages, and the
workspace's Files view, in both languages (the browser journey is in
test_browser.py)."""

from __future__ import annotations

from tests.files.conftest import upload
from tests.trials.factory import trial


def login(client, user):
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200


def test_panels_and_files_view_in_both_languages(client, make, api):
    viewer = make.user(locale="zh-CN")
    ws = make.workspace(members={"viewer": viewer})
    t = trial(api, ws)
    m = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "Pilot line ready"})
        .get_json()
    )
    docs = api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents").get_json()["items"]
    upload(api, ws.owner, ws.id, b"scan", name="气孔.png", trial_id=t["id"])
    upload(api, ws.owner, ws.id, b"plan", name="drawing.dwg", milestone_id=m["id"])
    upload(api, ws.owner, ws.id, b"loose", name="notes.txt")
    login(client, ws.owner)
    view = client.get(f"/workspaces/{ws.id}/files").get_data(as_text=True)
    assert 'data-testid="files-view"' in view and 'data-testid="file-drop"' in view
    for name in ("气孔.png", "drawing.dwg", "notes.txt", "Pilot line ready", ws.owner.name):
        assert name in view
    trial_page = client.get(f"/trials/{t['id']}").get_data(as_text=True)
    link = 'data-testid="file-link">{}</a>'.format
    assert link("气孔.png") in trial_page and link("drawing.dwg") not in trial_page
    assert f'data-attach-kind="trial" data-attach-id="{t["id"]}"' in trial_page
    ms_page = client.get(f"/milestones/{m['id']}").get_data(as_text=True)
    assert link("drawing.dwg") in ms_page and link("气孔.png") not in ms_page
    doc_page = client.get(f"/documents/{docs[0]['id']}").get_data(as_text=True)
    assert 'data-attach-kind="document"' in doc_page and 'data-testid="no-files"' in doc_page
    ws_page = client.get(f"/workspaces/{ws.id}").get_data(as_text=True)
    assert 'data-testid="files-panel"' in ws_page and link("notes.txt") in ws_page
    assert "Drop files here" in view and "Uploaded by" in view
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "x"})
    client.delete_cookie("session")
    login(client, viewer)
    as_viewer = client.get(f"/workspaces/{ws.id}/files").get_data(as_text=True)
    assert "气孔.png" in as_viewer and "上传者" in as_viewer and "关联到" in as_viewer
    assert 'data-testid="file-drop"' not in as_viewer and "data-file-delete" not in as_viewer


def test_strangers_get_404_on_file_pages(client, make, api):
    ws, stranger = make.workspace(), make.user()
    m = api.as_(ws.owner).post(f"/workspaces/{ws.id}/milestones", json={"title": "M"}).get_json()
    login(client, stranger)
    assert client.get(f"/workspaces/{ws.id}/files").status_code == 404
    assert client.get(f"/workspaces/{ws.id}/files/fragment").status_code == 404
    assert client.get(f"/milestones/{m['id']}").status_code == 404
