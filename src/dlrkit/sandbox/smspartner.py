"""SMSPartner imitation: `POST /v1/send` (status and cancel: `smspartner_status`).

Parameters come as JSON (as the documentation's examples send them), form fields or a query
string. A refused request answers `{"success": false, "code": N, "message": ...}` with the
documented code (seed 003; its message is the catalog's name for that code) and HTTP 400, or
HTTP 429 past the rate limit; constraint violations (code 9) list each field under `errors`. An
accepted send answers `{"success": true, "code": 200, "message_id", "nb_sms", "cost",
"currency"}`; each number then gets a delivery report posted (form-encoded) to `urlDlr`, with
the SMPP-style word of its fate (DELIVRD, UNDELIV, EXPIRED, REJECTD) and the date in French time.
The order of the checks and the codes are in docs/sandbox.md.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from dlrkit.sandbox import smspartner_rules as rules
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.ledger import Message
from dlrkit.sandbox.runtime import Sandbox, valid_url
from dlrkit.sandbox.smspartner_rules import Refusal
from dlrkit.sandbox.texts import NumberCheck, check_number, sms_parts

PROVIDER = "smspartner"
FORM = "application/x-www-form-urlencoded"
VALIDITY = 48 * 3600  # the platform's default validity period (seed 003, EXPIRED)
WORDS: dict[Fate, str] = {
    Fate.DELIVERED: "DELIVRD",
    Fate.ABSENT_SUBSCRIBER: "UNDELIV",
    Fate.UNKNOWN_SUBSCRIBER: "REJECTD",
    Fate.EXPIRED: "EXPIRED",
    Fate.BUSY: "UNDELIV",
    Fate.NO_ANSWER: "UNDELIV",
    Fate.DECLINED: "REJECTD",
    Fate.BARRED: "REJECTD",
}
_RATE_MESSAGE = "Too many requests made in one minute (limit: {} requests / minute / IP Address)"

router = APIRouter(prefix="/v1", tags=["smspartner"])


def answer(
    sandbox: Sandbox, code: int, channel: str, detail: str | None = None, status: int = 400
) -> Response:
    entries = sandbox.catalog.lookup(PROVIDER, code, kind="api_error", channel=channel)
    message = entries[0].name if entries and entries[0].name else f"Error {code}"
    if detail:
        message = f"{message} ({detail})"
    return JSONResponse({"success": False, "code": code, "message": message}, status)


def _constraints(errors: list[tuple[str, str]]) -> Response:
    listed = [{"elementId": f"children[{f}].data", "message": m} for f, m in errors]
    return JSONResponse({"success": False, "code": 9, "errors": listed}, 400)


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if not body.strip():
        return params
    if request.headers.get("content-type", "").startswith(FORM):
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params
    doc = json.loads(body)  # ValueError: code 90
    if not isinstance(doc, dict):
        raise ValueError("not an object")
    params.update(doc)
    return params


async def gate(request: Request, sandbox: Sandbox, channel: str) -> dict[str, Any] | Response:
    """Rate limit (429), JSON (90), API key (1, 10), IP allowlist (96); the parameters if all pass."""
    account = sandbox.store.state.smspartner
    ip = request.client.host if request.client else "unknown"
    limiter: rules.RateLimiter = sandbox.scratch.setdefault("smspartner.rate", rules.RateLimiter())  # type: ignore[assignment]
    if not limiter.allow(ip, sandbox.clock.timestamp(), account.rate_limit):
        body = {"success": False, "code": 429, "message": _RATE_MESSAGE.format(account.rate_limit)}
        return JSONResponse(body, 429, headers={"Retry-After": "60"})
    try:
        params = await _params(request)
    except (ValueError, UnicodeDecodeError):
        return answer(sandbox, 90, "send_sms")
    key = params.get("apiKey")
    if not key:
        return answer(sandbox, 1, "send_sms")
    if key != account.api_key:
        return answer(sandbox, 10, "send_sms")
    if account.ip_allowlist and ip not in account.ip_allowlist:
        return answer(sandbox, 96, channel, ip)
    return params


@router.post("/send")
async def send(request: Request) -> Response:
    """Send one SMS to up to 500 numbers, now or at a scheduled time."""
    sandbox: Sandbox = request.app.state.sandbox
    params = await gate(request, sandbox, "send_sms")
    if isinstance(params, Response):
        return params
    try:
        return _send(sandbox, params)
    except Refusal as refusal:
        return answer(sandbox, refusal.code, "send_sms", refusal.detail)


def _flag(value: object) -> bool:
    return str(value).strip() in ("1", "true", "True")


def _send(sandbox: Sandbox, p: dict[str, Any]) -> Response:
    account = sandbox.store.state.smspartner
    raw_numbers, message = p.get("phoneNumbers"), p.get("message")
    if not raw_numbers:
        raise Refusal(2, "phoneNumbers")
    if not isinstance(message, str) or not message.strip():
        raise Refusal(43, "message")
    numbers = [n.strip() for n in str(raw_numbers).split(",") if n.strip()]
    if len(numbers) > rules.MAX_NUMBERS:
        raise Refusal(50, "phoneNumbers", f"{len(numbers)} given")
    if not numbers:
        raise Refusal(55, "phoneNumbers")
    errors, valid = [], []
    sender = p.get("sender")
    if sender not in (None, "") and not (
        isinstance(sender, str) and 3 <= len(sender) <= 11 and sender.replace(" ", "").isalnum()
    ):
        errors.append(
            ("sender", "The sender must have 3 to 11 characters, without special characters")
        )
    for n in numbers:
        checked = check_number(n, "FR")
        if checked.check is not NumberCheck.VALID or checked.e164 is None:
            errors.append(("phoneNumbers", f"This phone number is not valid ({n})"))
        else:
            valid.append(checked.e164)
    url = p.get("urlDlr") or p.get("webhookUrl")
    if url not in (None, "") and not valid_url(url):
        errors.append(("urlDlr", "The URL is not valid"))
    if errors:
        return _constraints(errors)
    now = sandbox.clock.now()
    scheduled = rules.scheduled_time(
        p.get("scheduledDeliveryDate"), p.get("time"), p.get("minute"), now
    )
    low_cost = str(p.get("gamme", p.get("range", "1"))).strip() == "2"
    if low_cost and rules.display_length(message) > rules.LOW_COST_CHARS:
        raise Refusal(42, "message")
    text = rules.sms_text(message)
    parts = sms_parts(text, force_unicode=_flag(p.get("isUnicode"))).parts
    if parts > rules.MAX_PARTS:
        raise Refusal(52, "message", f"{parts} SMS")
    commercial = account.marketing or _flag(p.get("isStopSms"))
    if commercial and scheduled is not None:
        refused = rules.commercial_refusal(scheduled, account.holiday_subdiv)
        if refused:
            raise Refusal(refused, "scheduledDeliveryDate")
    stopped = [n for n in valid if n in account.stop_list]
    if stopped:
        raise Refusal(14, "phoneNumbers", ", ".join(stopped))
    price = account.low_cost_price if low_cost else account.sms_price
    cost = round(parts * price * len(valid), 6)
    dry_run = _flag(p.get("sandbox"))
    if not dry_run and not sandbox.store.charge(account, cost):
        raise Refusal(11)
    message_id = sandbox.ledger.next_number()
    start = scheduled or now
    held = False
    if commercial and scheduled is None:
        start = rules.next_commercial_slot(now, account.holiday_subdiv)
        held = start > now
    callback = sandbox.callback_url(PROVIDER, url or None, token=True)
    for number in valid:
        _accept(
            sandbox,
            message_id,
            number,
            start.timestamp(),
            parts * price,
            None if dry_run else callback,
        )
        record = sandbox.ledger.messages[f"{message_id}/{number}"]
        record.extra.update(scheduled=scheduled is not None or held, held=held, dry_run=dry_run)
    body = {
        "success": True,
        "code": 200,
        "message_id": message_id,
        "nb_sms": parts,
        "cost": 0.0 if dry_run else cost,
        "currency": "EUR",
    }
    return JSONResponse(body, 200)


def _accept(
    sandbox: Sandbox, message_id: int, number: str, start: float, cost: float, url: str | None
) -> None:
    decision = sandbox.decide(PROVIDER, number)
    fate, at = decision.fate, start + decision.delay
    if decision.expires or decision.delay > VALIDITY:
        fate, at = Fate.EXPIRED, start + VALIDITY
    message = Message(
        f"{message_id}/{number}",
        PROVIDER,
        "sms",
        number,
        sandbox.clock.timestamp(),
        fate,
        {"status": WORDS[fate]},
        magic=decision.magic,
    )
    message.extra = {"message_id": message_id, "cost": cost, "starts": start, "done": at}
    date = datetime.fromtimestamp(at, UTC).astimezone(rules.PARIS).strftime("%Y-%m-%d %H:%M:%S")
    form = {
        "messageId": str(message_id),
        "phoneNumber": number,
        "status": WORDS[fate],
        "date": date,
        "cost": f"{cost:.3f}",
        "currency": "EUR",
    }
    sandbox.ledger.add(message)
    sandbox.post_final(message, decision, url, urlencode(form).encode(), FORM, at)


def find_messages(sandbox: Sandbox, message_id: object, number: str | None = None) -> list[Message]:
    prefix = f"{str(message_id).strip()}/"
    found = [m for m in sandbox.ledger.select(PROVIDER) if m.id.startswith(prefix)]
    if number is not None:
        checked = check_number(number, "FR")
        found = [m for m in found if m.recipient == checked.e164]
    return found
