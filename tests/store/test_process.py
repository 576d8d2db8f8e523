"""The SQLite writer process (`SqlStore(url, writer="process")`, what `dlrkit serve` uses): the
same stored state as the writer thread, grouping, failures isolated per batch, a killed child
replaced, a clean stop, and no child outliving its parent."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest

from dlrkit.errors import InputError
from dlrkit.store import default_url
from dlrkit.store.base import Incoming, OutcomeFilter, Stored, StoreError
from dlrkit.store.process import Done, Failed, Job, ProcessCommitter, _answer, _frame, _FrameReader
from dlrkit.store.sql import SqlStore

from .test_ingest import ingest_concurrently, snapshot
from .traffic import traffic


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _writer_pids() -> list[int]:
    """This process's writer children (`python -m dlrkit.store.process`)."""
    found = []
    for child in _children(os.getpid()):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"dlrkit.store.process" in command:
            found.append(child)
    return found


def test_the_process_stores_what_the_thread_stores(tmp_path: Path) -> None:
    sent = traffic(messages=600, reports=2000, seed=11)
    items = sent.reports * 2
    random.Random(5).shuffle(items)

    async def ingest(url: str, writer: str) -> list[Stored]:
        store = SqlStore(url, writer=writer)  # type: ignore[arg-type]
        await store.open()
        try:
            return await ingest_concurrently(store, items, tasks=32, seed=9)
        finally:
            await store.close()

    by_thread = asyncio.run(ingest(default_url(tmp_path / "thread"), "thread"))
    by_process = asyncio.run(ingest(default_url(tmp_path / "process"), "process"))
    assert [s.duplicate for s in by_process].count(False) == len(sent.reports)
    assert sorted(s.report_key for s in by_process if not s.duplicate) == sorted(
        s.report_key for s in by_thread if not s.duplicate
    )
    assert snapshot(default_url(tmp_path / "process")) == snapshot(default_url(tmp_path / "thread"))


def test_concurrent_batches_share_transactions(tmp_path: Path) -> None:
    items = traffic(messages=300, reports=900, seed=12).reports

    async def scenario() -> tuple[int, int]:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        try:
            results = await asyncio.gather(*(store.ingest([i]) for i in items))
            page = await store.outcomes(OutcomeFilter(), limit=1000)
        finally:
            await store.close()
        return sum(len(r) for r in results), len(page.items)

    answered, messages = asyncio.run(scenario())
    assert answered == len(items)
    assert messages == len({(i.outcome.provider, i.outcome.message_id) for i in items})


def test_a_failing_batch_fails_alone() -> None:
    items = traffic(messages=10, reports=30, seed=13).reports
    poison = items[4].report_key
    groups: list[int] = []

    def commit(batch: Sequence[Incoming]) -> list[Stored]:
        groups.append(len(batch))
        if any(i.report_key == poison for i in batch):
            raise InputError("refused for the test", field="batch[0].outcome.recipient")
        return [Stored(report_key=i.report_key, duplicate=False, outcome=i.outcome) for i in batch]

    jobs = [Job(items[0:3], True), Job(items[3:6], True), Job(items[6:9], False)]
    answers = _answer(commit, jobs)
    assert groups == [9, 3, 3, 3]  # all at once, then one by one
    first, failed, last = answers
    assert isinstance(first, Done)
    assert first.stored is not None
    assert [s.report_key for s in first.stored] == [i.report_key for i in items[0:3]]
    assert isinstance(failed, Failed)
    assert (failed.kind, failed.field) == ("input", "batch[0].outcome.recipient")
    assert isinstance(failed.error(), InputError)
    assert last == Done(duplicates=[False, False, False])  # flags only, as asked


