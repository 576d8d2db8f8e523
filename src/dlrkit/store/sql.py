"""`SqlStore`: the `Store` contract on SQLite (a file, the default) or PostgreSQL, by URL.

    store = SqlStore("sqlite:///var/lib/dlrkit/dlrkit.db")      # or "postgresql://user@host/db"
    await store.open()                                         # migrates the schema
    stored = await store.ingest(batch)                         # returns once committed

Writes go through `writer.GroupCommitter`: concurrent `ingest` calls are committed together
by writer threads (exactly one for SQLite, which allows one writer; two for PostgreSQL), each
transaction being `write.apply`, safe with other stores and workers on the same database. With
`writer="process"` (SQLite only; what `dlrkit serve` uses) the transactions run in a child
process instead, which the event loop feeds directly (`process.py`): HTTP on one core, SQLite
on another.
Reads and key changes run on a small pool of reader threads with connections of their own
(SQLite's WAL lets them proceed while the writer works). Engines and durability settings:
`engine.py`. The coroutines only wait for the threads; the event loop never blocks on I/O.

The suppression list's SQL is in `suppress.py` (automatic suppression follows the store's
`PolicyConfig`), the insight queries over the rollups in `insights.py`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, NamedTuple, TypeVar

import sqlalchemy as sa

from dlrkit.errors import InputError
from dlrkit.policy import PolicyConfig
from dlrkit.store import insights, migrate, suppress
from dlrkit.store.base import (
    ApiKey,
    DeliveryRate,
    Failures,
    HistoryItem,
    Incoming,
    InsightFilter,
    Latency,
    Message,
    OutcomeFilter,
    Page,
    Stored,
    StoreError,
    SuppressionEntry,
    SuppressionFilter,
    SuppressionPage,
    UnknownCode,
)
from dlrkit.store.engine import engine_for, transaction
from dlrkit.store.process import ProcessCommitter
from dlrkit.store.queries import decode_cursor, encode_cursor, filter_clauses, page_after
from dlrkit.store.schema import api_keys, iso, now, outcomes, reports
from dlrkit.store.validate import check_batch, storable
from dlrkit.store.write import apply, current_outcomes, decode_outcome
from dlrkit.store.writer import GroupCommitter, committing

T = TypeVar("T")
KEY_PREFIX = "dlrk_"  # every secret starts so, which makes leaked keys easy to scan for
_PREFIX_LEN = 12
_EXPORT_CHUNK = 1000


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _api_key(row: Mapping[Any, Any]) -> ApiKey:
    revoked = row["revoked_at"]
    return ApiKey(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=iso(row["created_at"]),
        revoked_at=iso(revoked) if revoked is not None else None,
    )


def _reader(connection: sa.Connection) -> insights.Read:
    return lambda query: list(connection.execute(query))


class _Open(NamedTuple):
    engine: sa.Engine
    pool: ThreadPoolExecutor  # the readers' threads
    writer: GroupCommitter | ProcessCommitter  # the second: SQLite with writer="process"


class SqlStore:
    """The store on one database URL; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        readers: int = 4,
        writers: int | None = None,
        policy: PolicyConfig | None = None,
        writer: Literal["thread", "process"] = "thread",
    ):
        if writer not in ("thread", "process"):
            raise InputError(f"must be 'thread' or 'process', not {writer!r}", field="writer")
        self.url = url
        self.policy = policy or PolicyConfig()
        self.writer = writer
        self._readers = readers
        self._writers = writers
        self._open: _Open | None = None

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql' (the store must be open)."""
        return self._require().engine.dialect.name

    async def open(self) -> None:
        if self._open is not None:
            return
        engine = engine_for(self.url, pool_size=self._readers + 4)
        writers = 1 if engine.dialect.name == "sqlite" else (self._writers or 2)
        pool = ThreadPoolExecutor(self._readers, thread_name_prefix="dlrkit-store-read")
        try:
            await asyncio.get_running_loop().run_in_executor(pool, migrate.upgrade, engine)
        except sa.exc.SQLAlchemyError as exc:
            pool.shutdown()
            engine.dispose()
            where = engine.url.render_as_string()  # the password hidden
            # The driver's own message, on one line: SQLAlchemy's adds its class name and a
            # "Background on this error at <its website>" line.
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            raise StoreError(f"cannot open the store at {where}: {reason}") from exc
        writer: GroupCommitter | ProcessCommitter
        if self.writer == "process" and engine.dialect.name == "sqlite":
            writer = ProcessCommitter(self.url, self.policy)
            try:
                await writer.start()
            except BaseException:
                pool.shutdown()
                engine.dispose()
                raise
        else:
            writer = GroupCommitter(
                committing(engine, functools.partial(apply, policy=self.policy)), threads=writers
            )
            writer.start()
        self._open = _Open(engine, pool, writer)

    async def close(self) -> None:
        """Finish the writes already queued, then release threads and connections."""
        if self._open is None:
            return
        opened, self._open = self._open, None
        try:
            if isinstance(opened.writer, ProcessCommitter):
                await opened.writer.stop()
            else:
                await asyncio.get_running_loop().run_in_executor(None, opened.writer.stop)
        finally:
            opened.pool.shutdown()
            opened.engine.dispose()

    def _require(self) -> _Open:
        if self._open is None:
            raise StoreError("the store is not open: await store.open() first")
        return self._open

    async def _run(self, fn: Callable[[sa.Connection], T], *, write: bool = False) -> T:
        engine, pool, _ = self._require()

        def call() -> T:
            with transaction(engine, write=write) as connection:
                return fn(connection)

        try:
            return await asyncio.get_running_loop().run_in_executor(pool, call)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"the store failed: {exc}") from exc

    async def ingest(self, batch: Sequence[Incoming]) -> list[Stored]:
        writer = self._require().writer
        items = check_batch(batch)
        if not items:
            return []
        return await writer.submit(items)

    async def accept(self, batch: Sequence[Incoming]) -> list[bool]:
        writer = self._require().writer
        items = check_batch(batch)
        if not items:
            return []
        if isinstance(writer, ProcessCommitter):
            return await writer.submit_new(items)
        return [s.duplicate for s in await writer.submit(items)]

    async def message(self, message_id: str, provider: str | None = None) -> Message | None:
        if not storable(message_id) or (provider is not None and not storable(provider)):
            return None

        def read(connection: sa.Connection) -> Message | None:
            query = sa.select(outcomes.c.provider).where(outcomes.c.message_id == message_id)
            if provider is not None:
                query = query.where(outcomes.c.provider == provider)
            found = sorted(connection.execute(query.limit(10)).scalars())
            if not found:
                return None
            if len(found) > 1:
                raise InputError(
                    f"message {message_id!r} is known at {', '.join(found)}: say which provider",
                    field="provider",
                )
            key = (found[0], message_id)
            history = connection.execute(
                sa.select(reports)
                .where(reports.c.provider == key[0], reports.c.message_id == message_id)
                .order_by(reports.c.received_at, reports.c.report_key)
            )
            items = tuple(
                HistoryItem(
                    report_key=row.report_key,
                    received_at=iso(row.received_at),
                    state=row.state,
                    reason=row.reason,
                    outcome=decode_outcome(row.outcome),
                )
                for row in history
            )
            return Message(outcome=current_outcomes(connection, [key])[key], history=items)

        return await self._run(read)

    async def outcomes(
        self, flt: OutcomeFilter, *, limit: int = 100, cursor: str | None = None
    ) -> Page:
        if not 1 <= limit <= 1000:
            raise InputError(f"must be between 1 and 1000, not {limit}", field="limit")
        where = filter_clauses(flt)
        if cursor is not None:
            where.append(page_after(decode_cursor(cursor)))

        def read(connection: sa.Connection) -> Page:
            order = (outcomes.c.received_at, outcomes.c.provider, outcomes.c.message_id)
            query = (
                sa.select(*order, outcomes.c.outcome)
                .where(*where)
                .order_by(*order)
                .limit(limit + 1)
            )
            rows = connection.execute(query).all()
            more = len(rows) > limit
            rows = rows[:limit]
            next_cursor = (
                encode_cursor(rows[-1].received_at, rows[-1].provider, rows[-1].message_id)
                if more
                else None
            )
            return Page(
                items=tuple(decode_outcome(r.outcome) for r in rows), next_cursor=next_cursor
            )

        return await self._run(read)

    async def create_key(self, name: str) -> tuple[ApiKey, str]:
        name = name.strip() if isinstance(name, str) else ""
        if not name or not storable(name, 200):
            raise InputError("a key needs a name of 1 to 200 characters of text", field="name")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        row = {
            "id": secrets.token_hex(8),
            "name": name,
            "prefix": secret[:_PREFIX_LEN],
            "secret_sha256": _hash(secret),
            "created_at": now(),
            "revoked_at": None,
        }
        await self._run(lambda c: c.execute(api_keys.insert(), row), write=True)
        return _api_key(row), secret

    async def list_keys(self) -> list[ApiKey]:
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        return await self._run(lambda c: [_api_key(row._mapping) for row in c.execute(query)])

    async def revoke_key(self, key_id: str) -> bool:
        if not storable(key_id, 32):
            return False
        update = (
            sa.update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
        return await self._run(lambda c: c.execute(update).rowcount == 1, write=True)

    async def check_key(self, secret: str) -> ApiKey | None:
        if not storable(secret, 200) or not secret.startswith(KEY_PREFIX):
            return None
        digest = _hash(secret)
        query = sa.select(api_keys).where(
            api_keys.c.prefix == secret[:_PREFIX_LEN], api_keys.c.revoked_at.is_(None)
        )

        def read(connection: sa.Connection) -> ApiKey | None:
            match = None
            for row in connection.execute(query):
                if hmac.compare_digest(row.secret_sha256, digest):
                    match = _api_key(row._mapping)
            return match

        return await self._run(read)

    async def list_suppressions(
        self, flt: SuppressionFilter, *, limit: int = 100, cursor: str | None = None
    ) -> SuppressionPage:
        stamp = now()
        query = suppress.list_query(flt, limit, cursor, stamp)

        def read(connection: sa.Connection) -> SuppressionPage:
            rows = connection.execute(query).all()
            more = len(rows) > limit
            rows = rows[:limit]
            last = rows[-1] if more else None
            return SuppressionPage(
                items=tuple(suppress.entry(row, stamp) for row in rows),
                next_cursor=suppress.encode_cursor(last.created_at, last.recipient)
                if last is not None
                else None,
            )

        return await self._run(read)

    async def add_suppression(
        self, recipient: str, reason: str, *, expires_at: str | None = None, note: str | None = None
    ) -> SuppressionEntry:
        stamp = now()
        return await self._run(
            lambda c: suppress.add(c, recipient, reason, expires_at, note, stamp), write=True
        )

    async def remove_suppression(self, recipient: str) -> bool:
        key = suppress.normalize(recipient)
        return await self._run(lambda c: suppress.remove(c, key), write=True)

    async def check_suppression(self, recipient: str) -> SuppressionEntry | None:
        key = suppress.normalize(recipient)
        stamp = now()
        return await self._run(lambda c: suppress.check_row(c, key, stamp))

    async def export_suppressions(self) -> AsyncIterator[SuppressionEntry]:
        after: str | None = None
        while True:
            read = functools.partial(
                suppress.export_chunk, after=after, size=_EXPORT_CHUNK, now=now()
            )
            chunk = await self._run(read)
            for found in chunk:
                yield found
            if len(chunk) < _EXPORT_CHUNK:
                return
            after = chunk[-1].recipient

    async def delivery_rate(self, flt: InsightFilter, *, bucket: str = "hour") -> DeliveryRate:
        return await self._run(lambda c: insights.delivery_rate(_reader(c), flt, bucket))

    async def failures_by(self, dimension: str, flt: InsightFilter, *, limit: int = 20) -> Failures:
        return await self._run(lambda c: insights.failures_by(_reader(c), dimension, flt, limit))

    async def latency(self, flt: InsightFilter) -> Latency:
        return await self._run(lambda c: insights.latency(_reader(c), flt))

    async def unknown_codes(self, *, limit: int = 50) -> list[UnknownCode]:
        return await self._run(lambda c: insights.unknown(_reader(c), limit))
