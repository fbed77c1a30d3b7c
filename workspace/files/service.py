"""Files: the rules (who may add, read, delete; limits; attachments; events).

The bytes are received by `upload.receive` before any row is written; the
row and its `file.added` event are one transaction; a blob with no row is
the orphan sweep's to delete, so a failed transaction leaves at worst an
unreferenced blob for a while, never a row without bytes.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, can, require_row, require_workspace
from workspace.auth.models import User
from workspace.documents.models import Document
from workspace.errors import Forbidden, PayloadTooLarge, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.fields import iso_utc
from workspace.files.models import ATTACHABLE, StoredFile
from workspace.files.upload import Upload, human
from workspace.milestones.models import Milestone
from workspace.spaces.models import Workspace
from workspace.trials.models import Trial

TARGETS = {"trial": Trial, "milestone": Milestone, "document": Document}
# Shown in the browser; everything else is a download, so nothing uploaded
# can run as a page of this site (HTML, SVG, XML, JavaScript…).
INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")

# Run inside the adding transaction (thumbnails are planned from the log).
FileHook = Callable[[Session, StoredFile, User], None]
on_file_added: list[FileHook] = []


def clean_name(raw: str) -> str:
    """A display name: no path, no control characters, at most 255 characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    ).strip()
    if name in ("", ".", ".."):
        name = "file"
    return name[:255]


def content_type_of(name: str, declared: str) -> str:
    """The name's type when it has a known extension, else what the client
    declared if it is a plain type, else octet-stream."""
    guessed, _enc = mimetypes.guess_type(name, strict=False)
    candidate = (guessed or declared.split(";", 1)[0]).strip().lower()
    return candidate if _TOKEN.match(candidate) else "application/octet-stream"


def is_inline(content_type: str) -> bool:
    return content_type in INLINE_TYPES


def file_payload(f: StoredFile, uploader: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": f.id,
        "workspace_id": f.workspace_id,
        "name": f.name,
        "size": f.size,
        "content_type": f.content_type,
        "sha256": f.sha256,
        "uploaded_by": uploader,
        "created_at": f.created_at,
        "attached_to": f.attached_to,
    }


def _event_payload(f: StoredFile, uploader: dict[str, Any] | None) -> dict[str, Any]:
    return {**file_payload(f, uploader), "created_at": iso_utc(f.created_at)}


def payloads(session: Session, rows: list[StoredFile]) -> list[dict[str, Any]]:
    ids = {f.uploaded_by_id for f in rows if f.uploaded_by_id is not None}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return [
        file_payload(
            f,
            {"id": f.uploaded_by_id, "name": names.get(f.uploaded_by_id, "")}
            if f.uploaded_by_id is not None
            else None,
        )
        for f in rows
    ]


def payload(session: Session, f: StoredFile) -> dict[str, Any]:
    return payloads(session, [f])[0]


def check_may_upload(session: Session, actor: User, workspace_id: int) -> None:
    """Before the body is read: a non-member learns nothing, a viewer is refused."""
    require_workspace(session, actor, workspace_id, Need.EDIT)


def _attachment(
    session: Session, workspace_id: int, fields: dict[str, str]
) -> tuple[str, int] | None:
    given = [(k, fields[f"{k}_id"]) for k in ATTACHABLE if fields.get(f"{k}_id", "") != ""]
    if len(given) > 1:
        raise ValidationFailed(
            "Attach a file to at most one of a trial, a milestone or a document.",
            fields={f"{k}_id": ["Only one of these."] for k, _v in given},
        )
    if not given:
        return None
    kind, raw = given[0]
    try:
        target_id = int(raw)
        if not 0 < target_id < 2**31:
            raise ValueError
    except ValueError:
        raise ValidationFailed(
            "Not a valid id.", fields={f"{kind}_id": ["Not a valid id."]}
        ) from None
    row = session.get(TARGETS[kind], target_id)
    if row is None or row.workspace_id != workspace_id:
        raise ValidationFailed(
            f"No {kind} {target_id} in this workspace.",
            fields={f"{kind}_id": [f"No such {kind} in this workspace."]},
        )
    return kind, target_id


