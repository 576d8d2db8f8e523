"""A SQLite writer in a process of its own: the serving process answers HTTP on one core while
another core runs the transactions.

Why: in one process, the event loop (HTTP, verifying, parsing, classifying) and a writer thread
(building rows, SQLite's work, the commit) take turns on the GIL, and a thread waiting for the
GIL waits up to the interpreter's switch interval (5 ms) at each hand-off: the service stays
near one core and every group commit pays those waits. With `SqlStore(url, writer="process")`
(what `dlrkit serve` uses on SQLite) the transactions run in a child process (`python -m
dlrkit.store.process`) and the serving process talks to it from its event loop, with no thread.

The protocol runs on a pair of pipes of its own (not the child's stdin and stdout, which
anything printing at start-up would corrupt), one frame per message, a frame being a 4-byte
big-endian length and a JSON body (at most `MAX_FRAME` bytes):

- to the child: the batches of `ingest` calls made since the last frame (a list of `Job`:
  the batch's `Incoming` items, and whether the caller wants the `Stored` outcomes back or only
  which reports were duplicates); an empty frame asks the child to finish and exit;
- from the child, once at start: `Ready` (the database is open) or `Failed`, within
  `START_TIMEOUT`; then, for each frame it was sent and in the same order, one answer per
  batch: `Done` (the `Stored` list or the duplicate flags, written only after the commit
  returned) or `Failed` (an `InputError` naming the field, or a `StoreError`).

Group commit: the parent sends what was submitted as soon as its event loop gets to it (the
batches of one turn of the loop share a frame), and the child commits every frame that arrived
while it was committing the previous transaction as one transaction, up to `MAX_GROUP` reports.
The busier the service, the larger the groups (a commit has a cost whatever its size: the fsync,
the pages it writes), and the child never waits for a round trip through the parent's event
loop between two transactions. (With one frame in flight at a time, the child spent a third of
its time waiting for the next one.) If a group's transaction fails, the child retries it batch
by batch, so a bad batch fails alone (as `writer.GroupCommitter` does in a thread).

Durability is unchanged: an `ingest` call returns only once the child answered that its batch is
committed. If the child dies (killed, out of memory), the batches in flight fail with a
`StoreError` (the service answers 503 and the provider retries; a report the child did commit
then comes back as a duplicate, which changes nothing) and the next batch starts a new child;
whatever goes wrong on the parent's side (a child that cannot start, an answer it cannot read),
the callers concerned get a `StoreError`, never an endless wait; so do those of a child that has
not answered for `ANSWER_TIMEOUT` seconds (a stuck disk, a stopped process), which is then
replaced. When the serving process dies, the child exits after the transaction in hand (it reads
the end of its input, or cannot write its answer): it never outlives its parent by more than one
group.

The parent side is bound to the event loop that started it (the service has one per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import logging
import os
import select
import signal
import sqlite3
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

from dlrkit.errors import InputError
from dlrkit.policy import PolicyConfig
from dlrkit.store.base import Incoming, Stored, StoreError
from dlrkit.store.engine import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

MAX_GROUP = 2000  # reports per transaction, at most (a larger batch is one group alone)
MAX_FRAME = 1 << 30  # bytes; a longer frame means the stream is corrupt
PIPE_SIZE = 1 << 20  # the default limit of unprivileged processes (/proc/sys/fs/pipe-max-size)
START_TIMEOUT = 60.0  # seconds for the child to open the database and say so
# seconds the child may take to answer a frame before it is replaced: twice SQLite's busy
# timeout, so that a child waiting for another process's write lock answers "locked" first
ANSWER_TIMEOUT = 2 * BUSY_TIMEOUT_MS / 1000
_HEADER = struct.Struct(">I")
_STOP_TIMEOUT = 30.0


class Ready(msgspec.Struct, tag="ready"):
    pass


class Job(msgspec.Struct, array_like=True):
    """One `ingest` call's batch; `full`: answer with the `Stored` list, else only whether
    each report was a duplicate (what the webhooks need: a much smaller answer)."""

    items: list[Incoming]
    full: bool


class Done(msgspec.Struct, tag="done"):
    stored: list[Stored] | None = None  # when the job asked for it
    duplicates: list[bool] | None = None  # otherwise


class Failed(msgspec.Struct, tag="failed"):
    kind: Literal["input", "store"]
    problem: str
    field: str | None = None

    def error(self) -> Exception:
        if self.kind == "input":
            return InputError(self.problem, field=self.field)
        return StoreError(self.problem)


_encode = msgspec.json.Encoder().encode
_decode_jobs = msgspec.json.Decoder(list[Job]).decode
_decode_answers = msgspec.json.Decoder(list[Done | Failed]).decode
_decode_start = msgspec.json.Decoder(Ready | Failed).decode


def _frame(body: bytes) -> bytes:
    return _HEADER.pack(len(body)) + body


# The parent's side ------------------------------------------------------------------------


class _Batch:
    __slots__ = ("full", "future", "items")

    def __init__(self, items: Sequence[Incoming], full: bool, future: asyncio.Future[Done]):
        self.items = items
        self.full = full
        self.future = future


class ProcessCommitter:
    """Sends `ingest` batches to the writer process and resolves each caller's future with its
    answer. Awaiting `submit` means what awaiting `writer.GroupCommitter.submit` means."""

    def __init__(self, url: str, policy: PolicyConfig):
        self._url = url
        self._policy = policy
        self._pipes: _Pipes | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Batch] = []  # submitted, not sent yet
        self._wakeup = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        """Start the child and wait until it has opened the database (StoreError if it cannot)."""
        self._loop = asyncio.get_running_loop()
        await self._spawn()
        self._sender = asyncio.create_task(self._send_loop(), name="dlrkit-store-sender")
        self._watchdog = asyncio.create_task(self._watch(), name="dlrkit-store-watchdog")

    async def _spawn(self) -> None:
        """Start a child on pipes of its own and wait for its first frame; StoreError if it
        cannot start or open the store (the child is then gone)."""
        env = {**os.environ, "DLRKIT_WRITER_URL": self._url}
        env["DLRKIT_WRITER_POLICY"] = _encode(self._policy).decode()
        env.pop("DLRKIT_DASHBOARD_SECRET", None)  # the writer signs nothing
        # the dlrkit this process runs, found first, whatever the working directory
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_root, env.get("PYTHONPATH"))))
        loop = asyncio.get_running_loop()
        child_in, to_child = os.pipe()  # (read end, write end)
        from_child, child_out = os.pipe()
        for fd in (to_child, child_out):
            _widen(fd)
        try:
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-P",  # not the working directory's modules: only the installed ones
                "-m",
                "dlrkit.store.process",
                str(child_in),
                str(child_out),
                pass_fds=(child_in, child_out),
                stdin=asyncio.subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:  # out of processes, memory...
            for fd in (to_child, child_in, child_out, from_child):
                os.close(fd)
            raise StoreError(f"the store's writer process could not start: {exc}") from exc
        os.close(child_in)
        os.close(child_out)
        reader = asyncio.StreamReader()
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(from_child, "rb", 0)
        )
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()),
            os.fdopen(to_child, "wb", 0),
        )
        pipes = _Pipes(
            child, reader, asyncio.StreamWriter(transport, protocol, None, loop), read_transport
        )
        try:
            first = _decode_start(await asyncio.wait_for(pipes.read_frame(), START_TIMEOUT))
        except Exception as exc:  # no answer, a garbled one, or none in time
            await pipes.kill()
            code = child.returncode
            raise StoreError(
                f"the store's writer process did not start (exit {code}): {exc!r}"
            ) from None
        if isinstance(first, Failed):
            await pipes.kill()
            raise StoreError(
                f"the store's writer process could not open the store: {first.problem}"
            )
        self._pipes = pipes
        self._reader = asyncio.create_task(self._read_loop(pipes), name="dlrkit-store-reader")

    async def submit(self, items: Sequence[Incoming]) -> list[Stored]:
        """Store a batch; returns once the child has committed it (as `GroupCommitter`)."""
        stored = (await self._submit(items, full=True)).stored
        assert stored is not None
        return stored

    async def submit_new(self, items: Sequence[Incoming]) -> list[bool]:
        """Store a batch; for each report, whether it was a duplicate."""
        duplicates = (await self._submit(items, full=False)).duplicates
        assert duplicates is not None
        return duplicates

    def _submit(self, items: Sequence[Incoming], *, full: bool) -> asyncio.Future[Done]:
        loop = asyncio.get_running_loop()
        if self._closing or self._loop is None:
            raise StoreError("the store is closed")
        if loop is not self._loop:
            raise StoreError("this store's writer process belongs to another event loop")
        future: asyncio.Future[Done] = loop.create_future()
        self._pending.append(_Batch(items, full, future))
        self._wakeup.set()  # batches submitted meanwhile share one frame
        return future

    async def _send_loop(self) -> None:
        while True:
            if not self._pending:
                if self._closing and not self._pending:
                    return
                await self._wakeup.wait()
                self._wakeup.clear()
                continue
            try:
                await self._send_next()
            except Exception as exc:  # never leave the callers waiting: fail them, go on
                log.exception("the store's writer process could not be sent a group")
                error = exc if isinstance(exc, StoreError) else StoreError(repr(exc))
                _fail(self._take_pending(), error)

    async def _send_next(self) -> None:
        """Send the next group (starting a child first if there is none)."""
        if self._pipes is None or self._pipes.child.returncode is not None:
            await self._spawn()
        pipes = self._pipes
        assert pipes is not None
        batches = self._take_pending()
        if not pipes.in_flight:
            pipes.waiting_since = time.monotonic()
        pipes.in_flight.append(batches)
        body = _encode([Job(list(b.items), b.full) for b in batches])
        try:
            pipes.writer.write(_frame(body))
            await pipes.writer.drain()
        except (ConnectionError, RuntimeError):
            pass  # the reader sees the child's end and fails what is in flight

    def _take_pending(self) -> list[_Batch]:
        """The batches of the next group: those pending, up to MAX_GROUP reports (at least one)."""
        size = 0
        for n, batch in enumerate(self._pending):
            size += len(batch.items)
            if size > MAX_GROUP and n:
                batches, self._pending = self._pending[:n], self._pending[n:]
                return batches
        batches, self._pending = self._pending, []
        return batches

    async def _read_loop(self, pipes: _Pipes) -> None:
        current: list[_Batch] = []
        try:
            while True:
                frame = await pipes.read_frame()
                if pipes.detached:  # the watchdog has failed its batches already
                    return
                answers = _decode_answers(frame)
                current = pipes.in_flight.popleft()
                pipes.waiting_since = time.monotonic() if pipes.in_flight else None
                if len(answers) != len(current):
                    raise ValueError(f"{len(answers)} answers for {len(current)} batches")
                for batch, answer in zip(current, answers, strict=True):
                    if batch.future.done():  # the caller was cancelled; stored all the same
                        continue
                    if isinstance(answer, Done):
                        batch.future.set_result(answer)
                    else:
                        batch.future.set_exception(answer.error())
                current = []
        except (asyncio.IncompleteReadError, ConnectionError):
            if pipes.detached:  # cut off by the watchdog; the child may never end
                return
            code = await pipes.child.wait()
            if current or pipes.in_flight or not self._closing:
                log.warning("the store's writer process ended (exit %s)", code)
            error = StoreError("the store's writer process ended during a write")
        except Exception:  # an answer this side cannot read: never leave callers waiting
            log.exception("unreadable answer from the store's writer process; restarting it")
            await pipes.kill()
            error = StoreError("the store's writer process gave an unreadable answer")
        _fail(current, error)
        while pipes.in_flight:
            _fail(pipes.in_flight.popleft(), error)
        if self._pipes is pipes:
            self._pipes = None
        self._wakeup.set()  # batches submitted meanwhile start a new child

    async def _watch(self) -> None:
        """Replace a child that has not answered for ANSWER_TIMEOUT seconds (a stuck disk, a
        stopped process): the callers waiting on it get a StoreError at once, even if the child
        cannot be killed yet (a process in uninterruptible I/O dies only once that ends), and the
        next batch starts a new child. Reports it did commit come back as duplicates when the
        provider retries, as after any death of the child."""
        while True:
            await asyncio.sleep(min(ANSWER_TIMEOUT / 4, 5.0))
            pipes = self._pipes
            since = pipes.waiting_since if pipes is not None else None
            if pipes is None or since is None or time.monotonic() - since <= ANSWER_TIMEOUT:
                continue
            try:
                log.error(
                    "the store's writer process (pid %s) has not answered for %.0f s; replacing it",
                    pipes.child.pid,
                    time.monotonic() - since,
                )
                self._pipes = None
                pipes.detach(
                    StoreError(f"the store's writer did not answer within {ANSWER_TIMEOUT:g} s")
                )
            except Exception:  # the watchdog must outlive any surprise
                log.exception("the store's writer watchdog failed to replace the writer")
            self._wakeup.set()  # batches submitted meanwhile start a new child

    async def stop(self) -> None:
        """Let every submitted batch be committed and answered, then stop the child."""
        if self._closing:
            return
        self._closing = True
        self._wakeup.set()
        if self._sender is not None:
            await self._sender
        pipes = self._pipes
        if pipes is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                pipes.writer.write(_frame(b""))
                await pipes.writer.drain()
                pipes.writer.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), _STOP_TIMEOUT)
            except TimeoutError:
                log.warning("the store's writer process did not stop; killing it")
                if pipes is not None:
                    pipes.detach(StoreError("the store's writer process did not stop"))
                    pipes = None  # a child in uninterruptible I/O may not die soon
                self._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reader
        if pipes is not None:
            await pipes.child.wait()
            pipes.writer.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog


class _Pipes:
    """A child process and the two ends of its protocol pipes."""

    def __init__(
        self,
        child: asyncio.subprocess.Process,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        read_transport: asyncio.BaseTransport | None = None,
    ):
        self.child = child
        self.reader = reader
        self.writer = writer
        self._read_transport = read_transport
        self.detached = False  # given up on (see `detach`)
        self.in_flight: deque[list[_Batch]] = deque()  # sent, one entry per frame, in order
        self.waiting_since: float | None = None  # since when an answer is awaited, if one is

    async def read_frame(self) -> bytes:
        (size,) = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
        if size > MAX_FRAME:
            raise ValueError(f"a frame of {size} bytes: the stream is corrupt")
        return await self.reader.readexactly(size)

    def detach(self, error: Exception) -> None:
        """Give up on this child at once: fail what is in flight with `error`, kill it, and
        drop both pipes without waiting for anything (a sender blocked on a full pipe is
        released; a child in uninterruptible I/O dies when that ends)."""
        self.detached = True
        while self.in_flight:
            _fail(self.in_flight.popleft(), error)
        self.waiting_since = None
        if self.child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.child.kill()
        self.writer.transport.abort()
        if self._read_transport is not None:
            self._read_transport.close()

    async def kill(self) -> None:
        if self.child.returncode is None:
            self.child.kill()
        await self.child.wait()
        self.writer.close()


def _widen(fd: int) -> None:
    """Give a pipe a buffer of `PIPE_SIZE` (Linux): a frame of a few hundred reports then
    crosses in one write instead of 64 KiB per turn of the event loop."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)


