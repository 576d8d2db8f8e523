"""Adapters, one module per provider, found through the registry's names."""

from __future__ import annotations

import importlib
from types import ModuleType

ADAPTERS: tuple[str, ...] = ("infobip", "smspartner", "plivo", "smpp")


def get(provider: str) -> ModuleType:
    """The adapter module of a provider (`dlrkit.adapters.<provider>`)."""
    if provider not in ADAPTERS:
        from dlrkit.errors import InputError

        raise InputError(
            f"no adapter for {provider!r}; known: {', '.join(ADAPTERS)}", field="provider"
        )
    return importlib.import_module(f"dlrkit.adapters.{provider}")
