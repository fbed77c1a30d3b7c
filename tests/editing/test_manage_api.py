"""Renaming documents and deleting milestones, indicators and trials over REST:
who may, what the rules refuse (409 naming why), and the events each leaves."""

from __future__ import annotations

from tests.trials.factory import GOOD, add_indicators, measure, set_status, trial


def events_of(api, ws, type_):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    return [e for e in items if e["type"] == type_]


def statement_of(api, ws):
    docs = api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents").get_json()["items"]
    return next(d for d in docs if d["kind"] == "problem_statement")


def people(make):
    editor, viewer = make.user(side="university"), make.user(side="enterprise")
    ws = make.workspace(members={"editor": editor, "viewer": viewer})
    return ws, editor, viewer, make.user(side="enterprise")


# ------------------------------------------------------------------ rename
def test_owners_and_editors_rename_a_document_trimmed_with_an_event(make, api):
    ws, editor, _viewer, _outsider = people(make)
    doc = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/documents", json={"title": "Proposal A", "text": "body"})
        .get_json()
    )
    resp = api.as_(editor).patch(f"/documents/{doc['id']}", json={"title": "  方案 B：真空压铸  "})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["title"] == "方案 B：真空压铸"
    assert resp.get_json()["text"] == "body"
    assert (
        api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["title"] == "方案 B：真空压铸"
    )
    renamed = events_of(api, ws, "document.renamed")
    assert len(renamed) == 1
    assert renamed[0]["data"]["document"]["title"] == "方案 B：真空压铸"
    assert renamed[0]["data"]["previous_title"] == "Proposal A"
    assert renamed[0]["actor"]["id"] == editor.id
    # The same title again is no change: no second event.
    assert (
        api.as_(ws.owner)
        .patch(f"/documents/{doc['id']}", json={"title": "方案 B：真空压铸"})
        .status_code
        == 200
    )
    assert len(events_of(api, ws, "document.renamed")) == 1
    # The problem statement can be renamed too (it stays the statement).
    st = statement_of(api, ws)
    again = api.as_(ws.owner).patch(f"/documents/{st['id']}", json={"title": "Die casting scrap"})
    assert again.status_code == 200 and again.get_json()["kind"] == "problem_statement"


def test_rename_refuses_bad_titles_and_people_without_the_right(make, api):
    ws, _editor, viewer, outsider = people(make)
    doc = statement_of(api, ws)
    for body in (
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": 5},
        {"title": None},
        ["title"],
    ):
        resp = api.as_(ws.owner).patch(f"/documents/{doc['id']}", json=body)
        assert resp.status_code == 422, (body, resp.get_json())
    assert (
        api.as_(ws.owner).patch(f"/documents/{doc['id']}", json={"title": "x" * 200}).status_code
        == 200
    )
    assert api.as_(viewer).patch(f"/documents/{doc['id']}", json={"title": "V"}).status_code == 403
    assert (
        api.as_(ws.manager).patch(f"/documents/{doc['id']}", json={"title": "M"}).status_code == 403
    )
    # Access before the body: an outsider learns nothing, whatever it sends.
    path = f"/documents/{doc['id']}"
    assert api.as_(outsider).patch(path, json={"title": "O"}).status_code == 404
    assert api.as_(outsider).patch(path, json={"title": ""}).status_code == 404
    assert api.as_(viewer).patch(path, json={"title": ""}).status_code == 403
    assert api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["title"] == "x" * 200
    assert len(events_of(api, ws, "document.renamed")) == 1