def _fail(batches: list[_Batch], error: Exception) -> None:
    for batch in batches:
        if not batch.future.done():
            batch.future.set_exception(error)


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
            if size > MAX_FRAME:
                raise ValueError(f"a frame of {size} bytes: the stream is corrupt")
            end = start + _HEADER.size + size
            if end > len(view):
                break
            frames.append(bytes(view[start + _HEADER.size : end]))
            start = end
        del self._buffer[:start]
        return frames


Commit = Callable[[Sequence[Incoming]], list[Stored]]


def _answer(commit: Commit, jobs: list[Job]) -> list[Done | Failed]:
    """Commit every job in one transaction, or, if that fails, job by job (unless the failure
    is the database's own: locked by another process past the busy timeout, a disk error;
    every job would fail alike, one busy timeout after another)."""
    import sqlalchemy as sa

    try:
        stored = commit([item for job in jobs for item in job.items])
    except Exception as exc:
        if len(jobs) > 1 and not isinstance(exc, sa.exc.OperationalError):
            return [answer for job in jobs for answer in _answer(commit, [job])]
        if isinstance(exc, InputError):
            return [Failed(kind="input", problem=exc.problem, field=exc.field)]
        if isinstance(exc, sa.exc.SQLAlchemyError):
            problem = f"the store could not write the batch: {exc}"
            return [Failed(kind="store", problem=problem)] * len(jobs)
        log.exception("the store's writer process failed on a batch of %d", len(jobs[0].items))
        return [Failed(kind="store", problem=f"the store's writer failed: {exc!r}")]
    answers: list[Done | Failed] = []
    start = 0
    for job in jobs:
        mine = stored[start : start + len(job.items)]
        start += len(job.items)
        if job.full:
            answers.append(Done(stored=mine))
        else:
            answers.append(Done(duplicates=[s.duplicate for s in mine]))
    return answers


