"""Read the catalog's TOML data files, check every rule, and resolve the relations.

Used by `python -m dlrkit.catalog.build` (which compiles the result for fast loading) and by
`Catalog.from_directory` for anyone extending the catalog. Every problem raises `CatalogError`
naming the file, the entry's position and the field.
"""

from __future__ import annotations

import re
import tomllib
import typing
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from dlrkit.catalog.model import (
    KINDS_WITH_STATE,
    CompiledCatalog,
    Entry,
    Source,
)
from dlrkit.catalog.registry import NAMESPACES
from dlrkit.errors import CatalogError
from dlrkit.vocab import Retry

FORMAT = 1
HEADER_KEYS = frozenset({"provider", "kind", "channel"})
# The keys of a data file's [[entry]]: fields of `Entry` (the others are derived: relations,
# migration, conflicts) and `kind`/`channel`, which may also come from the file's header.
ENTRY_KEYS = frozenset(
    {
        "code",
        "name",
        "group_id",
        "group_name",
        "permanent",
        "sources",
        "state",
        "reason",
        "retry",
        "retry_after",
        "party",
        "standard",
        "description",
        "action",
        "extra",
        "quirk",
        "kind",
        "channel",
    }
)
REF_RE = re.compile(r"^(?P<provider>[a-z0-9]+):(?P<channel>[a-z_]+):(?P<code>[A-Za-z0-9_ ]+)$")
MIN_TEXT = 12  # a description or action shorter than this says nothing


def _entry_schema() -> type[msgspec.Struct]:
    """The types an entry of a data file must have, checked with msgspec at build time: those of
    `Entry`'s fields (a NamedTuple, cheap to import at run time, where nothing is checked), and
    only plain values in `extra`. The loader adds `provider`, `file` and `row`."""
    types = typing.get_type_hints(Entry)
    types["extra"] = dict[str, str | int | bool]
    defaults = Entry._field_defaults
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        (name, types[name], defaults[name]) if name in defaults else (name, types[name])
        for name in sorted(ENTRY_KEYS | {"provider", "file", "row"})
    ]
    return msgspec.defstruct("EntrySchema", fields, kw_only=True, forbid_unknown_fields=True)


_EntrySchema = _entry_schema()


def _entry_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if line.strip() == "[[entry]]"]


