"""The suppression list, the insight rollups and the unknown-code counts.

The rollups of the outcomes already stored are computed here, so that they equal a GROUP BY
over `outcomes` from the start. Suppressions are not derived from the past: automatic ones
start with the reports ingested after this revision.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
_BACKFILL_CHUNK = 5000


def _key(name: str, length: int) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), primary_key=True)


def _cube(name: str, *keys: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("bucket", Time, primary_key=True),
        *keys,
        sa.Column("count", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )


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

    for grain in ("hour", "day"):
        _cube(
            f"rollup_outcomes_{grain}",
            _key("provider", 64),
            _key("channel", 16),
            _key("country", 2),
            _key("operator", 255),
            _key("state", 16),
            _key("reason", 32),
        )
        _cube(
            f"rollup_codes_{grain}",
            _key("provider", 64),
            _key("channel", 16),
            _key("country", 2),
            _key("state", 16),
            _key("kind", 32),
            _key("code", 255),
            sa.Column("known", sa.Boolean(), primary_key=True),
        )
        _cube(
            f"rollup_latency_{grain}",
            _key("provider", 64),
            _key("channel", 16),
            _key("country", 2),
            sa.Column("bin", sa.SmallInteger(), primary_key=True, autoincrement=False),
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
    for cube in ("outcomes", "codes", "latency"):
        for grain in ("hour", "day"):
            op.drop_table(f"rollup_{cube}_{grain}")
