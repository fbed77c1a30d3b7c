"""`POST /trials/{id}/measurements/import`: a line system's export becomes
readings through the measurement writer (ingest_writer.py: same rules)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from workspace.auth.access import Need
from workspace.auth.current import require_user
from workspace.config import settings_of
from workspace.db import db
from workspace.errors import ValidationFailed
from workspace.files.storage import storage
from workspace.files.upload import receive, too_large
from workspace.http import endpoint, multipart_body
from workspace.trials import imports, ingest_writer, service
from workspace.trials.readings import Readings
from workspace.trials.results import indicators_of
from workspace.trials.schemas import MeasurementsRecordedSchema

RECORDED = MeasurementsRecordedSchema()
FORM_OVERHEAD = 64 * 1024
IMPORT_BODY = multipart_body(
    {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "CSV (UTF-8, with or without BOM, or GB18030) or XLSX; long layout "
            "`metric,value[,recorded_at,source]` or wide `[recorded_at,][source,]<indicator "
            "key>…`",
        }
    }
)
PREVIEW = {
    "type": "object",
    "properties": {
        "layout": {"type": "string", "enum": ["long", "wide"]},
        "file_type": {"type": "string", "enum": ["csv", "xlsx"]},
        "columns": {"type": "array", "items": {"type": "string"}},
        "mapping": {
            "type": "object",
            "additionalProperties": {"type": "string", "nullable": True},
            "description": "column → indicator key (null: not a reading column)",
        },
        "preview": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        "count": {"type": "integer", "description": "readings the file holds (good rows)"},
        "bad_rows": {"type": "integer"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "`row N` (the file's line) → its problem",
        },
        "trial_status": {"type": "string"},
    },
}


@endpoint(
    "/trials/<int:trial_id>/measurements/import",
    "POST",
    summary="Import measurements from a CSV or XLSX export, all rows or none. With "
    "`?dry_run=1`: nothing is stored; the answer previews the first rows, the "
    "column → indicator mapping and every bad row",
    tag="measurements",
    scope="measurements:write",
    doc_body=IMPORT_BODY,
    limits="up to 100,000 readings (more: 413) and FILE_MAX_BYTES; bad rows: 422 with "
    'error.fields {"row N": problem}; the same file again is stored once and '
    "answered with Idempotent-Replayed: true",
    doc_responses={
        "201": {
            "description": "Stored: a measurement batch's answer",
            "content": {"application/json": {"schema": RECORDED}},
        },
        "200": {
            "description": "dry_run=1: the preview",
            "content": {"application/json": {"schema": PREVIEW}},
        },
        "415": {"description": "Not CSV or XLSX (e.g. binary, .xls)"},
    },
)
def import_measurements(trial_id: int) -> Any:
    user = require_user()
    settings = settings_of(current_app)
    dry_run = request.args.get("dry_run") in ("1", "true", "yes")
    with db.reading() as s:
        trial = service.get_trial(s, user, trial_id, Need.EDIT)
        keys = {i.key for i in indicators_of(s, trial.workspace_id)}
        status = trial.status
    limit = settings.file_max_bytes
    if (request.content_length or 0) > limit + FORM_OVERHEAD:
        raise too_large(limit)
    request.max_content_length = limit + FORM_OVERHEAD
    upload = receive(
        request.stream, request.headers.get("Content-Type"), storage().staging_file, limit
    )
    try:
        if upload.size == 0:
            raise ValidationFailed(
                "The file is empty.", fields={"file": ["Empty file."]}, code="empty_file"
            )
        parsed = imports.parse_file(upload.path, upload.filename, keys, full=not dry_run)
    finally:
        upload.discard()
    if dry_run:
        return jsonify(
            {
                "layout": parsed.layout,
                "file_type": parsed.file_type,
                "columns": parsed.columns,
                "mapping": parsed.mapping,
                "preview": parsed.preview,
                "count": parsed.count,
                "bad_rows": parsed.bad_rows,
                "errors": parsed.errors,
                "trial_status": status,
            }
        )
    if parsed.errors:
        first = next(iter(parsed.errors))
        raise ValidationFailed(
            f"{parsed.bad_rows} row{'s' if parsed.bad_rows != 1 else ''} of the file "
            f"{'have' if parsed.bad_rows != 1 else 'has'} problems (first: {first}: "
            f"{parsed.errors[first]}); nothing was stored.",
            fields=parsed.errors,
            code="bad_rows",
        )
    readings = Readings.of_rows(parsed.rows)
    answer, replayed = ingest_writer.submit(user, trial_id, readings, f"import:{upload.sha256}")
    response = jsonify(RECORDED.dump(answer))
    response.status_code = 201
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
