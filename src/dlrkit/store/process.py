"""A SQLite writer in a process of its own: the serving process answers HTTP on one core while
another core runs the transactions.

Why: in one process, the event loop (HTTP, verifying, parsing, classifying) and the writer
thread (building rows, SQLite's work, the commit) take turns on the GIL, so the service stays
near one core whatever the machine has. With `SqlStore(url, writer="process")` the group
commit works as before (`writer.GroupCommitter` gathers concurrent `ingest` calls, one group at
a time), but each group's transaction runs in a child process (`python -m
dlrkit.store.process`), and the writer thread only sends the group and waits for the answer.

The protocol is a pipe pair (the child's stdin and stdout), one frame per group each way, a
frame being a 4-byte big-endian length and a JSON body:

- request: a list of `Incoming`; an empty frame asks the child to stop;
- answer: `Done` (the `Stored` list, sent only after the commit returned) or `Failed` (what
  the parent raises: an `InputError` naming the field, or a `StoreError`).

Durability is unchanged: a caller's future resolves only once the child said its group is
committed. If the child dies (killed, out of memory), the group in flight fails with a
`StoreError` (the service answers 503 and the provider retries: a report the child did commit
is then a duplicate, which changes nothing) and the next group starts a new child. When the
serving process dies, the child reads the end of its stdin and exits after the transaction in
hand: it never outlives its parent by more than one group.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Literal

import msgspec

from dlrkit.errors import InputError
from dlrkit.policy import PolicyConfig
from dlrkit.store.base import Incoming, Stored, StoreError

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
_START_TIMEOUT = 60.0


class Done(msgspec.Struct, tag="done"):
    stored: list[Stored]


class Failed(msgspec.Struct, tag="failed"):
    kind: Literal["input", "store"]
    problem: str
    field: str | None = None


Answer = Done | Failed

_encode = msgspec.json.Encoder().encode
_decode_items = msgspec.json.Decoder(list[Incoming]).decode
_decode_answer = msgspec.json.Decoder(Answer).decode


def _write_frame(out: IO[bytes], body: bytes) -> None:
    out.write(_HEADER.pack(len(body)) + body)
    out.flush()


def _read_frame(source: IO[bytes]) -> bytes | None:
    """The next frame's body, or None at the end of the stream (the other side is gone)."""
    header = source.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = source.read(size)
    if len(body) < size:
        return None
    return body


class WriterProcess:
    """The parent's side: `commit(items)` runs one group's transaction in the child, starting
    (or restarting) the child when needed. Called from one writer thread at a time."""

    def __init__(self, url: str, policy: PolicyConfig):
        self._url = url
        self._policy = policy
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child and wait until it has opened the database."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._child is not None and self._child.poll() is None:
            return self._child
        if self._child is not None:
            log.warning(
                "store writer process ended (code %s); starting a new one", self._child.returncode
            )
            self._reap()
        command = [sys.executable, "-m", "dlrkit.store.process"]
        env = {**os.environ, "DLRKIT_WRITER_URL": self._url}
        env["DLRKIT_WRITER_POLICY"] = _encode(self._policy).decode()
        child = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True
        )
        assert child.stdout is not None
        ready = _read_frame(child.stdout)  # the child's first frame: the database is open
        if ready is None:
            child.wait(timeout=_START_TIMEOUT)
            raise StoreError(
                f"the store's writer process could not start (code {child.returncode})"
            )
        answer = _decode_answer(ready)
        if isinstance(answer, Failed):
            child.wait(timeout=_START_TIMEOUT)
            raise StoreError(
                f"the store's writer process could not open the store: {answer.problem}"
            )
        self._child = child
        return child

    def commit(self, items: Sequence[Incoming]) -> list[Stored]:
        """One durable transaction of `items` in the child; raises as `committing` would."""
        with self._lock:
            child = self._ensure()
            assert child.stdin is not None
            assert child.stdout is not None
            try:
                _write_frame(child.stdin, _encode(items))
                body = _read_frame(child.stdout)
            except (BrokenPipeError, ConnectionResetError, ValueError):
                body = None
            if body is None:
                self._reap()
                raise StoreError("the store's writer process ended during a write")
        answer = _decode_answer(body)
        if isinstance(answer, Done):
            return answer.stored
        if answer.kind == "input":
            raise InputError(answer.problem, field=answer.field)
        raise StoreError(answer.problem)

    def stop(self) -> None:
        """Ask the child to finish and wait for it (called once no group is in flight)."""
        with self._lock:
            child, self._child = self._child, None
            if child is None:
                return
            try:
                if child.stdin is not None:
                    _write_frame(child.stdin, b"")
                    child.stdin.close()
            except (BrokenPipeError, ValueError):
                pass
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()

    def _reap(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                with contextlib.suppress(BrokenPipeError, ValueError):
                    stream.close()


def _serve(url: str, policy: PolicyConfig, source: IO[bytes], out: IO[bytes]) -> None:
    """The child: open the store's engine, then commit each group it is sent, in order."""
    import functools

    import sqlalchemy as sa

    from dlrkit.store.engine import engine_for
    from dlrkit.store.write import apply
    from dlrkit.store.writer import committing

    try:
        engine = engine_for(url, pool_size=1)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        _write_frame(out, _encode(Failed(kind="store", problem=str(exc))))
        return
    commit = committing(engine, functools.partial(apply, policy=policy))
    _write_frame(out, _encode(Done(stored=[])))
    try:
        while (body := _read_frame(source)) is not None and body:
            answer: Answer
            try:
                answer = Done(stored=commit(_decode_items(body)))
            except InputError as exc:
                answer = Failed(kind="input", problem=exc.problem, field=exc.field)
            except sa.exc.SQLAlchemyError as exc:
                answer = Failed(kind="store", problem=f"the store could not write the batch: {exc}")
            except Exception as exc:  # a bug: the parent refuses the group, the log keeps why
                log.exception("store writer process failed on a group of reports")
                answer = Failed(kind="store", problem=f"the store's writer failed: {exc!r}")
            _write_frame(out, _encode(answer))
    finally:
        engine.dispose()


def main() -> int:
    # Frames go to the original stdout only; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    # Ctrl-C reaches the whole process group: the parent decides when this process stops (it
    # drains the queued groups, then closes the pipe), so the interrupt is the parent's alone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    url = os.environ["DLRKIT_WRITER_URL"]
    policy = msgspec.json.decode(os.environ["DLRKIT_WRITER_POLICY"], type=PolicyConfig)
    _serve(url, policy, sys.stdin.buffer, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
