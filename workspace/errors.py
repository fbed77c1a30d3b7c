"""Domain errors and the one place that renders the error envelope.

Services raise these plain exceptions (no Flask in the domain); the HTTP layer
turns them into `{"error": {"code", "message", "fields"}}`.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException


class AppError(Exception):
    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds, sent as Retry-After

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        if retry_after is not None:
            self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class PreconditionFailed(AppError):
    status, code = 412, "precondition_failed"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class ValidationFailed(AppError):
    status, code = 422, "validation_failed"


class RateLimited(AppError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(AppError):
    status, code, retry_after = 503, "service_unavailable", 5


# Seconds a client is told to wait when the database cannot be reached.
UNAVAILABLE_RETRY_AFTER = 5


def unavailable() -> ServiceUnavailable:
    """For a request the database could not serve (unreachable, restarting,
    connection lost mid-request; see workspace/db.py for the time limits):
    nothing was changed, and the same request later will work, so 503 with
    Retry-After rather than a 500 that says our code is broken."""
    return ServiceUnavailable(
        "The service is briefly unavailable (the database cannot be reached); nothing was "
        "changed. Try again in a few seconds.",
        retry_after=UNAVAILABLE_RETRY_AFTER,
    )


def is_unavailable(err: BaseException) -> bool:
    """The database could not be reached or the connection broke: an
    OperationalError (psycopg raises that for refused, timed-out and reset
    connections; SQLite for "database is locked"), an InterfaceError (a
    connection already closed) or the pool's own timeout."""
    return isinstance(err, OperationalError | InterfaceError | PoolTimeout)


def out_of_range() -> ValidationFailed:
    """For a number or text the validators let through that the database
    cannot store (an id past 2^31 on PostgreSQL, past 2^63 on SQLite): the
    request was bad, not the server, and its transaction has been rolled back."""
    return ValidationFailed(
        "A value in the request is out of range: too large a number or too long a text."
    )


def is_out_of_range(err: Exception) -> bool:
    return isinstance(err, OverflowError | DataError)


def register_error_handlers(app: Any) -> None:
    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.path == "/healthz"

    def render(err: AppError) -> Any:
        headers = {}
        if getattr(err, "retry_after", None):
            headers["Retry-After"] = str(err.retry_after)
        if wants_json():
            return jsonify(err.envelope()), err.status, headers
        return render_template("error.html", error=err), err.status, headers

    @app.errorhandler(AppError)
    def _app_error(err: AppError) -> Any:
        return render(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Any:
        code = (err.name or "error").lower().replace(" ", "_")
        wrapped = AppError(err.description or err.name, code=code)
        wrapped.status = err.code or 500
        return render(wrapped)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(err: Exception) -> Any:
        app.logger.warning(
            "value out of range on %s %s: %s",
            request.method,
            request.path,
            str(err).splitlines()[0],
        )
        return render(out_of_range())

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        if is_unavailable(err):
            # One line, not a traceback per request while the database is away.
            app.logger.warning(
                "database unavailable on %s %s: %s",
                request.method,
                request.path,
                str(err).splitlines()[0] if str(err) else err,
            )
            return render(unavailable())
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        wrapped = AppError(
            "Something went wrong on our side; it has been logged.", code="internal_error"
        )
        wrapped.status = 500
        return render(wrapped)
