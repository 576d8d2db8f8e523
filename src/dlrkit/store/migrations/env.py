"""Alembic environment of the store's migrations: run online, on the connection the store passes.

`dlrkit.store.migrate.upgrade` hands over a connection already in a transaction (and, on
PostgreSQL, holding an advisory lock), so concurrent starts of several stores migrate once.
"""

from __future__ import annotations

from alembic import context

from dlrkit.store.migrate import VERSION_TABLE
from dlrkit.store.schema import metadata

if context.is_offline_mode():
    raise SystemExit(
        "dlrkit's migrations run online only: open the store (dlrkit.store.open_store)"
    )

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
