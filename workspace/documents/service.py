"""Documents: creation, reading, replacing the text, and who edited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workspace.auth.access import Need, require_row, require_workspace
from workspace.auth.models import User
from workspace.db import db, utcnow
from workspace.documents import crdt, store
from workspace.documents.models import Document, DocumentVersion
from workspace.documents.template import STATEMENT_TITLE, statement_template
from workspace.errors import Conflict, NotFound, PayloadTooLarge
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.house import react
from workspace.spaces.models import Workspace

MAX_TEXT_BYTES = 1024 * 1024  # SPEC: document text up to 1 MB of UTF-8
EDITED_EVERY = timedelta(seconds=60)  # SPEC: document.edited at most once a minute
# How often an edit refreshes `updated_at` (each keystroke need not write the row).
TOUCH_EVERY = timedelta(seconds=2)


def require_document(
    session: Session, user: User, document_id: int, need: Need = Need.READ
) -> Document:
    return require_row(session, user, Document, document_id, need, "Document not found.")


def require_in_document(
    session: Session, user: User, model: type[Any], row_id: int, need: Need, missing: str
) -> tuple[Any, Document]:
    """A row of a document (a comment, a suggestion) and its document; a caller
    who may not `need` the document learns nothing: the row's own 404."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    try:
        document = require_document(session, user, row.document_id, need)
    except NotFound:
        raise NotFound(missing) from None
    return row, document


def check_text_size(text: str) -> None:
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise PayloadTooLarge(
            f"The document text is {size} bytes of UTF-8; the limit is {MAX_TEXT_BYTES} "
            "bytes (1 MB).",
            fields={"text": [f"At most {MAX_TEXT_BYTES} bytes of UTF-8."]},
        )


def document_ref(document: Document) -> dict[str, Any]:
    return {"id": document.id, "title": document.title, "kind": document.kind}


def document_payload(session: Session, document: Document, text: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": document.id,
        "workspace_id": document.workspace_id,
        "kind": document.kind,
        "title": document.title,
        "text": text,
        "created_at": document.created_at,
        "updated_at": document.updated_at,
        "agreed_version_id": document.agreed_version_id,
        "changed_since_agreed": None,
    }
    if document.agreed_version_id is not None:
        agreed_text = session.scalar(
            select(DocumentVersion.text).where(DocumentVersion.id == document.agreed_version_id)
        )
        payload["changed_since_agreed"] = agreed_text is not None and agreed_text != text
    return payload


# ------------------------------------------------------------------ creation
def insert_document(
    session: Session,
    actor: User | None,
    workspace_id: int,
    kind: str,
    title: str,
    text: str,
    announce: bool = True,
) -> Document:
    check_text_size(text)
    now = utcnow()
    document = Document(
        workspace_id=workspace_id,
        kind=kind,
        title=title.strip(),
        pending_editors=[],
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
        updated_at=now,
        # The starting text is not an edit worth an automatic version.
        last_version_at=now,
    )
    session.add(document)
    session.flush()
    store.create_snapshot(session, document.id, crdt.doc_from_text(text).get_update())
    if announce:
        record_event(
            session, workspace_id, ev.DOCUMENT_CREATED, {"document": document_ref(document)}, actor
        )
    return document


def create_problem_statement(session: Session, workspace: Workspace, actor: User) -> Document:
    """Every workspace starts with its statement (a reaction to `workspace.created`,
    declared in documents/capability.py).
    No document.created here: workspace.created already says it, and the
    workspace's log then starts with exactly one event."""
    return insert_document(
        session,
        actor,
        workspace.id,
        "problem_statement",
        STATEMENT_TITLE,
        statement_template(workspace.title),
        announce=False,
    )


