"""Webhook traffic for the reliability tests: realistic reports rendered by the sandbox, several
per message (Plivo: queued, sent, final; Infobip: pending, final; SMSPartner: final), with fixed
timestamps so that the same call always yields byte-identical reports (and report keys), and
signed afresh for every delivery as the providers sign them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import urlencode

from dlrkit.catalog import Catalog
from dlrkit.sandbox import infobip_reports, plivo_reports
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.signing import callback_headers
from dlrkit.sandbox.smspartner import WORDS
from dlrkit.sandbox.state import SandboxState

# What `dlrkit serve` needs to accept the sandbox's signatures (docs/sandbox.md).
SECRETS = {
    "DLRKIT_PLIVO_AUTH_TOKEN": "sandbox-plivo-auth-token",
    "DLRKIT_INFOBIP_HMAC_SECRET": "sandbox-infobip-secret",
    "DLRKIT_SMSPARTNER_TOKEN": "sandbox-smspartner-token",
}
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_START = 1_740_816_000.0  # 2025-03-01T08:00:00Z
_STATE = SandboxState()


@dataclass(frozen=True)
class Hook:
    """One webhook request: one report about one message."""

    provider: str
    path: str  # with its query (SMSPartner's token)
    body: bytes
    content_type: str
    message_id: str

    def headers(self, base_url: str) -> dict[str, str]:
        """Fresh credentials (Plivo: a new nonce) for posting to `base_url`."""
        url = base_url.rstrip("/") + self.path
        return callback_headers(self.provider, _STATE, url, self.body, self.content_type)


def _plivo(rng: random.Random, n: int, fate: Fate) -> list[Hook]:
    uuid = f"{rng.getrandbits(128):032x}"
    uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}"
    to = f"3361{n:07d}"
    at = _START + n
    final, error = plivo_reports.MESSAGES[fate]
    steps = [("queued", "", None, None), ("sent", "", at + 1, None), (final, error, at + 1, at + 9)]
    return [
        Hook(
            "plivo",
            "/webhooks/plivo",
            urlencode(
                plivo_reports.message_form(
                    message_uuid=uuid,
                    sender="14155550100",
                    to=to,
                    status=status,
                    error=code,
                    queued=at,
                    sent=sent,
                    reported=reported,
                    units=1,
                    rate=0.005,
                    sequence=seq,
                )
            ).encode(),
            FORM,
            uuid,
        )
        for seq, (status, code, sent, reported) in enumerate(steps, 1)
    ]


def _infobip(catalog: Catalog, n: int, fate: Fate) -> list[Hook]:
    message_id = f"ib-{n:07d}"
    at = _START + n
    out = []
    for codes, done in (
        ((infobip_reports.PENDING_ACCEPTED, 0), at + 1),
        (infobip_reports.SMS[fate], at + 7),
    ):
        result = infobip_reports.sms_report(
            catalog,
            bulk_id="reliability",
            message_id=message_id,
            to=f"3362{n:07d}",
            sender="Shop",
            sent_at=at,
            done_at=done,
            parts=1,
            price=0.01,
            codes=codes,
            callback_data=None,
            version=2,
        )
        body = ('{"results": [' + _json(result) + "]}").encode()
        out.append(Hook("infobip", "/webhooks/infobip", body, JSON, message_id))
    return out


def _smspartner(n: int, fate: Fate) -> list[Hook]:
    form = {
        "messageId": str(700_000 + n),
        "phoneNumber": f"+3363{n:07d}",
        "status": WORDS[fate],
        "date": f"2025-03-01 09:{n // 60 % 60:02d}:{n % 60:02d}",
    }
    path = "/webhooks/smspartner?" + urlencode({"token": _STATE.smspartner.dlr_token})
    return [Hook("smspartner", path, urlencode(form).encode(), FORM, form["messageId"])]


def _json(value: object) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def hooks(reports: int, seed: int = 5) -> list[Hook]:
    """`reports` reports, each message's in the order the provider sends them, messages one
    after another."""
    rng = random.Random(seed)
    catalog = Catalog.default()
    fates = list(Fate)
    out: list[Hook] = []
    n = 0
    while len(out) < reports:
        fate = rng.choice(fates)
        kind = n % 3
        if kind == 0:
            out += _plivo(rng, n, fate)
        elif kind == 1:
            out += _infobip(catalog, n, fate)
        else:
            out += _smspartner(n, fate)
        n += 1
    return out[:reports]  # the last message may lack its final report: still a valid stream
