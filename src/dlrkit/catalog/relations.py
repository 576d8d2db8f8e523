"""Relations between catalog entries: the standards under a code, equivalents across providers,
the voice migration, status reasons and shared numberings. Mixed into `Catalog`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlrkit.catalog.model import Code, Entry, Kind, StatusReason
from dlrkit.catalog.registry import NAMESPACES

if TYPE_CHECKING:
    from dlrkit.catalog.model import Migration


class RelationsMixin:
    """Needs from its host: `entries`, `lookup`, `_by_ref`, `status_reasons`, `shared_numbering`."""

    entries: tuple[Entry, ...]
    status_reasons: tuple[StatusReason, ...]
    shared_numbering: tuple[tuple[str, str], ...]
    migration: Migration
    _by_ref: dict[tuple[str, str, Code], Entry]
    _groups: dict[str, list[Entry]] | None
    _above: dict[str, list[Entry]] | None

    def lookup(
        self, provider: str, code: Code, kind: str | None = None, channel: str | None = None
    ) -> tuple[Entry, ...]:
        raise NotImplementedError

    def get_ref(self, ref: str) -> Entry | None:
        """A standard's entry by reference, e.g. "sip:response:486"."""
        provider, _, rest = ref.partition(":")
        channel, _, code = rest.partition(":")
        return self._by_ref.get((provider, channel, _normalize_code(code)))

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
                    if named and len(twins) > 1:
                        twins = tuple(named)
                    # an id that sits in two groups (Infobip 4102) has its twin in its own group
                    out.extend(
                        t
                        for t in twins
                        if t.group_id is None
                        or entry.group_id is None
                        or t.group_id == entry.group_id
                    )
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
        the migration's old/new pairs sharing the reason, and a status reason's matching error.

        Across the migration (a legacy code and a new code of the same namespace) only the pairs
        the migration document states count: a shared standard does not make a retired code, or
        a code migrated elsewhere, equivalent to a new code the document does not name for it.
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
            if (
                e.reason == entry.reason
                and not NAMESPACES[e.provider].is_standard
                and not _across_migration(entry, e)
            ):
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


def _across_migration(a: Entry, b: Entry) -> bool:
    """A legacy code and a new code of one migrated namespace (their pairing is the document's)."""
    return (
        (a.provider, a.kind, a.channel) == (b.provider, b.kind, b.channel)
        and a.migration is not None
        and b.migration is not None
        and bool(a.legacy) != bool(b.legacy)
    )


def _normalize_code(code: str) -> Code:
    from dlrkit.catalog import normalize_code

    return normalize_code(code)
