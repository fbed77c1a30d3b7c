"""Where documents plug into the rest (`register`, called by workspace/bootstrap.py):
their routes and Socket.IO handlers, every new workspace's problem statement,
the workspace page's documents panel, the demo's content, the periodic jobs."""

from __future__ import annotations

from pathlib import Path

from flask import render_template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from realtime import document_rooms
from realtime import documents as live
from workspace.auth.access import edits
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import crdt, store
from workspace.documents.models import Document
from workspace.documents.pages import CURSOR_STYLES
from workspace.documents.service import (
    SERVER_EDIT,
    create_problem_statement,
    documents_of,
    insert_document,
    note_edit,
)
from workspace.documents.suggestions import create_suggestion
from workspace.events import types as ev
from workspace.house import House
from workspace.spaces.models import Workspace


def _statement_for_new_workspace(session: Session, workspace: Workspace, actor: User) -> None:
    create_problem_statement(session, workspace, actor)


def documents_panel(ws: Workspace, user: User, role: str | None) -> Markup:
    with db.reading() as s:
        rows = documents_of(s, ws.id)
    can_edit = edits(user, role)
    return Markup(render_template("documents/panel.html", ws=ws, documents=rows, can_edit=can_edit))


DEMO_DIR = Path(__file__).resolve().parent / "demo"


def _demo_documents(session: Session, workspace: Workspace, users: dict[str, User]) -> None:
    statement = session.scalar(
        select(Document).where(
            Document.workspace_id == workspace.id, Document.kind == "problem_statement"
        )
    )
    if statement is not None:
        doc = store.load_doc(session, statement.id)
        update = crdt.replace_text(doc, (DEMO_DIR / "statement.md").read_text("utf-8"))
        store.append_update(session, statement.id, update, users["enterprise"].id)
        note_edit(session, statement, users["enterprise"])
        _demo_suggestion(session, statement, users["university"], crdt.text_str(doc))
    insert_document(
        session,
        users["university"],
        workspace.id,
        "answer",
        "方案建议 Proposal",
        (DEMO_DIR / "answer.md").read_text("utf-8"),
    )


def _demo_suggestion(session: Session, statement: Document, author: User, text: str) -> None:
    """A newcomer sees a suggested edit waiting in the statement."""
    words = "连续 3 批"
    at = text.find(words)
    if at != -1:
        create_suggestion(
            session,
            author,
            statement.id,
            {"from": at, "to": at + len(words)},
            "连续 5 批",
            "3 批的样本太少，建议 5 批。Three batches are too few.",
        )


def register(house: House) -> None:
    house.routes(
        "workspace.documents.api",
        "workspace.documents.suggestions_api",
        "workspace.documents.versions_api",
        "workspace.documents.pages",
    )
    house.socket("realtime.documents")

    # Presence in the documents a closed connection had open.
    house.on_disconnect(document_rooms.on_disconnect)
    # Edits the server makes reach open editors once committed.
    house.on(SERVER_EDIT, live.relay_server_edit)
    house.on(ev.WORKSPACE_CREATED, _statement_for_new_workspace)
    house.panel(documents_panel)
    # The editor's remote cursors, through the pages' CSP.
    house.allow_style_attributes(CURSOR_STYLES)
    house.demo_content(_demo_documents)
    house.every("workspace.documents.store.compact_documents", 60)
    house.every("workspace.documents.versions.auto_version_documents", 60)
    house.every("workspace.documents.service.flush_edited_events", 30)
