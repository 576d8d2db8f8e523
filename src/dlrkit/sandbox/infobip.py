"""Infobip SMS imitation: `POST /sms/2/text/advanced` and `POST /sms/3/messages`.

Each destination gets a status in the answer: 26 PENDING_ACCEPTED, or the status of the first
documented rule it breaks (`dlrkit.sandbox.infobip_rules`); then a delivery report is posted to
`notifyUrl` (v3: `webhooks.delivery.url`), or to the sandbox's default callback URL, with the
final status: the fate's (`dlrkit.sandbox.infobip_reports`), or EXPIRED_EXPIRED with
EC_VALIDITYEXPIRED (4101) when the report would come after the validity period (default and
maximum 48 hours). Rejected messages get a report too, as on the real platform. Requests and
error answers: `dlrkit.sandbox.infobip_api`.
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
    Spec,
    authorized,
    parse_v2,
    parse_v3,
    read_json,
    sandbox_of,
    v2_error,
    v3_error,
)
from dlrkit.sandbox.infobip_rules import FloodWindow, Verdict, check_sms
from dlrkit.sandbox.ledger import Message
from dlrkit.sandbox.runtime import Sandbox
from dlrkit.sandbox.texts import sms_parts

PROVIDER = "infobip"
JSON = "application/json"

router = APIRouter(tags=["infobip"])


@router.post("/sms/2/text/advanced")
async def send_sms_v2(request: Request) -> Response:
    """Send SMS (v2): one status per destination; reports to notifyUrl."""
    sandbox = sandbox_of(request)
    if not authorized(request, sandbox):
        return v2_error(401, "UNAUTHORIZED", "Invalid login details")
    try:
        specs = parse_v2(await read_json(request))
    except Bad as bad:
        return v2_error(400, "BAD_REQUEST", "Bad request", {bad.field: [bad.problem]})
    return _send_sms(sandbox, specs, version=2, bulk_id=str(uuid.uuid4()))


@router.post("/sms/3/messages")
async def send_sms_v3(request: Request) -> Response:
    """Send SMS (v3 `messages` shape): same rules, v3 answers and reports."""
    sandbox = sandbox_of(request)
    if not authorized(request, sandbox):
        return v3_error(401, "E401", "Invalid login details")
    try:
        specs = parse_v3(await read_json(request))
    except Bad as bad:
        return v3_error(400, "E400", "Request cannot be processed.", bad.field, bad.problem)
    return _send_sms(sandbox, specs, version=3, bulk_id=str(uuid.uuid4()))


def _send_sms(sandbox: Sandbox, specs: list[Spec], *, version: int, bulk_id: str) -> Response:
    answers = []
    for spec in specs:
        for to, given_id in spec.destinations:
            message, parts = _accept_sms(sandbox, spec, to, given_id, bulk_id, version)
            answer = (
                message.codes["status"] if message.status == "rejected" else rep.PENDING_ACCEPTED
            )
            entry: dict[str, Any] = {
                "messageId": message.id,
                "status": rep.status(sandbox.catalog, answer),
            }
            if version == 3:
                answers.append({**entry, "destination": to, "details": {"messageCount": parts}})
            else:
                answers.append({"to": to, **entry, "smsCount": parts})
    return JSONResponse({"bulkId": bulk_id, "messages": answers}, 200)


def _accept_sms(
    sandbox: Sandbox, spec: Spec, to: str, given_id: str | None, bulk_id: str, version: int
) -> tuple[Message, int]:
    account = sandbox.store.state.infobip
    flood: FloodWindow = sandbox.scratch.setdefault("infobip.flood", FloodWindow())  # type: ignore[assignment]
    now = sandbox.clock.timestamp()
    parts = sms_parts(spec.text).parts
    verdict = check_sms(account, flood, to=to, sender=spec.sender, text=spec.text, now=now)
    price = parts * account.sms_price
    if verdict.status == 26 and not sandbox.store.charge(account, price):
        verdict = Verdict(12)
    message = Message(
        given_id or str(uuid.uuid4()), PROVIDER, "sms", to, now, None, {}, sender=spec.sender
    )
    message.extra = {"bulkId": bulk_id, "parts": parts, "version": version}
    url = sandbox.callback_url(PROVIDER, spec.notify_url)
    if verdict.status != 26:
        codes, at, decision, charged = (verdict.status, verdict.error), now + 1, None, 0.0
        message.status = "rejected"
    else:
        flood.record(to, spec.text, now)
        decision = sandbox.decide(PROVIDER, to)
        message.fate, message.magic, charged = decision.fate, decision.magic, price
        codes, at = rep.SMS[decision.fate], now + decision.delay
        if decision.expires or decision.delay > spec.validity:
            message.fate, codes, at = (
                Fate.EXPIRED,
                (rep.EXPIRED_STATUS, rep.VALIDITY_EXPIRED),
                now + spec.validity,
            )
    message.codes = {"status": codes[0], "error": codes[1]}
    report = rep.sms_report(
        sandbox.catalog,
        bulk_id=bulk_id,
        message_id=message.id,
        to=to,
        sender=spec.sender,
        sent_at=now,
        done_at=at,
        parts=parts,
        price=charged,
        codes=codes,
        callback_data=spec.callback_data,
        version=version,
    )
    sandbox.ledger.add(message)
    sandbox.post_final(message, decision, url, json.dumps({"results": [report]}).encode(), JSON, at)
    if verdict.status != 26:
        message.status = "rejected"
    return message, parts
