"""Dashboard login: an API key (`dlrkit keys create`) traded for a signed session cookie.

The key goes in once, in the body of the login form (POST /dashboard/login), never in an
address: a `?key=` on a dashboard page is refused (the request is sent to the login page
without it and no cookie is set), since addresses end up in access logs and browser history.

The cookie is not the key. It is a session token naming the key's id and an expiry,
`v1.<key id>.<expires, Unix seconds>.<signature>`, signed with HMAC-SHA256 under the
dashboard's secret (`signing_key`): it cannot be forged or extended without that secret, and
it is useless against the API (which wants the key itself). Every page checks that the key it
names is still active, so revoking the key ends its sessions at the next click; sessions also
end after `MAX_AGE`, or for every holder when the secret changes.

The cookie is HttpOnly, SameSite=Strict (no other site can send it, which is also what
protects the dashboard's forms from cross-site posts), scoped to /dashboard, and Secure when the
page was served over HTTPS. POSTs must also come from this origin.

Scripts can log in like the form (`curl -c jar -d key=... URL/dashboard/login`) or send the key
as the API takes it (`Authorization: Bearer <key>` or `X-API-Key: <key>`) with each request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from dlrkit.errors import InputError
from dlrkit.service.dashboard.render import page
from dlrkit.service.responses import StorageUnavailable
from dlrkit.store.base import ApiKey, Store

COOKIE = "dlrkit_session"
LEGACY_COOKIE = "dlrkit_key"  # earlier versions kept the key itself here: erased at login/out
MAX_AGE = 12 * 3600
LOGIN = "/dashboard/login"
SECRET_ENV = "DLRKIT_DASHBOARD_SECRET"
MIN_SECRET = 32
_VERSION = "v1"
_KEY_ID = re.compile(r"[0-9A-Za-z_-]{1,32}")


def _process_secret() -> bytes:
    """The signing secret: $DLRKIT_DASHBOARD_SECRET, else a random one made now.

    A made-up secret is put into this process's environment, so the worker processes it starts
    afterwards (`dlrkit serve --workers N` imports this module before starting them) sign and
    check with the same one. Several servers behind one balancer need the variable set to the
    same value on each; without it, a restart ends every session.
    """
    given = os.environ.get(SECRET_ENV, "")
    if given:
        if len(given) < MIN_SECRET:
            raise InputError(
                f"must be at least {MIN_SECRET} characters (a short secret lets anyone who "
                "saw a session cookie forge others): e.g. `openssl rand -hex 32`",
                field=SECRET_ENV,
            )
        return given.encode("utf-8")
    made = secrets.token_hex(32)
    os.environ[SECRET_ENV] = made
    return made.encode("ascii")


_SECRET = _process_secret()


def signing_key() -> bytes:
    return _SECRET


def _signature(key_id: str, expires: int) -> str:
    message = f"dlrkit-dashboard-session:{_VERSION}:{key_id}:{expires}".encode()
    digest = hmac.new(signing_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_token(key_id: str, *, now: float | None = None) -> str:
    """A session token for the key `key_id`, valid for MAX_AGE seconds."""
    expires = int(now if now is not None else time.time()) + MAX_AGE
    return f"{_VERSION}.{key_id}.{expires}.{_signature(key_id, expires)}"


def token_key_id(token: str, *, now: float | None = None) -> str | None:
    """The key id a token names, if its signature holds and it has not expired; else None."""
    parts = token.split(".") if 0 < len(token) <= 200 else []
    if len(parts) != 4 or parts[0] != _VERSION or not _KEY_ID.fullmatch(parts[1]):
        return None
    key_id, expires_text, signature = parts[1], parts[2], parts[3]
    if not (expires_text.isascii() and expires_text.isdigit() and len(expires_text) <= 12):
        return None
    expires = int(expires_text)
    if not hmac.compare_digest(signature.encode(), _signature(key_id, expires).encode()):
        return None
    if expires <= (now if now is not None else time.time()):
        return None
    return key_id


class LoginRequired(Exception):
    """The page needs a session; `next` is where to come back to, `why` a note for the form."""

    def __init__(self, next_url: str, why: str | None = None):
        super().__init__(next_url)
        self.next, self.why = next_url, why


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def _check(request: Request, secret: str) -> ApiKey | None:
    """The active key of an API key secret."""
    if not secret or len(secret) > 256:
        return None
    try:
        return await _store(request).check_key(secret)
    except Exception as exc:
        raise StorageUnavailable from exc


async def _active(request: Request, key_id: str) -> ApiKey | None:
    """The key named `key_id` if it exists and is not revoked."""
    try:
        keys = await _store(request).list_keys()
    except Exception as exc:
        raise StorageUnavailable from exc
    return next((k for k in keys if k.id == key_id and k.revoked_at is None), None)


def _here(request: Request, *, drop: str | None = None) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != drop]
    return request.url.path + (f"?{urlencode(pairs)}" if pairs else "")


def safe_next(value: str | None) -> str:
    """Only paths inside the dashboard: never an open redirect."""
    if value and value.startswith("/dashboard") and not value.startswith("//"):
        return value
    return "/dashboard"


def _header_secret(request: Request) -> str | None:
    """An API key sent as the API takes it (scripts), or None."""
    given = request.headers.get("x-api-key")
    if given:
        return given
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


async def viewer(request: Request) -> ApiKey:
    """The key of whoever is looking, from the session cookie (or a key header), else to the
    login page."""
    if "key" in request.query_params:  # a key in the address: not used, not even checked
        raise LoginRequired(_here(request, drop="key"), why="address")
    secret = _header_secret(request)
    if secret is not None:
        key = await _check(request, secret)
    else:
        key_id = token_key_id(request.cookies.get(COOKIE, ""))
        key = await _active(request, key_id) if key_id is not None else None
    if key is None:
        raise LoginRequired(_here(request))
    if request.method == "POST" and not same_origin(request):
        raise LoginRequired(_here(request))
    return key


Viewer = Annotated[ApiKey, Depends(viewer)]


def same_origin(request: Request) -> bool:
    """Whether a POST comes from the dashboard's own pages: no Origin header (not a browser),
    or the origin the request reached, or that of the service's public URL (behind a proxy)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # browsers send Origin on POST; "null" is an opaque origin
    if origin == f"{request.url.scheme}://{request.url.netloc}":
        return True
    public = getattr(request.app.state.settings, "public_url", None)
    if public:
        parts = urlsplit(public)
        return origin == f"{parts.scheme}://{parts.netloc}"
    return False


