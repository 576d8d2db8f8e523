"""A SQLite writer in a process of its own: the serving process answers HTTP on one core while
another core runs the transactions.

Why: in one process, the event loop (HTTP, verifying, parsing, classifying) and a writer thread
(building rows, SQLite's work, the commit) take turns on the GIL, and a thread waiting for the
GIL waits up to the interpreter's switch interval (5 ms) at each hand-off: the service stays
near one core and every group commit pays those waits. With `SqlStore(url, writer="process")`
(what `dlrkit serve` uses on SQLite) the transactions run in a child process (`python -m
dlrkit.store.process`) and the serving process talks to it from its event loop, with no thread.

The protocol is the child's stdin and stdout, one frame per message, a frame being a 4-byte
big-endian length and a JSON body:

- to the child: the batches of `ingest` calls made since the last frame (a list of lists of
  `Incoming`); an empty frame asks the child to finish and exit;
- from the child, once at start: `Ready` (the database is open) or `Failed`; then, for each
  frame it was sent and in the same order, one answer per batch: `Done` (the `Stored` list,
  written only after the commit returned) or `Failed` (an `InputError` naming the field, or a
  `StoreError`).

Group commit happens in the child: after each commit it takes every frame that arrived
meanwhile, up to `MAX_GROUP` reports, and commits them in one transaction; if that transaction
fails, it retries batch by batch, so a bad batch fails alone (as `writer.GroupCommitter` does
in a thread). The busier the service, the larger the groups.

Durability is unchanged: an `ingest` call returns only once the child answered that its batch is
committed. If the child dies (killed, out of memory), the batches in flight fail with a
`StoreError` (the service answers 503 and the provider retries; a report the child did commit
then comes back as a duplicate, which changes nothing) and the next batch starts a new child.
When the serving process dies, the child reads the end of its stdin and exits after the
transaction in hand: it never outlives its parent by more than one group.

The parent side is bound to the event loop that started it (the service has one per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import signal
import struct
import sys
from collections import deque
from collections.abc import Callable, Sequence
from typing import Literal

import msgspec

from dlrkit.errors import InputError
from dlrkit.policy import PolicyConfig
from dlrkit.store.base import Incoming, Stored, StoreError

log = logging.getLogger(__name__)

MAX_GROUP = 2000  # reports per transaction, at most
_HEADER = struct.Struct(">I")
_STOP_TIMEOUT = 30.0


class Ready(msgspec.Struct, tag="ready"):
    pass


class Done(msgspec.Struct, tag="done"):
    stored: list[Stored]


class Failed(msgspec.Struct, tag="failed"):
    kind: Literal["input", "store"]
    problem: str
    field: str | None = None

    def error(self) -> Exception:
        if self.kind == "input":
            return InputError(self.problem, field=self.field)
        return StoreError(self.problem)


_encode = msgspec.json.Encoder().encode
_decode_batches = msgspec.json.Decoder(list[list[Incoming]]).decode
_decode_answers = msgspec.json.Decoder(list[Done | Failed]).decode
_decode_start = msgspec.json.Decoder(Ready | Failed).decode


def _frame(body: bytes) -> bytes:
    return _HEADER.pack(len(body)) + body


# The parent's side ------------------------------------------------------------------------


class _Batch:
    __slots__ = ("future", "items")

    def __init__(self, items: Sequence[Incoming], future: asyncio.Future[list[Stored]]):
        self.items = items
        self.future = future


class ProcessCommitter:
    """Sends `ingest` batches to the writer process and resolves each caller's future with its
    answer. `submit` has the contract of `writer.GroupCommitter.submit`."""

    def __init__(self, url: str, policy: PolicyConfig):
        self._url = url
        self._policy = policy
        self._child: asyncio.subprocess.Process | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Batch] = []  # submitted, not sent yet
        self._in_flight: deque[list[_Batch]] = deque()  # sent, one entry per frame, in order
        self._wakeup = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        """Start the child and wait until it has opened the database (StoreError if it cannot)."""
        self._loop = asyncio.get_running_loop()
        await self._spawn()
        self._sender = asyncio.create_task(self._send_loop(), name="dlrkit-store-sender")

    async def _spawn(self) -> None:
        env = {**os.environ, "DLRKIT_WRITER_URL": self._url}
        env["DLRKIT_WRITER_POLICY"] = _encode(self._policy).decode()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dlrkit.store.process",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            body = await _read_frame(child)
        except (asyncio.IncompleteReadError, ConnectionError):
            code = await child.wait()
            raise StoreError(f"the store's writer process could not start (exit {code})") from None
        first = _decode_start(body)
        if isinstance(first, Failed):
            await child.wait()
            raise StoreError(
                f"the store's writer process could not open the store: {first.problem}"
            )
        self._child = child
        self._reader = asyncio.create_task(self._read_loop(child), name="dlrkit-store-reader")

    def submit(self, items: Sequence[Incoming]) -> asyncio.Future[list[Stored]]:
        """Queue a batch; the future resolves once the child has committed it."""
        loop = asyncio.get_running_loop()
        if self._closing or self._loop is None:
            raise StoreError("the store is closed")
        if loop is not self._loop:
            raise StoreError("this store's writer process belongs to another event loop")
        future: asyncio.Future[list[Stored]] = loop.create_future()
        self._pending.append(_Batch(items, future))
        self._wakeup.set()  # batches submitted in the same loop iteration share one frame
        return future

    async def _send_loop(self) -> None:
        while True:
            if not self._pending:
                if self._closing:
                    return
                await self._wakeup.wait()
                self._wakeup.clear()
                continue
            child = self._child
            if child is None or child.returncode is not None:
                try:
                    await self._spawn()
                except StoreError as exc:
                    _fail(self._take_pending(), exc)
                    continue
                child = self._child
            assert child is not None
            assert child.stdin is not None
            batches = self._take_pending()
            self._in_flight.append(batches)
            try:
                child.stdin.write(_frame(_encode([b.items for b in batches])))
                await child.stdin.drain()
            except (ConnectionError, RuntimeError):
                pass  # the reader sees the child's end and fails what is in flight

    def _take_pending(self) -> list[_Batch]:
        batches, self._pending = self._pending, []
        return batches

    async def _read_loop(self, child: asyncio.subprocess.Process) -> None:
        try:
            while True:
                answers = _decode_answers(await _read_frame(child))
                batches = self._in_flight.popleft()
                for batch, answer in zip(batches, answers, strict=True):
                    if batch.future.done():  # the caller was cancelled; stored all the same
                        continue
                    if isinstance(answer, Done):
                        batch.future.set_result(answer.stored)
                    else:
                        batch.future.set_exception(answer.error())
        except (asyncio.IncompleteReadError, ConnectionError):
            code = await child.wait()
            if self._in_flight or not self._closing:
                log.warning("the store's writer process ended (exit %s)", code)
            error = StoreError("the store's writer process ended during a write")
            while self._in_flight:
                _fail(self._in_flight.popleft(), error)
            self._child = None
            self._wakeup.set()  # batches submitted meanwhile start a new child

    async def stop(self) -> None:
        """Let every submitted batch be committed and answered, then stop the child."""
        if self._closing:
            return
        self._closing = True
        self._wakeup.set()
        if self._sender is not None:
            await self._sender
        child = self._child
        if child is not None and child.stdin is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                child.stdin.write(_frame(b""))
                await child.stdin.drain()
                child.stdin.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), _STOP_TIMEOUT)
            except TimeoutError:
                log.warning("the store's writer process did not stop; killing it")
                if child is not None:
                    child.kill()
                await self._reader
        if child is not None:
            await child.wait()


def _fail(batches: list[_Batch], error: Exception) -> None:
    for batch in batches:
        if not batch.future.done():
            batch.future.set_exception(error)


async def _read_frame(child: asyncio.subprocess.Process) -> bytes:
    assert child.stdout is not None
    (size,) = _HEADER.unpack(await child.stdout.readexactly(_HEADER.size))
    return await child.stdout.readexactly(size)


# The child's side -------------------------------------------------------------------------


class _FrameReader:
    """Frames from a file descriptor: `take(wait=True)` blocks for at least one frame, and
    `take(wait=False)` returns only those already arrived. An empty list: the end of input."""

    def __init__(self, fd: int):
        self._fd = fd
        self._buffer = bytearray()
        self.ended = False

    def take(self, *, wait: bool) -> list[bytes]:
        frames = self._parse()
        while not frames and not self.ended:
            if not wait and not select.select([self._fd], [], [], 0)[0]:
                break
            data = os.read(self._fd, 1 << 20)
            if not data:
                self.ended = True
                break
            self._buffer += data
            frames = self._parse()
            if not wait:
                break
        return frames

    def _parse(self) -> list[bytes]:
        frames = []
        view = self._buffer
        start = 0
        while len(view) - start >= _HEADER.size:
            (size,) = _HEADER.unpack_from(view, start)
            end = start + _HEADER.size + size
            if end > len(view):
                break
            frames.append(bytes(view[start + _HEADER.size : end]))
            start = end
        del self._buffer[:start]
        return frames


Commit = Callable[[Sequence[Incoming]], list[Stored]]


def _answer(commit: Commit, batches: list[list[Incoming]]) -> list[Done | Failed]:
    """Commit every batch in one transaction, or, if that fails, batch by batch."""
    import sqlalchemy as sa

    try:
        stored = commit([item for batch in batches for item in batch])
    except Exception as exc:
        if len(batches) > 1:
            return [answer for batch in batches for answer in _answer(commit, [batch])]
        if isinstance(exc, InputError):
            return [Failed(kind="input", problem=exc.problem, field=exc.field)]
        if isinstance(exc, sa.exc.SQLAlchemyError):
            return [Failed(kind="store", problem=f"the store could not write the batch: {exc}")]
        log.exception("the store's writer process failed on a batch of %d", len(batches[0]))
        return [Failed(kind="store", problem=f"the store's writer failed: {exc!r}")]
    answers: list[Done | Failed] = []
    start = 0
    for batch in batches:
        answers.append(Done(stored=stored[start : start + len(batch)]))
        start += len(batch)
    return answers


def serve(url: str, policy: PolicyConfig, source: int, out: int) -> None:
    """The child: open the store's engine, then commit what it is sent, in order, in groups."""
    import functools

    from dlrkit.store.engine import engine_for
    from dlrkit.store.write import apply
    from dlrkit.store.writer import committing

    def send(body: bytes) -> None:
        data = memoryview(_frame(body))
        while data:
            data = data[os.write(out, data) :]

    try:
        engine = engine_for(url, pool_size=1)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        send(_encode(Failed(kind="store", problem=str(exc))))
        return
    commit = committing(engine, functools.partial(apply, policy=policy))
    reader = _FrameReader(source)
    send(_encode(Ready()))
    try:
        stopping = False
        while not stopping:
            frames = reader.take(wait=True)
            if not frames:
                return
            group: list[list[list[Incoming]]] = []
            size = 0
            while frames:
                for body in frames:
                    if not body:  # the parent's request to stop, after everything it sent
                        stopping = True
                        break
                    batches = _decode_batches(body)
                    group.append(batches)
                    size += sum(len(b) for b in batches)
                if stopping or size >= MAX_GROUP:
                    break
                frames = reader.take(wait=False)
            if not group:
                continue
            answers = _answer(commit, [batch for batches in group for batch in batches])
            start = 0
            for batches in group:  # one answer frame per frame received, in order
                send(_encode(answers[start : start + len(batches)]))
                start += len(batches)
    finally:
        engine.dispose()


def main() -> int:
    # Frames go to the original stdout only; anything a library prints goes to stderr instead.
    out = os.dup(1)
    os.dup2(2, 1)
    # Ctrl-C reaches the whole process group: the parent decides when this process stops (it
    # lets its batches finish, then sends the stop frame), so the interrupt is the parent's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    url = os.environ["DLRKIT_WRITER_URL"]
    policy = msgspec.json.decode(os.environ["DLRKIT_WRITER_POLICY"], type=PolicyConfig)
    serve(url, policy, sys.stdin.fileno(), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
