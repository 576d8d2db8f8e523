"""The store's tables, one SQLAlchemy Core schema for SQLite and PostgreSQL, and its time values.

- `reports`: every distinct report once (keyed by provider, message id and `report_key`), its
  own outcome as JSON;
- `outcomes`: the current merged outcome per (message_id, provider), one column per filter;
- `api_keys`: API keys, the secret's SHA-256 only;
- `suppressions`: recipients not to be written to, one row per recipient (see `suppress.py`);
- `rollup_<cube>`: counts of the current outcomes per UTC hour, day and week of `received_at`
  and per the cube's keys (`CUBES`), kept equal to a GROUP BY over `outcomes` at ingest (see
  `rollups.py`); a missing country or operator is '' there;
- `unknown_codes`: codes the catalog does not know, counted per report.

Times are timezone-aware UTC datetimes in Python; SQLite stores them as fixed-width UTC text
(so text order is time order), PostgreSQL as `timestamptz`. The alembic migrations under
`migrations/` create exactly these tables; `tests/store` checks that both agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from dlrkit.errors import InputError

UTC = dt.UTC


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone: we store UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("report_key", sa.String(64), nullable=False),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("outcome", sa.Text(), nullable=False),
    # one key for the repeat check and a message's history (see migration 0003)
    sa.PrimaryKeyConstraint("provider", "message_id", "report_key"),
)

outcomes = sa.Table(
    "outcomes",
    metadata,
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("final", sa.Boolean(), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("retry", sa.String(16), nullable=False),
    sa.Column("party", sa.String(16), nullable=False),
    sa.Column("recipient", sa.String(255)),
    sa.Column("country", sa.String(2)),
    sa.Column("operator", sa.String(255)),
    sa.Column("reports", sa.Integer(), nullable=False),
    sa.Column("outcome", sa.Text(), nullable=False),
    # a message at one provider, and a message id at any provider (its first column)
    sa.PrimaryKeyConstraint("message_id", "provider"),
    sa.Index("ix_outcomes_page", "received_at", "provider", "message_id"),
    sa.Index("ix_outcomes_provider", "provider", "received_at"),
    sa.Index("ix_outcomes_channel", "channel", "received_at"),
    sa.Index("ix_outcomes_state", "state", "received_at"),
    sa.Index("ix_outcomes_reason", "reason", "received_at"),
    sa.Index("ix_outcomes_country", "country", "received_at"),
    sa.Index("ix_outcomes_recipient", "recipient", "received_at"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
    sa.Index("ix_api_keys_prefix", "prefix"),
)

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("recipient", sa.String(255), primary_key=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("permanent", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime()),  # None when permanent
    sa.Column("source", sa.String(8), nullable=False),  # 'auto' or 'manual'
    sa.Column("provider", sa.String(64)),  # the report that caused it (None when manual)
    sa.Column("message_id", sa.String(255)),
    sa.Column("report_key", sa.String(64)),
    sa.Column("note", sa.String(1000)),
    sa.Index("ix_suppressions_list", "created_at", "recipient"),
    sa.Index("ix_suppressions_reason", "reason", "created_at", "recipient"),
    sa.Index("ix_suppressions_source", "source", "created_at", "recipient"),
)


# The rollup cubes: the key columns that follow grain and bucket in each (see rollups.py).
CUBES: dict[str, tuple[str, ...]] = {
    "states": ("provider", "channel", "country", "state"),
    "reasons": ("provider", "channel", "country", "state", "reason"),
    "operators": ("provider", "channel", "country", "operator", "state"),
    "codes": ("provider", "channel", "country", "state", "kind", "code", "known"),
    "latency": ("provider", "channel", "country", "bin"),
}
GRAINS = ("hour", "day", "week")  # weeks start on Monday
_KEY_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "provider": sa.String(64),
    "channel": sa.String(16),
    "country": sa.String(2),
    "operator": sa.String(255),
    "state": sa.String(16),
    "reason": sa.String(32),
    "kind": sa.String(32),
    "code": sa.String(255),
    "known": sa.Boolean(),
    "bin": sa.SmallInteger(),
}


def _cube(cube: str) -> sa.Table:
    """A rollup table: grain, bucket and the cube's keys (the primary key, in that order), and
    a count. SQLite keeps it as a clustered b-tree (WITHOUT ROWID): a period is a range read."""
    return sa.Table(
        f"rollup_{cube}",
        metadata,
        sa.Column("grain", sa.String(4), primary_key=True),  # "hour", "day" or "week"
        sa.Column("bucket", UtcDateTime(), primary_key=True),  # when the hour/day/week starts
        *(
            sa.Column(key, _KEY_TYPES[key], primary_key=True, autoincrement=False)
            for key in CUBES[cube]
        ),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )


cube_tables = {cube: _cube(cube) for cube in CUBES}

unknown_codes = sa.Table(
    "unknown_codes",
    metadata,
    sa.Column("code", sa.String(255), primary_key=True),  # "namespace:kind:channel:code"
    sa.Column("first_seen", UtcDateTime(), nullable=False),
    sa.Column("last_seen", UtcDateTime(), nullable=False),
    sa.Column("count", sa.BigInteger(), nullable=False),  # reports that carried it
    sa.Column("report_key", sa.String(64), nullable=False),  # the earliest of them
)


def parse_time(value: str, field: str) -> dt.datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (no zone given: UTC)."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"not an ISO 8601 timestamp: {value!r}", field=field) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def iso(value: dt.datetime) -> str:
    """The way the store writes times: UTC, milliseconds, 'Z' (as `classify` does)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_exact(value: dt.datetime) -> str:
    """Like `iso` with microseconds: for cursors, which must not lose precision."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