# ------------------------------------------------------------------ milestones
def milestone(api, ws, **fields):
    body = {"title": "Scrap below 1.5 %", "due_date": "2030-01-31", **fields}
    resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/milestones", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_open_and_missed_milestones_are_deleted_reached_ones_stay(make, api):
    ws, editor, viewer, outsider = people(make)
    first, second, third = (
        milestone(api, ws, title="First"),
        milestone(api, ws, title="Second"),
        milestone(api, ws, title="Third"),
    )
    assert api.as_(outsider).delete(f"/milestones/{first['id']}").status_code == 404
    assert api.as_(viewer).delete(f"/milestones/{first['id']}").status_code == 403
    assert api.as_(ws.manager).delete(f"/milestones/{first['id']}").status_code == 403
    assert api.as_(editor).delete(f"/milestones/{first['id']}").status_code == 204
    assert api.as_(editor).delete(f"/milestones/{first['id']}").status_code == 404
    assert (
        api.as_(ws.owner)
        .patch(f"/milestones/{second['id']}", json={"status": "missed"})
        .status_code
        == 200
    )
    assert api.as_(ws.owner).delete(f"/milestones/{second['id']}").status_code == 204
    assert api.as_(ws.owner).post(f"/milestones/{third['id']}/reach").status_code == 200
    kept = api.as_(ws.owner).delete(f"/milestones/{third['id']}")
    assert kept.status_code == 409 and kept.get_json()["error"]["code"] == "milestone_reached"
    listed = api.as_(ws.owner).get(f"/workspaces/{ws.id}/milestones").get_json()["items"]
    assert [m["title"] for m in listed] == ["Third"]
    deleted = events_of(api, ws, "milestone.deleted")
    assert [e["data"]["milestone"]["title"] for e in deleted] == ["First", "Second"]
    assert deleted[0]["actor"]["id"] == editor.id


def test_a_funded_milestone_waits_for_its_manager(make, api):
    ws = make.workspace()
    m = milestone(api, ws)
    funding = {"amount": "50000.00", "currency": "CNY"}
    assert (
        api.as_(ws.manager).put(f"/milestones/{m['id']}/funding", json=funding).status_code == 200
    )
    refused = api.as_(ws.owner).delete(f"/milestones/{m['id']}")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "milestone_funded"
    assert api.as_(ws.manager).delete(f"/milestones/{m['id']}/funding").status_code == 204
    assert api.as_(ws.owner).delete(f"/milestones/{m['id']}").status_code == 204


# ------------------------------------------------------------------ indicators
def test_an_indicator_goes_only_while_nothing_uses_it(make, api):
    ws, editor, viewer, outsider = people(make)
    porosity, tensile = add_indicators(api, ws)
    spare = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/indicators",
            json={"key": "cycle_s", "label": "Cycle time", "comparator": "<=", "target": 60},
        )
        .get_json()
    )
    for who, code in ((outsider, 404), (viewer, 403), (ws.manager, 403)):
        assert api.as_(who).delete(f"/indicators/{spare['id']}").status_code == code

    m = milestone(
        api,
        ws,
        title="Tensile proven",
        criteria={"indicators": [tensile["id"]], "consecutive_trials": 2},
    )
    in_criteria = api.as_(ws.owner).delete(f"/indicators/{tensile['id']}")
    assert in_criteria.status_code == 409
    err = in_criteria.get_json()["error"]
    assert err["code"] == "indicator_in_criteria" and "Tensile proven" in err["message"]

    t = trial(api, ws, "running")
    assert measure(api, ws, t["id"], {"porosity_scrap_pct": [1.1]}).status_code == 201
    measured = api.as_(editor).delete(f"/indicators/{porosity['id']}")
    assert measured.status_code == 409
    err = measured.get_json()["error"]
    assert err["code"] == "indicator_measured" and f"#{t['number']}" in err["message"]

    assert api.as_(editor).delete(f"/indicators/{spare['id']}").status_code == 204
    # Once the criteria no longer name it, it can go.
    assert (
        api.as_(ws.owner).patch(f"/milestones/{m['id']}", json={"criteria": None}).status_code
        == 200
    )
    assert api.as_(ws.owner).delete(f"/indicators/{tensile['id']}").status_code == 204
    keys = [
        i["key"]
        for i in api.as_(ws.owner).get(f"/workspaces/{ws.id}/indicators").get_json()["items"]
    ]
    assert keys == ["porosity_scrap_pct"]
    deleted = events_of(api, ws, "indicator.deleted")
    assert [e["data"]["indicator"]["key"] for e in deleted] == ["cycle_s", "tensile_mpa"]


