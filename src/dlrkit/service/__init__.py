"""The ingest service: webhooks in, durable outcomes out, queries, metrics (`dlrkit serve`).

    >>> from dlrkit.service import Settings, create_app
    >>> app = create_app(Settings.from_env({"DLRKIT_DATA_DIR": "./data"}))  # doctest: +SKIP

Modules: `settings` (Settings from an environment mapping), `auth` (webhook authenticity),
`ingest` (payload -> Incoming items, the `Sink` seam), `webhooks` (the hot routes), `queries`,
`metrics`, `openapi`, `responses` (the error contract), `app` (`create_app`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from dlrkit.service.app import create_app
    from dlrkit.service.settings import Settings

__all__ = ["Settings", "create_app"]
__getattr__ = lazy_exports(
    __name__, {"Settings": "dlrkit.service.settings", "create_app": "dlrkit.service.app"}
)
