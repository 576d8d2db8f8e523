"""Read the catalog's TOML data files, check every rule, and resolve the relations.

Used by `python -m dlrkit.catalog.build` (which compiles the result for fast loading) and by
`Catalog.from_directory` for anyone extending the catalog. Every problem raises `CatalogError`
naming the file, the entry's position and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from dlrkit.catalog.model import (
    KINDS_WITH_STATE,
    CompiledCatalog,
    Conflict,
    Entry,
    Kind,
    Migration,
    Source,
    StandardLink,
    StatusReason,
)
from dlrkit.catalog.registry import NAMESPACES
from dlrkit.errors import CatalogError
from dlrkit.vocab import Party, Reason, Retry, State

FORMAT = 1
HEADER_KEYS = frozenset({"provider", "kind", "channel"})
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


class _EntrySchema(msgspec.Struct, forbid_unknown_fields=True):
    """The types a data file's entry must have (checked with msgspec at build time)."""

    provider: str
    kind: Kind
    channel: str
    code: int | str
    description: str
    action: str
    reason: Reason
    retry: Retry
    party: Party
    file: str
    row: int
    name: str | None = None
    group_id: int | None = None
    group_name: str | None = None
    permanent: bool | None = None
    state: State | None = None
    retry_after: int | None = None
    standard: StandardLink | None = None
    sources: tuple[str, ...] = ()
    quirk: str | None = None
    extra: dict[str, str | int | bool] = {}


def _entry_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if line.strip() == "[[entry]]"]


def _read_toml(path: Path, rel: str) -> tuple[dict[str, Any], str]:
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
    data, _ = _read_toml(root / "sources.toml", "sources.toml")
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
        data, text = _read_toml(path, rel)
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


def _link_standards(root: Path, entries: list[Entry]) -> list[Entry]:
    rel = "relations/standards.toml"
    data, _ = _read_toml(root / rel, rel)
    by_ref: dict[tuple[str, str, int | str], Entry] = {}
    for e in entries:
        if NAMESPACES[e.provider].is_standard:
            by_ref[(e.provider, e.channel, e.code)] = e
    out: list[Entry] = []
    rules = data.get("rule", [])
    for e in entries:
        link = e.standard
        for i, rule in enumerate(rules, 1):
            if (
                rule["provider"] != e.provider
                or rule["kind"] != e.kind
                or e.channel not in rule["channels"]
                or not isinstance(e.code, int)
                or not rule["first"] <= e.code <= rule["last"]
            ):
                continue
            if any(u["code"] == e.code for u in rule.get("unmapped", [])):
                break
            target = f"{rule['target']}:{e.code - rule['offset']}"
            if link is not None and link.ref != target:
                raise CatalogError(
                    e.file,
                    f"sets standard {link.ref!r} but the numbering rule {i} of {rel} gives {target!r}",
                    row=e.row,
                    field="standard",
                )
            link = StandardLink(ref=target, via="numbering", spec=rule["spec"])
            break
        if link is not None:
            provider, channel, code = parse_ref(link.ref)
            if (provider, channel, code) not in by_ref:
                raise CatalogError(
                    e.file,
                    f"links to {link.ref!r}, which is not in the catalog",
                    row=e.row,
                    field="standard",
                )
            if not NAMESPACES[provider].is_standard:
                raise CatalogError(
                    e.file, f"{link.ref!r} is not a standard", row=e.row, field="standard"
                )
            if not link.spec:
                target_entry = by_ref[(provider, channel, code)]
                spec = str(target_entry.extra.get("spec", NAMESPACES[provider].title))
                link = StandardLink(ref=link.ref, via=link.via, spec=spec)
        out.append(e._replace(standard=link) if link is not e.standard else e)
    return out