def create_document(
    session: Session,
    actor: User,
    workspace_id: int,
    *,
    title: str,
    kind: str = "answer",
    text: str = "",
) -> Document:
    ws = require_workspace(session, actor, workspace_id, Need.EDIT)
    if kind == "problem_statement":
        exists = session.scalar(
            select(Document.id).where(
                Document.workspace_id == ws.id, Document.kind == "problem_statement"
            )
        )
        if exists is not None:
            raise Conflict(
                "This workspace already has its problem statement; add an answer document instead."
            )
        text = text or statement_template(ws.title)
    return insert_document(session, actor, ws.id, kind, title, text)


def rename_document(session: Session, actor: User, document_id: int, title: str) -> Document:
    """Owners and editors rename (the schema trimmed and bounded the title);
    the same title again changes nothing and says nothing."""
    document = require_document(session, actor, document_id, Need.EDIT)
    if document.title == title:
        return document
    previous = document.title
    # `updated_at` stays: it tracks the text (automatic versions follow it),
    # and a new title is not a new text.
    document.title = title
    session.flush()
    record_event(
        session,
        document.workspace_id,
        ev.DOCUMENT_RENAMED,
        {"document": document_ref(document), "previous_title": previous},
        actor,
    )
    return document


def list_documents(
    session: Session, actor: User, workspace_id: int, after_id: int, limit: int
) -> list[Document]:
    require_workspace(session, actor, workspace_id, Need.READ)
    stmt = (
        select(Document)
        .where(Document.workspace_id == workspace_id, Document.id > after_id)
        .order_by(Document.id)
        .limit(limit + 1)
    )
    return list(session.scalars(stmt))


def documents_of(session: Session, workspace_id: int) -> list[Document]:
    """Statement first, then answers in creation order (for pages)."""
    rows = session.scalars(
        select(Document).where(Document.workspace_id == workspace_id).order_by(Document.id)
    ).all()
    return sorted(rows, key=lambda d: (d.kind != "problem_statement", d.id))


def current_text(session: Session, document_id: int) -> str:
    return crdt.text_str(store.load_doc(session, document_id))


# ------------------------------------------------------------------ edits
# What note_edit reads and writes of a document.
_EDIT_COLUMNS = ("updated_at", "edited_event_at", "pending_editors")
_DOCUMENTS = Document.__table__
_NOTE_EDITS = (
    _DOCUMENTS.update()
    .where(_DOCUMENTS.c.id == bindparam("p_id"))
    .values({c: bindparam(f"p_{c}") for c in _EDIT_COLUMNS})
)


def note_edit(
    session: Session, document: Document, actor: User, now: datetime | None = None
) -> None:
    """Record document.edited at once for the first edit, then at most once a
    minute, naming everyone who edited since the last one."""
    marks = {c: getattr(document, c) for c in _EDIT_COLUMNS}
    editors = _edited(marks, actor, now or utcnow())
    if editors is not None:
        _record_edited(session, document, editors, actor)
    for column, value in marks.items():
        if value is not getattr(document, column):  # what note_edit assigned, only that
            setattr(document, column, value)


def note_edits(session: Session, edits: list[tuple[Document, User]]) -> None:
    """`note_edit` for each (document, author) in order, as if one after the
    other (the same events, recorded in the same order, and the same column
    values), written as one statement for all the documents whose columns
    changed instead of through the ORM's unit of work (the co-editing
    writer's batches). The documents, loaded in this session with no
    unflushed change to those columns, are given the values written."""
    held: dict[int, tuple[Document, dict[str, Any]]] = {}
    for document, actor in edits:
        if document.id not in held:
            held[document.id] = (document, {c: getattr(document, c) for c in _EDIT_COLUMNS})
        marks = held[document.id][1]
        editors = _edited(marks, actor, utcnow())
        if editors is not None:
            _record_edited(session, document, editors, actor)
    changed = [
        (document, marks)
        for document, marks in held.values()
        if any(marks[c] is not getattr(document, c) for c in _EDIT_COLUMNS)
    ]
    if not changed:
        return
    session.execute(
        _NOTE_EDITS,
        [{"p_id": d.id, **{f"p_{c}": v for c, v in marks.items()}} for d, marks in changed],
    )
    for document, marks in changed:
        for column, value in marks.items():
            set_committed_value(document, column, value)


