"""Every fact of the five seed documents, read independently, is in the catalog exactly."""

from __future__ import annotations

from collections import Counter

import pytest

from dlrkit import Catalog, Entry

from . import seeds

INFOBIP_001 = seeds.infobip_reference("001")
INFOBIP_002 = seeds.infobip_reference("002")
SMSPARTNER = seeds.smspartner()
PLIVO = seeds.plivo()
MIGRATION = seeds.migration()
MIGRATED_NS = ("infobip", "error", "voice")


def _id(row: seeds.Row) -> str:
    return f"{row.source}-{row.kind}-{row.channel}-{row.code}-{row.name or row.group_id}"


def _matches(catalog: Catalog, row: seeds.Row) -> list[Entry]:
    candidates = catalog.lookup(row.provider, row.code, row.kind, row.channel)
    out = []
    for e in candidates:
        if row.name is not None and e.name != row.name:
            continue
        if row.group_id is not None and e.group_id != row.group_id:
            continue
        out.append(e)
    return out


@pytest.mark.parametrize("row", INFOBIP_001 + SMSPARTNER + PLIVO, ids=_id)
def test_row_is_in_the_catalog_exactly(catalog: Catalog, row: seeds.Row) -> None:
    found = _matches(catalog, row)
    assert len(found) == 1, f"{_id(row)}: {len(found)} matching entries"
    e = found[0]
    assert e.name == row.name
    assert e.group_id == row.group_id
    assert e.group_name == row.group_name
    assert e.permanent == row.permanent
    assert row.source in e.sources
    for key, value in row.extra.items():
        assert str(e.extra[key]) == value, key


@pytest.mark.parametrize("row", INFOBIP_002, ids=_id)
def test_hlr_row_is_recorded_as_second_source(catalog: Catalog, row: seeds.Row) -> None:
    found = [e for e in _matches(catalog, row) if "002" in e.sources]
    assert found, f"{_id(row)} is not recorded with source 002"
    assert all(e.permanent == row.permanent for e in found)


@pytest.mark.parametrize(
    ("source", "rows"),
    [("001", INFOBIP_001), ("002", INFOBIP_002), ("003", SMSPARTNER), ("004", PLIVO)],
)
def test_one_record_per_documented_row(
    catalog: Catalog, source: str, rows: list[seeds.Row]
) -> None:
    """Nothing merged, nothing invented: per namespace, catalog rows citing the source = seed rows."""
    seed_counts = Counter((r.provider, r.kind, r.channel) for r in rows)
    catalog_counts = Counter(
        (e.provider, e.kind.value, e.channel) for e in catalog.entries if source in e.sources
    )
    assert catalog_counts == seed_counts


def test_migration_mappings(catalog: Catalog) -> None:
    for legacy, targets in MIGRATION.migrated.items():
        (e,) = catalog.lookup("infobip", legacy, "error", "voice")
        assert e.replaced_by == tuple(t[0] for t in targets), legacy
        assert e.migration == ("migrated" if targets else "no_target")
        assert e.retired is False
        assert e.name == MIGRATION.legacy[legacy][0]
        assert "000" in e.sources
        for code, group, name in targets:
            (t,) = catalog.lookup("infobip", code, "error", "voice")
            assert (t.name, t.group_id) == (name, group)
            assert legacy in (t.replaces or ())


def test_retired_codes(catalog: Catalog) -> None:
    assert sorted(MIGRATION.retired) == [5481, 5488, 5491, 5501]
    for code in MIGRATION.retired:
        (e,) = catalog.lookup("infobip", code, "error", "voice")
        assert e.retired is True
        assert e.replaced_by == ()
        assert e.name == MIGRATION.legacy[code][0]
        assert "000" in e.sources


def test_introduced_codes(catalog: Catalog) -> None:
    for code, group, name in MIGRATION.introduced:
        (e,) = catalog.lookup("infobip", code, "error", "voice")
        assert (e.name, e.group_id, e.migration, e.replaces) == (name, group, "introduced", ())
        assert e.sources == ("000",)


def test_status_reason_busy(catalog: Catalog) -> None:
    status, group, name, error, error_name = MIGRATION.status_reason
    (s,) = catalog.lookup("infobip", status, "status", "voice")
    assert (s.name, s.group_id) == (name, group)
    partners = catalog.status_reason_partners(s)
    assert [(p.code, p.name) for p in partners] == [(error, error_name)]
    (err,) = catalog.lookup("infobip", error, "error", "voice")
    assert [p.code for p in catalog.status_reason_partners(err)] == [status]