def _groups(frames: list[list[Job]]) -> list[list[list[Job]]]:
    """The frames that arrived, in order, as transactions of up to MAX_GROUP reports (a frame
    is never split, and a larger one is a transaction alone)."""
    groups: list[list[list[Job]]] = []
    size = 0
    for jobs in frames:
        count = sum(len(job.items) for job in jobs)
        if not groups or (size + count > MAX_GROUP and groups[-1]):
            groups.append([])
            size = 0
        groups[-1].append(jobs)
        size += count
    return groups


def _answer_group(commit: Commit, frames: list[list[Job]]) -> list[list[Done | Failed]]:
    """Commit the jobs of several frames in one transaction (see `_answer`); the answers of
    each frame, in order."""
    answers = _answer(commit, [job for jobs in frames for job in jobs])
    out, start = [], 0
    for jobs in frames:
        out.append(answers[start : start + len(jobs)])
        start += len(jobs)
    return out


def serve(url: str, policy: PolicyConfig, source: int, out: int) -> None:
    """The child: open the store's engine, then commit each group it is sent, in order."""
    import functools

    import sqlalchemy as sa

    from dlrkit.store.engine import engine_for
    from dlrkit.store.write import apply
    from dlrkit.store.writer import committing

    def send(framed: bytes) -> None:
        data = memoryview(framed)
        while data:
            data = data[os.write(out, data) :]

    try:
        engine = engine_for(url, pool_size=1)
        sa.event.listen(engine, "connect", _writer_connection)
        with engine.connect() as connection:
            database = connection.exec_driver_sql("PRAGMA database_list").all()[0][2]
    except Exception as exc:
        send(_frame(_encode(Failed(kind="store", problem=str(exc)))))
        return
    checkpointer = Checkpointer(database)
    checkpointer.start()
    commit = committing(engine, functools.partial(apply, policy=policy))
    reader = _FrameReader(source)
    gc.freeze()  # what start-up made lives as long as this process: no full collection walks it
    send(_frame(_encode(Ready())))
    try:
        while frames := reader.take(wait=True):
            stopping = b"" in frames  # the parent's request to stop, after everything it sent
            if stopping:
                frames = frames[: frames.index(b"")]
            for group in _groups([_decode_jobs(body) for body in frames]):
                answers = _answer_group(commit, group)
                send(b"".join(_frame(_encode(a)) for a in answers))
                checkpointer.catch_up()
            if stopping:
                return
    finally:
        checkpointer.stop()
        engine.dispose()


