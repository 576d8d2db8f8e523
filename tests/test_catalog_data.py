"""Data-driven checks over every catalog entry: schema, vocabulary, links, and our own words."""

from __future__ import annotations

import difflib
import re

import pytest

from dlrkit import Catalog, Entry
from dlrkit.catalog.model import KINDS_WITH_STATE
from dlrkit.catalog.registry import NAMESPACES
from dlrkit.vocab import Party, Reason, Retry, State

from . import seeds

CATALOG = Catalog.default()
ENTRIES = CATALOG.entries
SHINGLE = 7  # words in a row shared with a source = copied prose


def _eid(e: Entry) -> str:
    return f"{e.provider}-{e.kind.value}-{e.channel}-{e.code}-{e.row}"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    w = _words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


SOURCE_SHINGLES = {sid: _shingles(seeds.text(sid)) for sid in seeds.FILES}
ALL_SEED_SHINGLES = set().union(*SOURCE_SHINGLES.values())
NEAR_COPY = 0.75  # word-level similarity of one of our sentences to a seed sentence = copied
MIN_WORDS = 5  # shorter sentences ("The date is invalid") are too generic to judge


def _sentences(text: str) -> list[list[str]]:
    """Sentences (and table cells, clauses after ';' or ':') as word lists of MIN_WORDS or more."""
    parts = re.split(r"(?<=[.!?;:])\s+|\n", text.replace("|", "\n"))
    return [w for w in map(_words, parts) if len(w) >= MIN_WORDS]


def _unflatten(text: str) -> str:
    """000's rows run their columns together ("...calls.100020MACHINE_DETECTEDThe voice call...");
    break them where a sentence or a name ends so each description stands as its own sentence."""
    text = re.sub(r"(?<=[.!?])(?=[0-9A-Z])", "\n", text)
    return re.sub(r"(?<=[A-Z_]{2}|[A-Z_]\d)(?=[A-Z][a-z])|(?<=[a-z.])(?=1\d{5}[A-Z])", "\n", text)


SEED_SENTENCES = [s for sid in seeds.FILES for s in _sentences(_unflatten(seeds.text(sid)))]
_BY_WORD: dict[str, set[int]] = {}
for _i, _s in enumerate(SEED_SENTENCES):
    for _w in set(_s):
        _BY_WORD.setdefault(_w, set()).add(_i)


def _nearest_seed_sentence(ours: list[str]) -> tuple[float, str]:
    """The seed sentence most like `ours` (word-level difflib ratio). Only sentences sharing a
    word are compared, and only those whose length and word counts (upper bounds of the ratio)
    allow NEAR_COPY get the full comparison."""
    best = (0.0, "")
    for i in set().union(*(_BY_WORD.get(w, set()) for w in set(ours))):
        theirs = SEED_SENTENCES[i]
        if 2 * min(len(ours), len(theirs)) < NEAR_COPY * (len(ours) + len(theirs)):
            continue
        matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
        if matcher.quick_ratio() < max(best[0], NEAR_COPY / 2):
            continue
        ratio = matcher.ratio()
        if ratio > best[0]:
            best = (ratio, " ".join(theirs))
    return best


@pytest.mark.parametrize("entry", ENTRIES, ids=_eid)
def test_entry_is_well_formed(entry: Entry) -> None:
    ns = NAMESPACES[entry.provider]
    assert entry.channel in ns.channels
    assert entry.reason in Reason
    assert entry.retry in Retry
    assert entry.party in Party
    if entry.kind in KINDS_WITH_STATE:
        assert entry.state in State
    if entry.retry_after is not None:
        assert entry.retry == Retry.LATER
        assert entry.retry_after > 0
    if entry.reason == Reason.NONE:
        assert entry.retry == Retry.NEVER, "success needs no retry"
    if ns.is_standard:
        assert entry.sources == ()
        assert entry.extra.get("spec"), "a standard's entry cites its spec"
    else:
        assert entry.sources
        assert all(s in CATALOG.sources for s in entry.sources)
    assert entry.description.strip()
    assert entry.action.strip()
    assert entry.description != entry.action
    if entry.standard is not None:
        target = CATALOG.standard_of(entry)
        assert target is not None
        assert NAMESPACES[target.provider].is_standard


