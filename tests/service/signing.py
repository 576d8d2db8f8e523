"""Webhook credentials computed the way each provider does, written independently of
`dlrkit.service.auth` (straight from the providers' descriptions) so the tests check it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl


def plivo_v3(auth_token: str, url: str, nonce: str, form_body: bytes = b"") -> str:
    """Plivo V3 for a POST: URL without query + "?" + sorted query ("k=v&..") + "." (if both a query
    and params) + each sorted param as key+value + "." + nonce; HMAC-SHA256, base64."""
    base, _, query = url.partition("?")
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    params = sorted(parse_qsl(form_body.decode(), keep_blank_values=True))
    signed = base
    if pairs or params:
        signed += "?" + "&".join(f"{k}={v}" for k, v in pairs)
    if pairs and params:
        signed += "."
    signed += "".join(k + v for k, v in params)
    signed += "." + nonce
    mac = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hmac_b64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