def _edited(marks: dict[str, Any], actor: User, now: datetime) -> list[dict[str, Any]] | None:
    """note_edit's decision, on `marks` (a document's _EDIT_COLUMNS, changed
    in place: a column it changes gets a new object): the editors a
    document.edited event names now, or None when none is due."""
    me = {"id": actor.id, "name": actor.name}
    pending = list(marks["pending_editors"] or [])
    edited_at = marks["edited_event_at"]
    if edited_at is None or now - edited_at >= EDITED_EVERY:
        marks.update(edited_event_at=now, pending_editors=[], updated_at=now)
        return [e for e in pending if e["id"] != actor.id] + [me]
    if all(e["id"] != actor.id for e in pending):
        marks.update(pending_editors=[*pending, me], updated_at=now)
    elif now - marks["updated_at"] >= TOUCH_EVERY:
        marks["updated_at"] = now
    return None


def _record_edited(
    session: Session, document: Document, editors: list[dict[str, Any]], actor: User | None
) -> None:
    record_event(
        session,
        document.workspace_id,
        ev.DOCUMENT_EDITED,
        {
            "document": document_ref(document),
            "editors": [e["name"] for e in editors],
            "editor_ids": [e["id"] for e in editors],
        },
        actor,
    )


def flush_edited_events(now: datetime | None = None) -> int:
    """Periodic job: the editors of a burst that ended within a minute of the
    last document.edited still get their event once the minute is over."""
    now = now or utcnow()
    count = 0
    with db.transaction() as s:
        rows = s.scalars(
            select(Document)
            .where(
                Document.edited_event_at.is_not(None),
                Document.edited_event_at <= now - EDITED_EVERY,
                Document.updated_at > Document.edited_event_at,
            )
            .with_for_update()
        ).all()
        for document in rows:
            if not document.pending_editors:
                continue
            _record_edited(
                session=s, document=document, editors=document.pending_editors, actor=None
            )
            document.edited_event_at = now
            document.pending_editors = []
            count += 1
    return count


# Signal (house.react): an edit made by the server (PUT text, a restored
# version, an accepted suggestion) was stored in this transaction; args:
# (document id, the update). The live side relays it once committed.
SERVER_EDIT = "document.server_edit"


def store_server_edit(session: Session, document: Document, actor: User, update: bytes) -> None:
    """Store an edit the server made and tell whoever listens (SERVER_EDIT)."""
    _, used = store.append_update(session, document.id, update, actor.id)
    note_edit(session, document, actor)
    react(session, SERVER_EDIT, document.id, update)
    store.note_usage(session, document.id, used)


def replace_text(actor: User, document_id: int, text: str) -> dict[str, Any]:
    """PUT text: the minimal CRDT edit from the stored text to `text`.
    Returns the document payload; open editors get the edit (SERVER_EDIT)."""
    check_text_size(text)
    return set_text(actor, document_id, lambda _session: text)


def set_text(actor: User, document_id: int, target: Callable[[Session], str]) -> dict[str, Any]:
    """Store the minimal CRDT edit from the stored text to `target(session)`
    (read in the same transaction, e.g. a version's text) as one update, with
    room made for it first if the document is full (store.with_room); the
    document payload after it. Open editors get the edit (SERVER_EDIT)."""

    def attempt() -> dict[str, Any]:
        with db.transaction() as s:
            document = require_document(s, actor, document_id, Need.EDIT)
            text = target(s)
            store.lock_document(s, document_id)
            doc = store.load_doc(s, document_id)
            update = crdt.replace_text(doc, text)
            if not crdt.is_empty(update):
                store_server_edit(s, document, actor, update)
            return document_payload(s, document, crdt.text_str(doc))

    return store.with_room(document_id, attempt)
