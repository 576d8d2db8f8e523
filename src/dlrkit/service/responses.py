"""JSON answers and the error contract: every refusal is `{"error": ..., "field": ...}`.

Exception handlers turn the few ways a request can fail into that shape: FastAPI's own
validation (422, naming the parameter), `ApiError` raised by routes, `StorageUnavailable` (503,
the client may retry), Starlette's 404/405, and, as a last resort for a bug, 500 "internal
error" with the trace in the log only. No response ever carries a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

log = logging.getLogger("dlrkit.service")
_encode = msgspec.json.Encoder().encode


class ApiError(Exception):
    """A refusal a route raises on purpose."""

    def __init__(
        self,
        status: int,
        error: str,
        field: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ):
        super().__init__(error)
        self.status, self.error, self.field = status, error, field
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class StorageUnavailable(Exception):
    """The store (or broker) failed; the request can be retried later."""


def json_response(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(_encode(data), status, headers=headers, media_type="application/json")


def error_response(
    status: int,
    error: str,
    field: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    body: dict[str, object] = {"error": error, "field": field}
    body.update(extra or {})
    return json_response(body, status, headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.field, headers=exc.headers, extra=exc.extra)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header", "body")]
    field = loc[0] if loc else None
    message = str(first.get("msg", "invalid value"))
    return error_response(422, f"{field}: {message}" if field else message, field)


async def _storage(request: Request, exc: Exception) -> Response:
    log.error("storage unavailable on %s %s: %r", request.method, request.url.path, exc.__cause__)
    return error_response(503, "storage unavailable", headers={"Retry-After": "5"})


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    return error_response(exc.status_code, detail, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StorageUnavailable, _storage)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
