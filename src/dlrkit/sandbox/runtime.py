"""What every provider imitation shares at run time: settings, clock, state, ledger, worker.

One `Sandbox` per app (built by `create_app`); provider modules reach it through
`request.app.state.sandbox`. It also turns a provider's native report into scheduled callbacks:
the intermediate, final and duplicate posts a message's decision asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from dlrkit.catalog import Catalog
from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.delivery import Deliverer
from dlrkit.sandbox.ledger import Callback, CallbackKind, Ledger, Message
from dlrkit.sandbox.scenario import Decision, Scenario
from dlrkit.sandbox.signing import callback_headers
from dlrkit.sandbox.state import StateStore


@dataclass(frozen=True)
class SandboxSettings:
    """How `dlrkit sandbox` runs; tests build it directly."""

    scenario: Scenario = field(default_factory=Scenario)
    callback_base: str | None = None  # default callback target, e.g. http://127.0.0.1:8000
    speed: float = 1.0
    state_dir: Path | None = None
    start: datetime | None = None  # simulated start time (default: now)
    retry_attempts: int = 8
    retry_backoff: float = 10.0  # simulated seconds before the first retry


class Sandbox:
    """The run-time context of one sandbox app."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.scenario = settings.scenario
        self.clock = Clock(settings.speed, settings.start)
        self.store = StateStore(settings.state_dir)
        self.ledger = Ledger()
        self.catalog = Catalog.default()
        self.deliverer = Deliverer(
            self.clock,
            self._sign,
            attempts=settings.retry_attempts,
            backoff=settings.retry_backoff,
        )
        self.scratch: dict[str, object] = {}  # per-provider run-time memory (flood windows, ...)

    def _sign(self, callback: Callback) -> dict[str, str]:
        return callback_headers(
            callback.provider, self.store.state, callback.url, callback.body, callback.content_type
        )

    def reset(self) -> None:
        self.store.reset()
        self.ledger.clear()
        self.scratch.clear()

    # --- decisions and callbacks -----------------------------------------------------------

    def decide(self, provider: str, recipient: str) -> Decision:
        return self.scenario.decide(provider, recipient, self.ledger.nth(provider, recipient))

    def callback_url(self, provider: str, given: str | None, *, token: bool = False) -> str | None:
        """The URL a provider posts reports to: the request's own, else the default one."""
        if given:
            return given
        base = self.settings.callback_base
        if not base:
            return None
        url = f"{base.rstrip('/')}/webhooks/{provider}"
        if token:
            url += "?" + urlencode({"token": self.store.state.smspartner.dlr_token})
        return url

    def post(
        self,
        message: Message,
        url: str | None,
        body: bytes,
        content_type: str,
        at: float,
        kind: CallbackKind = "final",
    ) -> None:
        """Schedule one report of `message` for simulated time `at` (nothing without a URL)."""
        if not url:
            return
        callback = Callback(message.id, message.provider, kind, url, body, content_type, at)
        message.callbacks.append(callback)
        self.deliverer.schedule(callback)

    def post_final(
        self,
        message: Message,
        decision: Decision | None,
        url: str | None,
        body: bytes,
        content_type: str,
        at: float,
    ) -> None:
        """The final report, and its duplicate when the decision asks for one."""
        self.post(message, url, body, content_type, at, "final")
        if decision is not None and decision.duplicate:
            self.post(message, url, body, content_type, at + decision.duplicate_after, "duplicate")
        message.status = "scheduled"

    def cancel_callbacks(self, message: Message) -> None:
        for callback in message.callbacks:
            if callback.outcome == "pending":
                callback.outcome = "cancelled"


def valid_url(url: object) -> bool:
    """An absolute http(s) URL with a host."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def iso(ts: float, fmt: str = "infobip") -> str:
    """A simulated Unix time in a provider's format: Infobip `2024-06-01T09:15:02.120+0000`,
    Plivo `2024-06-01 09:15:02`."""
    moment = datetime.fromtimestamp(ts, UTC)
    if fmt == "plivo":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
