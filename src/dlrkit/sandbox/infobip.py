"""Infobip imitation: SMS (`POST /sms/2/text/advanced`, `POST /sms/3/messages`) and voice
(`POST /tts/3/advanced`), with delivery reports posted to `notifyUrl` / `webhooks.delivery.url`.

Requests authenticate with `Authorization: App <api key>` (the account's `api_key`). A request
Infobip would refuse as a whole gets its error answer (401 UNAUTHORIZED; 400 BAD_REQUEST with
`validationErrors` naming the field, or the v3 `{"errorCode": "E400", "violations": [...]}`).
Otherwise each destination gets a status in the answer: 26 PENDING_ACCEPTED, or the status of
the first documented rule it breaks (`dlrkit.sandbox.infobip_rules`), and later a delivery report
with the final status: the fate's (`dlrkit.sandbox.infobip_reports`), or EXPIRED_EXPIRED with
EC_VALIDITYEXPIRED (4101) when the report would come after the validity period (default and
maximum 48 hours, seed 001). Rejected messages get a report too, as on the real platform.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, NamedTuple

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from dlrkit.sandbox import infobip_reports as rep
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.infobip_rules import FloodWindow, Verdict, check_destination, check_sms, check_voice
from dlrkit.sandbox.ledger import Message
from dlrkit.sandbox.runtime import Sandbox, valid_url
from dlrkit.sandbox.texts import sms_parts

PROVIDER = "infobip"
JSON = "application/json"
MAX_VALIDITY = 48 * 3600  # seconds: the default and the ceiling
DEFAULT_RING_TIMEOUT = 45
_UNITS = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600, "DAYS": 86400}

router = APIRouter(tags=["infobip"])


class _Bad(Exception):
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


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def _v2_error(status: int, message_id: str, text: str, errors: dict[str, list[str]] | None = None) -> Response:
    exc: dict[str, Any] = {"messageId": message_id, "text": text}
    if errors:
        exc["validationErrors"] = errors
    return JSONResponse({"requestError": {"serviceException": exc}}, status)


def _v3_error(status: int, code: str, description: str, field: str | None = None, problem: str = "") -> Response:
    body: dict[str, Any] = {"errorCode": code, "description": description, "action": "Check the syntax, violations and adjust the request."}
    body["violations"] = [{"property": field, "violation": problem}] if field else []
    body["resources"] = [{"name": "SMS API Documentation", "url": "https://www.infobip.com/docs/api/channels/sms"}]
    return JSONResponse(body, status)


async def _read(request: Request) -> dict[str, Any]:
    try:
        doc = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise _Bad("body", "must be valid JSON") from None
    if not isinstance(doc, dict):
        raise _Bad("body", "must be a JSON object")
    return doc


def _authorized(request: Request, sandbox: Sandbox) -> bool:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "app" and key.strip() == sandbox.store.state.infobip.api_key


def _text(obj: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise _Bad(f"{where}.{key}", "must not be blank")
        return None
    if not isinstance(value, str):
        raise _Bad(f"{where}.{key}", "must be a string")
    return value


def _messages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Bad("messages", "must not be empty")
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise _Bad(f"messages[{i}]", "must be an object")
    return messages


def _destinations(m: dict[str, Any], where: str) -> list[tuple[str, str | None]]:
    dests = m.get("destinations")
    if not isinstance(dests, list) or not dests:
        raise _Bad(f"{where}.destinations", "must not be empty")
    out = []
    for j, d in enumerate(dests):
        at = f"{where}.destinations[{j}]"
        if not isinstance(d, dict):
            raise _Bad(at, "must be an object")
        to = _text(d, "to", at, required=True)
        assert to is not None
        if len(to) > 64:
            raise _Bad(f"{at}.to", "size must be between 0 and 64")
        out.append((to, _text(d, "messageId", at)))
    return out


def _validity(value: object, where: str, unit: int = 60) -> float:
    if value is None:
        return MAX_VALIDITY
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Bad(where, "must be a positive integer")
    return float(min(value * unit, MAX_VALIDITY))


def parse_v2(doc: dict[str, Any]) -> list[Spec]:
    specs = []
    for i, m in enumerate(_messages(doc)):
        where = f"messages[{i}]"
        notify = _text(m, "notifyUrl", where)
        if notify is not None and not valid_url(notify):
            raise _Bad(f"{where}.notifyUrl", "must be a valid URL")
        specs.append(
            Spec(_text(m, "from", where), _destinations(m, where), _text(m, "text", where) or "",
                 _validity(m.get("validityPeriod"), f"{where}.validityPeriod"), notify,
                 _text(m, "callbackData", where), {})
        )
    return specs


def parse_v3(doc: dict[str, Any]) -> list[Spec]:
    specs = []
    for i, m in enumerate(_messages(doc)):
        where = f"messages[{i}]"
        content = m.get("content") or {}
        options = m.get("options") or {}
        hooks = m.get("webhooks") or {}
        if not all(isinstance(x, dict) for x in (content, options, hooks)):
            raise _Bad(where, "content, options and webhooks must be objects")
        period = options.get("validityPeriod")
        validity = float(MAX_VALIDITY)
        if period is not None:
            unit = period.get("timeUnit", "MINUTES") if isinstance(period, dict) else None
            if unit not in _UNITS:
                raise _Bad(f"{where}.options.validityPeriod.timeUnit", f"must be one of {', '.join(_UNITS)}")
            validity = _validity(period.get("amount"), f"{where}.options.validityPeriod.amount", _UNITS[unit])
        delivery = hooks.get("delivery") or {}
        notify = delivery.get("url") if isinstance(delivery, dict) else None
        if notify is not None and not valid_url(notify):
            raise _Bad(f"{where}.webhooks.delivery.url", "must be a valid URL")
        text = _text(content, "text", f"{where}.content", required=True) or ""
        specs.append(Spec(_text(m, "sender", where), _destinations(m, where), text, validity, notify,
                          _text(hooks, "callbackData", f"{where}.webhooks"), {}))
    return specs


@router.post("/sms/2/text/advanced")
async def send_sms_v2(request: Request) -> Response:
    """Send SMS (v2): one status per destination; reports to notifyUrl."""
    sandbox = _sandbox(request)
    if not _authorized(request, sandbox):
        return _v2_error(401, "UNAUTHORIZED", "Invalid login details")
    try:
        specs = parse_v2(await _read(request))
    except _Bad as bad:
        return _v2_error(400, "BAD_REQUEST", "Bad request", {bad.field: [bad.problem]})
    return _send_sms(sandbox, specs, version=2, bulk_id=str(uuid.uuid4()))


@router.post("/sms/3/messages")
async def send_sms_v3(request: Request) -> Response:
    """Send SMS (v3 `messages` shape): same rules, v3 answers and reports."""
    sandbox = _sandbox(request)
    if not _authorized(request, sandbox):
        return _v3_error(401, "E401", "Invalid login details")
    try:
        specs = parse_v3(await _read(request))
    except _Bad as bad:
        return _v3_error(400, "E400", "Request cannot be processed.", bad.field, bad.problem)
    return _send_sms(sandbox, specs, version=3, bulk_id=str(uuid.uuid4()))


def _send_sms(sandbox: Sandbox, specs: list[Spec], *, version: int, bulk_id: str) -> Response:
    answers = []
    for spec in specs:
        for to, given_id in spec.destinations:
            message, parts = _accept_sms(sandbox, spec, to, given_id, bulk_id, version)
            answer = message.codes["status"] if message.status == "rejected" else rep.PENDING_ACCEPTED
            entry: dict[str, Any] = {"messageId": message.id, "status": rep.status(sandbox.catalog, answer)}
            if version == 3:
                answers.append({**entry, "destination": to, "details": {"messageCount": parts}})
            else:
                answers.append({"to": to, **entry, "smsCount": parts})
    return JSONResponse({"bulkId": bulk_id, "messages": answers}, 200)


def _accept_sms(sandbox: Sandbox, spec: Spec, to: str, given_id: str | None, bulk_id: str, version: int) -> tuple[Message, int]:
    account = sandbox.store.state.infobip
    flood: FloodWindow = sandbox.scratch.setdefault("infobip.flood", FloodWindow())  # type: ignore[assignment]
    now = sandbox.clock.timestamp()
    parts = sms_parts(spec.text).parts
    verdict = check_sms(account, flood, to=to, sender=spec.sender, text=spec.text, now=now)
    price = parts * account.sms_price
    if verdict.status == 26 and not sandbox.store.charge(account, price):
        verdict = Verdict(12)
    message = Message(given_id or str(uuid.uuid4()), PROVIDER, "sms", to, now, None, {}, sender=spec.sender)
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
            message.fate, codes, at = Fate.EXPIRED, (rep.EXPIRED_STATUS, rep.VALIDITY_EXPIRED), now + spec.validity
    message.codes = {"status": codes[0], "error": codes[1]}
    report = rep.sms_report(sandbox.catalog, bulk_id=bulk_id, message_id=message.id, to=to, sender=spec.sender,
                            sent_at=now, done_at=at, parts=parts, price=charged, codes=codes,
                            callback_data=spec.callback_data, version=version)
    sandbox.ledger.add(message)
    sandbox.post_final(message, decision, url, json.dumps({"results": [report]}).encode(), JSON, at)
    if verdict.status != 26:
        message.status = "rejected"
    return message, parts


@router.post("/tts/3/advanced")
async def send_voice(request: Request) -> Response:
    """Send advanced voice messages (text to speech); voice delivery reports to notifyUrl."""
    sandbox = _sandbox(request)
    if not _authorized(request, sandbox):
        return _v2_error(401, "UNAUTHORIZED", "Invalid login details")
    try:
        doc = await _read(request)
        messages = _messages(doc)
        specs = []
        for i, m in enumerate(messages):
            where = f"messages[{i}]"
            dests = _destinations(m, where)
            validity = _validity(m.get("validityPeriod"), f"{where}.validityPeriod")
            specs.append((m, dests, validity))
    except _Bad as bad:
        return _v2_error(400, "BAD_REQUEST", "Bad request", {bad.field: [bad.problem]})
    bulk_id = str(doc.get("bulkId") or uuid.uuid4())
    answers = []
    for m, dests, validity in specs:
        for to, given_id in dests:
            message = _accept_call(sandbox, m, to, given_id, bulk_id, validity)
            answer = message.codes["status"] if message.status == "rejected" else rep.PENDING_ACCEPTED
            answers.append({"to": to, "status": rep.status(sandbox.catalog, answer, "voice"), "messageId": message.id})
    return JSONResponse({"bulkId": bulk_id, "messages": answers}, 200)


def _accept_call(sandbox: Sandbox, m: dict[str, Any], to: str, given_id: str | None, bulk_id: str, validity: float) -> Message:
    account = sandbox.store.state.infobip
    now = sandbox.clock.timestamp()
    text = m.get("text") if isinstance(m.get("text"), str) else None
    notify = m.get("notifyUrl")
    params = check_voice(text, m.get("audioFileUrl"), m.get("ringTimeout"), notify, m.get("notifyContentType"), valid_url(notify))
    status = check_destination(to).status
    if status == 26:
        status = params.status
    if status == 26 and not sandbox.store.charge(account, account.voice_price):
        status = 12
    sender = m.get("from") if isinstance(m.get("from"), str) else None
    message = Message(given_id or str(uuid.uuid4()), PROVIDER, "voice", to, now, None, {}, sender=sender)
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
    report = rep.voice_report(sandbox.catalog, bulk_id=bulk_id, message_id=message.id, to=to, sender=sender,
                              sent_at=now, start=start, answered=answered, end=end,
                              price_per_second=account.voice_price / 60, codes=codes,
                              callback_data=m.get("callbackData") if isinstance(m.get("callbackData"), str) else None)
    url = sandbox.callback_url(PROVIDER, notify if valid_url(notify) else None)
    sandbox.ledger.add(message)
    sandbox.post_final(message, decision, url, json.dumps({"results": [report]}).encode(), JSON, end)
    if status != 26:
        message.status = "rejected"
    return message
