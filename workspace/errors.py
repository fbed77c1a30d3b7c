"""Domain errors and the one place that renders the error envelope.

Services raise these plain exceptions (no Flask in the domain); the HTTP layer
turns them into `{"error": {"code", "message", "fields"}}`.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, fields: dict[str, Any] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

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


def register_error_handlers(app: Any) -> None:
    from flask import jsonify, render_template, request
    from werkzeug.exceptions import HTTPException

    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.path == "/healthz"

    def render(err: AppError) -> Any:
        if wants_json():
            return jsonify(err.envelope()), err.status
        return render_template("error.html", error=err), err.status

    @app.errorhandler(AppError)
    def _app_error(err: AppError) -> Any:
        return render(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Any:
        code = (err.name or "error").lower().replace(" ", "_")
        wrapped = AppError(err.description or err.name, code=code)
        wrapped.status = err.code or 500
        return render(wrapped)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        wrapped = AppError("Something went wrong on our side; it has been logged.",
                           code="internal_error")
        wrapped.status = 500
        return render(wrapped)
