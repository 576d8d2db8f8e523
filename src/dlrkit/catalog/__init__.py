"""The catalog: every documented code of every provider and standard, and how they relate.

    >>> from dlrkit import Catalog
    >>> cat = Catalog.default()
    >>> [e.name for e in cat.lookup("infobip", 2053)]
    ['EC_BLACKLISTED_SENDERADDRESS', 'EC_SOURCE_ADDRESS_BLACKLISTED']

`Catalog.default()` loads the compiled catalog shipped in the package once, lazily, behind a
lock. `Catalog.from_directory()` reads TOML data files with the same checks.
"""

from __future__ import annotations

import _thread
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pathlib import Path

from dlrkit.catalog.model import (
    Code,
    CompiledCatalog,
    Conflict,
    Entry,
    Kind,
    Source,
    StandardLink,
    StatusReason,
)
from dlrkit.catalog.registry import NAMESPACES, PROVIDERS, STANDARDS
from dlrkit.errors import CatalogError, UnknownCodeError

__all__ = [
    "NAMESPACES",
    "PROVIDERS",
    "STANDARDS",
    "Catalog",
    "Code",
    "Conflict",
    "Entry",
    "Kind",
    "Source",
    "StandardLink",
    "StatusReason",
]

COMPILED = os.path.join(os.path.dirname(__file__), "compiled.json")
_HEX_RE = re.compile(r"^0[xX][0-9a-fA-F]+$")
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_EMPTY: tuple[Entry, ...] = ()


def normalize_code(code: Code) -> Code:
    """ "27" -> 27, "0x0B" -> 11, " DELIVRD " -> "DELIVRD"; ints pass through."""
    if isinstance(code, int):
        return code
    text = code.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    if _HEX_RE.match(text):
        return int(text, 16)
    return text


def _fold(code: Code) -> Code:
    return code.casefold() if isinstance(code, str) else code


