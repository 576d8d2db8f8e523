"""SMSPartner imitation, after the send: `GET /v1/message-status` and `GET|POST /v1/message-cancel`.

Status ("Single Status"): Waiting until the message's final report is due, then Delivered or
Not delivered; codes 2 (phoneNumber), 3 (messageId), 4 (not found). Cancel ("Cancel Scheduled
SMS"): only a scheduled send, and not within 5 minutes of its time; the cancel page's own codes
5 (already cancelled), 6 (less than 5 minutes before), 7 (already sent), with 3 and 4. Seed 003's
cancellation table gives 5 and 6 other meanings; docs/sandbox.md notes the conflict.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from dlrkit.sandbox import smspartner_rules as rules
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.runtime import Sandbox
from dlrkit.sandbox.smspartner import answer, find_messages, gate
from dlrkit.sandbox.texts import check_number

router = APIRouter(prefix="/v1", tags=["smspartner"])


@router.get("/message-status")
async def message_status(request: Request) -> Response:
    """The status of one message to one number: Delivered, Not delivered or Waiting."""
    sandbox: Sandbox = request.app.state.sandbox
    params = await gate(request, sandbox, "status_retrieval")
    if isinstance(params, Response):
        return params
    if not params.get("phoneNumber"):
        return answer(sandbox, 2, "status_retrieval")
    if not params.get("messageId"):
        return answer(sandbox, 3, "status_retrieval")
    found = find_messages(sandbox, params["messageId"], str(params["phoneNumber"]))
    if not found:
        return answer(sandbox, 4, "status_retrieval")
    m = found[0]
    now = sandbox.clock.timestamp()
    done = m.status != "cancelled" and now >= m.extra["done"]
    word = ("Delivered" if m.fate is Fate.DELIVERED else "Not delivered") if done else "Waiting"
    if m.status == "cancelled":
        word = "Not delivered"
    local = datetime.fromtimestamp(min(now, m.extra["done"]), UTC).astimezone(rules.PARIS)
    body = {
        "success": True,
        "code": 200,
        "number": params["phoneNumber"],
        "messageId": str(m.extra["message_id"]),
        "stopSms": m.recipient in sandbox.store.state.smspartner.stop_list,
        "date": local.strftime("%Y-%m-%d %H:%M:%S"),
        "statut": word,
        "cost": m.extra["cost"],
        "countryCode": check_number(m.recipient).region,
        "currency": "EUR",
    }
    return JSONResponse(body, 200)


@router.api_route("/message-cancel", methods=["GET", "POST"])
async def message_cancel(request: Request) -> Response:
    """Cancel a scheduled send, up to 5 minutes before its time (codes from the cancel page)."""
    sandbox: Sandbox = request.app.state.sandbox
    params = await gate(request, sandbox, "cancel_sms")
    if isinstance(params, Response):
        return params
    if not params.get("messageId"):
        return answer(sandbox, 3, "cancel_sms")
    found = find_messages(sandbox, params["messageId"])
    if not found:
        return answer(sandbox, 4, "cancel_sms")
    if all(m.status == "cancelled" for m in found):
        return _cancel_error(5, "SMS sending has already been cancelled")
    now = sandbox.clock.timestamp()
    starts = found[0].extra["starts"]
    if not found[0].extra.get("scheduled") or now >= starts:
        return _cancel_error(7, "You cannot cancel an SMS that has already been sent")
    if starts - now < 300:
        return _cancel_error(
            6, "You cannot cancel an SMS sending less than 5 minutes before its scheduled time"
        )
    for m in found:
        m.status = "cancelled"
        sandbox.cancel_callbacks(m)
    refund = round(sum(m.extra["cost"] for m in found if not m.extra.get("dry_run")), 6)
    account = sandbox.store.state.smspartner
    sandbox.store.update({"smspartner": {"credits": account.credits + refund}})
    return JSONResponse(
        {"success": True, "code": 200, "message": "L'envoi du SMS a été annulé."}, 200
    )


def _cancel_error(code: int, message: str) -> Response:
    """Codes 5-7 of the cancel page (seed 003's cancellation table gives other meanings)."""
    return JSONResponse({"success": False, "code": code, "message": message}, 400)
