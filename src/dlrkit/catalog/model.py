"""Typed, immutable catalog records and the closed vocabularies they use.

An `Entry` is one documented row: one code of one provider (or standard) in one namespace
(kind + channel), with the facts its sources state and dlrkit's own description and advice.

Records are `NamedTuple`s rather than msgspec structs or dataclasses on purpose: they cost
nothing to import, which keeps `dlrkit explain` within a few times Python's own start-up.
Validation of the data files happens at build time (`dlrkit.catalog.loader`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, NamedTuple

from dlrkit.vocab import Party, Reason, Retry, State

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


class Conflict(NamedTuple):
    """Two sources disagree on one fact of an entry; both values are kept."""

    field: str
    values: dict[str, Any]  # source id -> the value that source states
    note: str = ""


class StandardLink(NamedTuple):
    """The standard code that sits under a provider code."""

    ref: str  # "provider:channel:code", e.g. "sip:response:486"
    via: Literal["numbering", "meaning"]
    spec: str = ""


class Entry(NamedTuple):
    """One documented code. Field names are the export's record keys."""

    provider: str
    kind: Kind
    channel: str
    code: Code
    description: str
    action: str
    reason: Reason
    retry: Retry
    party: Party
    name: str | None = None
    group_id: int | None = None
    group_name: str | None = None
    permanent: bool | None = None
    state: State | None = None
    retry_after: int | None = None
    standard: StandardLink | None = None
    sources: tuple[str, ...] = ()
    legacy: bool | None = None
    replaced_by: tuple[int, ...] | None = None
    replaces: tuple[int, ...] | None = None
    retired: bool | None = None
    migration: MigrationRole | None = None
    conflicts: tuple[Conflict, ...] = ()
    quirk: str | None = None
    extra: dict[str, Any] = {}  # noqa: RUF012 - never mutated; a shared empty default is safe
    file: str = ""  # the data file the entry comes from, relative to the data directory
    row: int = 0  # its position in that file (1-based)

    @property
    def key(self) -> tuple[str, str, str, Code]:
        return (self.provider, self.kind.value, self.channel, self.code)

    @property
    def ref(self) -> str:
        """Short reference "provider:channel:code", unique for standards' entries."""
        return f"{self.provider}:{self.channel}:{self.code}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (enums as strings), omitting empty optional fields."""
        out: dict[str, Any] = {}
        defaults = Entry._field_defaults
        for name, value in zip(Entry._fields, self, strict=True):
            if name in defaults and value == defaults[name] and name not in ("file", "row"):
                continue
            plain: Any = value
            if isinstance(value, StandardLink):
                plain = value._asdict()
            elif name == "conflicts":
                plain = [c._asdict() for c in self.conflicts]
            elif isinstance(value, tuple):
                plain = list(value)
            out[name] = plain
        return out

    def to_row(self) -> list[Any]:
        """Every field in order, as plain data: the compiled catalog's compact form."""
        out: list[Any] = []
        for name, value in zip(Entry._fields, self, strict=True):
            plain: Any = value
            if isinstance(value, StandardLink):
                plain = list(value)
            elif name == "conflicts":
                plain = [list(c) for c in self.conflicts]
            elif isinstance(value, tuple):
                plain = list(value)
            out.append(plain)
        return out

    @classmethod
    def from_row(cls, row: list[Any]) -> Entry:
        """The inverse of `to_row` (trusted input: the compiled catalog; `row` is consumed)."""
        row[_KIND] = _KINDS[row[_KIND]]
        row[_REASON] = _REASONS[row[_REASON]]
        row[_RETRY] = _RETRIES[row[_RETRY]]
        row[_PARTY] = _PARTIES[row[_PARTY]]
        if row[_STATE] is not None:
            row[_STATE] = _STATES[row[_STATE]]
        if row[_STANDARD] is not None:
            row[_STANDARD] = StandardLink(*row[_STANDARD])
        row[_SOURCES] = tuple(row[_SOURCES])
        for i in _OPTIONAL_TUPLES:
            if row[i] is not None:
                row[i] = tuple(row[i])
        if row[_CONFLICTS]:
            row[_CONFLICTS] = tuple(Conflict(*c) for c in row[_CONFLICTS])
        else:
            row[_CONFLICTS] = ()
        return cls._make(row)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        """The inverse of `to_dict` (trusted input: the compiled catalog; `data` is consumed)."""
        data["kind"] = _KINDS[data["kind"]]
        data["reason"] = _REASONS[data["reason"]]
        data["retry"] = _RETRIES[data["retry"]]
        data["party"] = _PARTIES[data["party"]]
        if "state" in data:
            data["state"] = _STATES[data["state"]]
        if "standard" in data:
            data["standard"] = StandardLink(**data["standard"])
        if "conflicts" in data:
            data["conflicts"] = tuple(Conflict(**c) for c in data["conflicts"])
        for name in ("sources", "replaced_by", "replaces"):
            if name in data:
                data[name] = tuple(data[name])
        return cls(**data)


