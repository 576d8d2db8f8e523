"""Dashboard login: an API key (`dlrkit keys create`) kept in an HttpOnly cookie.

Two ways in: the login form (POST /dashboard/login), or a link with `?key=...` once, which
sets the cookie and redirects to the same page without the key (so it leaves the address bar
and the history). The cookie is HttpOnly, SameSite=Strict (no other site can send it, which
is also what protects the dashboard's forms from cross-site posts), scoped to /dashboard, and
Secure when the page was served over HTTPS. Every page checks the key against the store, so a
revoked key logs its holder out at the next click. POSTs must also come from this origin.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from dlrkit.service.dashboard.render import page
from dlrkit.service.responses import StorageUnavailable
from dlrkit.store.base import ApiKey, Store

COOKIE = "dlrkit_key"
MAX_AGE = 12 * 3600
LOGIN = "/dashboard/login"


class LoginRequired(Exception):
    """The page needs a valid key; `next` is where to come back to."""

    def __init__(self, next_url: str):
        super().__init__(next_url)
        self.next = next_url


class KeyGiven(Exception):
    """A valid `?key=` arrived: set the cookie and redirect to `target`."""

    def __init__(self, secret: str, target: str):
        super().__init__(target)
        self.secret, self.target = secret, target


async def _check(request: Request, secret: str) -> ApiKey | None:
    store: Store = request.app.state.store
    if not secret or len(secret) > 256:
        return None
    try:
        return await store.check_key(secret)
    except Exception as exc:
        raise StorageUnavailable from exc


def _here(request: Request, *, drop: str | None = None) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != drop]
    return request.url.path + (f"?{urlencode(pairs)}" if pairs else "")


def safe_next(value: str | None) -> str:
    """Only paths inside the dashboard: never an open redirect."""
    if value and value.startswith("/dashboard") and not value.startswith("//"):
        return value
    return "/dashboard"


async def viewer(request: Request) -> ApiKey:
    """The key of whoever is looking: from `?key=` (once) or the cookie, else to the login."""
    given = request.query_params.get("key")
    if given is not None:
        if await _check(request, given) is not None:
            raise KeyGiven(given, _here(request, drop="key"))
        raise LoginRequired(_here(request, drop="key"))
    key = await _check(request, request.cookies.get(COOKIE, ""))
    if key is None:
        raise LoginRequired(_here(request))
    if request.method == "POST" and not same_origin(request):
        raise LoginRequired(_here(request))
    return key


Viewer = Annotated[ApiKey, Depends(viewer)]


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # browsers send Origin on POST; "null" is an opaque origin
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def _set_cookie(response: Response, request: Request, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=MAX_AGE,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = f"{LOGIN}?{urlencode({'next': exc.next})}"
    if request.headers.get("hx-request"):  # htmx: make the whole page go to the login
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def on_key_given(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KeyGiven)
    response = RedirectResponse(exc.target, status_code=303)
    _set_cookie(response, request, exc.secret)
    return response


router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", next=safe_next(next), error=None, active="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
    secret = (form.get("key") or [""])[0].strip()
    target = safe_next((form.get("next") or [""])[0])
    if not same_origin(request) or await _check(request, secret) is None:
        error = "That key is unknown or revoked." if secret else "Enter an API key."
        return page(request, "login.html", status=401, next=target, error=error, active="")
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, secret)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard", httponly=True, samesite="strict")
    return response
