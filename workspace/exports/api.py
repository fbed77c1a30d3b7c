"""Start an export of the dashboard, follow its progress, download it."""

from __future__ import annotations

from typing import Any

from workspace.auth.current import require_user
from workspace.db import db
from workspace.errors import Conflict
from workspace.exports import service
from workspace.exports.schemas import ExportCreateSchema, ExportTaskSchema
from workspace.http import attachment, endpoint, error_doc

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@endpoint(
    "/exports",
    "POST",
    summary="Export the dashboard (its filters) as CSV or XLSX; a background job makes the file",
    tag="dashboard",
    body=ExportCreateSchema(),
    response=ExportTaskSchema(),
    status=202,
)
def create_export(data: dict) -> Any:
    with db.transaction() as s:
        task = service.create_task(s, require_user(), data)
        return service.task_payload(task)


@endpoint(
    "/exports/<string:task_id>",
    summary="An export's progress",
    tag="dashboard",
    response=ExportTaskSchema(),
)
def get_export(task_id: str) -> Any:
    with db.reading() as s:
        return service.task_payload(service.get_task(s, require_user(), task_id))


@endpoint(
    "/exports/<string:task_id>/download",
    summary="Download a finished export",
    tag="dashboard",
    produces={
        "text/csv": {"type": "string"},
        MIMETYPES["xlsx"]: {"type": "string", "format": "binary"},
    },
    doc_responses={"409": error_doc("`export_pending`: not finished yet")},
)
def download_export(task_id: str) -> Any:
    with db.reading() as s:
        task = service.get_task(s, require_user(), task_id)
    if task.status != "done" or task.content is None:
        raise Conflict("The export is not finished yet.", code="export_pending")
    return attachment(task.content, MIMETYPES[task.format], task.filename)
