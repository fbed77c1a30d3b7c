"""The journey in Chromium: upload with progress on a trial, another member
sees it arrive live, the thumbnail appears, a CSV with a bad row is refused
row by row, fixed and imported; the milestone's evidence pack lists the file."""

from __future__ import annotations

import io

import pypdf
from playwright.sync_api import expect

from tests.conftest import browser_login, wait_for
from tests.trials.factory import add_indicators, trial


def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_files_and_import_journey(make, api, live_server, browser_context, worker):
    ws = make.workspace()
    add_indicators(api, ws)
    m = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/milestones",
            json={
                "title": "Porosity on target",
                "criteria": {"indicators": "all", "consecutive_trials": 1},
            },
        )
        .get_json()
    )
    t = trial(api, ws, "running", title="Vacuum on")
    owner = browser_login(browser_context(), live_server.url, ws.owner)
    other = browser_login(browser_context("zh-CN"), live_server.url, ws.partner)
    other.goto(f"{live_server.url}/workspaces/{ws.id}/files")
    other.wait_for_selector('[data-testid="connection"][data-state="connected"]')

    owner.goto(f"{live_server.url}/trials/{t['id']}")
    owner.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    panel = owner.locator('[data-testid="files-panel"]')
    panel.locator('[data-testid="file-input"]').set_input_files(
        files=[{"name": "气孔 X光.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    progress = panel.locator('[data-testid="uploads"] li[data-state="done"] progress')
    progress.wait_for()
    assert progress.get_attribute("value") == "100"
    panel.locator('[data-testid="file-link"]', has_text="气孔 X光.png").wait_for()
    panel.locator('[data-testid="thumbnail"]').wait_for(timeout=30_000)

    # The other member's Files view shows it without a reload, with what it is on.
    row = other.locator('[data-testid="files-view"] tr', has_text="气孔 X光.png")
    row.wait_for()
    assert "Vacuum on" in row.locator('[data-testid="attached-to"]').inner_text()

    # Import: a bad row is listed by its line and nothing is stored.
    imp = owner.locator('[data-testid="import-panel"]')
    bad = (
        b"metric,value,recorded_at,source\n"
        b"porosity_scrap_pct,1.2,2026-03-01T08:00:00Z,PLC-3\n"
        b"tensile_mpa,abc,2026-03-01T08:00:00Z,PLC-3\n"
    )
    imp.locator('[data-testid="import-input"]').set_input_files(
        files=[{"name": "line3.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    imp.locator('[data-testid="import-errors"] li[data-row="row 3"]').wait_for()
    assert "abc" in imp.locator('[data-testid="import-errors"]').inner_text()
    assert imp.locator('[data-testid="import-go"]').is_hidden()
    assert owner.locator('[data-testid="measurement-count"]').inner_text() == "0"
    good = bad.replace(b"abc", b"251")
    imp.locator('[data-testid="import-input"]').set_input_files(
        files=[{"name": "line3.csv", "mimeType": "text/csv", "buffer": good}]
    )
    imp.locator('[data-testid="import-summary"]', has_text="0 bad rows").wait_for()
    assert imp.locator('[data-testid="import-errors"] li').count() == 0
    imp.locator('[data-testid="import-go"]').click()
    imp.locator('[data-testid="import-done"]', has_text="2").wait_for()
    owner.locator('[data-testid="measurement-count"]', has_text="2").wait_for()

    # Completing the trial reaches the milestone; its evidence pack lists the file.
    owner.once("dialog", lambda d: d.accept())  # "Complete this trial?"
    owner.locator('[data-trial-action="completed"]').click()
    owner.locator('[data-role="outcome"][data-outcome="passed"]').first.wait_for()

    def pack():
        resp = owner.request.get(f"{live_server.url}/api/v1/milestones/{m['id']}/evidence")
        return resp.ok and resp.json()["status"] == "ready"

    wait_for(pack, timeout=60)
    pdf = owner.request.get(f"{live_server.url}/api/v1/milestones/{m['id']}/evidence.pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.body()))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    sha = api.as_(ws.owner).get(f"/workspaces/{ws.id}/files").get_json()["items"][0]["sha256"]
    assert sha in text and "X光" in text
    assert sum(len(p.images) for p in reader.pages) == 1


def test_a_pdf_opens_in_the_viewer_and_html_downloads(make, api, live_server, browser_context):
    from reportlab.pdfgen import canvas

    from tests.files.conftest import upload

    ws = make.workspace()
    buf = io.BytesIO()
    doc = canvas.Canvas(buf)
    doc.drawString(100, 700, "Tensile report")
    doc.save()
    pdf = upload(api, ws.owner, ws.id, buf.getvalue(), name="报告.pdf").get_json()
    html = upload(
        api, ws.owner, ws.id, b"<script>document.title='ran'</script>", name="page.html"
    ).get_json()
    page = browser_login(browser_context(), live_server.url, ws.owner)
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    resp = page.goto(f"{live_server.url}/api/v1/files/{pdf['id']}/content")
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    page.wait_for_timeout(500)
    assert downloads == [] and page.url.endswith(f"/files/{pdf['id']}/content")
    with page.expect_download() as got:
        page.goto(f"{live_server.url}/workspaces/{ws.id}/files")
        page.evaluate(
            "id => { const a = document.createElement('a');"
            " a.href = '/api/v1/files/' + id + '/content'; document.body.append(a);"
            " a.click(); }",
            html["id"],
        )
    assert got.value.suggested_filename == "page.html"
    assert page.title() != "ran"


def test_a_file_added_to_a_document_shows_live_on_its_page(make, api, live_server, browser_context):
    """The document page hands its socket's events to the page's modules as the
    other workspace pages do: its files panel follows someone else's upload."""
    from tests.documents.test_documents_api import statement_of
    from tests.files.conftest import upload

    ws = make.workspace()
    doc = statement_of(api, ws)
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/documents/{doc['id']}")
    expect(page.locator("body")).to_have_attribute("data-feed", "subscribed")
    panel = page.locator('[data-testid="files-panel"]')
    expect(panel.locator('[data-testid="file-link"]')).to_have_count(0)

    added = upload(api, ws.partner, ws.id, png_bytes(), name="气孔 X光.png", document_id=doc["id"])
    assert added.status_code == 201, added.get_json()
    expect(panel.locator('[data-testid="file-link"]')).to_have_text(["气孔 X光.png"])
