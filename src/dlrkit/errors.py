"""dlrkit's exceptions: one tree, so callers can catch everything dlrkit raises with one clause.

DlrkitError
├── CatalogError          a data file breaks the catalog's rules (names file, row, field)
├── UnknownCodeError      a look-up found nothing (carries the closest known codes)
└── InputError            a payload or argument dlrkit cannot accept (names the field)
"""

from __future__ import annotations

from collections.abc import Sequence


class DlrkitError(Exception):
    """Base of every error dlrkit raises on purpose."""


class CatalogError(DlrkitError):
    """A catalog data file is invalid: the message names the file, the row and the field."""

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        row: int | None = None,
        field: str | None = None,
        line: int | None = None,
    ):
        self.file = file
        self.row = row
        self.line = line
        self.field = field
        self.problem = problem
        where = file
        if line is not None:
            where += f":{line}"
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")


class UnknownCodeError(DlrkitError):
    """No catalog entry matches; `suggestions` holds the closest known codes as (provider, code, name)."""

    def __init__(self, message: str, suggestions: Sequence[tuple[str, str, str]] = ()):
        self.suggestions = list(suggestions)
        super().__init__(message)


class InputError(DlrkitError):
    """Input that dlrkit cannot accept; `field` names the offending field when there is one."""

    def __init__(self, problem: str, *, field: str | None = None, provider: str | None = None):
        self.problem = problem
        self.field = field
        self.provider = provider
        parts = [p for p in (provider, field) if p]
        prefix = ".".join(parts) if parts else ""
        super().__init__(f"{prefix}: {problem}" if prefix else problem)
