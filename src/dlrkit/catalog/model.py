"""Typed, frozen catalog records and the closed vocabularies they use.

An `Entry` is one documented row: one code of one provider (or standard) in one namespace
(kind + channel), with the facts its sources state and dlrkit's own description and advice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import msgspec

from dlrkit.outcome import Party, Reason, Retry, State

Code = int | str


class Kind(StrEnum):
    """What sort of code an entry is."""

    STATUS = "status"
    ERROR = "error"
    HANGUP_CAUSE = "hangup_cause"
    API_ERROR = "api_error"
    DLR_STATUS = "dlr_status"


# Kinds whose entries must say which message state they stand for.
KINDS_WITH_STATE = frozenset({Kind.STATUS, Kind.DLR_STATUS, Kind.HANGUP_CAUSE})

MigrationRole = Literal["migrated", "no_target", "retired", "unmentioned", "target", "introduced"]


class Conflict(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Two sources disagree on one fact of an entry; both values are kept."""

    field: str
    values: dict[str, str | int | bool | None]  # source id -> the value that source states
    note: str = ""


class StandardLink(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The standard code that sits under a provider code."""

    ref: str  # "provider:channel:code", e.g. "sip:response:486"
    via: Literal["numbering", "meaning"]
    spec: str = ""


class Entry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One documented code. Field names are the export's record keys."""

    provider: str
    kind: Kind
    channel: str
    code: Code
    name: str | None = None
    group_id: int | None = None
    group_name: str | None = None
    permanent: bool | None = None
    description: str
    action: str
    state: State | None = None
    reason: Reason
    retry: Retry
    retry_after: int | None = None
    party: Party
    standard: StandardLink | None = None
    sources: tuple[str, ...] = ()
    legacy: bool | None = None
    replaced_by: tuple[int, ...] | None = None
    replaces: tuple[int, ...] | None = None
    retired: bool | None = None
    migration: MigrationRole | None = None
    conflicts: tuple[Conflict, ...] = ()
    quirk: str | None = None
    extra: dict[str, str | int | bool] = msgspec.field(default_factory=dict)
    file: str = ""  # the data file the entry comes from, relative to the data directory
    row: int = 0  # its position in that file (1-based)

    @property
    def key(self) -> tuple[str, str, str, Code]:
        return (self.provider, self.kind.value, self.channel, self.code)

    @property
    def ref(self) -> str:
        """Short reference "provider:channel:code", unique for standards' entries."""
        return f"{self.provider}:{self.channel}:{self.code}"

    @property
    def label(self) -> str:
        return f"{self.provider} {self.kind.value} {self.code}" + (f" {self.name}" if self.name else "")


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """A published document the catalog is built from."""

    id: str
    file: str
    provider: str
    title: str


class Migration(msgspec.Struct, frozen=True, kw_only=True):
    """Infobip's 2024 voice migration, as relations between entries."""

    effective: str
    migrated: dict[int, tuple[int, ...]]  # legacy -> new codes (empty: no documented target)
    retired: tuple[int, ...]
    introduced: tuple[int, ...]


class StatusReason(msgspec.Struct, frozen=True, kw_only=True):
    """A voice status reason and the error code that accompanies it (Infobip 97 BUSY <-> 10201)."""

    provider: str
    status: int
    error: int
    source: str


class CompiledCatalog(msgspec.Struct, frozen=True, kw_only=True):
    """What `python -m dlrkit.catalog.build` writes and `Catalog.default()` reads."""

    format: int
    sources: tuple[Source, ...]
    entries: tuple[Entry, ...]
    migration: Migration
    status_reasons: tuple[StatusReason, ...]
    shared_numbering: tuple[tuple[str, str], ...]  # ("smspartner:error:hlr", "infobip:error:general")
