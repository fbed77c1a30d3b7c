"""Routes for indicators, trials and measurements (thin: parse, call, shape)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from workspace.auth.current import require_user
from workspace.db import db
from workspace.http import Page, body_bytes, cursor_int, endpoint, error_doc, page_of
from workspace.trials import indicators, ingest_writer, measurements, service
from workspace.trials.schemas import (
    MAX_BATCH,
    IndicatorCreateSchema,
    IndicatorSchema,
    IndicatorUpdateSchema,
    MeasurementInputSchema,
    MeasurementListQuerySchema,
    MeasurementSchema,
    MeasurementsRecordedSchema,
    NextIterationSchema,
    TrialCreateSchema,
    TrialListQuerySchema,
    TrialSchema,
    TrialUpdateSchema,
)

MAX_BODY_BYTES = 16 * 1024 * 1024


# ------------------------------------------------------------------ indicators
@endpoint(
    "/workspaces/<int:workspace_id>/indicators",
    summary="Target indicators",
    tag="indicators",
    response=IndicatorSchema(),
    paginated=True,
)
def list_indicators(workspace_id: int, query: dict) -> Page:
    with db.reading() as s:
        return Page(indicators.list_indicators(s, require_user(), workspace_id), None)


@endpoint(
    "/workspaces/<int:workspace_id>/indicators",
    "POST",
    summary="Add an indicator",
    tag="indicators",
    body=IndicatorCreateSchema(),
    response=IndicatorSchema(),
    status=201,
)
def create_indicator(workspace_id: int, data: dict) -> Any:
    with db.transaction() as s:
        return indicators.create_indicator(s, require_user(), workspace_id, data)


@endpoint(
    "/indicators/<int:indicator_id>",
    "PATCH",
    summary="Change an indicator (not its key)",
    tag="indicators",
    body=IndicatorUpdateSchema(),
    response=IndicatorSchema(),
)
def update_indicator(indicator_id: int, data: dict) -> Any:
    with db.transaction() as s:
        return indicators.update_indicator(s, require_user(), indicator_id, data)


@endpoint(
    "/indicators/<int:indicator_id>",
    "DELETE",
    summary="Delete an indicator that no measurement and no milestone criterion uses",
    tag="indicators",
    status=204,
    doc_responses={
        "409": error_doc(
            "Measurements (code `indicator_measured`) or milestone criteria "
            "(`indicator_in_criteria`) use it"
        )
    },
)
def delete_indicator(indicator_id: int) -> None:
    with db.transaction() as s:
        indicators.delete_indicator(s, require_user(), indicator_id)


# ------------------------------------------------------------------ trials
def _trial_response(payload: dict[str, Any], status: int = 200) -> Any:
    response = jsonify(TrialSchema().dump(payload))
    response.status_code = status
    response.headers["ETag"] = payload["etag"]
    if status == 201:
        response.headers["Location"] = url_for("api.trials_get_trial", trial_id=payload["id"])
    return response


@endpoint(
    "/workspaces/<int:workspace_id>/trials",
    summary="Trials, oldest first",
    tag="trials",
    query=TrialListQuerySchema(),
    response=TrialSchema(),
    paginated=True,
)
def list_trials(workspace_id: int, query: dict) -> Page:
    with db.reading() as s:
        rows = service.list_trials(
            s,
            require_user(),
            workspace_id,
            cursor_int(query["cursor"]),
            query["limit"],
            query["status"],
        )
        page = page_of(rows, query["limit"])
        page.items = service.trial_payloads(s, page.items)
    return page


@endpoint(
    "/workspaces/<int:workspace_id>/trials",
    "POST",
    summary="Plan a trial",
    tag="trials",
    body=TrialCreateSchema(),
    response=TrialSchema(),
    status=201,
)
def create_trial(workspace_id: int, data: dict) -> Any:
    with db.transaction() as s:
        trial = service.create_trial(s, require_user(), workspace_id, data)
        payload = service.trial_payload(s, trial)
    return _trial_response(payload, 201)


@endpoint(
    "/trials/<int:trial_id>",
    summary="A trial with its live (or fixed) outcome; the ETag header is for If-Match",
    tag="trials",
    response=TrialSchema(),
)
def get_trial(trial_id: int) -> Any:
    with db.reading() as s:
        payload = service.trial_payload(s, service.get_trial(s, require_user(), trial_id))
    return _trial_response(payload)


@endpoint(
    "/trials/<int:trial_id>",
    "PATCH",
    summary="Edit a trial or move its status (planned → running → completed | aborted). "
    "Send If-Match with the ETag: a stale one gets 412",
    tag="trials",
    body=TrialUpdateSchema(),
    response=TrialSchema(),
    doc_responses={"412": error_doc("If-Match holds a stale ETag")},
)
def update_trial(trial_id: int, data: dict) -> Any:
    with db.transaction() as s:
        trial = service.update_trial(
            s, require_user(), trial_id, data, request.headers.get("If-Match")
        )
        payload = service.trial_payload(s, trial)
    return _trial_response(payload)


@endpoint(
    "/trials/<int:trial_id>",
    "DELETE",
    summary="Delete a planned trial (running or finished: 409). If-Match is honoured",
    tag="trials",
    status=204,
    doc_responses={
        "409": error_doc("The trial is not planned (code `trial_not_planned`)"),
        "412": error_doc("If-Match holds a stale ETag"),
    },
)
def delete_trial(trial_id: int) -> None:
    with db.transaction() as s:
        service.delete_trial(s, require_user(), trial_id, request.headers.get("If-Match"))


@endpoint(
    "/trials/<int:trial_id>/next",
    "POST",
    summary="Start the next iteration: a planned child trial with this trial's line and "
    "parameters (optionally changed)",
    tag="trials",
    body=NextIterationSchema(),
    response=TrialSchema(),
    status=201,
)
def next_iteration(trial_id: int, data: dict) -> Any:
    with db.transaction() as s:
        trial = service.start_next_iteration(s, require_user(), trial_id, data)
        payload = service.trial_payload(s, trial)
    return _trial_response(payload, 201)


# ------------------------------------------------------------------ measurements
@endpoint(
    "/trials/<int:trial_id>/measurements",
    summary="Measurements, oldest first",
    tag="measurements",
    query=MeasurementListQuerySchema(),
    response=MeasurementSchema(),
    paginated=True,
)
def list_measurements(trial_id: int, query: dict) -> Page:
    with db.reading() as s:
        rows = measurements.list_measurements(
            s,
            require_user(),
            trial_id,
            cursor_int(query["cursor"]),
            query["limit"],
            query["metric"],
        )
        return page_of(rows, query["limit"])


# Built once: constructing a schema (and its nested one) cost more per request
# than dumping the answer with it.
RECORDED = MeasurementsRecordedSchema()


@endpoint(
    "/trials/<int:trial_id>/measurements",
    "POST",
    summary="Record measurements: one object or a list, only while the trial is running",
    tag="measurements",
    response=RECORDED,
    status=201,
    scope="measurements:write",
    limits="up to 10,000 measurements per request (more: 413); values must be finite "
    "numbers and metrics indicator keys (else 422); a batch re-sent with the "
    "same client_key is stored once and answered as the first time",
    doc_body={
        "oneOf": [
            MeasurementInputSchema(),
            {
                "type": "array",
                "items": MeasurementInputSchema(),
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "description": f"A batch of up to {MAX_BATCH:,} measurements, sharing one "
                "client_key if any.",
            },
        ]
    },
    doc_responses={
        "413": error_doc(f"More than {MAX_BATCH:,} measurements in one request"),
        "409": error_doc("The trial is not running"),
    },
)
def record_measurements(trial_id: int) -> Any:
    readings, client_key = measurements.parse_body(body_bytes(MAX_BODY_BYTES))
    answer, replayed = ingest_writer.submit(require_user(), trial_id, readings, client_key)
    response = jsonify(RECORDED.dump(answer))
    response.status_code = 201
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