def read_toml(path: Path, rel: str) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(rel, f"cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(rel, f"not valid TOML: {exc}") from exc


def parse_ref(value: str) -> tuple[str, str, int | str]:
    """Split "sip:response:486" into ("sip", "response", 486)."""
    m = REF_RE.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a reference of the form provider:channel:code")
    code = m["code"]
    return m["provider"], m["channel"], int(code) if code.isascii() and code.isdigit() else code


def _load_sources(root: Path) -> dict[str, Source]:
    data, _ = read_toml(root / "sources.toml", "sources.toml")
    out: dict[str, Source] = {}
    for i, raw in enumerate(data.get("source", []), 1):
        try:
            src = Source(**{k: str(raw[k]) for k in Source._fields})
        except KeyError as exc:
            raise CatalogError(
                "sources.toml", "missing key", row=i, field=str(exc.args[0])
            ) from exc
        out[src.id] = src
    if not out:
        raise CatalogError("sources.toml", "no [[source]] tables")
    return out


def _entry_from_raw(
    raw: dict[str, Any],
    header: dict[str, Any],
    rel: str,
    row: int,
    line: int | None,
    sources: dict[str, Source],
) -> Entry:
    def fail(field: str | None, problem: str) -> CatalogError:
        return CatalogError(rel, problem, row=row, field=field, line=line)

    unknown = set(raw) - ENTRY_KEYS
    if unknown:
        raise fail(sorted(unknown)[0], "unknown key")
    provider = header["provider"]
    kind = raw.get("kind", header.get("kind"))
    channel = raw.get("channel", header.get("channel"))
    if kind is None:
        raise fail("kind", "missing (set it in the file header or on the entry)")
    if channel is None:
        raise fail("channel", "missing (set it in the file header or on the entry)")
    if channel not in NAMESPACES[provider].channels:
        allowed = ", ".join(NAMESPACES[provider].channels)
        raise fail("channel", f"{channel!r} is not a channel of {provider} ({allowed})")
    for text_field in ("description", "action"):
        value = raw.get(text_field)
        if not isinstance(value, str) or len(value.strip()) < MIN_TEXT:
            raise fail(
                text_field, f"must be a sentence of our own (at least {MIN_TEXT} characters)"
            )
    if raw["description"].strip() == raw["action"].strip():
        raise fail("action", "repeats the description; say what to do")
    code = raw.get("code")
    if isinstance(code, bool) or not isinstance(code, int | str) or code == "":
        raise fail("code", "must be an integer or a non-empty word")
    if isinstance(code, str) and code.strip() != code:
        raise fail("code", "has leading or trailing spaces")
    for src in raw.get("sources", []):
        if src not in sources:
            raise fail("sources", f"unknown source id {src!r} (known: {', '.join(sources)})")
    if not NAMESPACES[provider].is_standard and not raw.get("sources"):
        raise fail("sources", "a provider's entry must name the documents that state it")
    if kind in {k.value for k in KINDS_WITH_STATE} and "state" not in raw:
        raise fail("state", f"required for kind {kind!r}")
    if "retry_after" in raw and raw.get("retry") != Retry.LATER.value:
        raise fail("retry_after", "only meaningful with retry = 'later'")
    if "retry_after" in raw and (
        not isinstance(raw["retry_after"], int) or raw["retry_after"] <= 0
    ):
        raise fail("retry_after", "must be a positive number of seconds")
    data = {k: v for k, v in raw.items() if k != "standard"}
    data.update(provider=provider, kind=kind, channel=channel, file=rel, row=row)
    if "standard" in raw:
        try:
            parse_ref(raw["standard"])
        except (ValueError, TypeError) as exc:
            raise fail("standard", str(exc)) from exc
        data["standard"] = (raw["standard"], "meaning")
    try:
        checked = msgspec.convert(data, _EntrySchema)
    except msgspec.ValidationError as exc:
        # msgspec names the path, e.g. "Invalid enum value 'x' - at `$.reason`"
        msg = str(exc)
        m = re.search(r"at `\$\.(\w+)", msg)
        raise fail(m.group(1) if m else None, msg.split(" - at ", maxsplit=1)[0]) from exc
    fields = {f: getattr(checked, f) for f in checked.__struct_fields__}
    return Entry(**fields)


def _data_files(root: Path) -> Iterator[tuple[str, Path]]:
    for provider in NAMESPACES:
        folder = root / provider
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            yield f"{provider}/{path.name}", path
    for path in sorted(root.glob("*/*.toml")):
        top = path.parent.name
        if top not in NAMESPACES and top != "relations":
            raise CatalogError(f"{top}/{path.name}", f"{top!r} is not a registered provider")


def load_entries(root: Path, sources: dict[str, Source]) -> list[Entry]:
    entries: list[Entry] = []
    for rel, path in _data_files(root):
        data, text = read_toml(path, rel)
        header = {k: v for k, v in data.items() if k != "entry"}
        unknown = set(header) - HEADER_KEYS
        if unknown:
            raise CatalogError(rel, f"unknown header key {sorted(unknown)[0]!r}")
        provider = header.get("provider")
        if provider != rel.split("/")[0]:
            raise CatalogError(
                rel, f"provider {provider!r} does not match its folder", field="provider"
            )
        lines = _entry_lines(text)
        rows = data.get("entry", [])
        if not rows:
            raise CatalogError(rel, "no [[entry]] tables")
        for i, raw in enumerate(rows):
            line = lines[i] if i < len(lines) else None
            entries.append(_entry_from_raw(raw, header, rel, i + 1, line, sources))
    _check_duplicates(entries)
    return entries


def _check_duplicates(entries: Iterable[Entry]) -> None:
    by_key: dict[tuple[Any, ...], list[Entry]] = defaultdict(list)
    for e in entries:
        by_key[e.key].append(e)
    for rows in by_key.values():
        if len(rows) > 1:
            for e in rows:
                if not e.quirk:
                    raise CatalogError(
                        e.file,
                        f"code {e.code!r} appears {len(rows)} times in {e.provider}/{e.kind}/"
                        f"{e.channel}; a repeated id must carry a `quirk` saying why",
                        row=e.row,
                        field="code",
                    )


def load_directory(root: Path) -> CompiledCatalog:
    from dlrkit.catalog.links import apply_migration, link_standards, shared_numbering

    """Read, check and resolve a whole data directory."""
    sources = _load_sources(root)
    entries = load_entries(root, sources)
    entries = link_standards(root, entries)
    entries, migration, reasons = apply_migration(root, entries)
    shared = shared_numbering(root, entries)
    return CompiledCatalog(
        format=FORMAT,
        sources=tuple(sources.values()),
        entries=tuple(entries),
        migration=migration,
        status_reasons=tuple(reasons),
        shared_numbering=shared,
    )
