"""Relations read from `data/relations/`: standards derived from the numbering, Infobip's 2024
voice migration (with the conflicts it reveals), and namespaces sharing a numbering.

Each step takes the checked entries and returns them with the relation applied; every problem
raises `CatalogError` naming the relations file, its row and field.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from dlrkit.catalog.loader import parse_ref, read_toml
from dlrkit.catalog.model import Conflict, Entry, Kind, Migration, StandardLink, StatusReason
from dlrkit.catalog.registry import NAMESPACES
from dlrkit.errors import CatalogError


def link_standards(root: Path, entries: list[Entry]) -> list[Entry]:
    rel = "relations/standards.toml"
    data, _ = read_toml(root / rel, rel)
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


def apply_migration(
    root: Path, entries: list[Entry]
) -> tuple[list[Entry], Migration, list[StatusReason]]:
    rel = "relations/infobip-voice-migration-2024.toml"
    data, _ = read_toml(root / rel, rel)
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


def shared_numbering(root: Path, entries: list[Entry]) -> tuple[tuple[str, str], ...]:
    rel = "relations/shared-numbering.toml"
    path = root / rel
    if not path.exists():
        return ()
    data, _ = read_toml(path, rel)
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
