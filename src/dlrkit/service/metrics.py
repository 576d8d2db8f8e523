"""Prometheus metrics of one app: a registry of its own (no global state shared between apps),
and a plain ASGI middleware counting requests by route template and status.

Exposed at GET /metrics:

- `dlrkit_http_requests_total{method,route,status}`
- `dlrkit_webhook_reports_total{provider,result}`: reports accepted (`accepted`) or repeated
  (`duplicate`)
- `dlrkit_webhook_rejections_total{provider,reason}`: webhook requests refused, by reason
  `auth` (401/403), `size` (413), `type` (415), `malformed` (422), `storage` (503)
- `dlrkit_ingest_seconds{provider}`: from request start to durable acknowledgement
- `dlrkit_outcomes_total{provider,state}`: newly stored reports by the state of their outcome
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dlrkit.adapters import ADAPTERS
from dlrkit.vocab import State

REJECTION_REASONS = ("auth", "size", "type", "malformed", "storage")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "dlrkit_http_requests",
            "HTTP requests by route and status",
            ("method", "route", "status"),
            registry=r,
        )
        self.reports = Counter(
            "dlrkit_webhook_reports",
            "Webhook reports accepted or repeated",
            ("provider", "result"),
            registry=r,
        )
        self.rejections = Counter(
            "dlrkit_webhook_rejections",
            "Webhook requests refused, by reason",
            ("provider", "reason"),
            registry=r,
        )
        self.ingest_seconds = Histogram(
            "dlrkit_ingest_seconds",
            "Webhook request start to durable acknowledgement",
            ("provider",),
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
            registry=r,
        )
        self.outcomes = Counter(
            "dlrkit_outcomes",
            "Newly stored reports by outcome state",
            ("provider", "state"),
            registry=r,
        )
        for provider in ADAPTERS:  # every series exists from the start, at zero
            for result in ("accepted", "duplicate"):
                self.reports.labels(provider, result)
            for reason in REJECTION_REASONS:
                self.rejections.labels(provider, reason)
            for state in State:
                self.outcomes.labels(provider, state.value)

    def reject(self, provider: str, reason: str) -> None:
        self.rejections.labels(provider, reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts every HTTP request by method, matched route template ("unmatched" if none) and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics
        self._series: dict[tuple[str, str, int], Any] = {}  # labelled series, resolved once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            key = (scope["method"], template, status)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = self.metrics.requests.labels(
                    key[0], template, str(status)
                )
            series.inc()
