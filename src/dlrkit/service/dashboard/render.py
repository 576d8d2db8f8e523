"""Rendering of dashboard pages: the Jinja2 environment, formatting filters, charts, headers.

Templates live in `dlrkit/service/templates/` (autoescaped); static files (the vendored htmx,
the stylesheet) in `dlrkit/service/static/`, served under /dashboard/static. Every page is sent
with a Content-Security-Policy allowing only this origin's scripts and styles (no inline script,
no CDN) and `Cache-Control: no-store` (pages show data behind a key).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from dlrkit.insights.charts import to_svg
from dlrkit.insights.html import html_environment

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make POSTs say Origin: null
    "X-Content-Type-Options": "nosniff",
}
NAV = (
    ("overview", "Overview", "/dashboard"),
    ("failures", "Failures", "/dashboard/failures"),
    ("messages", "Messages", "/dashboard/messages"),
    ("suppressions", "Suppressions", "/dashboard/suppressions"),
    ("codes", "Codes", "/dashboard/codes"),
)


def when(value: str | None) -> str:
    """An ISO 8601 instant as 'YYYY-MM-DD HH:MM:SS' UTC, or an em dash."""
    if not value:
        return "—"
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def seconds(value: int | None) -> str:
    if value is None:
        return "—"
    if value >= 3600:
        return f"{value / 3600:g} h"
    return f"{value / 60:g} min" if value >= 60 else f"{value} s"


def query(base: str, params: Mapping[str, object], **changes: object) -> str:
    """`base` with `params` updated by `changes`; empty values are left out."""
    merged = {**params, **changes}
    pairs = [(k, str(v)) for k, v in merged.items() if v not in (None, "", False)]
    return f"{base}?{urlencode(pairs)}" if pairs else base


def code_href(provider: str, kind: str, channel: str, code: object) -> str:
    from urllib.parse import quote

    return f"/dashboard/codes/{quote(provider)}/{quote(kind)}/{quote(channel)}/{quote(str(code), safe='')}"


def entry_href(ref: str | None) -> str | None:
    """The code page of "provider:kind:channel:code" (as outcomes and rollups name codes)."""
    if not ref or ref.count(":") < 3:
        return None
    provider, kind, channel, code = ref.split(":", 3)
    return code_href(provider, kind, channel, code)


@functools.cache
def environment() -> Environment:
    env = html_environment("dlrkit.service")
    env.filters.update(when=when, seconds=seconds)
    env.globals.update(
        nav=NAV, query=query, code_href=code_href, entry_href=entry_href, static=static_url
    )
    return env


@functools.cache
def _static_version() -> str:
    """A short digest of the static files, appended to their URLs so browsers refetch on change."""
    import hashlib
    from importlib.resources import files

    digest = hashlib.sha256()
    for name in ("htmx.min.js", "dashboard.css"):
        digest.update(files("dlrkit.service").joinpath("static", name).read_bytes())
    return digest.hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/dashboard/static/{name}?v={_static_version()}"


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A whole page (templates extend base.html), with the dashboard's headers."""
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status, headers=HEADERS)


async def chart(spec: dict[str, Any], name: str) -> Markup:
    """A chart's SVG, rendered off the event loop, ready to inline."""
    svg = await run_in_threadpool(to_svg, spec, name)
    return Markup(svg)  # trusted: vl-convert writes the SVG, and Vega escapes every label
