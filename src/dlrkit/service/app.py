"""`create_app(settings)`: the ASGI application of `dlrkit serve`.

    app = create_app(Settings.from_env({"DLRKIT_DATA_DIR": "/var/lib/dlrkit"}))

Nothing is read or opened at import time: the store opens (and migrates) when the app starts
(its lifespan) and closes when it stops. A store or sink may be passed in (tests, the broker
seam); otherwise the store comes from `settings.db_url` and the sink is the store itself.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from dlrkit.catalog import Catalog
from dlrkit.rules import Rules
from dlrkit.service import dashboard, decide, insights, logs, openapi, queries, responses, webhooks
from dlrkit.service.ingest import Sink, StoreSink
from dlrkit.service.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from dlrkit.service.settings import Settings
from dlrkit.store import Store, open_store

DESCRIPTION = (
    "Delivery reports in (webhooks of Infobip, SMSPartner, Plivo and SMPP gateways), one canonical "
    "outcome per message out. Webhooks are verified per provider account and acknowledged only once "
    "durable; queries need an API key (`dlrkit keys create`)."
)
YOUNG_OBJECTS = 20_000  # the collector's first threshold while the app runs (see `lifespan`)
LINKS = {
    "docs": "/docs",
    "openapi": "/openapi.json",
    "dashboard": "/dashboard",
    "health": "/healthz",
    "metrics": "/metrics",
}


async def not_found(request: Request, exc: Exception) -> Response:
    """404s stay JSON; a path nothing serves is named, with where to look instead."""
    assert isinstance(exc, HTTPException)
    if exc.detail != "Not Found":  # a route's own, more precise, refusal
        return responses.error_response(404, str(exc.detail), headers=exc.headers)
    path = request.url.path if len(request.url.path) <= 200 else request.url.path[:200] + "..."
    return responses.error_response(
        404,
        f"nothing at {path}: GET / lists the entry points, /docs describes the API",
        headers=exc.headers,
    )


def open_sink(settings: Settings, store: Store) -> Sink:
    """The sink reports go to: the store, or a broker when `settings.broker_url` is set."""
    if settings.broker_url:  # a stateless ingest node: reports go to the broker, not the store
        from dlrkit.broker.config import BrokerConfig
        from dlrkit.broker.jetstream import JetStream
        from dlrkit.broker.sink import BrokerSink

        return BrokerSink(JetStream(BrokerConfig.from_url(settings.broker_url)))
    return StoreSink(store)


def create_app(
    settings: Settings, *, store: Store | None = None, sink: Sink | None = None
) -> FastAPI:
    """The service. `store` and `sink` default to those `settings` name; the app opens both
    when it starts and closes both when it stops, whoever made them."""
    own_store = (
        store
        if store is not None
        else open_store(settings.db_url, policy=settings.policy, writer=settings.store_writer)
    )
    own_sink = sink if sink is not None else open_sink(settings, own_store)
    rules = Rules.load(settings.rules_file) if settings.rules_file else None
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.install()  # after the server set up its loggers: access logs without secrets
        await own_store.open()
        try:
            await own_sink.open()
            # Everything alive now (the catalog, the app, the modules: hundreds of thousands
            # of objects) lives as long as the app: out of the collector's sight, a full
            # collection no longer walks it, a pause of ~50 ms a few times a minute under load,
            # which made the webhooks' p99 (docs/benchmarks.md). Back in sight when it stops.
            gc.freeze()
            # Young objects are collected after 20,000 allocations instead of 700: a webhook
            # makes hundreds, nearly all freed by reference counting, so the default ran a
            # collection every request or two for almost nothing (5,550-5,820 -> 6,070-6,090
            # webhooks/s in alternating runs of bench/ingest.py; docs/benchmarks.md).
            threshold = gc.get_threshold()
            gc.set_threshold(YOUNG_OBJECTS, *threshold[1:])
            try:
                yield
            finally:
                gc.set_threshold(*threshold)
                gc.unfreeze()
                await own_sink.close()
        finally:
            await own_store.close()

    app = FastAPI(
        title="dlrkit",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry hooks asked the environment and the global tracer, meter
        # and logger providers on every request (~8% of a webhook's CPU); dlrkit's metrics are
        # Prometheus's (`/metrics`)
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.store = own_store
    catalog = Catalog.default()  # loaded now, not during the first report
    app.state.ingest = webhooks.Ingest(settings, own_sink, catalog, rules, metrics)
    responses.install(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    webhooks.add_routes(app)
    app.include_router(queries.router)
    app.include_router(decide.router)
    app.include_router(insights.router)
    dashboard.install(app)

    @app.get(
        "/metrics",
        include_in_schema=True,
        tags=["operations"],
        response_class=Response,
        responses={
            "200": {
                "description": "Prometheus text format.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def get_metrics() -> Response:
        """Prometheus metrics of this process."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    app.mount("/docs/static", StaticFiles(directory=openapi.swagger_dir()), name="swagger")
    docs_page = openapi.docs_html()

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_page, headers=openapi.DOCS_HEADERS)

    index = {"service": app.title, "version": app.version, "links": LINKS}

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        """Where things are: a JSON index for whoever opens the service's address."""
        return responses.json_response(index)

    app.add_exception_handler(404, not_found)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema["paths"] = {**openapi.webhook_paths(), **schema["paths"]}
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                {**openapi.components(), **insights.components()}
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app


def app_from_environ() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from os.environ."""
    return create_app(Settings.from_env(os.environ))