def test_frames_split_anywhere_are_read_whole() -> None:
    bodies = [b"", b"x" * 70_000, b'{"a":1}', b"[]"]
    stream = b"".join(_frame(b) for b in bodies)
    read, write = os.pipe()
    reader = _FrameReader(read)
    got: list[bytes] = []
    for cut in range(0, len(stream), 4093):  # pieces that split headers and bodies
        os.write(write, stream[cut : cut + 4093])
        got += reader.take(wait=False)
    os.close(write)
    got += reader.take(wait=True)
    assert got == bodies
    assert reader.take(wait=True) == []
    assert reader.ended
    os.close(read)


def test_a_killed_writer_fails_its_batches_and_is_replaced(tmp_path: Path) -> None:
    items = traffic(messages=50, reports=150, seed=14).reports

    async def scenario() -> None:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        try:
            await store.ingest(items[:10])
            (first,) = _writer_pids()
            os.kill(first, signal.SIGKILL)  # while idle: the next batch starts a new child
            await asyncio.sleep(0.2)
            assert await store.accept(items[10:20]) == [False] * 10
            (second,) = _writer_pids()
            assert second != first
            os.kill(second, signal.SIGSTOP)  # a batch in flight when the child dies ...
            in_flight = asyncio.ensure_future(store.ingest(items[20:30]))
            await asyncio.sleep(0.2)
            os.kill(second, signal.SIGKILL)
            with pytest.raises(StoreError, match="writer process ended"):
                await in_flight  # ... is refused: the provider retries it
            assert await store.accept(items[20:30] + items[:2]) == [False] * 10 + [True] * 2
            assert _writer_pids() not in ([first], [second])
        finally:
            await store.close()
        assert _writer_pids() == []

    asyncio.run(scenario())


def test_a_writer_that_stops_answering_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that does not answer within ANSWER_TIMEOUT (here stopped with SIGSTOP, as a
    stuck disk would hold it) fails its callers with a StoreError instead of leaving them
    waiting, and the next batch goes to a new child; nothing committed is lost."""
    from dlrkit.store import process

    monkeypatch.setattr(process, "ANSWER_TIMEOUT", 1.0)
    items = traffic(messages=50, reports=150, seed=24).reports

    async def scenario() -> None:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        try:
            await store.ingest(items[:10])
            (first,) = _writer_pids()
            os.kill(first, signal.SIGSTOP)
            started = time.monotonic()
            with pytest.raises(StoreError, match="did not answer within 1 s"):
                await asyncio.wait_for(store.ingest(items[10:20]), 30)
            assert 1.0 <= time.monotonic() - started < 10
            assert await store.accept(items[10:20] + items[:2]) == [False] * 10 + [True] * 2
            assert first not in _writer_pids()
        finally:
            await store.close()
        assert _writer_pids() == []

    asyncio.run(scenario())


def test_a_writer_that_cannot_be_killed_is_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child in uninterruptible I/O outlives SIGKILL, and with its pipe full the sender
    would wait for it: the watchdog still fails the callers of what was sent to it at once, and
    the batches not sent yet, and the next ones, go to a new child."""
    from dlrkit.store import process

    monkeypatch.setattr(process, "ANSWER_TIMEOUT", 1.0)
    items = traffic(messages=2000, reports=6000, seed=25).reports

    async def scenario() -> None:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        (first,) = _writer_pids()
        try:
            await store.ingest(items[:5])
            os.kill(first, signal.SIGSTOP)
            monkeypatch.setattr(asyncio.subprocess.Process, "kill", lambda self: None)
            waves = [store.ingest(items[i : i + 500]) for i in range(5, 5505, 500)]  # > the pipe
            answers = await asyncio.gather(
                *(asyncio.wait_for(w, 20) for w in waves), return_exceptions=True
            )
            # those sent to the stuck child fail; those still waiting go to the new one
            failed = [a for a in answers if isinstance(a, StoreError)]
            stored = [a for a in answers if isinstance(a, list)]
            assert failed, answers
            assert len(failed) + len(stored) == len(waves), answers
            fresh = await asyncio.wait_for(store.accept(items[5505:5515]), 20)
            assert fresh == [False] * 10
        finally:
            monkeypatch.undo()
            os.kill(first, signal.SIGKILL)
            await store.close()

    asyncio.run(scenario())


