"""Fixtures of the browser tests: a real `dlrkit serve` fed through its webhooks, and Debian's
Chromium driven by Playwright (never `playwright install`: the browser is the system's).

Every page a test opens records console errors, uncaught exceptions and failed requests; the
`page` fixture fails the test if any appeared (`Watch.allow` names the few a test expects).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    sync_playwright,
)

from dlrkit.insights.report import CHROMIUM_FLAGS
from tests.dashboard import traffic
from tests.service.conftest import LiveServer, dlrkit, live_server

CHROMIUM = os.environ.get("DLRKIT_CHROMIUM", "/usr/bin/chromium")
# The pages are photographed on every run, into a temporary folder: a test run leaves the
# working tree as it found it. DLRKIT_SCREENSHOTS=docs/screenshots refreshes the documentation's.
SCREENSHOTS = Path(
    os.environ.get("DLRKIT_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / f"dlrkit-screenshots-{os.getuid()}"
)
VIEWPORT = {"width": 1280, "height": 900}


@dataclass
class Served:
    server: LiveServer
    key: str
    sent: traffic.Sent

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("dashboard")
    made = dlrkit("keys", "create", "dashboard tests", "--data-dir", str(data), "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["secret"]
    with live_server(data, env=traffic.ENV) as server:
        sent = traffic.send(server.url)
        yield Served(server, key, sent)
    assert "Traceback" not in server.output, server.output[-4000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        yield launched
        launched.close()


@dataclass
class Watch:
    """What went wrong in the page: console errors, uncaught errors, failed requests."""

    problems: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)  # substrings of problems a test expects

    def console(self, msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            self.problems.append(f"console {msg.type}: {msg.text} ({msg.location})")

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a in p for a in self.allow)]


def watch(page: Page, w: Watch) -> Watch:
    page.on("console", w.console)
    page.on("pageerror", lambda exc: w.problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda r: w.problems.append(f"request failed: {r.url} {r.failure}"))
    return w


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=VIEWPORT)
    yield ctx
    ctx.close()


@pytest.fixture
def watched() -> Watch:
    return Watch()


@pytest.fixture
def page(context: BrowserContext, served: Served, watched: Watch) -> Iterator[Page]:
    """A logged-in page (the key entered once in the login form), watched."""
    p = context.new_page()
    watch(p, watched)
    p.goto(f"{served.url}/dashboard/login")
    p.fill("#key", served.key)
    p.click("button[type=submit]")
    p.wait_for_url(f"{served.url}/dashboard")
    yield p
    assert watched.unexpected() == []


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
