"""Explain a code: the entry (or entries: ids are not unique) and everything related to it.

>>> from dlrkit import explain
>>> [x.entry.name for x in explain("plivo", 3010)]
['Busy Line']
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dlrkit.catalog import Catalog, Code, Entry
from dlrkit.errors import UnknownCodeError

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
    # how the asked name led here when it is not the entry's own ("plivo HangupCause name
    # USER_BUSY stands for q850 hangup_cause 17"); None when the code or name was the entry's
    resolved_from: str | None = None

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
        out["resolved_from"] = self.resolved_from
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
    try:
        found = cat.find(provider, code, kind, channel)
    except UnknownCodeError as exc:
        alias = _cause_name(cat, provider, code, kind, channel)
        if alias is None:
            raise _with_cause_names(exc, provider, code) from None
        return [alias]
    return [explain_entry(e, cat) for e in found]


def _cause_name(
    cat: Catalog, provider: str, code: Code, kind: str | None, channel: str | None
) -> Explanation | None:
    """A Plivo HangupCause name (USER_BUSY, NO_ANSWER, ...) explained as the code it stands
    for, exactly as `normalize` reads it (`dlrkit.adapters._cause_names`)."""
    if provider != "plivo" or not isinstance(code, str):
        return None
    from dlrkit.adapters._cause_names import cause_name_code
    from dlrkit.classify import resolve

    native = cause_name_code(code)
    if native.code == code:  # not a known name
        return None
    entry = resolve(cat, provider, native)
    if entry is None or (kind is not None and entry.kind != kind):
        return None
    if channel is not None and entry.channel != channel:
        return None
    label = f"{entry.provider} {entry.kind.value} {entry.code}"
    note = (
        f"plivo HangupCause name {code.strip().upper()}: Plivo sends this name, which stands "
        f"for {label} {entry.name or ''}".rstrip()
    )
    return explain_entry(entry, cat)._replace(resolved_from=note)


def _with_cause_names(exc: UnknownCodeError, provider: str, code: Code) -> UnknownCodeError:
    """`exc` with the HangupCause names spelt like `code` first among its suggestions."""
    if provider != "plivo" or not isinstance(code, str):
        return exc
    import difflib

    from dlrkit.adapters._cause_names import PLIVO_BY_NAME, Q850_BY_NAME, SIP_BY_NAME

    names = {**Q850_BY_NAME, **SIP_BY_NAME, **PLIVO_BY_NAME}
    key = code.strip().upper().replace(" ", "_").replace("-", "_")
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    spaces = {**dict.fromkeys(Q850_BY_NAME, "q850"), **dict.fromkeys(SIP_BY_NAME, "sip")}
    hints = [
        ("plivo", name, f"HangupCause name for {spaces.get(name, 'plivo')} {names[name]}")
        for name in close
    ]
    return UnknownCodeError(str(exc), hints + exc.suggestions)


def translate(provider: str, code: Code, *, catalog: Catalog | None = None) -> list[Entry]:
    """Infobip voice: a legacy 5xxx code's new 10xxx codes, or a new code's legacy ones."""
    cat = catalog or Catalog.default()
    out: list[Entry] = []
    for e in cat.find(provider, code, "error", "voice"):
        out.extend(cat.translate_entry(e))
    return out
