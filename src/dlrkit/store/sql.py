"""`SqlStore`: the `Store` contract on SQLite (a file, the default) or PostgreSQL, by URL.

    store = SqlStore("sqlite:///var/lib/dlrkit/dlrkit.db")      # or "postgresql://user@host/db"
    await store.open()                                         # migrates the schema
    stored = await store.ingest(batch)                         # returns once committed

SQLite runs in WAL mode with `synchronous=FULL`: every commit fsyncs the WAL, so an
acknowledged report survives a power loss (with `NORMAL`, WAL commits are not synced and the
last ones can be lost). One writer thread owns the writes and commits concurrent `ingest`
calls together (`writer.GroupCommitter`); reads run on other connections, which WAL lets
proceed while the writer works. PostgreSQL goes through psycopg 3 and SQLAlchemy's pool, with
a few writer threads and row locks (`write.apply`) so that several stores and workers can
write the same database at once. The blocking database calls run in threads; the coroutines
only wait for them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dlrkit.errors import InputError
from dlrkit.store import migrate
from dlrkit.store.base import ApiKey, HistoryItem, Incoming, Message, OutcomeFilter, Page, StoreError, Stored
from dlrkit.store.queries import decode_cursor, filter_clauses, page_after
from dlrkit.store.schema import api_keys, iso, now, outcomes, reports
from dlrkit.store.validate import check_batch
from dlrkit.store.write import apply, current_outcomes, decode_outcome

T = TypeVar("T")
KEY_PREFIX = "dlrk_"  # every secret starts so, which makes leaked keys easy to scan for
_PREFIX_LEN = 12


def engine_for(url: str, *, pool_size: int) -> sa.Engine:
    """A SQLAlchemy engine for a `sqlite:///FILE` or `postgresql://` URL, set up for the store."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise InputError(f"not a database URL: {url!r}", field="url") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InputError("SQLite needs a file (sqlite:///path/to/dlrkit.db), not an in-memory database", field="url")
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, pool_size=pool_size, max_overflow=2)
        _sqlite_setup(engine)
        return engine
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_size=pool_size, max_overflow=2, pool_pre_ping=True)
    raise InputError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://...", field="url")


def _sqlite_setup(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun explicitly, below
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # writers take the write lock up front: no deadlock-prone upgrade from a read lock
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _api_key(row: Mapping[str, Any]) -> ApiKey:
    revoked = row["revoked_at"]
    return ApiKey(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=iso(row["created_at"]),
        revoked_at=iso(revoked) if revoked is not None else None,
    )


class SqlStore:
    """The store on one database URL; see the module docstring."""

    def __init__(self, url: str, *, readers: int = 4, writers: int | None = None):
        self.url = url
        self._readers = readers
        self._writers = writers
        self._engine: sa.Engine | None = None
        self._writer: Any = None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql' once open."""
        return self._require()[0].dialect.name

    async def open(self) -> None:
        from dlrkit.store.writer import GroupCommitter

        if self._engine is not None:
            return
        engine = engine_for(self.url, pool_size=self._readers + 4)
        writers = 1 if engine.dialect.name == "sqlite" else (self._writers or 4)
        pool = ThreadPoolExecutor(self._readers, thread_name_prefix="dlrkit-store-read")
        try:
            await asyncio.get_running_loop().run_in_executor(pool, migrate.upgrade, engine)
        except sa.exc.SQLAlchemyError as exc:
            pool.shutdown()
            engine.dispose()
            raise StoreError(f"cannot open the store at {engine.url.render_as_string()}: {exc}") from exc
        self._writer = GroupCommitter(engine, apply, threads=writers)
        self._writer.start()
        self._engine, self._pool = engine, pool

    async def close(self) -> None:
        if self._engine is None:
            return
        engine, pool, writer = self._engine, self._pool, self._writer
        self._engine = self._pool = self._writer = None
        await asyncio.get_running_loop().run_in_executor(None, writer.stop)
        assert pool is not None
        pool.shutdown()
        engine.dispose()

    def _require(self) -> tuple[sa.Engine, ThreadPoolExecutor]:
        if self._engine is None or self._pool is None:
            raise StoreError("the store is not open: await store.open() first")
        return self._engine, self._pool

    async def _run(self, fn: Callable[[sa.Connection], T], *, write: bool = False) -> T:
        engine, pool = self._require()

        def call() -> T:
            options = {"sqlite_begin": "IMMEDIATE" if write else "DEFERRED"}
            with engine.connect().execution_options(**options) as connection, connection.begin():
                return fn(connection)

        try:
            return await asyncio.get_running_loop().run_in_executor(pool, call)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"the store failed: {exc}") from exc

    async def ingest(self, batch: Sequence[Incoming]) -> list[Stored]:
        self._require()
        items = check_batch(batch)
        if not items:
            return []
        return await asyncio.wrap_future(self._writer.submit(items))

    async def message(self, message_id: str, provider: str | None = None) -> Message | None:
        def read(connection: sa.Connection) -> Message | None:
            query = sa.select(outcomes.c.provider).where(outcomes.c.message_id == message_id)
            if provider is not None:
                query = query.where(outcomes.c.provider == provider)
            found = sorted(connection.execute(query.limit(10)).scalars())
            if not found:
                return None
            if len(found) > 1:
                raise InputError(f"message {message_id!r} is known at {', '.join(found)}: say which provider", field="provider")
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

    async def outcomes(self, flt: OutcomeFilter, *, limit: int = 100, cursor: str | None = None) -> Page:
        if not 1 <= limit <= 1000:
            raise InputError(f"must be between 1 and 1000, not {limit}", field="limit")
        where = filter_clauses(flt)
        if cursor is not None:
            where.append(page_after(decode_cursor(cursor)))

        def read(connection: sa.Connection) -> Page:
            from dlrkit.store.queries import encode_cursor

            order = (outcomes.c.received_at, outcomes.c.provider, outcomes.c.message_id)
            query = sa.select(*order, outcomes.c.outcome).where(*where).order_by(*order).limit(limit + 1)
            rows = connection.execute(query).all()
            more = len(rows) > limit
            rows = rows[:limit]
            next_cursor = encode_cursor(rows[-1].received_at, rows[-1].provider, rows[-1].message_id) if more else None
            return Page(items=tuple(decode_outcome(r.outcome) for r in rows), next_cursor=next_cursor)

        return await self._run(read)

    async def create_key(self, name: str) -> tuple[ApiKey, str]:
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > 200:
            raise InputError("a key needs a name of 1 to 200 characters", field="name")
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
        update = (
            sa.update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
        return await self._run(lambda c: c.execute(update).rowcount == 1, write=True)

    async def check_key(self, secret: str) -> ApiKey | None:
        if not isinstance(secret, str) or not secret.startswith(KEY_PREFIX) or len(secret) > 200:
            return None
        digest = _hash(secret)
        query = sa.select(api_keys).where(api_keys.c.prefix == secret[:_PREFIX_LEN], api_keys.c.revoked_at.is_(None))

        def read(connection: sa.Connection) -> ApiKey | None:
            match = None
            for row in connection.execute(query):
                if hmac.compare_digest(row.secret_sha256, digest):
                    match = _api_key(row._mapping)
            return match

        return await self._run(read)

