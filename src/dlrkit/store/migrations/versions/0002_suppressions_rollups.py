"""The suppression list, the insight rollups and the unknown-code counts.

The rollups of the outcomes already stored are computed here, so that they equal a GROUP BY
over `outcomes` from the start. Suppressions are not derived from the past: automatic ones
start with the reports ingested after this revision.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
_BACKFILL_CHUNK = 5000


# The rollup cubes as this revision creates them: key columns after grain and bucket.
_CUBES = {
    "states": ("provider", "channel", "country", "state"),
    "reasons": ("provider", "channel", "country", "state", "reason"),
    "operators": ("provider", "channel", "country", "operator", "state"),
    "codes": ("provider", "channel", "country", "state", "kind", "code", "known"),
    "latency": ("provider", "channel", "country", "bin"),
}
_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
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


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("recipient", sa.String(255), primary_key=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("provider", sa.String(64)),
        sa.Column("message_id", sa.String(255)),
        sa.Column("report_key", sa.String(64)),
        sa.Column("note", sa.String(1000)),
    )
    op.create_index("ix_suppressions_list", "suppressions", ["created_at", "recipient"])
    op.create_index("ix_suppressions_reason", "suppressions", ["reason", "created_at", "recipient"])
    op.create_index("ix_suppressions_source", "suppressions", ["source", "created_at", "recipient"])

    for cube, keys in _CUBES.items():
        op.create_table(
            f"rollup_{cube}",
            sa.Column("grain", sa.String(4), primary_key=True),
            sa.Column("bucket", Time, primary_key=True),
            *(sa.Column(k, _TYPES[k], primary_key=True, autoincrement=False) for k in keys),
            sa.Column("count", sa.BigInteger(), nullable=False),
            sqlite_with_rowid=False,
        )

    op.create_table(
        "unknown_codes",
        sa.Column("code", sa.String(255), primary_key=True),
        sa.Column("first_seen", Time, nullable=False),
        sa.Column("last_seen", Time, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("report_key", sa.String(64), nullable=False),
    )
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Rollups of the outcomes stored before this revision (and the unknown codes of reports)."""
    from dlrkit.store import rollups
    from dlrkit.store.base import Incoming
    from dlrkit.store.schema import outcomes, reports
    from dlrkit.store.write import decode_outcome

    delta = rollups.new_delta()
    after: tuple[str, str] = ("", "")
    while True:
        rows = connection.execute(
            sa.select(outcomes.c.provider, outcomes.c.message_id, outcomes.c.outcome)
            .where(sa.tuple_(outcomes.c.provider, outcomes.c.message_id) > after)
            .order_by(outcomes.c.provider, outcomes.c.message_id)
            .limit(_BACKFILL_CHUNK)
        ).all()
        for row in rows:
            rollups.count(delta, decode_outcome(row.outcome))
        if len(rows) < _BACKFILL_CHUNK:
            break
        after = (rows[-1].provider, rows[-1].message_id)
    rollups.write(connection, delta)

    last = ""
    while True:
        found = connection.execute(
            sa.select(reports.c.report_key, reports.c.outcome)
            .where(reports.c.report_key > last, reports.c.outcome.contains('"unknown_codes":["'))
            .order_by(reports.c.report_key)
            .limit(_BACKFILL_CHUNK)
        ).all()
        rollups.count_unknown(
            connection,
            [Incoming(report_key=r.report_key, outcome=decode_outcome(r.outcome)) for r in found],
        )
        if len(found) < _BACKFILL_CHUNK:
            break
        last = found[-1].report_key


def downgrade() -> None:
    for name in ("unknown_codes", "suppressions"):
        op.drop_table(name)
    for cube in _CUBES:
        op.drop_table(f"rollup_{cube}")