def _writer_connection(dbapi_connection: Any, _record: Any) -> None:
    # The writer never checkpoints in a commit (`Checkpointer` does, beside it). When SQLite
    # starts the WAL over, it keeps the file up to `WAL_KEEP` bytes long (see `Checkpointer`).
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
    dbapi_connection.execute(f"PRAGMA journal_size_limit={Checkpointer.WAL_KEEP}")


class Checkpointer(threading.Thread):
    """Checkpoints the WAL beside the writer, so that no commit pays for one, and lets SQLite
    start the WAL over.

    SQLite's default is to checkpoint inside the commit that takes the WAL past 1,000 pages:
    copying those pages into the database and syncing it, a stall of tens of milliseconds for
    the reports in that group, every few groups under load. Here the writer's connection never
    checkpoints; every `interval` this thread's own connection runs a PASSIVE checkpoint (which
    waits for no reader or writer), and SQLite releases the GIL meanwhile, so it overlaps the
    writer's work. (One that finds frames to copy ends with an fsync of the database file.)
    Every half second, not more often: a page the commits keep changing (an index's last
    leaf, a rollup's current hour) is then copied once per round instead of ten times. Measured
    with `bench/ingest.py` in alternating runs: 5,005-5,442 webhooks/s every 50 ms, 5,723-5,891
    every 0.5 s, no better every 1 or 2 s; p99 22-23 against 26-28 ms.

    SQLite starts the WAL over only when a write transaction begins with every frame of the WAL
    copied. Under steady load that never happens by chance: the writer commits while this
    thread copies, so its next transaction always begins with frames left. The WAL grew by
    ~20 KB a report for as long as the load lasted (700 MB for 30,000 reports; a day of it would
    fill a disk). So once the WAL holds `RESTART_FRAMES` frames, this thread checkpoints again
    until little was committed meanwhile, and the writer copies that little itself between two
    transactions (`catch_up`: 3-20 ms), so that its next transaction starts the WAL over.
    Measured with `bench/ingest.py`: starting over every 256 MB costs no throughput, every
    64 MB a few percent. SQLite would cut the file back to `journal_size_limit` when it starts
    over; truncating a file of hundreds of megabytes stalled the commit doing it (p99 26 ->
    58 ms), so the file keeps its size while the writer runs (it is reused from its start;
    SQLite removes it when the last connection closes). A reader of another process in the
    middle of a long read can still defer that; the WAL then grows until it ends, as it would
    without this thread. If a connection cannot be opened, the
    error is logged and the next round tries again: the WAL grows meanwhile, nothing is lost."""

    RESTART_FRAMES = 65536  # the WAL starts over at about this length (256 MB of 4 KB pages)
    WAL_KEEP = -1  # bytes of WAL file kept when SQLite starts it over: all of it
    CATCH_UP_FRAMES = 256  # the most frames left for the writer's `catch_up` to copy, roughly

    def __init__(self, database: str, *, interval: float = 0.5):
        super().__init__(name="dlrkit-checkpointer", daemon=True)
        self._database = database
        self._wal = Path(database + "-wal")
        self._interval = interval
        self._stopping = threading.Event()
        self._behind = threading.Event()  # the WAL is long enough to start over
        self._writers: sqlite3.Connection | None = None  # the writer thread's, for catch_up
        # catch-ups that copied every frame: the next transaction starts the WAL over, unless
        # a reader of another process holds it back
        self.catch_ups = 0

    def run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopping.wait(self._interval):
                try:
                    if not self._wal.exists():  # nothing written yet
                        continue
                    if connection is None:
                        connection = self._connect()
                    frames = _checkpoint(connection)
                    if frames >= self.RESTART_FRAMES:
                        # again, until little was committed meanwhile: the writer's part is short
                        for _ in range(8):
                            again = _checkpoint(connection)
                            if not again or again - frames <= self.CATCH_UP_FRAMES:
                                break
                            frames = again
                        self._behind.set()  # the writer copies what it committed meanwhile
                except (OSError, sqlite3.Error) as exc:  # the next round tries again
                    log.error("checkpoint failed: %s", exc)
        finally:
            if connection is not None:
                connection.close()

    def catch_up(self) -> None:
        """Called by the writer between transactions: when the WAL is long enough to start
        over, copy the frames committed during this thread's last checkpoint, so that the
        next transaction starts the WAL over."""
        if not self._behind.is_set():
            return
        self._behind.clear()
        try:
            if self._writers is None:
                self._writers = self._connect()
            if _checkpoint(self._writers):
                self.catch_ups += 1
        except sqlite3.Error as exc:  # the thread's next round tries again
            log.error("checkpoint failed: %s", exc)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._database, isolation_level=None)
        connection.execute("PRAGMA busy_timeout=5000")
        return connection

    def stop(self) -> None:
        self._stopping.set()
        self.join()
        if self._writers is not None:
            self._writers.close()


def _checkpoint(connection: sqlite3.Connection) -> int:
    """A PASSIVE checkpoint. The WAL's length in frames if it copied every frame it found
    (then, unless one was committed meanwhile, the next write transaction starts the WAL over),
    else 0."""
    # fetchall: a statement left unfinished would hold a read lock, which defers the restart
    ((busy, frames, copied),) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return int(frames) if not busy and frames > 0 and frames == copied else 0


def main() -> int:
    """`python -m dlrkit.store.process IN OUT`: the protocol's pipes are file descriptors IN
    and OUT (the parent's `pass_fds`); stdout and stderr stay free for anything that prints."""
    # Ctrl-C, and the SIGTERM of a service manager or `timeout`, reach the whole process group:
    # the parent decides when this process stops (it lets its batches finish, then sends the
    # stop frame; if it dies, this process reads the end of its input), so both are the parent's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    source, out = int(sys.argv[1]), int(sys.argv[2])
    url = os.environ["DLRKIT_WRITER_URL"]
    policy = msgspec.json.decode(os.environ["DLRKIT_WRITER_POLICY"], type=PolicyConfig)
    serve(url, policy, source, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
