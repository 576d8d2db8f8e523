"""Callback credentials, made the way each imitated provider makes them.

- Plivo signs every callback with its V3 scheme: `X-Plivo-Signature-V3` holds
  base64(HMAC-SHA256(auth token, signed string)) and `X-Plivo-Signature-V3-Nonce` a fresh nonce.
  The signed string for a POST is the URL without its query, then "?" and the sorted query
  parameters as `k=v` joined by "&", then "." (only when there are both query and body
  parameters), then each sorted body parameter as key followed by value, then "." and the nonce
  (Plivo's "Validating requests" page and plivo-python's `validate_v3_signature`).
- Infobip webhooks carry what the subscription is set up with: basic credentials, a bearer
  token, or an HMAC-SHA256 of the raw body in a header (hex).
- SMSPartner does not sign: a secret token travels in the callback URL (`?token=`), added by the
  sandbox to its default callback URLs.

Written apart from `dlrkit.service.auth` on purpose: the end-to-end tests then prove the two agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl, urlsplit

from dlrkit.sandbox.state import InfobipWebhookAuth, SandboxState

PLIVO_SIGNATURE = "X-Plivo-Signature-V3"
PLIVO_NONCE = "X-Plivo-Signature-V3-Nonce"
FORM = "application/x-www-form-urlencoded"


def plivo_v3(auth_token: str, url: str, nonce: str, body: bytes = b"") -> str:
    """The V3 signature of a form-encoded POST of `body` to `url`."""
    parts = urlsplit(url)
    signed = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    params = sorted(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if query or params:
        signed += "?" + "&".join(f"{k}={v}" for k, v in query)
    if query and params:
        signed += "."
    signed += "".join(k + v for k, v in params)
    signed += "." + nonce
    mac = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def infobip_headers(auth: InfobipWebhookAuth, body: bytes) -> dict[str, str]:
    """The credential headers of an Infobip webhook subscription of this kind."""
    if auth.kind == "basic":
        pair = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}
    if auth.kind == "bearer":
        return {"Authorization": f"Bearer {auth.token}"}
    if auth.kind == "hmac":
        digest = hmac.new(auth.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        return {auth.header: digest}
    return {}


def callback_headers(
    provider: str, state: SandboxState, url: str, body: bytes, content_type: str
) -> dict[str, str]:
    """Every header of one callback POST, credentials included (a new nonce for each attempt)."""
    headers = {"Content-Type": content_type, "User-Agent": f"dlrkit-sandbox/{provider}"}
    if provider == "plivo":
        nonce = str(secrets.randbelow(10**20))
        signed_body = body if content_type == FORM else b""
        headers[PLIVO_SIGNATURE] = plivo_v3(state.plivo.auth_token, url, nonce, signed_body)
        headers[PLIVO_NONCE] = nonce
    elif provider == "infobip":
        headers.update(infobip_headers(state.infobip.webhook, body))
    return headers
