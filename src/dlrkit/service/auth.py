"""Webhook authenticity: does this request really come from the provider account it claims?

Each provider proves itself its own way (docs/service.md has the settings):

- Plivo signs with its V3 scheme: `X-Plivo-Signature-V3` is base64(HMAC-SHA256(auth token,
  URL + params + "." + nonce)), the nonce in `X-Plivo-Signature-V3-Nonce`. The string signed is
  built as plivo-python's `validate_v3_signature` does (see `plivo_v3_signature`); the header may
  hold several comma-separated signatures, any of which may match. A callback sent with GET has
  its params in the query string, so the URL alone is signed (the body params are none).
- Infobip offers, per subscription: basic auth, a bearer token, or an HMAC of the raw body in a
  header (`hmac_signature`: hex or base64, optionally prefixed `sha256=`).
- SMSPartner does not sign: a secret token in the callback URL (`?token=` or `/webhooks/smspartner/{token}`).
- SMPP gateways relaying receipts over HTTP: a shared token in a header.

Every comparison of secrets is constant-time. No credentials: 401; wrong ones, or no account
configured for the provider: 403.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import msgspec

from dlrkit.service.settings import Account

PLIVO_SIGNATURE = "x-plivo-signature-v3"
PLIVO_NONCE = "x-plivo-signature-v3-nonce"


URL_SIGNED = frozenset({"plivo"})  # providers whose signatures cover the URL they called
URL_TOKEN = frozenset({"smspartner"})  # providers whose secret may ride in the query (?token=)


class Presented(NamedTuple):
    """What a webhook request brings to be verified (header names lower-cased)."""

    url: str  # the full URL the provider called, query string included ("" unless URL_SIGNED)
    headers: Mapping[str, str]
    query: Mapping[str, str]
    path_token: str | None
    body: bytes
    media_type: str


class Verdict(NamedTuple):
    status: int  # 200 verified, 401 no credentials, 403 wrong credentials or no account
    problem: str = ""
    account: str | None = None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# --- Plivo V3 --------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if isinstance(value, dict | list):
        raise TypeError("nested value")
    return str(value)  # str(True) == "True", str(None) == "None": as the Python SDK formats


def _params_string(params: Mapping[str, object]) -> str:
    """Sorted keys, each key followed by its value(s); lists sorted; objects recursively."""
    out = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, list):
            out.append("".join(f"{key}{v}" for v in sorted(_fmt(v) for v in value)))
        elif isinstance(value, dict):
            out.append(f"{key}{_params_string(value)}")
        else:
            out.append(f"{key}{_fmt(value)}")
    return "".join(out)


def plivo_v3_signature(auth_token: str, url: str, nonce: str, params: Mapping[str, object]) -> str:
    """The V3 signature Plivo sends for a POST to `url` with these body params."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = parse_qs(parts.query, keep_blank_values=True)
    query_string = "&".join("&".join(f"{k}={v}" for v in sorted(query[k])) for k in sorted(query))
    if query_string or params:
        base += "?" + query_string
    if query_string and params:
        base += "."
    base += _params_string(params)
    digest = hmac.new(
        auth_token.encode("utf-8"), f"{base}.{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def _plivo_params(body: bytes, media_type: str) -> Mapping[str, object] | None:
    try:
        if media_type == "application/json":
            doc = msgspec.json.decode(body) if body.strip() else {}
            return doc if isinstance(doc, dict) else None
        return dict(parse_qs(body.decode("utf-8"), keep_blank_values=True))
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None


def _plivo(account: Account, req: Presented) -> Verdict:
    signatures, nonce = req.headers.get(PLIVO_SIGNATURE), req.headers.get(PLIVO_NONCE)
    if not signatures or not nonce:
        return Verdict(401, "missing X-Plivo-Signature-V3 or X-Plivo-Signature-V3-Nonce header")
    params = _plivo_params(req.body, req.media_type)
    if params is None:
        return Verdict(403, "body cannot be verified against X-Plivo-Signature-V3")
    assert account.auth_token is not None
    try:
        expected = plivo_v3_signature(account.auth_token, req.url, nonce, params)
    except TypeError:
        return Verdict(403, "body cannot be verified against X-Plivo-Signature-V3")
    if any(_same(s.strip(), expected) for s in signatures.split(",")):
        return Verdict(200, account=account.name)
    return Verdict(403, "X-Plivo-Signature-V3 does not match")


# --- Infobip --------------------------------------------------------------------------------


def hmac_signature(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    """The hex HMAC of a raw body (what an Infobip HMAC subscription header must carry)."""
    return hmac.new(secret.encode("utf-8"), body, algorithm).hexdigest()


def _scheme(req: Presented, scheme: str) -> str | None:
    value = req.headers.get("authorization", "")
    name, _, credentials = value.partition(" ")
    return credentials.strip() if name.lower() == scheme and credentials.strip() else None


def _basic(account: Account, req: Presented) -> Verdict:
    credentials = _scheme(req, "basic")
    if credentials is None:
        return Verdict(401, "missing Authorization: Basic header")
    try:
        user, sep, password = (
            base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return Verdict(403, "malformed Basic credentials")
    assert account.username is not None
    assert account.password is not None
    ok_user = _same(user, account.username)
    ok_password = _same(password, account.password)
    if sep and ok_user and ok_password:
        return Verdict(200, account=account.name)
    return Verdict(403, "wrong username or password")


def _bearer(account: Account, req: Presented) -> Verdict:
    token = _scheme(req, "bearer")
    if token is None:
        return Verdict(401, "missing Authorization: Bearer header")
    if _any_token(token, account.tokens):
        return Verdict(200, account=account.name)
    return Verdict(403, "unknown bearer token")


def _hmac(account: Account, req: Presented) -> Verdict:
    assert account.header is not None
    assert account.secret is not None
    given = req.headers.get(account.header.lower(), "").strip()
    if not given:
        return Verdict(401, f"missing {account.header} header")
    prefix = account.algorithm + "="
    if given.lower().startswith(prefix):
        given = given[len(prefix) :]
    digest = hmac.new(account.secret.encode("utf-8"), req.body, account.algorithm).digest()
    if _same(given.lower(), digest.hex()) or _same(given, base64.b64encode(digest).decode("ascii")):
        return Verdict(200, account=account.name)
    return Verdict(403, f"{account.header} does not match the body")


# --- tokens (SMSPartner, SMPP) ----------------------------------------------------------------


def _any_token(given: str, tokens: tuple[str, ...]) -> bool:
    matched = False
    for token in tokens:  # no early exit: the time taken does not tell which token matched
        matched |= _same(given, token)
    return matched


def _url_token(account: Account, req: Presented) -> Verdict:
    given = req.path_token or req.query.get("token")
    if not given:
        return Verdict(401, "missing token: add ?token=... to the callback URL")
    if _any_token(given, account.tokens):
        return Verdict(200, account=account.name)
    return Verdict(403, "wrong token")


def _header_token(account: Account, req: Presented) -> Verdict:
    assert account.header is not None
    given = req.headers.get(account.header.lower())
    if not given:
        return Verdict(401, f"missing {account.header} header")
    if _any_token(given.strip(), account.tokens):
        return Verdict(200, account=account.name)
    return Verdict(403, f"wrong {account.header}")


def _check(account: Account, req: Presented) -> Verdict:
    if account.auth == "plivo_v3":
        return _plivo(account, req)
    if account.auth == "basic":
        return _basic(account, req)
    if account.auth == "bearer":
        return _bearer(account, req)
    if account.auth == "hmac":
        return _hmac(account, req)
    return _header_token(account, req) if account.header else _url_token(account, req)


def verify(
    provider: str, accounts: tuple[Account, ...], req: Presented, *, insecure: bool = False
) -> Verdict:
    """Whether any of the provider's accounts vouches for this request."""
    if not accounts:
        if insecure:
            return Verdict(200, account=None)
        return Verdict(
            403, f"no {provider} account is configured: webhooks from {provider} are refused"
        )
    verdicts = [_check(a, req) for a in accounts]
    for v in verdicts:
        if v.status == 200:
            return v
    wrong = [v for v in verdicts if v.status == 403]
    if wrong:
        return wrong[0]
    # nothing any account looks for: say what each would take (basic auth, an HMAC header...)
    wanted = list(dict.fromkeys(v.problem for v in verdicts))
    return Verdict(401, wanted[0] if len(wanted) == 1 else "; or ".join(wanted))
