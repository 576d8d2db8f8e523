"""Infobip's API conventions, shared by the SMS and voice imitations: authentication, request
parsing and whole-request error answers.

Requests authenticate with `Authorization: App <api key>`. A request Infobip refuses as a whole
gets its error answer: 401 UNAUTHORIZED, or 400 BAD_REQUEST whose `validationErrors` name the
field (v1/v2 APIs: `{"requestError": {"serviceException": ...}}`), or the v3 answer
`{"errorCode": "E400", "violations": [{"property", "violation"}]}`. Validity periods are capped
at 48 hours, Infobip's default and maximum (seed 001, EXPIRED group).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from fastapi import Request
from starlette.responses import JSONResponse, Response

from dlrkit.sandbox.runtime import Sandbox, valid_url

MAX_VALIDITY = 48 * 3600  # seconds: the default and the ceiling
_UNITS = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600, "DAYS": 86400}


class Bad(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field, self.problem = field, problem


class Spec(NamedTuple):
    """One `messages[i]` of a request, in version-neutral terms."""

    sender: str | None
    destinations: list[tuple[str, str | None]]  # (to, messageId given by the client)
    text: str
    validity: float  # seconds
    notify_url: str | None
    callback_data: str | None
    extra: dict[str, Any]


def sandbox_of(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def v2_error(
    status: int, message_id: str, text: str, errors: dict[str, list[str]] | None = None
) -> Response:
    exc: dict[str, Any] = {"messageId": message_id, "text": text}
    if errors:
        exc["validationErrors"] = errors
    return JSONResponse({"requestError": {"serviceException": exc}}, status)


def v3_error(
    status: int, code: str, description: str, field: str | None = None, problem: str = ""
) -> Response:
    body: dict[str, Any] = {
        "errorCode": code,
        "description": description,
        "action": "Check the syntax, violations and adjust the request.",
    }
    body["violations"] = [{"property": field, "violation": problem}] if field else []
    body["resources"] = [
        {"name": "SMS API Documentation", "url": "https://www.infobip.com/docs/api/channels/sms"}
    ]
    return JSONResponse(body, status)


async def read_json(request: Request) -> dict[str, Any]:
    try:
        doc = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise Bad("body", "must be valid JSON") from None
    if not isinstance(doc, dict):
        raise Bad("body", "must be a JSON object")
    return doc


def authorized(request: Request, sandbox: Sandbox) -> bool:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "app" and key.strip() == sandbox.store.state.infobip.api_key


def text_of(obj: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise Bad(f"{where}.{key}", "must not be blank")
        return None
    if not isinstance(value, str):
        raise Bad(f"{where}.{key}", "must be a string")
    return value


def messages_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Bad("messages", "must not be empty")
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise Bad(f"messages[{i}]", "must be an object")
    return messages


def destinations_of(m: dict[str, Any], where: str) -> list[tuple[str, str | None]]:
    dests = m.get("destinations")
    if not isinstance(dests, list) or not dests:
        raise Bad(f"{where}.destinations", "must not be empty")
    out = []
    for j, d in enumerate(dests):
        at = f"{where}.destinations[{j}]"
        if not isinstance(d, dict):
            raise Bad(at, "must be an object")
        to = text_of(d, "to", at, required=True)
        assert to is not None
        if len(to) > 64:
            raise Bad(f"{at}.to", "size must be between 0 and 64")
        out.append((to, text_of(d, "messageId", at)))
    return out


def validity_of(value: object, where: str, unit: int = 60) -> float:
    if value is None:
        return MAX_VALIDITY
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Bad(where, "must be a positive integer")
    return float(min(value * unit, MAX_VALIDITY))


def parse_v2(doc: dict[str, Any]) -> list[Spec]:
    specs = []
    for i, m in enumerate(messages_of(doc)):
        where = f"messages[{i}]"
        notify = text_of(m, "notifyUrl", where)
        if notify is not None and not valid_url(notify):
            raise Bad(f"{where}.notifyUrl", "must be a valid URL")
        specs.append(
            Spec(
                text_of(m, "from", where),
                destinations_of(m, where),
                text_of(m, "text", where) or "",
                validity_of(m.get("validityPeriod"), f"{where}.validityPeriod"),
                notify,
                text_of(m, "callbackData", where),
                {},
            )
        )
    return specs


def parse_v3(doc: dict[str, Any]) -> list[Spec]:
    specs = []
    for i, m in enumerate(messages_of(doc)):
        where = f"messages[{i}]"
        content = m.get("content") or {}
        options = m.get("options") or {}
        hooks = m.get("webhooks") or {}
        if not all(isinstance(x, dict) for x in (content, options, hooks)):
            raise Bad(where, "content, options and webhooks must be objects")
        period = options.get("validityPeriod")
        validity = float(MAX_VALIDITY)
        if period is not None:
            unit = period.get("timeUnit", "MINUTES") if isinstance(period, dict) else None
            if unit not in _UNITS:
                raise Bad(
                    f"{where}.options.validityPeriod.timeUnit",
                    f"must be one of {', '.join(_UNITS)}",
                )
            validity = validity_of(
                period.get("amount"), f"{where}.options.validityPeriod.amount", _UNITS[unit]
            )
        delivery = hooks.get("delivery") or {}
        notify = delivery.get("url") if isinstance(delivery, dict) else None
        if notify is not None and not valid_url(notify):
            raise Bad(f"{where}.webhooks.delivery.url", "must be a valid URL")
        text = text_of(content, "text", f"{where}.content", required=True) or ""
        specs.append(
            Spec(
                text_of(m, "sender", where),
                destinations_of(m, where),
                text,
                validity,
                notify,
                text_of(hooks, "callbackData", f"{where}.webhooks"),
                {},
            )
        )
    return specs
