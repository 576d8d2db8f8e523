"""Plivo imitation: `POST /v1/Account/{auth_id}/Call/` and `POST /v1/Account/{auth_id}/Message/`.

Requests authenticate with HTTP basic auth (auth id, auth token) and name the same auth id in
the path; parameters come as JSON or form fields. A request Plivo refuses gets 401 or 400
`{"api_id", "error"}` naming the parameter. A call is "fired" (201) and ends with a hangup
callback (`hangup_url`, form-encoded, signed with X-Plivo-Signature-V3) whose cause is, in order:
2030 destination country barred (the account's allowed countries), 2000 invalid destination,
1010 out of credits, 1020 simultaneous dial limit reached, 6010 ring timeout reached (the phone
rang longer than `ring_timeout`), else the fate's cause. Messages are queued (202) and get status
callbacks to `url`: queued and sent (unless the scenario turns intermediate reports off; "sent"
comes after the final one when it asks for disorder), then the final one; insufficient credit
ends a message "failed" with error 900. The answer_url is not fetched: the call's script is not
imitated, only its outcome.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from dlrkit.sandbox import plivo_reports as rep
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.ledger import Message
from dlrkit.sandbox.plivo_api import Bad, error_answer, open_request, require, url_param
from dlrkit.sandbox.runtime import Sandbox
from dlrkit.sandbox.texts import NumberCheck, check_number, sms_parts

PROVIDER = "plivo"
FORM = "application/x-www-form-urlencoded"
DEFAULT_RING_TIMEOUT = 60
CARRIER_RING = 60.0  # seconds a carrier lets an unanswered phone ring before "No Answer"

router = APIRouter(prefix="/v1/Account/{auth_id}", tags=["plivo"])


@router.post("/Call/", status_code=201)
async def make_call(request: Request, auth_id: str) -> Response:
    """Make a call to one or more numbers ("to" separated by "<")."""
    try:
        sandbox, params = await open_request(request, auth_id)
        require(params, "from", "to", "answer_url")
        url_param(params, "answer_url")
        hangup_url = url_param(params, "hangup_url")
        ring = params.get("ring_timeout", DEFAULT_RING_TIMEOUT)
        if (
            isinstance(ring, bool)
            or not (str(ring).strip().isascii() and str(ring).strip().isdigit())
            or len(str(ring)) > 6
            or not 1 <= int(str(ring)) <= 300
        ):
            raise Bad(400, "ring_timeout must be an integer number of seconds from 1 to 300")
    except Bad as bad:
        return error_answer(bad.status, bad.error)
    uuids = [
        _call(
            sandbox,
            str(params["from"]),
            to,
            int(str(ring)),
            sandbox.callback_url(PROVIDER, hangup_url),
        )
        for to in str(params["to"]).split("<")
    ]
    request_uuid: str | list[str] = uuids[0] if len(uuids) == 1 else uuids
    body = {"api_id": str(uuid.uuid4()), "message": "call fired", "request_uuid": request_uuid}
    return JSONResponse(body, 201)


def _active_calls(sandbox: Sandbox, now: float) -> int:
    return sum(
        1
        for m in sandbox.ledger.select(PROVIDER)
        if m.channel == "voice"
        and m.extra.get("end", 0) > now
        and m.extra.get("answered_or_ringing")
    )


def _call(sandbox: Sandbox, sender: str, to: str, ring: int, url: str | None) -> str:
    account = sandbox.store.state.plivo
    now = sandbox.clock.timestamp()
    number = check_number(to)
    start, answered, decision = now + 1, None, None
    if account.allowed_countries and number.region not in account.allowed_countries:
        hangup, end = rep.COUNTRY_BARRED, now + 0.5
    elif number.check is not NumberCheck.VALID:
        hangup, end = rep.INVALID_DESTINATION, now + 0.5
    elif account.credits < account.call_price:
        hangup, end = rep.OUT_OF_CREDITS, now + 0.5
    elif _active_calls(sandbox, now) >= account.max_concurrent_calls:
        hangup, end = rep.DIAL_LIMIT, now + 0.5
    else:
        decision = sandbox.decide(PROVIDER, to)
        fate = decision.fate
        hangup, end = rep.CALLS[fate], start + decision.delay
        if fate is Fate.DELIVERED and decision.answer_after > ring:
            hangup, end = rep.RING_TIMEOUT, start + ring
        elif fate in (Fate.NO_ANSWER, Fate.EXPIRED):
            hangup, end = (
                (rep.RING_TIMEOUT, start + ring)
                if ring < CARRIER_RING
                else (hangup, start + CARRIER_RING)
            )
        elif fate is Fate.DELIVERED:
            answered = start + decision.answer_after
            end = answered + decision.delay
        minutes = -(-round(end - answered) // 60) if answered is not None else 0
        sandbox.store.charge(account, min(account.credits, minutes * account.call_price))
    call_uuid = str(uuid.uuid4())
    message = Message(
        call_uuid,
        PROVIDER,
        "voice",
        to,
        now,
        decision.fate if decision else None,
        {"hangup_cause": hangup.code},
        sender=sender,
    )
    message.magic = bool(decision and decision.magic)
    message.extra = {"end": end, "answered_or_ringing": decision is not None, "ring_timeout": ring}
    form = rep.hangup_form(
        sandbox.catalog,
        hangup,
        call_uuid=call_uuid,
        sender=sender,
        to=to,
        start=start,
        answered=answered,
        end=end,
        rate=account.call_price,
    )
    sandbox.ledger.add(message)
    sandbox.post_final(message, decision, url, urlencode(form).encode(), FORM, end)
    if decision is None:
        message.status = "rejected"
    return call_uuid


@router.post("/Message/", status_code=202)
async def send_message(request: Request, auth_id: str) -> Response:
    """Send an SMS to one or more numbers ("dst" separated by "<")."""
    try:
        sandbox, params = await open_request(request, auth_id)
        require(params, "src", "dst", "text")
        url = url_param(params, "url")
        kind = str(params.get("type", "sms")).lower()
        if kind != "sms":
            raise Bad(400, f"type {kind!r} is not imitated: only sms")
    except Bad as bad:
        return error_answer(bad.status, bad.error)
    queued, invalid = [], []
    for dst in str(params["dst"]).split("<"):
        if check_number(dst).check is not NumberCheck.VALID:
            invalid.append(dst)
            continue
        queued.append(
            _message(
                sandbox,
                str(params["src"]),
                dst,
                str(params["text"]),
                sandbox.callback_url(PROVIDER, url),
            )
        )
    if not queued:
        return error_answer(400, f"dst: no valid destination number ({', '.join(invalid)})")
    body: dict[str, Any] = {
        "api_id": str(uuid.uuid4()),
        "message": "message(s) queued",
        "message_uuid": queued,
    }
    if invalid:
        body["invalid_number"] = invalid
    return JSONResponse(body, 202)


def _message(sandbox: Sandbox, sender: str, to: str, text: str, url: str | None) -> str:
    account = sandbox.store.state.plivo
    now = sandbox.clock.timestamp()
    units = sms_parts(text).parts
    message_uuid = str(uuid.uuid4())
    rate = account.message_price
    decision = None
    if not sandbox.store.charge(account, units * rate):
        (status, error), sent, at = rep.INSUFFICIENT_CREDIT, None, now + 0.5
    else:
        decision = sandbox.decide(PROVIDER, to)
        (status, error), sent, at = rep.MESSAGES[decision.fate], now + 1, now + 1 + decision.delay
    message = Message(
        message_uuid,
        PROVIDER,
        "sms",
        to,
        now,
        decision.fate if decision else None,
        {"status": status, "error": error},
        sender=sender,
    )
    message.magic = bool(decision and decision.magic)
    sandbox.ledger.add(message)

    def form(
        word: str, code: str, sent_at: float | None, reported: float | None, seq: int
    ) -> bytes:
        fields = rep.message_form(
            message_uuid=message_uuid,
            sender=sender,
            to=to,
            status=word,
            error=code,
            queued=now,
            sent=sent_at,
            reported=reported,
            units=units,
            rate=rate,
            sequence=seq,
        )
        return urlencode(fields).encode()

    if decision is not None and sandbox.scenario.intermediate:
        sandbox.post(
            message, url, form("queued", "", None, None, 1), FORM, now + 0.2, "intermediate"
        )
        sent_due = at + 1 if decision.out_of_order else now + 1
        sandbox.post(message, url, form("sent", "", sent, None, 2), FORM, sent_due, "intermediate")
    sandbox.post_final(
        message, decision, url, form(status, error, sent, at if sent else None, 3), FORM, at
    )
    if decision is None:
        message.status = "rejected"
    return message_uuid