def _apply_migration(
    root: Path, entries: list[Entry]
) -> tuple[list[Entry], Migration, list[StatusReason]]:
    rel = "relations/infobip-voice-migration-2024.toml"
    data, _ = _read_toml(root / rel, rel)
    provider, channel = data["provider"], data["channel"]
    index: dict[int, list[int]] = defaultdict(list)
    for pos, e in enumerate(entries):
        if (
            e.provider == provider
            and e.channel == channel
            and e.kind == Kind.ERROR
            and isinstance(e.code, int)
        ):
            index[e.code].append(pos)

    def one(code: int, table: str, row: int) -> int:
        found = index.get(code, [])
        if len(found) != 1:
            raise CatalogError(
                rel,
                f"{provider} voice error {code} has {len(found)} catalog entries",
                row=row,
                field=table,
            )
        return found[0]

    updates: dict[int, dict[str, Any]] = defaultdict(dict)
    replaces: dict[int, list[int]] = defaultdict(list)
    migrated: dict[int, tuple[int, ...]] = {}

    def check_legacy(pos: int, row: int, table: str, name: str, group_id: int | None) -> None:
        e = entries[pos]
        if e.name != name:
            raise CatalogError(
                rel,
                f"legacy name {name!r} differs from the catalog's {e.name!r}",
                row=row,
                field=table,
            )
        if group_id is not None and e.group_id is not None and e.group_id != group_id:
            ref_src = next((s for s in e.sources if s != "000"), "?")
            updates[pos]["conflicts"] = (
                *e.conflicts,
                Conflict(
                    field="group_id",
                    values={ref_src: e.group_id, "000": group_id},
                    note=(
                        f"the reference ({ref_src}) puts {e.code} in group {e.group_id} "
                        f"({e.group_name}); the migration document (000) gives legacy group {group_id}"
                    ),
                ),
            )

    for row, m in enumerate(data.get("migrated", []), 1):
        pos = one(m["legacy"], "migrated", row)
        check_legacy(pos, row, "migrated", m["legacy_name"], m.get("legacy_group_id"))
        new = tuple(m["new"])
        for code in new:
            replaces[one(code, "migrated", row)].append(m["legacy"])
        migrated[m["legacy"]] = new
        updates[pos].update(
            legacy=True,
            replaced_by=new,
            retired=False,
            migration="migrated" if new else "no_target",
        )
    retired: list[int] = []
    for row, r in enumerate(data.get("retired", []), 1):
        pos = one(r["legacy"], "retired", row)
        check_legacy(pos, row, "retired", r["legacy_name"], None)
        retired.append(r["legacy"])
        updates[pos].update(legacy=True, replaced_by=(), retired=True, migration="retired")
    introduced: list[int] = []
    for row, n in enumerate(data.get("introduced", []) + data.get("target", []), 1):
        pos = one(n["code"], "target", row)
        e = entries[pos]
        if e.name != n["name"] or e.group_id != n["group_id"]:
            raise CatalogError(
                rel,
                f"{n['code']} is {n['name']!r} in group {n['group_id']} here but "
                f"{e.name!r} in group {e.group_id} in {e.file}",
                row=row,
            )
    for n in data.get("introduced", []):
        introduced.append(n["code"])
        updates[one(n["code"], "introduced", 0)].update(migration="introduced", replaces=())
    for pos, legacy in replaces.items():
        updates[pos].update(migration="target", replaces=tuple(legacy))
    # every other legacy voice code: in the reference, absent from the migration
    for code, positions in index.items():
        if 5000 <= code <= 5999:
            for pos in positions:
                if "legacy" not in updates[pos]:
                    updates[pos].update(
                        legacy=True, replaced_by=(), retired=False, migration="unmentioned"
                    )
    out = [e._replace(**updates[i]) if updates.get(i) else e for i, e in enumerate(entries)]

    reasons: list[StatusReason] = []
    for row, sr in enumerate(data.get("status_reason", []), 1):
        status = [
            e
            for e in out
            if e.provider == provider and e.kind == Kind.STATUS and e.code == sr["status"]
        ]
        if (
            len(status) != 1
            or status[0].name != sr["status_name"]
            or status[0].group_id != sr["status_group_id"]
        ):
            raise CatalogError(
                rel, f"status {sr['status']} {sr['status_name']} not found as stated", row=row
            )
        if entries[one(sr["error"], "status_reason", row)].name != sr["error_name"]:
            raise CatalogError(
                rel, f"error {sr['error']} is not named {sr['error_name']!r}", row=row
            )
        reasons.append(
            StatusReason(provider=provider, status=sr["status"], error=sr["error"], source="000")
        )
    migration = Migration(
        effective=str(data["effective"]),
        migrated=migrated,
        retired=tuple(retired),
        introduced=tuple(introduced),
    )
    return out, migration, reasons


def _shared_numbering(root: Path, entries: list[Entry]) -> tuple[tuple[str, str], ...]:
    rel = "relations/shared-numbering.toml"
    path = root / rel
    if not path.exists():
        return ()
    data, _ = _read_toml(path, rel)
    spaces = {f"{e.provider}:{e.kind}:{e.channel}" for e in entries}
    pairs = []
    for row, pair in enumerate(data.get("pair", []), 1):
        for side in ("namespace", "same_as"):
            if pair[side] not in spaces:
                raise CatalogError(
                    rel, f"{pair[side]!r} names no catalog namespace", row=row, field=side
                )
        pairs.append((pair["namespace"], pair["same_as"]))
    return tuple(pairs)


def load_directory(root: Path) -> CompiledCatalog:
    """Read, check and resolve a whole data directory."""
    sources = _load_sources(root)
    entries = load_entries(root, sources)
    entries = _link_standards(root, entries)
    entries, migration, reasons = _apply_migration(root, entries)
    shared = _shared_numbering(root, entries)
    return CompiledCatalog(
        format=FORMAT,
        sources=tuple(sources.values()),
        entries=tuple(entries),
        migration=migration,
        status_reasons=tuple(reasons),
        shared_numbering=shared,
    )