def test_a_locked_database_fails_the_group_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure of the database itself (locked past the busy timeout, a disk error) is not
    retried batch by batch: each retry would wait out the busy timeout again."""
    import sqlalchemy as sa

    from dlrkit.store import process

    items = traffic(messages=4, reports=12, seed=26).reports
    calls: list[int] = []

    def locked(batch: Sequence[Incoming]) -> list[Stored]:
        calls.append(len(batch))
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    jobs = [Job(items[i : i + 3], full=False) for i in range(0, 12, 3)]
    answers = process._answer(locked, jobs)
    assert calls == [12]
    assert len(answers) == 4
    assert all(isinstance(a, Failed) and "database is locked" in a.problem for a in answers)


def test_groups_take_empty_frames_in_their_stride() -> None:
    from dlrkit.store import process

    items = traffic(messages=2, reports=6, seed=27).reports
    frames: list[list[Job]] = [[], [Job(items[:2], full=False)], []]
    assert process._groups(frames) == [frames]


def test_close_commits_everything_submitted(tmp_path: Path) -> None:
    items = traffic(messages=200, reports=600, seed=15).reports

    async def scenario() -> list[Stored]:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        pending = [asyncio.ensure_future(store.ingest([i])) for i in items]
        await asyncio.sleep(0)  # submitted, not yet answered
        await store.close()
        with pytest.raises(StoreError, match="not open"):
            await store.ingest(items[:1])
        return [s for p in pending for s in p.result()]

    stored = asyncio.run(scenario())
    assert len(stored) == len(items)
    assert [s.duplicate for s in stored].count(False) == len(items)
    assert _writer_pids() == []


def test_a_store_that_cannot_open_says_why(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    async def scenario() -> None:
        committer = ProcessCommitter(f"sqlite:///{blocker}/dlrkit.db", SqlStore("x").policy)
        await committer.start()

    with pytest.raises(StoreError, match="writer process could not open the store"):
        asyncio.run(scenario())


def test_the_writer_does_not_outlive_its_parent(tmp_path: Path) -> None:
    program = textwrap.dedent(
        f"""
        import asyncio, os, sys
        from dlrkit.store.sql import SqlStore
        async def main():
            store = SqlStore({default_url(tmp_path)!r}, writer="process")
            await store.open()
            print(os.getpid(), flush=True)
            await asyncio.sleep(60)
        asyncio.run(main())
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    parent.stdout.readline()
    (child,) = _children(parent.pid)
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists():
        state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":  # ended, waiting for init to reap it
            break
        time.sleep(0.05)
    else:
        assert not Path(f"/proc/{child}").exists(), "the writer outlived its parent"


def test_answers_round_trip() -> None:
    items = traffic(messages=5, reports=30, seed=16).reports
    stored = [Stored(report_key=i.report_key, duplicate=False, outcome=i.outcome) for i in items]
    body = msgspec.json.encode([Done(stored=stored), Failed(kind="store", problem="disk full")])
    decoded = msgspec.json.decode(body, type=list[Done | Failed])
    assert decoded == [Done(stored=stored), Failed(kind="store", problem="disk full")]


