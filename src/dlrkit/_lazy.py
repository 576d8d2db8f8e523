"""Lazy exports of a package (PEP 562): a public name is imported from its home module on first
use, so that importing the package (and the CLI) stays cheap.

    __getattr__ = lazy_exports(__name__, {"Catalog": "dlrkit.catalog", ...})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """The module `__getattr__` of `package`: each name of `homes` from its home module (kept
    in the package's namespace once imported)."""

    def __getattr__(name: str) -> Any:
        if name in homes:
            value = getattr(importlib.import_module(homes[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
