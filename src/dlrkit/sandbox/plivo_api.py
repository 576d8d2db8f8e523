"""Plivo's API conventions, shared by the call and message imitations: basic authentication with
the auth id and auth token (the same auth id in the path), parameters as JSON or form fields,
and error answers `{"api_id", "error"}` (401, or 400 naming the parameter).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.responses import JSONResponse, Response

from dlrkit.sandbox.runtime import Sandbox, valid_url

FORM = "application/x-www-form-urlencoded"


class Bad(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def error_answer(status: int, error: str) -> Response:
    return JSONResponse({"api_id": str(uuid.uuid4()), "error": error}, status)


async def open_request(request: Request, auth_id: str) -> tuple[Sandbox, dict[str, Any]]:
    sandbox: Sandbox = request.app.state.sandbox
    account = sandbox.store.state.plivo
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    try:
        user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    if scheme.lower() != "basic" or (user, password) != (account.auth_id, account.auth_token):
        raise Bad(
            401,
            "Authentication credentials invalid: use basic auth with your auth id and auth token",
        )
    if auth_id != account.auth_id:
        raise Bad(401, f"auth_id {auth_id!r} in the URL is not the authenticated account")
    body = await request.body()
    params: dict[str, Any] = {}
    if body.strip():
        if request.headers.get("content-type", "").startswith(FORM):
            params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        else:
            try:
                params = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                raise Bad(400, "the request body is not valid JSON") from None
            if not isinstance(params, dict):
                raise Bad(400, "the request body must be a JSON object")
    return sandbox, params


def require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise Bad(400, f"{name} is a required parameter")


def url_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not valid_url(value):
        raise Bad(400, f"{name} must be a valid http(s) URL")
    return str(value)