@pytest.mark.parametrize("entry", ENTRIES, ids=_eid)
def test_description_is_our_own_words(entry: Entry) -> None:
    """No run of SHINGLE words of our description or action appears in any of the five seeds
    (not only the entry's own: 001, 002 and 003 word the same rows alike)."""
    for field in ("description", "action"):
        copied = _shingles(getattr(entry, field)) & ALL_SEED_SHINGLES
        assert not copied, f"{field} copies a seed: {' '.join(sorted(copied)[0])!r}"


@pytest.mark.parametrize("entry", ENTRIES, ids=_eid)
def test_no_sentence_is_a_near_copy(entry: Entry) -> None:
    """A seed sentence with a word swapped or inserted ("The source address (sender) is
    blocklisted on the account.") is still the seed's prose: no sentence of ours comes within
    NEAR_COPY of any seed sentence."""
    for field in ("description", "action"):
        for ours in _sentences(getattr(entry, field)):
            ratio, theirs = _nearest_seed_sentence(ours)
            assert ratio < NEAR_COPY, f"{field}: {' '.join(ours)!r} ~ {theirs!r} ({ratio:.2f})"


def test_keys_repeat_only_as_documented_quirks() -> None:
    seen: dict[tuple[object, ...], list[Entry]] = {}
    for e in ENTRIES:
        seen.setdefault(e.key, []).append(e)
    repeated = {k: v for k, v in seen.items() if len(v) > 1}
    assert all(e.quirk for rows in repeated.values() for e in rows)
    assert {(k[0], k[2], k[3]) for k in repeated} == {
        ("infobip", "general", 2053),
        ("infobip", "general", 4102),
        ("smspartner", "hlr", 2053),
    }


def test_every_namespace_has_entries_and_every_data_folder_is_registered() -> None:
    """Registry and data agree both ways."""
    from importlib import resources

    data = resources.files("dlrkit.catalog").joinpath("data")
    folders = {p.name for p in data.iterdir() if p.is_dir()} - {"relations"}
    assert folders == set(NAMESPACES)
    for name, ns in NAMESPACES.items():
        channels = {e.channel for e in ENTRIES if e.provider == name}
        assert channels == set(ns.channels), name


def test_every_standard_link_resolves_and_numbering_links_are_derived() -> None:
    derived = [e for e in ENTRIES if e.standard and e.standard.via == "numbering"]
    assert len(derived) > 100
    for e in derived:
        target = CATALOG.standard_of(e)
        assert target is not None
        assert isinstance(e.code, int)
        assert isinstance(target.code, int)
    # spot-check the arithmetic of each rule
    pairs = {
        ("infobip", 27): "map:error:27",
        ("infobip", 256): "map:sm_delivery_failure:0",
        ("infobip", 502): "map:provider_error:2",
        ("infobip", 1031): "map:open_refuse:7",
        ("infobip", 1152): "sccp:return_cause:0",
        ("infobip", 1281): "map:user_abort:0",
        ("infobip", 1541): "map:provider_abort:5",
        ("infobip", 1796): "map:notice:4",
        ("infobip", 5480): "sip:response:480",
        ("infobip", 5603): "sip:response:603",
        ("smspartner", 27): "map:error:27",
    }
    for (provider, code), ref in pairs.items():
        (e,) = [x for x in CATALOG.lookup(provider, code) if x.kind == "error"]
        assert e.standard is not None
        assert e.standard.ref == ref
    (dup,) = CATALOG.lookup("infobip", 5492)
    assert dup.standard is None, "there is no SIP 492"
