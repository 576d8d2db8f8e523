"""Webhook authenticity checks on their own: known-answer signatures and the verdicts."""

from __future__ import annotations

import pytest

from dlrkit.service import auth
from dlrkit.service.settings import Account
from tests.service import signing

URL = "https://dlr.example.com/webhooks/plivo"


def test_plivo_v3_known_answers() -> None:
    # expected values computed with `openssl dgst -sha256 -hmac tok -binary | base64` over the
    # string Plivo signs: URL, "?", sorted query, "." before params, key+value pairs, ".", nonce
    params = {"Status": ["delivered"], "MessageUUID": ["abc"]}
    assert (
        auth.plivo_v3_signature("tok", URL, "12345", params)
        == "LBAhgOXOVcxKsyFLj2/GE4pPuc7CyllrWI9eJECpccQ="
    )
    assert (
        auth.plivo_v3_signature("tok", URL + "?z=1&acct=main", "12345", params)
        == "50y3Bbn+lbh31UzAYt40pPXMky8B8iKlOQMa8OnNvFc="
    )


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (URL, b"B=2&A=1&A=0&Empty="),
        (URL + "?b=2&a=1", b"To=%2B14155550123&Text=caf%C3%A9+ok"),
        (URL + "?only=query", b""),
        (URL, b""),
    ],
)
def test_plivo_v3_matches_an_independent_implementation(url: str, body: bytes) -> None:
    from urllib.parse import parse_qs

    params = dict(parse_qs(body.decode(), keep_blank_values=True))
    assert auth.plivo_v3_signature("s3cret", url, "n0nce", params) == signing.plivo_v3(
        "s3cret", url, "n0nce", body
    )


def _presented(
    headers: dict[str, str] | None = None, body: bytes = b"{}", **kw: object
) -> auth.Presented:
    fields: dict[str, object] = {
        "url": URL,
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "query": {},
        "path_token": None,
        "body": body,
        "media_type": "application/json",
    }
    fields.update(kw)
    return auth.Presented(**fields)  # type: ignore[arg-type]


def test_several_accounts_any_may_vouch() -> None:
    accounts = (
        Account(provider="infobip", auth="bearer", tokens=("a",)),
        Account(provider="infobip", name="b", auth="basic", username="u", password="p"),
    )
    ok = auth.verify("infobip", accounts, _presented({"Authorization": signing.basic("u", "p")}))
    assert ok == auth.Verdict(200, account="b")
    wrong = auth.verify("infobip", accounts, _presented({"Authorization": "Bearer nope"}))
    assert wrong.status == 403
    missing = auth.verify("infobip", accounts, _presented())
    assert missing.status == 401


def test_missing_credentials_name_what_each_account_takes() -> None:
    """With a basic and an HMAC account, a request carrying neither is told of both."""
    accounts = (
        Account(provider="infobip", auth="basic", username="u", password="p"),
        Account(provider="infobip", name="h", auth="hmac", secret="k"),
    )
    missing = auth.verify("infobip", accounts, _presented({"Authorization": "Bearer zzz"}))
    assert missing.status == 401
    assert "Authorization: Basic" in missing.problem
    assert "X-Signature" in missing.problem
    alone = auth.verify("infobip", accounts[:1], _presented())
    assert alone.status == 401
    assert "X-Signature" not in alone.problem


def test_hmac_header_name_and_algorithm_are_configurable() -> None:
    account = Account(
        provider="infobip", auth="hmac", secret="k", header="X-IB-Sig", algorithm="sha512"
    )
    import hashlib
    import hmac

    body = b'{"results":[]}'
    sig = hmac.new(b"k", body, hashlib.sha512).hexdigest().upper()
    assert auth.verify("infobip", (account,), _presented({"X-IB-Sig": sig}, body)).status == 200
    assert auth.verify("infobip", (account,), _presented({"X-Signature": sig}, body)).status == 401
    assert (
        auth.verify("infobip", (account,), _presented({"X-IB-Sig": sig}, body + b" ")).status == 403
    )


def test_plivo_json_body_params_and_unsignable_bodies() -> None:
    account = Account(provider="plivo", auth="plivo_v3", auth_token="tok")
    body = b'{"MessageUUID":"abc","Status":"delivered"}'
    sig = auth.plivo_v3_signature("tok", URL, "1", {"MessageUUID": "abc", "Status": "delivered"})
    headers = {"X-Plivo-Signature-V3": sig, "X-Plivo-Signature-V3-Nonce": "1"}
    assert auth.verify("plivo", (account,), _presented(headers, body)).status == 200
    for bad in (b"[1,2]", b"{not json", b'{"a":[{"b":1}]}'):
        assert auth.verify("plivo", (account,), _presented(headers, bad)).status == 403


def test_no_account_means_refused_unless_insecure() -> None:
    assert auth.verify("smpp", (), _presented()).status == 403
    assert auth.verify("smpp", (), _presented(), insecure=True) == auth.Verdict(200, account=None)
