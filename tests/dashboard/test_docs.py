"""/docs in real headless Chromium against a real `dlrkit serve`: the vendored Swagger UI renders
every operation of /openapi.json (OpenAPI 3.1, which Swagger UI 4 could not read), under the
page's Content-Security-Policy, without a console error and without a single request leaving
127.0.0.1 (every other request is recorded and aborted)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

from tests.dashboard.conftest import Watch, watch
from tests.service.conftest import LiveServer, live_server

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("docs")) as live:
        yield live
    assert "Traceback" not in live.output, live.output[-4000:]


class Offline:
    """Every request of a browser context: loopback ones go through, others are aborted."""

    def __init__(self, context: BrowserContext):
        self.seen: list[str] = []
        self.elsewhere: list[str] = []
        context.route("**/*", self.handle)

    def handle(self, route: Route) -> None:
        url = route.request.url
        self.seen.append(url)
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.elsewhere.append(url)
            route.abort()


@pytest.fixture
def docs(context: BrowserContext, server: LiveServer) -> Iterator[tuple[Page, Offline]]:
    """/docs opened in a watched page, once Swagger UI has drawn its operations."""
    offline = Offline(context)
    page = context.new_page()
    w = watch(page, Watch())
    answer = page.goto(f"{server.url}/docs")
    assert answer is not None
    assert answer.status == 200
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self';" in csp, csp
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    yield page, offline
    assert w.unexpected() == []
    assert offline.elsewhere == []
    assert offline.seen, "the route saw the page's requests"


def operation(page: Page, method: str, path: str) -> Locator:
    return page.locator(f".opblock.opblock-{method}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )


def test_every_operation_of_the_description_is_rendered(
    docs: tuple[Page, Offline], server: LiveServer
) -> None:
    page, offline = docs
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    expected = sorted(
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    )
    assert ("post", "/webhooks/infobip") in expected
    assert ("get", "/outcomes") in expected
    for method, path in expected:
        expect(operation(page, method, path)).to_have_count(1)
    assert page.locator(".opblock").count() == len(expected)
    expect(page.locator("body")).not_to_contain_text("Unable to render")
    expect(page.locator(".swagger-ui .errors-wrapper")).to_have_count(0)
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("dlrkit")
    assert {urlsplit(u).path for u in offline.seen} >= {
        "/docs",
        "/openapi.json",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/static/swagger-ui.css",
        "/docs/static/docs.js",
    }


def test_an_operation_opens_with_its_example_and_runs_from_the_page(
    docs: tuple[Page, Offline],
) -> None:
    page, _ = docs
    webhook = operation(page, "post", "/webhooks/infobip")
    webhook.locator(".opblock-summary").click()
    expect(webhook.locator(".opblock-body")).to_contain_text("ib-0001")  # the body's example
    expect(webhook.locator(".responses-table")).to_contain_text("Storage unavailable")

    outcomes = operation(page, "get", "/outcomes")
    outcomes.locator(".opblock-summary").click()
    expect(outcomes.locator(".parameters")).to_contain_text("state")

    health = operation(page, "get", "/healthz")
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    answer = health.locator(".live-responses-table tr.response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(answer.locator(".response-col_description")).to_contain_text('"status"')