def test_legacy_group_conflicts_are_recorded(catalog: Catalog) -> None:
    """Where 000 and 001 disagree on a legacy code's group, both values are on the entry."""
    seen = set()
    for legacy, (_, group) in MIGRATION.legacy.items():
        (e,) = catalog.lookup("infobip", legacy, "error", "voice")
        if group is not None and e.group_id is not None and group != e.group_id:
            seen.add(legacy)
            (c,) = [c for c in e.conflicts if c.field == "group_id"]
            assert c.values == {"001": e.group_id, "000": group}
        else:
            assert not [c for c in e.conflicts if c.field == "group_id"]
    # the seeds' README names 5480 and 5603; 5004 (001: group 3, 000: legacy group 2) is the third
    assert seen == {5004, 5480, 5603}


def test_equivalents_across_the_migration_are_documented_pairs(catalog: Catalog) -> None:
    """Between a legacy 5xxx and a new 10xxx voice code, `equivalents` never goes beyond what 000
    says: a shared standard does not pair a retired code (000: no 10xxx equivalent), 5492 (not in
    the migration) or a code migrated elsewhere with a new code. Every documented pair is there
    unless the two codes' reasons differ (tests/test_catalog_advice.py lists those pairs)."""
    targets_of: dict[int, set[int]] = {legacy: set() for legacy in MIGRATION.legacy}
    for legacy, targets in MIGRATION.migrated.items():
        targets_of[legacy] = {t[0] for t in targets}
    new_codes = {t[0] for ts in MIGRATION.migrated.values() for t in ts}
    new_codes |= {t[0] for t in MIGRATION.introduced}
    legacy_of: dict[int, set[int]] = {code: set() for code in new_codes}
    for legacy, targets in targets_of.items():
        for code in targets:
            legacy_of[code].add(legacy)
    voice = {e.code: e for e in catalog.entries if (e.provider, e.kind, e.channel) == MIGRATED_NS}
    assert set(voice) >= set(targets_of) | new_codes
    for code, e in voice.items():
        assert isinstance(code, int)
        across = {
            o.code
            for o in catalog.equivalents(e)
            if (o.provider, o.kind, o.channel) == MIGRATED_NS
            and (o.code in new_codes) != (code in new_codes)
        }
        documented = legacy_of[code] if code in new_codes else targets_of.get(code, set())
        assert across == {c for c in documented if voice[c].reason == e.reason}, code


def _stated_by_000(e: Entry) -> list[tuple[str | None, int | None]]:
    """(name, group id) as 000 states them for this entry: a legacy, new or status-reason row."""
    if (e.provider, e.kind, e.channel) == MIGRATED_NS:
        legacy = [MIGRATION.legacy[e.code]] if e.code in MIGRATION.legacy else []
        new = [
            (name, group)
            for code, group, name in [
                *(t for ts in MIGRATION.migrated.values() for t in ts),
                *MIGRATION.introduced,
            ]
            if code == e.code
        ]
        return [*legacy, *new]
    status, group, name, _, _ = MIGRATION.status_reason
    if (e.provider, e.kind.value, e.code) == ("infobip", "status", status):
        return [(name, group)]
    return []


SEED_ROWS = INFOBIP_001 + INFOBIP_002 + SMSPARTNER + PLIVO
SEEDED = [e for e in Catalog.default().entries if set(e.sources) & set(seeds.FILES)]


@pytest.mark.parametrize("entry", SEEDED, ids=lambda e: f"{e.provider}-{e.channel}-{e.code}")
def test_no_fact_beyond_what_the_cited_seeds_state(entry: Entry) -> None:
    """Each seed an entry cites states a row for it, and a name, group or permanence flag on the
    entry comes from one of them: 000 gives new codes a group id but no group name and no flag,
    002 gives no names (but for Mobile Identity and DLT), Plivo and the API tables no groups."""
    rows = [
        r
        for r in SEED_ROWS
        if r.source in entry.sources
        and (r.provider, r.kind, r.channel, r.code)
        == (entry.provider, entry.kind.value, entry.channel, entry.code)
        and r.name in (None, entry.name)
        and r.group_id in (None, entry.group_id)
    ]
    by_000 = _stated_by_000(entry) if "000" in entry.sources else []
    for sid in entry.sources:
        if sid in seeds.FILES:
            assert [r for r in rows if r.source == sid] or (sid == "000" and by_000), sid
    names = {r.name for r in rows} | {n for n, _ in by_000}
    groups = {r.group_id for r in rows} | {g for _, g in by_000}
    if entry.name is not None:
        assert entry.name in names
    if entry.group_id is not None:
        assert entry.group_id in groups
    if entry.group_name is not None:
        assert entry.group_name in {r.group_name for r in rows}
    if entry.permanent is not None:
        assert entry.permanent in {r.permanent for r in rows}
