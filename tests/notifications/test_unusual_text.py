"""Text no output format can carry as it is (a control character, U+FFFE, a
line break in a title, a comma in a name) is stored on one line and every
output still parses and reads: Atom, both iCalendar feeds, mail headers and
bodies (through a real SMTP server), the evidence PDF, XLSX and CSV exports,
chat-bot Markdown. Rows written by an older version (before titles were
cleaned) are rendered safely too."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import feedparser
import openpyxl
import pypdf
from icalendar import Calendar
from sqlalchemy import update

from tests.conftest import wait_for

NASTY = "A\x01B\ufffeC\r\nD 良率达标 🎉"
READABLE = "ABC D 良率达标 🎉"
UNSAFE = ("\x01", "\ufffe")


def _raw(model, row_id, **values):
    """Write a row as an older version could have (no cleaning on the way in)."""
    from workspace.db import db

    with db.transaction() as s:
        s.execute(update(model).where(model.id == row_id).values(**values))


def _clean(text: str) -> bool:
    return not any(c in text for c in UNSAFE)


def test_titles_and_names_are_stored_on_one_line(make, api):
    ws = make.workspace()
    owner, admin = api.as_(ws.owner), api.as_(make.admin())
    made = owner.post(f"/workspaces/{ws.id}/milestones", json={"title": NASTY})
    assert made.status_code == 201 and made.get_json()["title"] == READABLE
    patched = owner.patch(f"/workspaces/{ws.id}", json={"title": NASTY})
    assert patched.status_code == 200 and patched.get_json()["title"] == READABLE
    user = admin.post(
        "/users", json={"email": "odd@example.test", "name": NASTY, "password": "long enough"}
    )
    assert user.status_code == 201 and user.get_json()["name"] == READABLE
    trial = owner.post(
        f"/workspaces/{ws.id}/trials", json={"title": NASTY, "line": "L\t1\n", "batch": "\x01B-7"}
    )
    assert trial.status_code == 201, trial.get_json()
    assert (trial.get_json()["title"], trial.get_json()["line"], trial.get_json()["batch"]) == (
        READABLE,
        "L 1",
        "B-7",
    )
    # Nothing but control characters is no title at all.
    empty = owner.post(f"/workspaces/{ws.id}/milestones", json={"title": "\x01\r\n\t"})
    assert empty.status_code == 422 and "title" in empty.get_json()["error"]["fields"]


def _legacy_world(make, api):
    """A reached milestone whose title, description, workspace title and
    people's names were stored by a version that did not clean them."""
    from workspace.auth.models import User
    from workspace.milestones.models import Milestone
    from workspace.spaces.models import Workspace

    ws = make.workspace()
    owner = api.as_(ws.owner)
    due = (date.today() + timedelta(days=5)).isoformat()
    m = owner.post(f"/workspaces/{ws.id}/milestones", json={"title": "x", "due_date": due})
    assert m.status_code == 201
    ws.milestone_id = m.get_json()["id"]
    _raw(Milestone, ws.milestone_id, title=NASTY, description=NASTY)
    _raw(Workspace, ws.id, title=NASTY)
    _raw(User, ws.owner.id, name=NASTY)
    _raw(User, ws.partner.id, name='Li, "Wei"\r\nBcc: evil@example.test\x01')
    assert owner.post(f"/milestones/{ws.milestone_id}/reach").status_code == 200
    return ws


def test_mail_headers_and_bodies_carry_unusual_text(ready, make, api, inbox):
    ws = _legacy_world(make, api)
    mail = wait_for(lambda: inbox.to(ws.partner.email), timeout=20)[0]
    assert mail["Subject"] == f"[{READABLE}] Milestone reached: {READABLE}"
    # One recipient, no injected header: the name is quoted, not parsed.
    assert [a.addr_spec for a in mail["To"].addresses] == [ws.partner.email]
    assert mail["To"].addresses[0].display_name == 'Li, "Wei" Bcc: evil@example.test'
    assert mail["Bcc"] is None and READABLE in str(mail["List-Id"])
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"Milestone reached: {READABLE}" in text and f"Workspace: {READABLE}" in text
    assert READABLE in html and _clean(text) and _clean(html)