# ------------------------------------------------------------------ trials
def test_only_a_planned_trial_is_deleted_and_its_number_is_not_given_again(make, api):
    ws, editor, viewer, outsider = people(make)
    add_indicators(api, ws)
    done = trial(api, ws, "running")
    assert measure(api, ws, done["id"], GOOD).status_code == 201
    set_status(api, ws, done["id"], "completed")
    running = trial(api, ws, "running")
    aborted = trial(api, ws, "aborted")
    planned = trial(api, ws, title="Lower die temperature", parent_id=done["id"])
    child = trial(api, ws, parent_id=planned["id"])
    for who, code in ((outsider, 404), (viewer, 403), (ws.manager, 403)):
        assert api.as_(who).delete(f"/trials/{planned['id']}").status_code == code
    for t in (done, running, aborted):
        resp = api.as_(ws.owner).delete(f"/trials/{t['id']}")
        assert resp.status_code == 409, t
        assert resp.get_json()["error"]["code"] == "trial_not_planned"
    stale = api.as_(editor).delete(f"/trials/{planned['id']}", headers={"If-Match": '"old"'})
    assert stale.status_code == 412
    assert api.as_(editor).delete(f"/trials/{planned['id']}").status_code == 204
    assert api.as_(editor).get(f"/trials/{planned['id']}").status_code == 404
    # Its next iteration stays, refining nothing now.
    assert api.as_(editor).get(f"/trials/{child['id']}").get_json()["parent_id"] is None
    # The last number stays taken: events already named #4.
    deleted = events_of(api, ws, "trial.deleted")
    assert [(e["data"]["trial"]["number"], e["actor"]["id"]) for e in deleted] == [
        (planned["number"], editor.id)
    ]
    newest = trial(api, ws)
    assert newest["number"] == child["number"] + 1
    assert api.as_(ws.owner).delete(f"/trials/{newest['id']}").status_code == 204
    assert trial(api, ws)["number"] == newest["number"] + 1


def test_files_of_a_deleted_milestone_or_trial_stay_in_the_workspace(make, api):
    import io

    ws = make.workspace()
    m = milestone(api, ws, title="Pilot")
    t = trial(api, ws)

    def upload(**target):
        form = {
            "file": (io.BytesIO(b"%PDF-1.4 report"), "report.pdf"),
            **{k: str(v) for k, v in target.items()},
        }
        resp = api.as_(ws.owner).post(
            f"/workspaces/{ws.id}/files", data=form, content_type="multipart/form-data"
        )
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    on_milestone, on_trial = upload(milestone_id=m["id"]), upload(trial_id=t["id"])
    assert api.as_(ws.owner).delete(f"/milestones/{m['id']}").status_code == 204
    assert api.as_(ws.owner).delete(f"/trials/{t['id']}").status_code == 204
    for f in (on_milestone, on_trial):
        kept = api.as_(ws.owner).get(f"/files/{f['id']}")
        assert kept.status_code == 200 and kept.get_json()["attached_to"] is None
        assert api.as_(ws.owner).get(f"/files/{f['id']}/content").data == b"%PDF-1.4 report"


def test_a_rename_is_not_an_edit_of_the_text(make, api, app):
    from datetime import timedelta

    from workspace.db import utcnow
    from workspace.documents.versions import auto_version_documents

    ws = make.workspace()
    doc = statement_of(api, ws)
    before = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["updated_at"]
    api.as_(ws.owner).patch(f"/documents/{doc['id']}", json={"title": "Renamed"})
    after = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()
    assert after["updated_at"] == before and after["title"] == "Renamed"
    # No automatic version of a text nobody changed.
    with app.app_context():
        assert auto_version_documents(utcnow() + timedelta(hours=1)) == 0
    assert api.as_(ws.owner).get(f"/documents/{doc['id']}/versions").get_json()["items"] == []
    assert events_of(api, ws, "document.edited") == []