def test_a_signal_to_the_process_group_stops_the_parent_cleanly(tmp_path: Path) -> None:
    """SIGTERM to the whole group (systemd, `timeout`): the writer leaves it to its parent, which
    stops it after the batches in hand, so nothing is reported as a crash."""
    program = textwrap.dedent(
        f"""
        import asyncio, os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from dlrkit.store.sql import SqlStore
        from traffic import traffic
        async def main():
            store = SqlStore({default_url(tmp_path)!r}, writer="process")
            await store.open()
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            print("ready", flush=True)
            await stop.wait()
            await asyncio.sleep(0.3)  # a request still being handled when the signal came
            stored = await store.accept(traffic(messages=2, reports=6, seed=17).reports)
            await store.close()
            print("closed", len(stored), flush=True)
        asyncio.run(main())
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert parent.stdout is not None
    assert parent.stdout.readline() == "ready\n"
    os.killpg(parent.pid, signal.SIGTERM)
    out, err = parent.communicate(timeout=30)
    assert parent.returncode == 0
    assert out == "closed 6\n", err
    assert "writer process ended" not in err


def test_an_unreadable_answer_fails_its_batch_and_replaces_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlrkit.store import process

    items = traffic(messages=10, reports=30, seed=18).reports
    real = process._decode_answers
    calls = iter([True])

    def garbled(body: bytes) -> list[Done | Failed]:
        if next(calls, False):
            raise msgspec.DecodeError("garbled for the test")
        return real(body)

    async def scenario() -> None:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        try:
            (first,) = _writer_pids()
            monkeypatch.setattr(process, "_decode_answers", garbled)
            with pytest.raises(StoreError, match="unreadable answer"):
                await store.accept(items[:5])
            assert await store.accept(items[:5] + items[5:8]) == [True] * 5 + [False] * 3
            assert _writer_pids() not in ([], [first])
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_child_that_cannot_start_fails_the_batch_and_the_next_one_tries_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlrkit.store import process

    items = traffic(messages=10, reports=30, seed=19).reports
    real = process._decode_start
    calls = iter([True])

    def garbled(body: bytes) -> process.Ready | Failed:
        if next(calls, False):
            raise msgspec.DecodeError("garbled for the test")
        return real(body)

    async def scenario() -> None:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        try:
            (first,) = _writer_pids()
            os.kill(first, signal.SIGKILL)
            await asyncio.sleep(0.2)
            monkeypatch.setattr(process, "_decode_start", garbled)
            with pytest.raises(StoreError, match="did not start"):
                await asyncio.wait_for(store.accept(items[:3]), 30)
            assert await asyncio.wait_for(store.accept(items[:3]), 30) == [False] * 3
        finally:
            await store.close()
        assert _writer_pids() == []

    asyncio.run(scenario())


def test_answers_that_do_not_match_their_batches_fail_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlrkit.store import process

    items = traffic(messages=10, reports=30, seed=20).reports
    real = process._decode_answers
    calls = iter([True])

    def short(body: bytes) -> list[Done | Failed]:
        answers = real(body)
        return answers[:-1] if next(calls, False) else answers

    async def scenario() -> None:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        try:
            monkeypatch.setattr(process, "_decode_answers", short)
            with pytest.raises(StoreError, match="unreadable answer"):
                await asyncio.wait_for(store.accept(items[:4]), 30)
            assert await asyncio.wait_for(store.accept(items[4:6]), 30) == [False, False]
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_group_holds_at_most_max_group_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlrkit.store import process

    monkeypatch.setattr(process, "MAX_GROUP", 10)
    items = traffic(messages=20, reports=60, seed=21).reports
    committer = ProcessCommitter("sqlite:///unused.db", SqlStore("x").policy)
    loop = asyncio.new_event_loop()
    try:
        sizes = [4, 4, 4, 25, 1, 9, 1]
        start = 0
        for size in sizes:
            future = loop.create_future()
            committer._pending.append(process._Batch(items[start : start + size], True, future))
            start += size
        groups = []
        while committer._pending:
            groups.append([len(b.items) for b in committer._take_pending()])
    finally:
        loop.close()
    assert groups == [[4, 4], [4], [25], [1, 9], [1]]  # a larger batch goes alone


def test_the_child_commits_the_frames_that_arrived_together_as_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Frames waiting in the pipe share a transaction, up to MAX_GROUP reports, never split;
    each frame still gets its own answers, in order."""
    from dlrkit.store import process

    monkeypatch.setattr(process, "MAX_GROUP", 10)
    items = traffic(messages=20, reports=60, seed=23).reports
    sizes = [[4], [3, 2], [4], [25], [1], [2, 2, 2], [1]]
    frames, start = [], 0
    for frame in sizes:
        jobs = []
        for size in frame:
            jobs.append(Job(items[start : start + size], full=False))
            start += size
        frames.append(jobs)
    groups = process._groups(frames)
    assert [[[len(j.items) for j in f] for f in g] for g in groups] == [
        [[4], [3, 2]],
        [[4]],
        [[25]],  # a larger frame goes alone
        [[1], [2, 2, 2], [1]],
    ]
    transactions: list[int] = []

    def commit(batch: Sequence[Incoming]) -> list[Stored]:
        transactions.append(len(batch))
        return [Stored(report_key=i.report_key, duplicate=False, outcome=i.outcome) for i in batch]

    answers = [process._answer_group(commit, g) for g in groups]
    assert transactions == [9, 4, 25, 8]
    per_frame = [[len(a.duplicates or []) for a in frame] for group in answers for frame in group]
    assert per_frame == sizes


def test_the_wal_starts_over_under_steady_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that never pauses still lets SQLite start the WAL over (by `catch_up` between
    its transactions), so the WAL stays bounded; without it, it grows for as long as the writes
    go on."""
    import sqlite3

    from dlrkit.store.process import Checkpointer

    monkeypatch.setattr(Checkpointer, "RESTART_FRAMES", 64)
    database = str(tmp_path / "wal.db")
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(f"PRAGMA journal_size_limit={Checkpointer.WAL_KEEP}")
    writer.execute("CREATE TABLE t (k BLOB PRIMARY KEY, v BLOB)")
    checkpointer = Checkpointer(database, interval=0.005)
    checkpointer.start()
    largest = 0
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # a transaction after another, with no pause
            writer.execute("BEGIN IMMEDIATE")
            writer.executemany(
                "INSERT INTO t VALUES (?, ?)",
                [(os.urandom(16), os.urandom(300)) for _ in range(50)],
            )
            writer.execute("COMMIT")
            checkpointer.catch_up()
            largest = max(largest, os.path.getsize(database + "-wal"))
    finally:
        checkpointer.stop()
        writer.close()
    rows = sqlite3.connect(database).execute("SELECT count(*) FROM t").fetchone()[0]
    assert rows > 0
    assert checkpointer.catch_ups >= 3
    # 64 frames, plus what was committed during the last checkpoint, plus slack; without the
    # catch-up this reaches tens of megabytes in three seconds
    assert largest < 8 << 20, largest


def test_output_at_start_up_does_not_garble_the_protocol(tmp_path: Path) -> None:
    """The protocol has pipes of its own: a site customization printing to stdout is harmless."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("print('hello from sitecustomize')\n")
    program = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from dlrkit.store.sql import SqlStore
        from traffic import traffic
        async def main():
            store = SqlStore({default_url(tmp_path / "db")!r}, writer="process")
            await asyncio.wait_for(store.open(), 60)
            stored = await store.accept(traffic(messages=2, reports=6, seed=22).reports)
            await store.close()
            print("stored", len(stored))
        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "stored 6"


def test_the_writer_gets_no_secret_it_does_not_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLRKIT_DASHBOARD_SECRET", "s" * 40)

    async def scenario() -> bytes:
        store = SqlStore(default_url(tmp_path), writer="process")
        await store.open()
        try:
            (child,) = _writer_pids()
            return Path(f"/proc/{child}/environ").read_bytes()
        finally:
            await store.close()

    environ = asyncio.run(scenario()).split(b"\0")
    assert not any(v.startswith(b"DLRKIT_DASHBOARD_SECRET=") for v in environ)
    assert any(v.startswith(b"DLRKIT_WRITER_URL=") for v in environ)