def test_atom_and_both_calendars_parse_with_unusual_text(ready, make, api, client):
    ws = _legacy_world(make, api)
    mid = ws.milestone_id
    token = make.token(ws.manager, ("read",))
    atom = client.get(f"/api/v1/feed.atom?token={token}")
    assert atom.status_code == 200, atom.data[:300]
    feed = feedparser.parse(atom.data)
    assert not feed.bozo, feed.bozo_exception
    reached = [e for e in feed.entries if "Milestone reached" in e.title]
    assert reached and reached[0].title == f"{READABLE} · Milestone reached: {READABLE}"
    assert reached[0].author == READABLE
    # A summary is one line, a description keeps its line break.
    for path in (
        f"/api/v1/workspaces/{ws.id}/milestones.ics?token={token}",
        f"/api/v1/milestones.ics?token={token}",
    ):
        resp = client.get(path)
        assert resp.status_code == 200 and _clean(resp.data.decode()), path
        events = Calendar.from_ical(resp.data).walk("VEVENT")
        event = next(e for e in events if str(e["URL"]).endswith(f"#milestone-{mid}"))
        assert READABLE in str(event["SUMMARY"]), path
        assert str(event["DESCRIPTION"]) == "ABC\nD 良率达标 🎉"


def test_evidence_pdf_renders_unusual_text(ready, make, api):
    ws = _legacy_world(make, api)
    mid = ws.milestone_id

    def pack():
        body = api.as_(ws.owner).get(f"/milestones/{mid}/evidence").get_json()
        return body if body.get("status") in ("ready", "failed") else None

    assert wait_for(pack, timeout=30)["status"] == "ready"
    pdf = api.as_(ws.owner).get(f"/milestones/{mid}/evidence.pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.data))
    words = "\n".join(p.extract_text() for p in reader.pages)
    assert f"Workspace 工作空间\n{READABLE}" in words  # a title: one line
    assert "ABC\nD 良率达标 🎉" in words  # the description keeps its break
    assert _clean(words)
    assert reader.metadata.title == f"Acceptance evidence · {READABLE}"


def test_exports_carry_unusual_text_and_no_formula(ready, make, api):
    from workspace.spaces.models import Workspace

    ws = _legacy_world(make, api)
    other = make.workspace(title="plain")
    _raw(Workspace, other.id, title='=HYPERLINK("http://evil.example","x")')
    manager = api.as_(ws.manager)
    for fmt in ("xlsx", "csv"):
        task = manager.post("/exports", json={"format": fmt}).get_json()

        def finished(task_id=task["id"]):
            body = manager.get(f"/exports/{task_id}").get_json()
            return body if body["status"] in ("done", "failed") else None

        assert wait_for(finished)["status"] == "done"
        data = manager.get(f"/exports/{task['id']}/download").data
        if fmt == "xlsx":
            rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
        else:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        titles = {row[1] for row in rows[1:]}
        assert "ABC\nD 良率达标 🎉" in titles, titles
        assert '\'=HYPERLINK("http://evil.example","x")' in titles, titles


def test_bot_markdown_cannot_be_steered_by_a_title(app):
    from workspace.webhooks.formats import bot_request

    title = "[click](http://evil.example) **now**\n# big\n> quoted\x01"
    envelope = {
        "id": 1,
        "seq": 1,
        "type": "milestone.reached",
        "workspace_id": 7,
        "actor": {"id": 1, "name": NASTY},
        "occurred_at": "2026-01-01T00:00:00Z",
        "data": {"milestone": {"id": 3, "title": title}},
    }
    with app.app_context():
        for fmt in ("dingtalk", "wecom"):
            req = bot_request(
                fmt,
                "https://bot.example/hook",
                None,
                [envelope],
                NASTY,
                "en",
                "https://jointlab.example",
            )
            body = req.body.decode()
            text = (
                __import__("json").loads(body)["markdown"].get("text")
                or __import__("json").loads(body)["markdown"]["content"]
            )
            assert r"\[click\](http://evil.example) \*\*now\*\* # big \> quoted" in text
            assert "](http://evil.example)" not in text.replace(r"\]", "")
            assert READABLE in text and _clean(text)
        feishu = bot_request(
            "feishu",
            "https://bot.example/hook",
            None,
            [envelope],
            NASTY,
            "en",
            "https://jointlab.example",
        )
        post = __import__("json").loads(feishu.body)["content"]["post"]["en_us"]
        assert post["title"] == f"{READABLE} · JointLab"
        assert post["content"][0][0]["text"].startswith(
            "Milestone reached: [click](http://evil.example) **now** # big > quoted"
        )
