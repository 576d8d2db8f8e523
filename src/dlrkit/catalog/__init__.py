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
from collections.abc import Iterable
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
from dlrkit.catalog.relations import RelationsMixin
from dlrkit.catalog.search import SearchMixin
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


def _narrow(found: tuple[Entry, ...], kind: str | None, channel: str | None) -> tuple[Entry, ...]:
    """The entries of `found` of this kind and channel (either None: any)."""
    if kind is None and channel is None:
        return found
    return tuple(
        e
        for e in found
        if (kind is None or e.kind == kind) and (channel is None or e.channel == channel)
    )


class Catalog(RelationsMixin, SearchMixin):
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
        return _narrow(found, kind, channel)

    def by_name(
        self, provider: str, name: str, kind: str | None = None, channel: str | None = None
    ) -> tuple[Entry, ...]:
        return _narrow(
            self._by_name.get((provider, name.strip().casefold()), _EMPTY), kind, channel
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
            hint = ""
            if isinstance(code_or_name, str) and code_or_name.strip()[:2].lower() == "0x":
                hint = " (not a hexadecimal number: 0x then digits 0-9, A-F)"
            raise UnknownCodeError(
                f"{where} has no code or name {code_or_name!r}{hint}",
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
        word = value.casefold()
        found = [labels[w] for w in self._close_words(word, labels, n)]
        if not found and word:
            found = self._close_by_token(word, pool, n)
        return found

    def _close_by_token(self, word: str, pool: list[Entry], n: int) -> list[Entry]:
        """Entries one of whose name's words is spelt like `word` (EC_ABSENT_SUBSCRIBER for
        "absent" or "absnt"), else starts like it: for a word no whole name is close to."""
        import difflib

        hex_digits = word[2:] if word[:2] == "0x" else ""
        if hex_digits:  # a hex number with a typo ("0xZZ"): the hex codes, nearest to its digits
            digits = "".join(ch for ch in hex_digits if ch in "0123456789abcdef")
            value = int(digits, 16) if digits else 0
            numeric = [e for e in pool if isinstance(e.code, int)]
            return sorted(numeric, key=lambda e: (abs(int(e.code) - value), int(e.code)))[:n]
        by_token: dict[str, list[Entry]] = defaultdict(list)
        for e in pool:
            for token in _TOKEN_RE.findall(f"{e.code} {e.name or ''}".casefold()):
                if len(token) > 1 and e not in by_token[token]:
                    by_token[token].append(e)
        tokens = difflib.get_close_matches(word, list(by_token), n=n, cutoff=0.6)
        if not tokens:
            tokens = sorted(t for t in by_token if t[:2] == word[:2])
        out: list[Entry] = []
        for t in tokens:
            for e in by_token[t]:
                if e not in out:
                    out.append(e)
        return out[:n]

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

    def sources_of(self, entry: Entry) -> list[Source]:
        return [self.sources[s] for s in entry.sources]