class Catalog:
    """Every entry, indexed for look-up by code, by name and by words; relations on demand."""

    _default: ClassVar[Catalog | None] = None
    _lock: ClassVar[_thread.LockType] = _thread.allocate_lock()

    def __init__(self, compiled: CompiledCatalog):
        self._compiled = compiled
        self.entries: tuple[Entry, ...] = compiled.entries
        self.sources: dict[str, Source] = {s.id: s for s in compiled.sources}
        by_code: dict[tuple[str, Code], list[Entry]] = defaultdict(list)
        by_name: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        by_ref: dict[tuple[str, str, Code], Entry] = {}
        for e in self.entries:
            by_code[(e.provider, _fold(e.code))].append(e)
            if e.name:
                by_name[(e.provider, e.name.casefold())].append(e)
            if NAMESPACES[e.provider].is_standard:
                by_ref[(e.provider, e.channel, e.code)] = e
        self._by_code = {k: tuple(v) for k, v in by_code.items()}
        self._by_name = {k: tuple(v) for k, v in by_name.items()}
        self._by_ref = by_ref
        self._groups: dict[str, list[Entry]] | None = None
        self._above: dict[str, list[Entry]] | None = None
        self._words: dict[str, set[int]] | None = None
        self.migration = compiled.migration
        self.status_reasons: tuple[StatusReason, ...] = compiled.status_reasons
        self.shared_numbering = compiled.shared_numbering

    # --- construction -------------------------------------------------------------------

    @classmethod
    def default(cls) -> Catalog:
        """The catalog shipped with dlrkit, loaded once per process."""
        if cls._default is None:
            with cls._lock:
                if cls._default is None:
                    with open(COMPILED, "rb") as f:
                        # checked when it was built (and by the test suite): no second check here
                        cls._default = cls.from_json(f.read(), check=False)
        return cls._default

    @classmethod
    def from_json(cls, data: bytes, *, check: bool = True) -> Catalog:
        try:
            compiled = CompiledCatalog.from_dict(json.loads(data))
        except (ValueError, TypeError, KeyError) as exc:
            raise CatalogError("compiled.json", f"unreadable ({exc}); rebuild it") from exc
        catalog = cls(compiled)
        if check:
            catalog._check_links()
        return catalog

    @classmethod
    def from_directory(cls, path: str | Path) -> Catalog:
        """Read and check TOML data files (the format of docs/catalog-format.md)."""
        from pathlib import Path

        from dlrkit.catalog.loader import load_directory

        return cls(load_directory(Path(path)))

    def _check_links(self) -> None:
        for e in self.entries:
            if e.standard is not None and self.standard_of(e) is None:
                raise CatalogError(
                    e.file, f"links to missing {e.standard.ref!r}", row=e.row, field="standard"
                )

    def compiled(self) -> CompiledCatalog:
        return self._compiled

    # --- look-up ------------------------------------------------------------------------

    def lookup(
        self, provider: str, code: Code, kind: str | None = None, channel: str | None = None
    ) -> tuple[Entry, ...]:
        """Every entry of `provider` with this code (ids are not unique: all rows come back).

        `code` may be an int, a numeric or hex string, or a word (case-insensitive).
        """
        found = self._by_code.get((provider, code))
        if found is None:
            found = self._by_code.get((provider, _fold(normalize_code(code))), _EMPTY)
        if kind is None and channel is None:
            return found
        return tuple(
            e
            for e in found
            if (kind is None or e.kind == kind) and (channel is None or e.channel == channel)
        )

    def by_name(
        self, provider: str, name: str, kind: str | None = None, channel: str | None = None
    ) -> tuple[Entry, ...]:
        found = self._by_name.get((provider, name.strip().casefold()), _EMPTY)
        if kind is None and channel is None:
            return found
        return tuple(
            e
            for e in found
            if (kind is None or e.kind == kind) and (channel is None or e.channel == channel)
        )

    def find(
        self, provider: str, code_or_name: Code, kind: str | None = None, channel: str | None = None
    ) -> tuple[Entry, ...]:
        """By code first, then by name; raises UnknownCodeError with the closest known codes."""
        if provider not in NAMESPACES:
            raise UnknownCodeError(
                f"unknown provider {provider!r}; known: {', '.join(NAMESPACES)}",
                [(p, "", NAMESPACES[p].title) for p in self._close_words(provider, NAMESPACES)],
            )
        found = self.lookup(provider, code_or_name, kind, channel)
        if not found and isinstance(code_or_name, str):
            found = self.by_name(provider, code_or_name, kind, channel)
        if not found:
            where = "/".join(x for x in (provider, kind, channel) if x)
            raise UnknownCodeError(
                f"{where} has no code or name {code_or_name!r}",
                [
                    (e.provider, str(e.code), e.name or "")
                    for e in self.closest(provider, code_or_name, kind, channel)
                ],
            )
        return found

    def closest(
        self,
        provider: str,
        code: Code,
        kind: str | None = None,
        channel: str | None = None,
        n: int = 5,
    ) -> list[Entry]:
        """The known codes nearest to an unknown one: numerically for numbers, by spelling for words."""
        pool = [
            e
            for e in self.entries
            if e.provider == provider
            and (kind is None or e.kind == kind)
            and (channel is None or e.channel == channel)
        ]
        value = normalize_code(code)
        if isinstance(value, int):
            numeric = [e for e in pool if isinstance(e.code, int)]
            return sorted(numeric, key=lambda e: (abs(int(e.code) - value), int(e.code)))[:n]
        labels: dict[str, Entry] = {}
        for e in pool:
            labels.setdefault(str(e.code).casefold(), e)
            if e.name:
                labels.setdefault(e.name.casefold(), e)
        return [labels[w] for w in self._close_words(value.casefold(), labels, n)]

    @staticmethod
    def _close_words(word: str, pool: Iterable[str], n: int = 3) -> list[str]:
        import difflib

        return difflib.get_close_matches(word, list(pool), n=n, cutoff=0.5)

    def select(
        self,
        provider: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
    ) -> list[Entry]:
        return [
            e
            for e in self.entries
            if (provider is None or e.provider == provider)
            and (kind is None or e.kind == kind)
            and (channel is None or e.channel == channel)
        ]

    # --- full-text search ----------------------------------------------------------------

    def search(
        self,
        query: str,
        provider: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
        limit: int = 20,
    ) -> list[Entry]:
        """Entries whose code, name, group, description or advice contain the query's words.

        Every word must match (a word matches the start of an indexed word); entries whose name
        matches rank first.
        """
        words = self._word_index()
        terms = _TOKEN_RE.findall(query.casefold())
        if not terms:
            return []
        hits: set[int] | None = None
        for term in terms:
            matched: set[int] = set()
            for word, ids in words.items():
                if word.startswith(term):
                    matched |= ids
            hits = matched if hits is None else hits & matched
            if not hits:
                return []
        assert hits is not None

        def rank(i: int) -> tuple[int, int]:
            e = self.entries[i]
            label = f"{e.code} {e.name or ''}".casefold()
            return (-sum(t in label for t in terms), i)

        out = [
            self.entries[i]
            for i in sorted(hits, key=rank)
            if (provider is None or self.entries[i].provider == provider)
            and (kind is None or self.entries[i].kind == kind)
            and (channel is None or self.entries[i].channel == channel)
        ]
        return out[:limit]

    def _word_index(self) -> dict[str, set[int]]:
        if self._words is None:
            words: dict[str, set[int]] = defaultdict(set)
            for i, e in enumerate(self.entries):
                text = " ".join(
                    str(x)
                    for x in (e.code, e.name, e.group_name, e.description, e.action, e.reason)
                    if x
                )
                for w in _TOKEN_RE.findall(text.casefold().replace("_", " ")):
                    words[w].add(i)
                if e.name:
                    words[e.name.casefold()].add(i)
            self._words = dict(words)
        return self._words

    # --- relations ------------------------------------------------------------------------

    def get_ref(self, ref: str) -> Entry | None:
        """A standard's entry by reference, e.g. "sip:response:486"."""
        provider, _, rest = ref.partition(":")
        channel, _, code = rest.partition(":")
        return self._by_ref.get((provider, channel, normalize_code(code)))

    def standard_of(self, entry: Entry) -> Entry | None:
        return self.get_ref(entry.standard.ref) if entry.standard else None

    def standard_chain(self, entry: Entry) -> list[Entry]:
        """The standard entries under `entry`, nearest first (e.g. SIP 486, then Q.850 17)."""
        chain: list[Entry] = []
        current = self.standard_of(entry)
        while current is not None and current not in chain:
            chain.append(current)
            current = self.standard_of(current)
        return chain

    def _root(self, entry: Entry) -> str:
        chain = self.standard_chain(entry)
        return (
            chain[-1].ref
            if chain
            else (entry.ref if NAMESPACES[entry.provider].is_standard else "")
        )

    def above(self, entry: Entry) -> list[Entry]:
        """Entries whose standard link points at this (standard) entry."""
        if self._above is None:
            above: dict[str, list[Entry]] = defaultdict(list)
            for e in self.entries:
                if e.standard is not None:
                    above[e.standard.ref].append(e)
            self._above = dict(above)
        return list(self._above.get(entry.ref, ()))

    def same_numbering(self, entry: Entry) -> list[Entry]:
        """The same code in a namespace that shares this one's numbering (SMSPartner HLR = Infobip)."""
        space = f"{entry.provider}:{entry.kind.value}:{entry.channel}"
        out: list[Entry] = []
        for a, b in self.shared_numbering:
            for mine, other in ((a, b), (b, a)):
                if space == mine:
                    provider, kind, channel = other.split(":")
                    twins = self.lookup(provider, entry.code, kind, channel)
                    named = [t for t in twins if t.name == entry.name]
                    out.extend(named if named and len(twins) > 1 else twins)
        return out

    def status_reason_partners(self, entry: Entry) -> list[Entry]:
        """A voice status reason's matching error, or an error's status reason (97 BUSY <-> 10201)."""
        out: list[Entry] = []
        for sr in self.status_reasons:
            if entry.provider != sr.provider:
                continue
            if entry.kind == Kind.STATUS and entry.code == sr.status:
                out.extend(self.lookup(sr.provider, sr.error, "error", "voice"))
            elif entry.kind == Kind.ERROR and entry.channel == "voice" and entry.code == sr.error:
                out.extend(self.lookup(sr.provider, sr.status, "status"))
        return out

    def equivalents(self, entry: Entry) -> list[Entry]:
        """Codes meaning the same thing elsewhere: derived, not typed pair by pair.

        Two entries are equivalent when the standards under them lead to the same root code and
        they share the canonical reason; plus the same code in a namespace sharing the numbering,
        the migration's old/new pairs, and a status reason's matching error.
        """
        if self._groups is None:
            groups: dict[str, list[Entry]] = defaultdict(list)
            for e in self.entries:
                root = self._root(e)
                if root:
                    groups[root].append(e)
            self._groups = dict(groups)
        seen: dict[int, Entry] = {}
        root = self._root(entry)
        for e in self._groups.get(root, ()) if root else ():
            if e.reason == entry.reason and not NAMESPACES[e.provider].is_standard:
                seen[id(e)] = e
        for e in self.same_numbering(entry) + self.status_reason_partners(entry):
            seen[id(e)] = e
        for e in self.translate_entry(entry):
            if e.reason == entry.reason:
                seen[id(e)] = e
        seen.pop(id(entry), None)
        return sorted(
            seen.values(), key=lambda e: (e.provider, str(e.kind), e.channel, str(e.code))
        )

    def translate_entry(self, entry: Entry) -> list[Entry]:
        """Old Infobip voice code -> its new codes; new code -> the old codes it replaces."""
        codes: Sequence[int] = entry.replaced_by or entry.replaces or ()
        return [e for c in codes for e in self.lookup(entry.provider, c, "error", entry.channel)]

    def sources_of(self, entry: Entry) -> list[Source]:
        return [self.sources[s] for s in entry.sources]
