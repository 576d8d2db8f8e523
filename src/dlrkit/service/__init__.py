"""The ingest service: webhooks in, durable outcomes out, queries, metrics (`dlrkit serve`).

    >>> from dlrkit.service import Settings, create_app
    >>> app = create_app(Settings.from_env({"DLRKIT_DATA_DIR": "./data"}))  # doctest: +SKIP

Modules: `settings` (Settings from an environment mapping), `auth` (webhook authenticity),
`ingest` (payload -> Incoming items, the `Sink` seam), `webhooks` (the hot routes), `queries`,
`metrics`, `openapi`, `responses` (the error contract), `app` (`create_app`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlrkit.service.app import create_app
    from dlrkit.service.settings import Settings

__all__ = ["Settings", "create_app"]
_HOME = {"Settings": "dlrkit.service.settings", "create_app": "dlrkit.service.app"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'dlrkit.service' has no attribute {name!r}")
