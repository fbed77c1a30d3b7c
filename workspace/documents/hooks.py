"""Where documents plug into the rest: every new workspace gets its problem
statement, the workspace page a documents panel, the demo some content, and
the scheduler the periodic document jobs."""

from __future__ import annotations

from pathlib import Path

from flask import render_template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs import schedule
from workspace import demo
from workspace.auth.access import edits
from workspace.auth.models import User
from workspace.documents import crdt, store
from workspace.documents import pages as _pages  # noqa: F401  (registers the page route)
from workspace.documents.models import Document
from workspace.documents.service import (
    create_problem_statement,
    documents_of,
    insert_document,
    note_edit,
)
from workspace.pages.views import WORKSPACE_PANELS
from workspace.workspaces.models import Workspace
from workspace.workspaces.service import on_workspace_created


def _statement_for_new_workspace(session: Session, workspace: Workspace, actor: User) -> None:
    create_problem_statement(session, workspace, actor)


def documents_panel(ws: Workspace, user: User, role: str | None) -> Markup:
    from workspace.db import db

    with db.reading() as s:
        rows = documents_of(s, ws.id)
    can_edit = edits(user, role)
    return Markup(render_template("documents/panel.html", ws=ws, documents=rows,
                                  can_edit=can_edit))


DEMO_DIR = Path(__file__).resolve().parent / "demo"


def _demo_documents(session: Session, workspace: Workspace, users: dict[str, User]) -> None:
    statement = session.scalar(select(Document).where(
        Document.workspace_id == workspace.id, Document.kind == "problem_statement"))
    if statement is not None:
        doc = store.load_doc(session, statement.id)
        update = crdt.replace_text(doc, (DEMO_DIR / "statement.md").read_text("utf-8"))
        store.append_update(session, statement.id, update, users["enterprise"].id)
        note_edit(session, statement, users["enterprise"])
        _demo_suggestion(session, statement, users["university"], crdt.text_str(doc))
    insert_document(session, users["university"], workspace.id, "answer", "方案建议 Proposal",
                    (DEMO_DIR / "answer.md").read_text("utf-8"))


def _demo_suggestion(session: Session, statement: Document, author: User, text: str) -> None:
    """A newcomer sees a suggested edit waiting in the statement."""
    from workspace.documents.suggestions import create_suggestion

    words = "连续 3 批"
    at = text.find(words)
    if at != -1:
        create_suggestion(session, author, statement.id, {"from": at, "to": at + len(words)},
                          "连续 5 批", "3 批的样本太少，建议 5 批。Three batches are too few.")


def register() -> None:
    if _statement_for_new_workspace not in on_workspace_created:
        on_workspace_created.append(_statement_for_new_workspace)
    if documents_panel not in WORKSPACE_PANELS:
        WORKSPACE_PANELS.insert(0, documents_panel)
    if _demo_documents not in demo.DEMO_HOOKS:
        demo.DEMO_HOOKS.append(_demo_documents)
    schedule.add("workspace.documents.store.compact_documents", 60)
    schedule.add("workspace.documents.versions.auto_version_documents", 60)
    schedule.add("workspace.documents.service.flush_edited_events", 30)


register()
