"""Dashboard sessions over HTTP (no browser): the cookie is a signed token, not the API key; a
revoked key's session is refused; a key in the address is never used; tokens cannot be forged,
moved to another key or kept past their expiry; scripts may send the key in a header."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie

import pytest

from dlrkit.service.dashboard import session
from tests.service.conftest import Service, service_factory, svc

pytestmark = pytest.mark.anyio
ORIGIN = "https://dlr.example.com"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN}
__all__ = ["service_factory", "svc"]  # fixtures


def _cookies(response_headers: list[str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response_headers:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


async def _login(svc: Service, key: str) -> str:
    """Log in with the form; the session cookie's value."""
    r = await svc.client.post(
        "/dashboard/login", content=f"key={key}&next=/dashboard/codes", headers=FORM
    )
    assert (r.status_code, r.headers["location"]) == (303, "/dashboard/codes")
    set_cookies = r.headers.get_list("set-cookie")
    cookies = _cookies(set_cookies)
    token = cookies[session.COOKIE]
    assert cookies[session.LEGACY_COOKIE] == ""  # a key an older version stored is erased
    [mine] = [c for c in set_cookies if c.startswith(f"{session.COOKIE}=")]
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/dashboard", "Secure"):
        assert attribute in mine
    return token


async def _key_id(svc: Service, name: str) -> str:
    [key] = [k for k in await svc.store.list_keys() if k.name == name]
    return key.id


