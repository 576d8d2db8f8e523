"""The delivery worker: posts each callback when it falls due, retrying while the receiver fails.

Callbacks wait in a heap ordered by their due time (simulated). When one falls due it is signed
(`dlrkit.sandbox.signing`) and posted with httpx; a refused connection, a timeout, a 5xx or a 429
answer is retried with exponential backoff and jitter (stamina), the waits scaled by the clock's
speed like every other sandbox delay; any other 4xx is final (the receiver refused the report,
as providers treat it). The ledger keeps every attempt, and the log (logger `dlrkit.sandbox`,
warning level) each failed one, with the URL, the HTTP status or the error and what the receiver
said was wrong, and the final giving up.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import stamina

from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.ledger import Attempt, Callback

log = logging.getLogger("dlrkit.sandbox")

Signer = Callable[[Callback], dict[str, str]]
RETRY_STATUSES = frozenset({408, 425, 429})


class _Retryable(Exception):
    """The receiver failed in a way worth another try."""


class Deliverer:
    """Posts callbacks at their due (simulated) time; `schedule` them, `run` in a task."""

    def __init__(
        self,
        clock: Clock,
        sign: Signer,
        *,
        attempts: int = 8,
        backoff: float = 10.0,
        backoff_max: float = 600.0,
        concurrency: int = 32,
        timeout: float = 10.0,
    ) -> None:
        self.clock = clock
        self.sign = sign
        self.attempts = attempts
        self.backoff = backoff  # simulated seconds before the first retry
        self.backoff_max = backoff_max
        self.timeout = timeout
        self._heap: list[tuple[float, int, Callback]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def schedule(self, callback: Callback) -> None:
        callback.seq = next(self._seq)
        heapq.heappush(self._heap, (callback.due, callback.seq, callback))
        self._wake.set()

    @property
    def pending(self) -> int:
        """Callbacks not yet delivered or given up (waiting or being posted)."""
        waiting = sum(1 for _, _, cb in self._heap if cb.outcome == "pending")
        return waiting + len(self._tasks)

    async def run(self) -> None:
        """Post callbacks as they fall due, until cancelled."""
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            self._client = client
            try:
                while True:
                    await self._next_due()
                    _, _, callback = heapq.heappop(self._heap)
                    if callback.outcome != "pending":
                        continue  # cancelled while it waited
                    await self._slots.acquire()
                    task = asyncio.create_task(self._deliver(callback))
                    self._tasks.add(task)
                    task.add_done_callback(self._done)
            finally:
                for task in list(self._tasks):
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)
                self._client = None

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _next_due(self) -> None:
        while True:
            self._wake.clear()
            if self._heap:
                wait = self.clock.real_seconds(self._heap[0][0] - self.clock.timestamp())
                if wait <= 0:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
            else:
                await self._wake.wait()

    async def _deliver(self, callback: Callback) -> None:
        try:
            async for attempt in stamina.retry_context(
                on=(_Retryable, httpx.TransportError),
                attempts=self.attempts,
                timeout=None,
                wait_initial=self.clock.real_seconds(self.backoff),
                wait_max=self.clock.real_seconds(self.backoff_max),
                wait_jitter=self.clock.real_seconds(self.backoff) / 2,
            ):
                with attempt:
                    await self._post(callback)
        except (_Retryable, httpx.TransportError) as exc:
            callback.outcome = "failed"
            log.warning(
                "gave up on a %s callback to %s after %d attempts: %s",
                callback.provider,
                callback.url,
                len(callback.attempts),
                _describe(exc),
            )
        except Exception:  # a bug must not kill the worker: keep it in the log and the ledger
            callback.outcome = "failed"
            log.exception("%s callback to %s failed", callback.provider, callback.url)

    async def _post(self, callback: Callback) -> None:
        assert self._client is not None
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        headers = self.sign(callback)
        try:
            answer = await self._client.post(callback.url, content=callback.body, headers=headers)
        except httpx.TransportError as exc:
            callback.attempts.append(Attempt(now, None, _describe(exc)))
            log.warning(
                "%s callback to %s, attempt %d: %s",
                callback.provider,
                callback.url,
                len(callback.attempts),
                _describe(exc),
            )
            raise
        callback.attempts.append(
            Attempt(now, answer.status_code, None if answer.is_success else answer.text[:200])
        )
        if answer.is_success:
            callback.outcome = "delivered"
            return
        retry = answer.status_code >= 500 or answer.status_code in RETRY_STATUSES
        problem = _problem(answer)
        log.warning(
            "%s callback to %s, attempt %d: HTTP %d%s%s",
            callback.provider,
            callback.url,
            len(callback.attempts),
            answer.status_code,
            f" ({problem})" if problem else "",
            "" if retry else "; not retried: the receiver refused it for good",
        )
        if retry:
            raise _Retryable(f"HTTP {answer.status_code}")
        callback.outcome = "failed"  # refused for good (401, 403, 422, ...): not retried

    async def drain(self, timeout: float) -> bool:
        """Wait (real seconds) until no callback is pending; False if some still are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pending:
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True


def _describe(exc: BaseException) -> str:
    """`ConnectError: All connection attempts failed`, or the message alone for our own."""
    if isinstance(exc, _Retryable):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _problem(answer: httpx.Response) -> str:
    """What the receiver said was wrong: the `error` (and `field`) of a dlrkit error body, the
    `detail` or `title` of a problem+json body, else the start of the text."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error", "detail", "title", "message"):
            if isinstance(body.get(key), str) and body[key]:
                field = body.get("field")
                return f"{field}: {body[key]}" if isinstance(field, str) and field else body[key]
    return " ".join(answer.text.split())[:200]
