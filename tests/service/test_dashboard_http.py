"""The dashboard over HTTP (no browser): login, cookie, redirects, cross-origin refusals,
headers, lenient filters, and pages that need nothing from elsewhere. The browser tests in
tests/dashboard/ cover what people see."""

from __future__ import annotations

import re

import pytest

from tests.service.conftest import Service, fixture_bytes

pytestmark = pytest.mark.anyio
ORIGIN = "https://dlr.example.com"
PAGES = (
    "/dashboard",
    "/dashboard/failures?by=code",
    "/dashboard/messages",
    "/dashboard/messages/infobip/msg-0002-absent",
    "/dashboard/suppressions",
    "/dashboard/codes",
    "/dashboard/codes?provider=plivo",
    "/dashboard/codes/infobip/error/voice/5004",
)


async def _logged_in(svc: Service) -> str:
    r = await svc.client.post(
        "/webhooks/infobip",
        content=fixture_bytes("infobip/sms_report_v2.json"),
        headers={"Content-Type": "application/json", "Authorization": "Bearer ib-bearer-1"},
    )
    assert r.json()["accepted"] == 3
    key = await svc.api_key()
    r = await svc.client.post(
        "/dashboard/login",
        content="key=" + key + "&next=/dashboard/failures?by=country",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN},
    )
    assert (r.status_code, r.headers["location"]) == (303, "/dashboard/failures?by=country")
    [cookie] = [c for c in r.headers.get_list("set-cookie") if c.startswith("dlrkit_session=")]
    assert key not in cookie  # a signed session token, not the key (tests/dashboard/)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/dashboard" in cookie
    assert "Secure" in cookie  # served over https here
    return key


async def test_pages_need_a_key(svc: Service) -> None:
    r = await svc.client.get("/dashboard/messages?state=rejected")
    assert r.status_code == 303
    assert (
        r.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fmessages%3Fstate%3Drejected"
    )
    r = await svc.client.get("/dashboard", headers={"HX-Request": "true"})
    assert (r.status_code, r.headers["hx-redirect"]) == (200, "/dashboard/login?next=%2Fdashboard")
    r = await svc.client.get("/dashboard?key=dlrk_wrong")  # keys in addresses are not used
    assert r.headers["location"] == "/dashboard/login?next=%2Fdashboard&why=address"
    assert "set-cookie" not in r.headers


async def test_every_page_renders_with_strict_headers(svc: Service) -> None:
    await _logged_in(svc)
    for path in PAGES:
        r = await svc.client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        # everything comes from this origin: no absolute URL in any src or href
        assert not re.search(r'(src|href)="(https?:)?//', r.text), path
    page = (await svc.client.get("/dashboard/messages/infobip/msg-0002-absent")).text
    assert "recipient unreachable" in page
    assert "EC_ABSENT_SUBSCRIBER" in page
    code = (await svc.client.get("/dashboard/codes/infobip/error/voice/5004")).text
    assert "Replaced by" in code  # a legacy voice code links its new codes


async def test_login_form_and_logout(svc: Service) -> None:
    key = await svc.api_key()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN}
    wrong = await svc.client.post(
        "/dashboard/login", content="key=nope&next=/dashboard", headers=form
    )
    assert wrong.status_code == 401
    assert "That key is unknown or revoked." in wrong.text
    ok = await svc.client.post(
        "/dashboard/login", content=f"key={key}&next=https://evil.example/x", headers=form
    )
    assert (ok.status_code, ok.headers["location"]) == (303, "/dashboard")  # never elsewhere
    elsewhere = {**form, "Origin": "https://evil.example"}
    refused = await svc.client.post("/dashboard/login", content=f"key={key}", headers=elsewhere)
    assert refused.status_code == 401
    out = await svc.client.post("/dashboard/logout", headers={"Origin": ORIGIN})
    assert out.status_code == 303
    assert any(c.startswith('dlrkit_session=""') for c in out.headers.get_list("set-cookie"))


async def test_forms_refuse_other_origins(svc: Service) -> None:
    await _logged_in(svc)
    body = "recipient=%2B33611223344&reason=recipient_blocked"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = await svc.client.post(
        "/dashboard/suppressions", content=body, headers={**form, "Origin": "https://evil.example"}
    )
    assert r.status_code == 303
    assert r.headers["location"].startswith("/dashboard/login")
    assert await svc.store.check_suppression("+33611223344") is None
    r = await svc.client.post(
        "/dashboard/suppressions", content=body, headers={**form, "Origin": ORIGIN}
    )
    assert r.headers["location"].startswith("/dashboard/suppressions?done=Suppressed")
    assert (await svc.store.check_suppression("+33611223344")) is not None
    bad = await svc.client.post(
        "/dashboard/suppressions",
        content="recipient=%2B33611223344&reason=bored",
        headers={**form, "Origin": ORIGIN},
    )
    assert bad.status_code == 422  # the form again, saying why, with what was typed
    assert "Not added. Reason: unknown reason" in bad.text
    assert 'value="+33611223344"' in bad.text
    past = await svc.client.post(
        "/dashboard/suppressions",
        content="recipient=%2B33699887766&reason=recipient_blocked&expires=2020-01-01&note=hi",
        headers={**form, "Origin": ORIGIN},
    )
    assert past.status_code == 422
    assert "Not added. Until: must be in the future" in past.text
    assert "expires_at" not in past.text
    for typed in ('value="+33699887766"', 'value="2020-01-01"', 'value="hi"'):
        assert typed in past.text
    assert '<option value="recipient_blocked" selected>' in past.text
    assert await svc.store.check_suppression("+33699887766") is None


async def test_bad_filters_are_named_not_fatal(svc: Service) -> None:
    await _logged_in(svc)
    r = await svc.client.get("/dashboard?period=fortnight&provider=acme&country=France")
    assert r.status_code == 200
    for problem in (
        "period: &#39;fortnight&#39; is not one of 24h, 7d, 30d, 90d, custom",
        "provider: &#39;acme&#39; is not one of",
        "country: &#39;France&#39; is not a two-letter ISO 3166 code",
    ):
        assert problem in r.text
    assert 'id="total-messages">3<' in r.text  # the rest still shows
    r = await svc.client.get(
        "/dashboard/failures?by=colour&period=custom&since=2024-06-02&until=2024-06-01"
    )
    assert "by: &#39;colour&#39; is not one of" in r.text
    assert "until: must be later than since" in r.text
    r = await svc.client.get("/dashboard/messages?cursor=garbage")
    assert "cursor: not a cursor" in r.text
    missing = await svc.client.get("/dashboard/codes/sip/status/response/999")
    assert missing.status_code == 404
    assert "Closest known codes" in missing.text


async def test_htmx_is_vendored_with_its_version_and_licence(svc: Service) -> None:
    await _logged_in(svc)
    page = (await svc.client.get("/dashboard")).text
    src = re.search(r'<script src="(/dashboard/static/htmx\.min\.js\?v=[0-9a-f]+)"', page)
    assert src is not None
    js = await svc.client.get(src.group(1))
    assert js.status_code == 200
    assert js.text.startswith("/*! htmx.org 2.0.11")
    assert "Licence: 0BSD" in js.text[:400]
