"""Explain a code: the entry (or entries: ids are not unique) and everything related to it.

>>> from dlrkit import explain
>>> [x.entry.name for x in explain("plivo", 3010)]
['Busy Line']
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dlrkit.catalog import Catalog, Code, Entry

RECORD_KEYS = (
    "provider",
    "kind",
    "channel",
    "code",
    "name",
    "group_id",
    "group_name",
    "permanent",
    "description",
    "action",
    "state",
    "reason",
    "retry",
    "retry_after",
    "party",
    "standard",
    "standard_name",
    "standard_spec",
    "standard_via",
    "sources",
    "legacy",
    "replaced_by",
    "replaces",
    "retired",
    "migration",
    "conflicts",
    "quirk",
    "extra",
)


class Explanation(NamedTuple):
    """One entry with its relations."""

    entry: Entry
    standards: tuple[Entry, ...]  # the standard under the entry, then the one under that
    equivalents: tuple[Entry, ...]
    replaced_by: tuple[Entry, ...]
    replaces: tuple[Entry, ...]
    status_reason: tuple[Entry, ...]  # Infobip voice status 97 <-> error 10201
    above: tuple[Entry, ...]  # for a standard's code: the provider codes that sit on it

    def to_dict(self, catalog: Catalog | None = None) -> dict[str, Any]:
        cat = catalog or Catalog.default()

        def brief(e: Entry) -> dict[str, Any]:
            return {
                "provider": e.provider,
                "kind": e.kind.value,
                "channel": e.channel,
                "code": e.code,
                "name": e.name,
                "reason": e.reason.value,
            }

        out = record(self.entry, cat)
        out["relations"] = {
            "standards": [brief(e) for e in self.standards],
            "equivalents": [brief(e) for e in self.equivalents],
            "replaced_by": [brief(e) for e in self.replaced_by],
            "replaces": [brief(e) for e in self.replaces],
            "status_reason": [brief(e) for e in self.status_reason],
            "above": [brief(e) for e in self.above],
        }
        return out


def record(entry: Entry, catalog: Catalog) -> dict[str, Any]:
    """The export record of an entry: the stable keys of DESIGN.md's catalog vocabulary."""
    std = catalog.standard_of(entry)
    raw = entry.to_dict()
    out: dict[str, Any] = {}
    for key in RECORD_KEYS:
        if key == "standard":
            out[key] = entry.standard.ref if entry.standard else None
        elif key == "standard_name":
            out[key] = std.name if std else None
        elif key == "standard_spec":
            out[key] = entry.standard.spec if entry.standard else None
        elif key == "standard_via":
            out[key] = entry.standard.via if entry.standard else None
        elif key == "sources":
            out[key] = [catalog.sources[s].file for s in entry.sources]
        elif key == "conflicts":
            out[key] = raw.get("conflicts", [])
        elif key in ("kind", "state", "reason", "retry", "party"):
            value = raw.get(key)
            out[key] = value.value if value is not None else None
        elif key == "extra":
            out[key] = raw.get("extra", {})
        else:
            out[key] = raw.get(key)
    return out


def explain_entry(entry: Entry, catalog: Catalog) -> Explanation:
    return Explanation(
        entry=entry,
        standards=tuple(catalog.standard_chain(entry)),
        equivalents=tuple(catalog.equivalents(entry)),
        replaced_by=tuple(
            e
            for c in entry.replaced_by or ()
            for e in catalog.lookup(entry.provider, c, "error", entry.channel)
        ),
        replaces=tuple(
            e
            for c in entry.replaces or ()
            for e in catalog.lookup(entry.provider, c, "error", entry.channel)
        ),
        status_reason=tuple(catalog.status_reason_partners(entry)),
        above=tuple(catalog.above(entry)),
    )


def explain(
    provider: str,
    code: Code,
    *,
    kind: str | None = None,
    channel: str | None = None,
    catalog: Catalog | None = None,
) -> list[Explanation]:
    """Every entry matching `code` (or a name) at `provider`, each with its relations.

    Raises `UnknownCodeError` (with the closest known codes) when nothing matches.
    """
    cat = catalog or Catalog.default()
    return [explain_entry(e, cat) for e in cat.find(provider, code, kind, channel)]


def translate(provider: str, code: Code, *, catalog: Catalog | None = None) -> list[Entry]:
    """Infobip voice: a legacy 5xxx code's new 10xxx codes, or a new code's legacy ones."""
    cat = catalog or Catalog.default()
    out: list[Entry] = []
    for e in cat.find(provider, code, "error", "voice"):
        out.extend(cat.translate_entry(e))
    return out
