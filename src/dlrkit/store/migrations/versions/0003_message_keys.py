"""One key per look-up: fewer index entries, on fewer random pages, for each stored report.

- `outcomes`: the primary key becomes (message_id, provider), which serves both the look-up of
  one message (both columns) and that of a message id at any provider (its first column), so
  `ix_outcomes_message_id` goes;
- `reports`: the primary key becomes (provider, message_id, report_key), which serves the
  conflict check of a repeated report and a message's history, so `ix_reports_message` goes
  (and the separate key on `report_key` alone with it).

A report key is a hash of the provider and the raw report, from which the message id is read,
so a report is as unique by the three columns as by its key alone. Each stored report now
dirties two index entries on random pages fewer (docs/benchmarks.md). SQLite cannot change a
primary key in place: its two tables are rebuilt, rows copied as they are (3 s for 300,000
reports and 100,000 outcomes on the development machine: plan minutes for tens of millions);
PostgreSQL swaps the constraints (building each new key once).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
_OUTCOME_INDEXES = ("provider", "channel", "state", "reason", "country", "recipient")


def _reports(name: str, key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("report_key", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )


def _outcomes(name: str, key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
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
        sa.PrimaryKeyConstraint(*key),
    )


def _rebuild(table: str, make: str, key: tuple[str, ...]) -> None:
    """SQLite: `table` again with primary key `key`, its rows copied, without its indexes."""
    columns = ", ".join(c["name"] for c in sa.inspect(op.get_bind()).get_columns(table))
    new = f"_{table}_0003"
    (_reports if make == "reports" else _outcomes)(new, key)
    op.execute(f"INSERT INTO {new} ({columns}) SELECT {columns} FROM {table}")
    op.drop_table(table)  # and its indexes
    op.rename_table(new, table)


_NEW_KEYS = {
    "reports": ("provider", "message_id", "report_key"),
    "outcomes": ("message_id", "provider"),
}
_OLD_KEYS = {"reports": ("report_key",), "outcomes": ("provider", "message_id")}


def _sqlite(keys: dict[str, tuple[str, ...]], *, old_indexes: bool) -> None:
    for table, key in keys.items():
        _rebuild(table, table, key)
    op.create_index("ix_outcomes_page", "outcomes", ["received_at", "provider", "message_id"])
    for column in _OUTCOME_INDEXES:
        op.create_index(f"ix_outcomes_{column}", "outcomes", [column, "received_at"])
    if old_indexes:
        op.create_index("ix_outcomes_message_id", "outcomes", ["message_id"])
        op.create_index("ix_reports_message", "reports", ["provider", "message_id", "received_at"])


def _postgresql(keys: dict[str, tuple[str, ...]]) -> None:
    for table, key in keys.items():
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, list(key))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(_NEW_KEYS, old_indexes=False)
        return
    op.drop_index("ix_reports_message", "reports")
    op.drop_index("ix_outcomes_message_id", "outcomes")
    _postgresql(_NEW_KEYS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(_OLD_KEYS, old_indexes=True)
        return
    _postgresql(_OLD_KEYS)
    op.create_index("ix_outcomes_message_id", "outcomes", ["message_id"])
    op.create_index("ix_reports_message", "reports", ["provider", "message_id", "received_at"])