async def test_the_cookie_is_a_signed_token_not_the_key(svc: Service) -> None:
    key = await svc.api_key("alice")
    token = await _login(svc, key)
    assert key not in token
    assert key[len("dlrk_") :] not in token
    assert "dlrk_" not in token
    assert session.token_key_id(token) == await _key_id(svc, "alice")
    assert (await svc.client.get("/dashboard/codes")).status_code == 200
    # the token is no API key: the API refuses it
    api = await svc.client.get("/suppressions", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


async def test_a_revoked_keys_session_is_refused(svc: Service) -> None:
    key = await svc.api_key("bob")
    await _login(svc, key)
    assert (await svc.client.get("/dashboard")).status_code == 200
    assert await svc.store.revoke_key(await _key_id(svc, "bob"))
    r = await svc.client.get("/dashboard/failures?by=code")
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Ffailures%3Fby%3Dcode"
    posted = await svc.client.post(
        "/dashboard/suppressions",
        content="recipient=%2B33611223344&reason=recipient_blocked",
        headers=FORM,
    )
    assert posted.headers["location"].startswith("/dashboard/login")
    assert await svc.store.check_suppression("+33611223344") is None


async def test_a_key_in_the_address_is_never_used(svc: Service) -> None:
    key = await svc.api_key()
    r = await svc.client.get(f"/dashboard/failures?key={key}&by=country")
    assert r.status_code == 303
    location = r.headers["location"]
    assert location == ("/dashboard/login?next=%2Fdashboard%2Ffailures%3Fby%3Dcountry&why=address")
    assert key not in location
    assert "set-cookie" not in r.headers
    assert not svc.client.cookies
    form = await svc.client.get(location)
    assert form.status_code == 200
    assert "Keys are not accepted in the address" in form.text
    assert 'value="/dashboard/failures?by=country"' in form.text
    # even with a valid session, a ?key= is not taken (nor does it log anyone else in)
    await _login(svc, key)
    again = await svc.client.get(f"/dashboard?key={key}")
    assert again.headers["location"] == "/dashboard/login?next=%2Fdashboard&why=address"
    assert "set-cookie" not in again.headers


async def test_tokens_cannot_be_forged_moved_or_kept(svc: Service) -> None:
    carol = await svc.api_key("carol")
    await svc.api_key("dave")
    token = await _login(svc, carol)
    version, carol_id, expires, signature = token.split(".")
    dave_id = await _key_id(svc, "dave")
    later = str(int(expires) + 3600)
    forged = {
        "another key": f"{version}.{dave_id}.{expires}.{signature}",
        "extended": f"{version}.{carol_id}.{later}.{signature}",
        "unsigned": f"{version}.{carol_id}.{expires}.",
        "garbage": "dlrk_not-a-token",
        "the key itself": carol,
    }
    for what, value in forged.items():
        svc.client.cookies.set(session.COOKIE, value, domain="dlr.example.com", path="/dashboard")
        r = await svc.client.get("/dashboard")
        assert r.status_code == 303, what
        assert session.token_key_id(value) is None, what
    now = time.time()
    old = session.make_token(carol_id, now=now - session.MAX_AGE - 1)
    assert session.token_key_id(old, now=now) is None
    fresh = session.make_token(carol_id, now=now)
    assert session.token_key_id(fresh, now=now) == carol_id
    assert session.token_key_id(fresh, now=now + session.MAX_AGE + 1) is None


async def test_scripts_log_in_with_a_post_or_send_the_key_in_a_header(svc: Service) -> None:
    key = await svc.api_key("script")
    # what `curl -c jar -d key=... URL/dashboard/login` does: no Origin header
    r = await svc.client.post(
        "/dashboard/login",
        content=f"key={key}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 303
    svc.client.cookies.clear()
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        page = await svc.client.get("/dashboard/codes", headers=headers)
        assert page.status_code == 200, headers
        assert "set-cookie" not in page.headers
    assert (await svc.client.get("/dashboard/codes", headers={"X-API-Key": "dlrk_x"})).is_redirect
    await svc.store.revoke_key(await _key_id(svc, "script"))
    refused = await svc.client.get("/dashboard/codes", headers={"X-API-Key": key})
    assert refused.status_code == 303


async def test_a_login_from_another_site_says_so(service_factory: object) -> None:
    async with service_factory() as svc:  # type: ignore[operator]
        key = await svc.api_key("carol")
        foreign = {**FORM, "Origin": "https://evil.example"}
        r = await svc.client.post("/dashboard/login", content=f"key={key}", headers=foreign)
        assert r.status_code == 401
        assert "another address" in r.text
        assert "https://evil.example" in r.text
        assert "unknown or revoked" not in r.text
        assert session.COOKIE not in r.headers.get("set-cookie", "")
    # behind a proxy: the origin of the public URL is the dashboard's own
    env = {"DLRKIT_PUBLIC_URL": "https://dlr.public.example/"}
    from tests.service.conftest import ACCOUNT_ENV

    async with service_factory({**ACCOUNT_ENV, **env}) as svc:  # type: ignore[operator]
        key = await svc.api_key("dave")
        proxied = {**FORM, "Origin": "https://dlr.public.example"}
        r = await svc.client.post("/dashboard/login", content=f"key={key}", headers=proxied)
        assert r.status_code == 303


async def test_another_site_cannot_log_the_user_out(svc: Service) -> None:
    token = await _login(svc, await svc.api_key("erin"))
    foreign = {**FORM, "Origin": "https://evil.example"}
    r = await svc.client.post("/dashboard/logout", headers=foreign)
    assert r.status_code == 303
    assert session.COOKIE not in r.headers.get("set-cookie", "")
    assert session.token_key_id(token) is not None
    assert (await svc.client.get("/dashboard/codes")).status_code == 200  # still logged in
    same = await svc.client.post("/dashboard/logout", headers=FORM)
    assert session.COOKIE in same.headers.get("set-cookie", "")  # the user's own logout works
    assert (await svc.client.get("/dashboard/codes")).status_code == 303


def test_a_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlrkit.errors import InputError

    monkeypatch.setenv(session.SECRET_ENV, "x" * (session.MIN_SECRET - 1))
    with pytest.raises(InputError, match="at least 32 characters") as caught:
        session._process_secret()
    assert caught.value.field == session.SECRET_ENV
    monkeypatch.setenv(session.SECRET_ENV, "y" * session.MIN_SECRET)
    assert session._process_secret() == b"y" * session.MIN_SECRET
