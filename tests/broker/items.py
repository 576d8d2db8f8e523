"""Store-ready reports for the broker tests: the sandbox's realistic reports, classified as the
ingest service classifies them; and how many a store holds."""

from __future__ import annotations

import sqlalchemy as sa

from dlrkit.catalog import Catalog
from dlrkit.sandbox.scenario import Scenario
from dlrkit.sandbox.traffic import report
from dlrkit.service.ingest import incoming_from_payload
from dlrkit.store.base import Incoming
from dlrkit.store.engine import engine_for


def incoming(count: int, provider: str = "infobip", first: int = 0) -> list[Incoming]:
    """`count` distinct reports (one message each), numbered from `first`."""
    catalog, scenario = Catalog.default(), Scenario()
    out: list[Incoming] = []
    for i in range(first, first + count):
        body, ctype = report(provider, "sms", i, scenario, catalog)
        out.extend(incoming_from_payload(body, provider, ctype, catalog))
    return out


def stored_count(url: str) -> int:
    """Reports stored in the database at `url` (0 while no worker has made the tables)."""
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM reports")).scalar_one())
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # SQLite's, PostgreSQL's "no table"
        return 0
    finally:
        engine.dispose()