def guard_blob(session: Session, sha256: str) -> None:
    """Serialise, per blob, "store the bytes and add the row" against the
    orphan sweep's "no row refers to it, delete": held until the transaction
    ends (PostgreSQL: an advisory lock on the hash; SQLite: the write lock,
    which every write transaction takes)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (int(sha256[:15], 16),))


def used_bytes(session: Session, workspace_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(StoredFile.size), 0)).where(
                StoredFile.workspace_id == workspace_id
            )
        )
        or 0
    )


def _check_quota(session: Session, workspace_id: int, size: int, quota: int) -> None:
    if quota and used_bytes(session, workspace_id) + size > quota:
        raise PayloadTooLarge(
            f"This workspace's files would exceed its quota of {human(quota)} "
            f"({quota:,} bytes); delete some files or ask the operator for more.",
            fields={"file": ["Over the workspace's quota."]},
            code="quota_exceeded",
        )


def check_attachment_and_quota(
    session: Session, actor: User, workspace_id: int, upload: Upload, quota: int
) -> None:
    """The refusals that need no storage, made before the bytes are moved."""
    ws = require_workspace(session, actor, workspace_id, Need.EDIT)
    _attachment(session, ws.id, upload.fields)
    _check_quota(session, ws.id, upload.size, quota)


def add_file(
    session: Session, actor: User, workspace_id: int, upload: Upload, quota: int
) -> StoredFile:
    """The row for bytes already in storage under `blob_key(upload.sha256)`."""
    ws = require_workspace(session, actor, workspace_id, Need.EDIT)
    if quota:
        # Two uploads at once must not both fit in the last of the quota.
        session.execute(select(Workspace.id).where(Workspace.id == ws.id).with_for_update())
    attached = _attachment(session, ws.id, upload.fields)
    _check_quota(session, ws.id, upload.size, quota)
    name = clean_name(upload.filename)
    f = StoredFile(
        workspace_id=ws.id,
        name=name,
        size=upload.size,
        content_type=content_type_of(name, upload.declared_type),
        sha256=upload.sha256,
        uploaded_by_id=actor.id,
    )
    if attached is not None:
        setattr(f, f"{attached[0]}_id", attached[1])
    session.add(f)
    session.flush()
    record_event(
        session,
        ws.id,
        ev.FILE_ADDED,
        {"file": _event_payload(f, {"id": actor.id, "name": actor.name})},
        actor,
    )
    for hook in on_file_added:
        hook(session, f, actor)
    return f


def get_file(session: Session, actor: User, file_id: int) -> StoredFile:
    return require_row(session, actor, StoredFile, file_id, Need.READ, "File not found.")


def list_files(
    session: Session,
    actor: User,
    workspace_id: int,
    after_id: int,
    limit: int,
    filters: dict[str, int | None],
) -> list[StoredFile]:
    ws = require_workspace(session, actor, workspace_id, Need.READ)
    stmt = select(StoredFile).where(StoredFile.workspace_id == ws.id, StoredFile.id > after_id)
    for kind in ATTACHABLE:
        value = filters.get(f"{kind}_id")
        if value is not None:
            stmt = stmt.where(getattr(StoredFile, f"{kind}_id") == value)
    return list(session.scalars(stmt.order_by(StoredFile.id).limit(limit + 1)))


def files_attached(session: Session, kind: str, ids: list[int]) -> list[StoredFile]:
    """Files attached to these trials / milestones / documents (no access
    check: callers have done theirs), oldest first."""
    if not ids:
        return []
    column = getattr(StoredFile, f"{kind}_id")
    return list(session.scalars(select(StoredFile).where(column.in_(ids)).order_by(StoredFile.id)))


def delete_file(session: Session, actor: User, file_id: int) -> None:
    f = get_file(session, actor, file_id)
    own = f.uploaded_by_id == actor.id and can(session, actor, f.workspace_id, Need.EDIT)
    if not own and not can(session, actor, f.workspace_id, Need.MANAGE):
        raise Forbidden(
            "Only the person who uploaded a file and the workspace's owners can delete it."
        )
    data = payload(session, f)
    session.delete(f)
    session.flush()
    record_event(
        session,
        f.workspace_id,
        ev.FILE_DELETED,
        {"file": {**data, "created_at": iso_utc(data["created_at"])}},
        actor,
    )
