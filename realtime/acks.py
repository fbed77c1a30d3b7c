"""Socket.IO handlers answer like the REST API: `{ok: true, ...}` or
`{ok: false, error: {code, message, fields}}` in the ack, never a crash.

Like `@endpoint` for REST, `@handler` authorises before anything else: the
connection's credential is re-checked (realtime/guard.py) and the token scope
the event needs is required, so no handler can forget to. `EVENTS` lists
every client event with the scope it needs; the authorization matrix test
is generated from it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError

from realtime import clients, on
from realtime.guard import authorize, drop_after_ack
from workspace import json_input
from workspace.auth.credentials import CredentialEnded
from workspace.errors import AppError, is_out_of_range, is_unavailable, out_of_range, unavailable

log = logging.getLogger(__name__)


def error_ack(err: AppError) -> dict[str, Any]:
    return {"ok": False, **err.envelope()}


class PlainSchema(Schema):
    """A schema that knows its usual payload without marshmallow's machinery:
    `plain(payload)` returns exactly what `load` would for a payload it
    recognises as valid, None for anything else, which `load` then decides
    (errors and all). For events sent at typing speed (doc:update)."""

    def plain(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        return None


# event -> the token scope it needs (as REST: `read` to look, `write` to change).
EVENTS: dict[str, str] = {}


def handler(
    event: str,
    schema: Schema | None = None,
    scope: str = "read",
    credential_in_transaction: bool = False,
) -> Callable[..., Any]:
    """`credential_in_transaction`: the handler re-checks the connection's
    credential itself, inside the transaction that acts on the call
    (guard.authorize's `read=False`); a CredentialEnded it raises drops the
    connection after the ack as the guard's own refusal does."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        EVENTS[event] = scope

        @functools.wraps(func)
        def wrapper(payload: Any = None, *_: Any) -> Any:
            try:
                client = clients.current()
                authorize(client, scope, read=not credential_in_transaction)
                # Nesting too deep or text that is not Unicode: refused as REST
                # refuses it, before any schema or handler meets it.
                json_input.check(payload)
                if schema is not None:
                    if not isinstance(payload, dict):
                        return error_ack(AppError("Expected an object.", code="validation_failed"))
                    plain = schema.plain(payload) if isinstance(schema, PlainSchema) else None
                    try:
                        payload = plain if plain is not None else schema.load(payload)
                    except ValidationError as err:
                        fields = err.messages if isinstance(err.messages, dict) else {}
                        wrapped = AppError(
                            "Some fields are invalid.", fields=fields, code="validation_failed"
                        )
                        return error_ack(wrapped)
                result = func(payload)
                return {"ok": True} if result is None else {"ok": True, **result}
            except CredentialEnded as err:
                drop_after_ack(client, err.reason)
                return error_ack(err)
            except AppError as err:
                return error_ack(err)
            except ValidationError as err:
                fields = (
                    err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
                )
                return error_ack(
                    AppError("Some fields are invalid.", fields=fields, code="validation_failed")
                )
            except Exception as err:
                if is_out_of_range(err):
                    return error_ack(out_of_range())
                if is_unavailable(err):  # as REST: 503 service_unavailable; try again
                    log.warning("socket handler %s: database unavailable", event)
                    return error_ack(unavailable())
                log.exception("socket handler %s failed", event)
                return error_ack(
                    AppError("Something went wrong on our side.", code="internal_error")
                )

        on(event)(wrapper)
        return wrapper

    return decorator
