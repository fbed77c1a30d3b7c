"""Measurement import: CSV (UTF-8 with/without BOM, GB18030) and XLSX, long
and wide layouts, all rows or none, bad rows by line number, replay."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.trials.factory import add_indicators, trial

HEADER = "metric,value,recorded_at,source\n"


def post(api, user, trial_id, data: bytes, name="line3.csv", dry_run=False):
    path = f"/trials/{trial_id}/measurements/import" + ("?dry_run=1" if dry_run else "")
    return api.as_(user).post(
        path, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def stored(api, ws, trial_id):
    return api.as_(ws.owner).get(f"/trials/{trial_id}/measurements?limit=200").get_json()["items"]


def recorded_events(api, ws):
    body = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?after=0&limit=500").get_json()
    return [e for e in body["items"] if e["type"] == "trial.measurements_recorded"]


@pytest.fixture
def running(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    return ws, t


def test_long_csv_with_bom_is_stored_once(api, running):
    ws, t = running
    csv = (
        "\ufeff" + HEADER + "porosity_scrap_pct,1.2,2026-03-01T08:00:00Z,压铸线3\n"
        "tensile_mpa,251,2026-03-01T08:00:00+08:00,\n"
        "porosity_scrap_pct,1.4,,PLC-3\n"
    ).encode()
    resp = post(api, ws.owner, t["id"], csv)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["count"] == 3 and body["metrics"] == ["porosity_scrap_pct", "tensile_mpa"]
    assert body["results"]["porosity_scrap_pct"]["value"] == pytest.approx(1.3)
    assert body["outcome"] == "passed" and "Idempotent-Replayed" not in resp.headers
    rows = stored(api, ws, t["id"])
    assert [(r["metric"], r["value"], r["source"]) for r in rows] == [
        ("porosity_scrap_pct", 1.2, "压铸线3"),
        ("tensile_mpa", 251, None),
        ("porosity_scrap_pct", 1.4, "PLC-3"),
    ]
    assert rows[0]["recorded_at"] == "2026-03-01T08:00:00Z"
    assert rows[1]["recorded_at"] == "2026-03-01T00:00:00Z"
    again = post(api, ws.owner, t["id"], csv, name="renamed.csv")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == body
    assert len(stored(api, ws, t["id"])) == 3 and len(recorded_events(api, ws)) == 1


def test_wide_gb18030_csv_and_xlsx(api, running):
    ws, t = running
    csv = (
        "recorded_at,source,porosity_scrap_pct,Tensile_MPa\n"
        "2026-03-01T08:00:00Z,一号机,1.1,250\n"
        "2026-03-01T09:00:00Z,一号机,,255\n"
    ).encode("gb18030")
    resp = post(api, ws.owner, t["id"], csv)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["count"] == 3
    assert {r["source"] for r in stored(api, ws, t["id"])} == {"一号机"}

    from datetime import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["recorded_at", "porosity_scrap_pct", "tensile_mpa"])
    sheet.append([datetime(2026, 3, 2, 8, 0), 1.0, 260])
    sheet.append([datetime(2026, 3, 2, 9, 0), 1.2, 262])
    buf = io.BytesIO()
    wb.save(buf)
    resp = post(api, ws.owner, t["id"], buf.getvalue(), name="MES 导出.xlsx")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["count"] == 4
    rows = stored(api, ws, t["id"])
    assert len(rows) == 7 and rows[-1]["recorded_at"] == "2026-03-02T09:00:00Z"


def test_bad_rows_are_listed_by_line_and_nothing_is_stored(api, running):
    ws, t = running
    csv = (
        HEADER + "porosity_scrap_pct,1.2,,\n"  # line 2: fine
        "porosity_scrap_pct,abc,,\n"  # line 3
        "tensile_mpa,250,,\n"  # line 4: fine
        "\n"  # line 5: blank, skipped
        "hardness,12,,\n"  # line 6
        "tensile_mpa,NaN,,\n"  # line 7
        "tensile_mpa,250,2026-03-01 08:00,\n"
    ).encode()  # line 8: no zone
    preview = post(api, ws.owner, t["id"], csv, dry_run=True)
    assert preview.status_code == 200
    p = preview.get_json()
    assert p["layout"] == "long" and p["columns"] == ["metric", "value", "recorded_at", "source"]
    assert p["preview"][0] == ["porosity_scrap_pct", "1.2", "", ""]
    assert p["count"] == 2 and p["bad_rows"] == 4
    assert sorted(p["errors"]) == ["row 3", "row 6", "row 7", "row 8"]
    resp = post(api, ws.owner, t["id"], csv)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "bad_rows" and "nothing was stored" in err["message"]
    assert "`abc` is not a number" in err["fields"]["row 3"]
    assert "`hardness` is not an indicator key" in err["fields"]["row 6"]
    assert "finite" in err["fields"]["row 7"] and "time zone" in err["fields"]["row 8"]
    assert stored(api, ws, t["id"]) == [] and recorded_events(api, ws) == []
    fixed = (
        csv.replace(b"abc", b"1.3")
        .replace(b"hardness,12,,\n", b"")
        .replace(b"NaN", b"251")
        .replace(b"2026-03-01 08:00", b"2026-03-01T08:00:00Z")
    )
    resp = post(api, ws.owner, t["id"], fixed)
    assert resp.status_code == 201 and resp.get_json()["count"] == 5


def test_wide_preview_maps_columns_to_indicators(api, running):
    ws, t = running
    csv = b"recorded_at,porosity_scrap_pct,tensile_mpa\n2026-03-01T08:00:00Z,1.1,250\n"
    p = post(api, ws.owner, t["id"], csv, dry_run=True).get_json()
    assert p["layout"] == "wide" and p["mapping"] == {
        "recorded_at": None,
        "porosity_scrap_pct": "porosity_scrap_pct",
        "tensile_mpa": "tensile_mpa",
    }
    assert p["trial_status"] == "running" and stored(api, ws, t["id"]) == []
    resp = post(api, ws.owner, t["id"], b"when,hardness\n1,2\n")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "bad_columns"
    assert "hardness" in resp.get_json()["error"]["fields"]["row 1"]


def test_bad_files_get_clear_4xx_and_nothing_is_stored(make, api, running):
    ws, t = running
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (30 * 1024 * 1024))
    cases = [
        (b"", "a.csv", 422, "empty_file"),
        (b"\x00\x01\x02binary\x00stuff" * 10, "export.csv", 415, "unsupported_file_type"),
        (b"\xd0\xcf\x11\xe0old excel", "old.xls", 415, "unsupported_file_type"),
        (b"just text, not a zip", "sheet.xlsx", 422, "bad_file"),
        (bomb.getvalue(), "bomb.xlsx", 422, "zip_bomb"),
        (b"PK\x03\x04garbage" * 10, "damaged.xlsx", 422, "bad_file"),
        (HEADER.encode(), "header-only.csv", 422, "empty_file"),
        (b"metric,value\n\xff\xfe\xfa,1\n", "latin.csv", 422, "bad_encoding"),
    ]
    for data, name, status, code in cases:
        resp = post(api, ws.owner, t["id"], data, name=name)
        assert resp.status_code == status, (name, resp.get_json())
        assert resp.get_json()["error"]["code"] == code, (name, resp.get_json())
    assert stored(api, ws, t["id"]) == []


def test_rules_of_post_measurements_apply(make, api, running, monkeypatch):
    ws, t = running
    viewer, stranger = make.user(), make.user()
    make.add_member(ws, viewer, "viewer")
    csv = (HEADER + "tensile_mpa,250,,\n").encode()
    assert post(api, stranger, t["id"], csv).status_code == 404
    assert post(api, viewer, t["id"], csv).status_code == 403
    planned = trial(api, ws)
    resp = post(api, ws.owner, planned["id"], csv)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "trial_not_running"
    from workspace.trials import imports

    monkeypatch.setattr(imports, "MAX_READINGS", 3)
    many = (HEADER + "tensile_mpa,250,,\n" * 4).encode()
    assert post(api, ws.owner, t["id"], many).status_code == 413
    assert stored(api, ws, t["id"]) == []
