"""Provider traffic for the dashboard tests, posted through the real webhooks of a running
`dlrkit serve`: Infobip SMS reports (basic auth) and Plivo call hangups (V3 signatures).

Deterministic (a seeded generator): every count the tests assert is computed here from what
was sent, not read back from the server. Recipients are spread over France, Germany, the UK and
the US, failures over several reasons, one error code unknown to the catalog, and two reports
of one message arrive out of order (delivered first, then the earlier pending one).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from tests.service import signing

INFOBIP_USER, INFOBIP_PASSWORD = "dash-ib", "dash-ib-password"
PLIVO_TOKEN = "dash-plivo-token"
ENV = {
    "DLRKIT_INFOBIP_USERNAME": INFOBIP_USER,
    "DLRKIT_INFOBIP_PASSWORD": INFOBIP_PASSWORD,
    "DLRKIT_PLIVO_AUTH_TOKEN": PLIVO_TOKEN,
}
UNKNOWN_ERROR = 4242  # not in the catalog: counted under "codes not in the catalog"
# (status id, status group, error id, error group, permanent, state, reason, weight)
SMS_FATES = (
    (5, 3, 0, 0, False, "delivered", "none", 50),
    (9, 2, 27, 1, False, "undelivered", "recipient_unreachable", 12),
    (4, 2, 1, 1, True, "undelivered", "recipient_invalid", 6),
    (9, 2, 2050, 3, True, "undelivered", "recipient_opted_out", 3),
    (6, 5, 4103, 2, True, "rejected", "rate_limited", 4),
    (15, 4, 4101, 2, True, "expired", "expired", 4),
    (9, 2, UNKNOWN_ERROR, 1, False, "undelivered", "unknown", 2),
    (3, 1, 0, 0, False, "pending", "none", 5),
)
STATUS_GROUPS = {1: "PENDING", 2: "UNDELIVERABLE", 3: "DELIVERED", 4: "EXPIRED", 5: "REJECTED"}
COUNTRIES = {"FR": ("336", 11), "DE": ("49151", 13), "GB": ("447400", 12), "US": ("1415555", 11)}


@dataclass
class Sent:
    """What the traffic contained, for the tests' expectations."""

    states: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)  # failed messages per country
    messages: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> facts
    calls: list[str] = field(default_factory=list)


def _number(rng: random.Random, country: str) -> str:
    prefix, length = COUNTRIES[country]
    return prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))


def _infobip_report(
    message_id: str, to: str, fate: tuple[object, ...], at: dt.datetime, delay: int
) -> dict[str, object]:
    status_id, status_group, error_id, error_group, permanent = fate[:5]
    assert isinstance(status_group, int)
    return {
        "messageId": message_id,
        "to": to,
        "sentAt": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "doneAt": (at + dt.timedelta(seconds=delay)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "smsCount": 1,
        "price": {"pricePerMessage": 0.045, "currency": "EUR"},
        "status": {
            "groupId": status_group,
            "groupName": STATUS_GROUPS[status_group],
            "id": status_id,
            "name": "PENDING_ENROUTE" if status_group == 1 else f"STATUS_{status_id}",
        },
        "error": {
            "groupId": error_group,
            "groupName": "OK" if error_id == 0 else "HANDSET_ERRORS",
            "id": error_id,
            "name": "NO_ERROR" if error_id == 0 else f"ERROR_{error_id}",
            "permanent": permanent,
        },
    }


def post_infobip(http: httpx.Client, results: list[dict[str, object]]) -> None:
    r = http.post(
        "/webhooks/infobip",
        content=json.dumps({"results": results}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": signing.basic(INFOBIP_USER, INFOBIP_PASSWORD),
        },
    )
    assert r.status_code == 200, r.text


def post_plivo_call(http: httpx.Client, base_url: str, fields: dict[str, str], nonce: str) -> None:
    body = urlencode(fields).encode()
    url = base_url + "/webhooks/plivo"
    r = http.post(
        "/webhooks/plivo",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Plivo-Signature-V3": signing.plivo_v3(PLIVO_TOKEN, url, nonce, body),
            "X-Plivo-Signature-V3-Nonce": nonce,
        },
    )
    assert r.status_code == 200, r.text


def send(base_url: str, *, messages: int = 240, seed: int = 6) -> Sent:
    """Post the traffic to a running server; return what was sent."""
    rng = random.Random(seed)
    sent = Sent()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    weights = [f[-1] for f in SMS_FATES]
    with httpx.Client(base_url=base_url, timeout=30) as http:
        batch: list[dict[str, object]] = []
        for i in range(messages):
            fate = rng.choices(SMS_FATES, weights)[0]
            country = rng.choice(list(COUNTRIES))
            message_id = f"ib-{i:05d}"
            at = now - dt.timedelta(minutes=rng.randrange(5, 600))
            delay = rng.choice((2, 12, 45, 400, 4000))
            batch.append(_infobip_report(message_id, _number(rng, country), fate, at, delay))
            state, reason = str(fate[5]), str(fate[6])
            sent.states[state] += 1
            sent.messages[message_id] = {"state": state, "reason": reason, "country": country}
            if state in ("undelivered", "rejected", "expired"):
                sent.reasons[reason] += 1
                sent.countries[country] += 1
            if len(batch) == 40:
                post_infobip(http, batch)
                batch = []
        if batch:
            post_infobip(http, batch)
        # one message whose pending report arrives after its final one
        late = _infobip_report("ib-late", "33611223344", SMS_FATES[0], now, 5)
        post_infobip(http, [late])
        post_infobip(http, [_infobip_report("ib-late", "33611223344", SMS_FATES[-1], now, 1)])
        sent.messages["ib-late"] = {"state": "delivered", "reason": "none", "country": "FR"}
        sent.states["delivered"] += 1
        for n, (status, code, cause) in enumerate(
            (("busy", "3010", "USER_BUSY"), ("no-answer", "3000", "NO_ANSWER"))
        ):
            uuid = f"call-{n:04d}-5a1e-4c1b-9d2e-0f1a2b3c4d5e"
            post_plivo_call(
                http,
                base_url,
                {
                    "CallUUID": uuid,
                    "CallStatus": status,
                    "Direction": "outbound",
                    "From": "14155550100",
                    "To": "14155550123",
                    "Duration": "0",
                    "HangupCauseCode": code,
                    "HangupCause": cause,
                    "HangupSource": "Carrier",
                    "Event": "Hangup",
                    "StartTime": now.strftime("%Y-%m-%d %H:%M:%S"),
                    "EndTime": (now + dt.timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M:%S"),
                },
                nonce=f"nonce-{n}",
            )
            sent.calls.append(uuid)
            sent.states["undelivered"] += 1
            reason = "recipient_busy" if status == "busy" else "recipient_no_answer"
            sent.reasons[reason] += 1
            sent.countries["US"] += 1
    return sent
