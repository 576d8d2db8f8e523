"""Full-text search over the catalog's codes, names, groups, descriptions and advice.
Mixed into `Catalog`."""

from __future__ import annotations

import re
from collections import defaultdict

from dlrkit.catalog.model import Entry

_TOKEN_RE = re.compile(r"[a-z0-9]+")


class SearchMixin:
    """Needs from its host: `entries` and a `_words` slot (None until first search)."""

    entries: tuple[Entry, ...]
    _words: dict[str, set[int]] | None

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
