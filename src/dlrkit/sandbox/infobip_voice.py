"""Infobip voice imitation: `POST /tts/3/advanced` (text-to-speech messages), with voice delivery
reports ("Receive Voice Delivery Reports": a `voiceCall` block) posted to `notifyUrl`.

Each destination is checked (prefix and length, then the message's parameters: 55 empty text,
60 ring timeout outside 5-60 s, 56 notify URL, 57 notify content type; then 12 credits) and
answered 26 PENDING_ACCEPTED or the refusal's status. An accepted call rings for the scenario's
`answer` delay; if that is longer than `ringTimeout` (default 45 s) nobody answers (10200
NO_ANSWER). A call that would end after the validity period ends EXPIRED instead.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from dlrkit.sandbox import infobip_reports as rep
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.infobip_api import (
    Bad,
    authorized,
    destinations_of,
    messages_of,
    read_json,
    sandbox_of,
    v2_error,
    validity_of,
)
from dlrkit.sandbox.infobip_rules import check_destination, check_voice
from dlrkit.sandbox.ledger import Message
from dlrkit.sandbox.runtime import Sandbox, valid_url

PROVIDER = "infobip"
JSON = "application/json"
DEFAULT_RING_TIMEOUT = 45

router = APIRouter(tags=["infobip"])


@router.post("/tts/3/advanced")
async def send_voice(request: Request) -> Response:
    """Send advanced voice messages (text to speech); voice delivery reports to notifyUrl."""
    sandbox = sandbox_of(request)
    if not authorized(request, sandbox):
        return v2_error(401, "UNAUTHORIZED", "Invalid login details")
    try:
        doc = await read_json(request)
        messages = messages_of(doc)
        specs = []
        for i, m in enumerate(messages):
            where = f"messages[{i}]"
            dests = destinations_of(m, where)
            validity = validity_of(m.get("validityPeriod"), f"{where}.validityPeriod")
            specs.append((m, dests, validity))
    except Bad as bad:
        return v2_error(400, "BAD_REQUEST", "Bad request", {bad.field: [bad.problem]})
    bulk_id = str(doc.get("bulkId") or uuid.uuid4())
    answers = []
    for m, dests, validity in specs:
        for to, given_id in dests:
            message = _accept_call(sandbox, m, to, given_id, bulk_id, validity)
            answer = (
                message.codes["status"] if message.status == "rejected" else rep.PENDING_ACCEPTED
            )
            answers.append(
                {
                    "to": to,
                    "status": rep.status(sandbox.catalog, answer, "voice"),
                    "messageId": message.id,
                }
            )
    return JSONResponse({"bulkId": bulk_id, "messages": answers}, 200)


def _accept_call(
    sandbox: Sandbox,
    m: dict[str, Any],
    to: str,
    given_id: str | None,
    bulk_id: str,
    validity: float,
) -> Message:
    account = sandbox.store.state.infobip
    now = sandbox.clock.timestamp()
    text = m.get("text") if isinstance(m.get("text"), str) else None
    notify = m.get("notifyUrl")
    params = check_voice(
        text,
        m.get("audioFileUrl"),
        m.get("ringTimeout"),
        notify,
        m.get("notifyContentType"),
        valid_url(notify),
    )
    status = check_destination(to).status
    if status == 26:
        status = params.status
    if status == 26 and not sandbox.store.charge(account, account.voice_price):
        status = 12
    sender = m.get("from") if isinstance(m.get("from"), str) else None
    message = Message(
        given_id or str(uuid.uuid4()), PROVIDER, "voice", to, now, None, {}, sender=sender
    )
    message.extra = {"bulkId": bulk_id}
    ring = m.get("ringTimeout") or DEFAULT_RING_TIMEOUT
    start, answered, decision = now + 1, None, None
    if status != 26:
        codes, end = (status, 0), now + 1
    else:
        decision = sandbox.decide(PROVIDER, to)
        message.fate, message.magic = decision.fate, decision.magic
        fate, end = decision.fate, start + decision.delay
        if fate is Fate.DELIVERED and decision.answer_after > ring:
            fate = Fate.NO_ANSWER  # the ring timeout ended the call before anyone answered
        if fate is Fate.NO_ANSWER:
            end = start + ring
        elif fate is Fate.DELIVERED:
            answered = start + decision.answer_after
            end = answered + decision.delay
        if decision.expires or (fate is not Fate.DELIVERED and end - now > validity):
            fate, end = Fate.EXPIRED, now + validity
        message.fate, codes = fate, rep.VOICE[fate]
    message.codes = {"status": codes[0], "error": codes[1]}
    report = rep.voice_report(
        sandbox.catalog,
        bulk_id=bulk_id,
        message_id=message.id,
        to=to,
        sender=sender,
        sent_at=now,
        start=start,
        answered=answered,
        end=end,
        price_per_second=account.voice_price / 60,
        codes=codes,
        callback_data=m.get("callbackData") if isinstance(m.get("callbackData"), str) else None,
    )
    url = sandbox.callback_url(PROVIDER, notify if valid_url(notify) else None)
    sandbox.ledger.add(message)
    sandbox.post_final(
        message, decision, url, json.dumps({"results": [report]}).encode(), JSON, end
    )
    if status != 26:
        message.status = "rejected"
    return message