FOREIGN = (
    "This form was sent from another address ({origin}) than the dashboard's: open the "
    "dashboard at its own address (behind a proxy, give `dlrkit serve --public-url`) and log in."
)


def _set_cookie(response: Response, request: Request, key: ApiKey) -> None:
    response.set_cookie(
        COOKIE,
        make_token(key.id),
        max_age=MAX_AGE,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LEGACY_COOKIE, path="/dashboard", httponly=True, samesite="strict")


async def on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    params = {"next": exc.next, **({"why": exc.why} if exc.why else {})}
    target = f"{LOGIN}?{urlencode(params)}"
    if request.headers.get("hx-request"):  # htmx: make the whole page go to the login
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


router = APIRouter(prefix="/dashboard", include_in_schema=False)
NOTES = {
    "address": "Keys are not accepted in the address (addresses end up in logs and browser "
    "history). Enter the key here; if it was sent in a link, consider replacing it.",
}


@router.get("/login")
async def login_form(request: Request, next: str | None = None, why: str | None = None) -> Response:
    return page(
        request,
        "login.html",
        next=safe_next(next),
        error=None,
        note=NOTES.get(why or ""),
        active="",
    )


@router.post("/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
    secret = (form.get("key") or [""])[0].strip()
    target = safe_next((form.get("next") or [""])[0])
    foreign = not same_origin(request)
    key = None if foreign else await _check(request, secret)
    if key is None:
        if foreign:
            error = FOREIGN.format(origin=request.headers.get("origin"))
        else:
            error = "That key is unknown or revoked." if secret else "Enter an API key."
        return page(
            request, "login.html", status=401, next=target, error=error, note=None, active=""
        )
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, key)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    if not same_origin(request):  # another site cannot log the user out
        return RedirectResponse("/dashboard", status_code=303)
    response = RedirectResponse(LOGIN, status_code=303)
    for name in (COOKIE, LEGACY_COOKIE):
        response.delete_cookie(name, path="/dashboard", httponly=True, samesite="strict")
    return response