_KINDS: dict[str, Kind] = {k.value: k for k in Kind}
_REASONS: dict[str, Reason] = {k.value: k for k in Reason}
_RETRIES: dict[str, Retry] = {k.value: k for k in Retry}
_PARTIES: dict[str, Party] = {k.value: k for k in Party}
_STATES: dict[str, State] = {k.value: k for k in State}


_KIND, _REASON, _RETRY, _PARTY, _STATE, _STANDARD, _SOURCES, _CONFLICTS = (
    Entry._fields.index(f)
    for f in ("kind", "reason", "retry", "party", "state", "standard", "sources", "conflicts")
)
_OPTIONAL_TUPLES = (Entry._fields.index("replaced_by"), Entry._fields.index("replaces"))


class Source(NamedTuple):
    """A published document the catalog is built from."""

    id: str
    file: str
    provider: str
    title: str


class Migration(NamedTuple):
    """Infobip's 2024 voice migration, as relations between entries."""

    effective: str
    migrated: dict[int, tuple[int, ...]]  # legacy -> new codes (empty: no documented target)
    retired: tuple[int, ...]
    introduced: tuple[int, ...]


class StatusReason(NamedTuple):
    """A voice status reason and the error code that accompanies it (Infobip 97 BUSY <-> 10201)."""

    provider: str
    status: int
    error: int
    source: str


class CompiledCatalog(NamedTuple):
    """What `python -m dlrkit.catalog.build` writes and `Catalog.default()` reads."""

    format: int
    sources: tuple[Source, ...]
    entries: tuple[Entry, ...]
    migration: Migration
    status_reasons: tuple[StatusReason, ...]
    shared_numbering: tuple[
        tuple[str, str], ...
    ]  # ("smspartner:error:hlr", "infobip:error:general")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "sources": [s._asdict() for s in self.sources],
            "migration": {
                "effective": self.migration.effective,
                "migrated": {str(k): list(v) for k, v in self.migration.migrated.items()},
                "retired": list(self.migration.retired),
                "introduced": list(self.migration.introduced),
            },
            "status_reasons": [s._asdict() for s in self.status_reasons],
            "shared_numbering": [list(p) for p in self.shared_numbering],
            "fields": list(Entry._fields),
            "entries": [e.to_row() for e in self.entries],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CompiledCatalog:
        m = d["migration"]
        return cls(
            format=d["format"],
            sources=tuple(Source(**s) for s in d["sources"]),
            entries=tuple(Entry.from_row(e) for e in d["entries"])
            if d["fields"] == list(Entry._fields)
            else _stale(),
            migration=Migration(
                effective=m["effective"],
                migrated={int(k): tuple(v) for k, v in m["migrated"].items()},
                retired=tuple(m["retired"]),
                introduced=tuple(m["introduced"]),
            ),
            status_reasons=tuple(StatusReason(**s) for s in d["status_reasons"]),
            shared_numbering=tuple((a, b) for a, b in d["shared_numbering"]),
        )


def _stale() -> tuple[Entry, ...]:
    raise ValueError("compiled with another field list")
