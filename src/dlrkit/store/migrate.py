"""Schema migrations, run programmatically: the store brings its database up to date on open.

The alembic scripts ship inside the package (`dlrkit/store/migrations`); users need no
`alembic.ini`. Their version table is `dlrkit_alembic_version`, so a database shared with an
application that uses alembic itself keeps both histories apart. Upgrading is idempotent, and
safe when several stores start at once: on PostgreSQL a transaction-scoped advisory lock
serialises them, on SQLite the migrating transaction is `BEGIN IMMEDIATE` (one writer).

To change the schema: edit `schema.py`, then add a revision under `migrations/versions/` (copy
the newest one, chain `down_revision`, write `upgrade` with `alembic.op`); `tests/store` fails
while the migrated database and `schema.py` differ.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from dlrkit.store.engine import transaction

SCRIPT_LOCATION = "dlrkit.store:migrations"
VERSION_TABLE = "dlrkit_alembic_version"
_PG_LOCK_ID = 0x646C726B  # "dlrk": the advisory lock taken while migrating


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision the shipped scripts define."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None, "the store's migrations define no revision"
    return revision


def current(connection: sa.Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the newest revision, in one transaction."""
    with transaction(engine, write=True) as connection:
        if connection.dialect.name == "postgresql":
            lock = sa.text("SELECT pg_advisory_xact_lock(:id)")
            connection.execute(lock, {"id": _PG_LOCK_ID})
        command.upgrade(_config(connection), "head")
