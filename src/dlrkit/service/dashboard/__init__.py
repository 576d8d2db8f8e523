"""The dashboard of `dlrkit serve`, under /dashboard: server-rendered pages (Jinja2), enhanced
with htmx (vendored, served from the package: nothing is fetched at run time), charts as SVG
rendered on the server.

Pages: overview (`pages`), failures breakdown (`pages`), message search and drill-down
(`messages`), suppression list (`lists`), code browser (`codes`); login by API key, kept as a
signed session cookie that is not the key (`session`).
Filters are read leniently (`filters`); templates and headers in `render`.

    install(app)   # adds the routes, the static files and the login redirects
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from dlrkit.service.dashboard import codes, lists, messages, pages, session


def install(app: FastAPI) -> None:
    """Add the dashboard to an app made by `create_app`."""
    app.add_exception_handler(session.LoginRequired, session.on_login_required)
    static = str(files("dlrkit.service").joinpath("static"))
    app.mount("/dashboard/static", StaticFiles(directory=static), name="dashboard-static")
    for module in (session, pages, messages, lists, codes):
        app.include_router(module.router)
