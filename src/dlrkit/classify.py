"""Classification: one report, the catalog and the user's rules in; one outcome out.

Pure and total: no I/O, no globals, never raises for any report. Precedence between the codes
of one report:

1. The *state* comes from the first state-bearing code the catalog knows (a status, a DLR word,
   a hangup cause); failing that, from the deciding code's own state.
2. The *reason, retry and party* come from the most specific explanation: an error (or API
   error) that names a cause, else a hangup cause that does, else the state-bearing code. A
   delivered message is explained by its status alone (an error "0 NO_ERROR" adds nothing).
3. A matching user rule overrides reason, retry, retry_after and party; `decided_by` says which
   rule or catalog entry decided.
4. A code the catalog does not know is kept (`known = false`) and listed in `unknown_codes`;
   when nothing known remains the outcome is state and reason `unknown`, never an error.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from dlrkit.catalog import Catalog, Entry
from dlrkit.catalog.registry import NAMESPACES, STANDARDS
from dlrkit.outcome import NativeCode, Outcome, OutcomeCode, Report
from dlrkit.recipients import parse_recipient
from dlrkit.rules import Rule, Rules
from dlrkit.vocab import Party, Reason, Retry, State

STATE_KINDS = ("status", "dlr_status", "hangup_cause")
CAUSE_KINDS = ("error", "api_error")
_NO_CAUSE = (Reason.NONE, Reason.UNKNOWN)
# Providers whose APIs take national numbers, and the region those belong to: SMSPartner sends
# to French numbers given as "06..." (as the sandbox's SMSPartner reads them, docs/sandbox.md),
# and its reports may name the recipient that way.
NATIONAL_NUMBERS = {"smspartner": "FR"}


def resolve(catalog: Catalog, provider: str, code: NativeCode) -> Entry | None:
    """The catalog entry a reported code stands for, or None.

    Looks in the reporting provider's namespace first, then in the standards that have the
    code's channel (an SMPP receipt's GSM network error is a MAP error), and picks among rows
    sharing an id by the reported name or group.
    """
    spaces = [code.namespace] if code.namespace in NAMESPACES else []
    spaces += [provider] if provider in NAMESPACES else []
    spaces += [s for s in STANDARDS if s != provider and code.channel in NAMESPACES[s].channels]
    for space in spaces:
        found = catalog.lookup(space, code.code, code.kind, code.channel)
        if found:
            return _pick(found, code)
    if provider in NAMESPACES:  # the right kind in another channel of the provider, if unique
        found = catalog.lookup(provider, code.code, code.kind)
        if len(found) == 1 or (found and code.name):
            return _pick(found, code)
    return None


def _pick(found: tuple[Entry, ...], code: NativeCode) -> Entry:
    if len(found) > 1:
        if code.name:
            named = [e for e in found if e.name == code.name]
            if named:
                found = tuple(named)
        if code.group_id is not None:
            grouped = [e for e in found if e.group_id == code.group_id]
            if grouped:
                found = tuple(grouped)
    return found[0]


def _ref(e: Entry) -> str:
    return f"{e.provider}:{e.kind.value}:{e.channel}:{e.code}"


def _rule_matches(rule: Rule, report: Report, codes: list[NativeCode]) -> bool:
    if rule.provider is not None and rule.provider != report.provider:
        return False
    candidates = [
        c
        for c in codes
        if (rule.kind is None or c.kind == rule.kind)
        and (rule.channel is None or c.channel == rule.channel)
    ]
    if rule.code is not None:
        want = str(rule.code).casefold()
        candidates = [c for c in candidates if str(c.code).casefold() == want]
    if not candidates and (
        rule.code is not None or rule.kind is not None or rule.channel is not None
    ):
        return False
    if rule.pattern is not None:
        text = " ".join(f"{c.code} {c.name or ''}" for c in codes)
        for key in ("text", "short_message", "description", "message"):
            value = report.raw.get(key)
            if isinstance(value, str):
                text += " " + value
        if not rule.pattern.search(text):
            return False
    return True


def _fallback_state(decider: Entry | None) -> State:
    if decider is None:
        return State.UNKNOWN
    if decider.state is not None:
        return decider.state
    if decider.reason == Reason.NONE:
        return State.ACCEPTED
    if decider.reason == Reason.UNKNOWN:
        return State.UNKNOWN
    return State.REJECTED if decider.kind.value == "api_error" else State.UNDELIVERED


class Decision(NamedTuple):
    state: State
    reason: Reason
    retry: Retry
    party: Party
    retry_after: int | None
    decided_by: str
    codes: tuple[OutcomeCode, ...]
    unknown: tuple[str, ...]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Classifier:
    """classify() with memory: the decision for a given set of codes is computed once.

    Decisions depend only on (provider, codes) unless a rule matches on a pattern that can see
    the report's text; then nothing is cached. Holds no global state: one per catalog and rules.
    """

    def __init__(self, catalog: Catalog, rules: Rules | None = None, *, cache_size: int = 1 << 14):
        self.catalog = catalog
        self.rules = rules
        self._cacheable = not any(r.pattern is not None for r in (rules.rules if rules else ()))
        self._cache: dict[tuple[str, tuple[NativeCode, ...]], Decision] = {}
        self._cache_size = cache_size

    def decide(self, report: Report) -> Decision:
        if not self._cacheable:
            return self._decide(report)
        key = (report.provider, report.codes)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            found = self._cache[key] = self._decide(report)
        return found

    def _decide(self, report: Report) -> Decision:
        catalog, rules = self.catalog, self.rules
        resolved: list[tuple[NativeCode, Entry | None]] = [
            (c, resolve(catalog, report.provider, c)) for c in report.codes
        ]
        known = [(c, e) for c, e in resolved if e is not None]
        state_entry = next(
            (e for c, e in known if c.kind in STATE_KINDS and e.state is not None), None
        )
        decider: Entry | None = None
        if state_entry is not None and state_entry.state == State.DELIVERED:
            decider = state_entry
        else:
            decider = next(
                (e for c, e in known if c.kind in CAUSE_KINDS and e.reason not in _NO_CAUSE), None
            )
            if decider is None:
                decider = next(
                    (e for c, e in known if c.kind == "hangup_cause" and e.reason not in _NO_CAUSE),
                    None,
                )
            if decider is None:
                decider = state_entry or (known[0][1] if known else None)
        state = (
            state_entry.state
            if state_entry is not None and state_entry.state
            else _fallback_state(decider)
        )
        if decider is None:
            reason, retry, party, retry_after, decided_by = (
                Reason.UNKNOWN,
                Retry.NEVER,
                Party.UNKNOWN,
                None,
                "unknown",
            )
        else:
            reason, retry, party = decider.reason, decider.retry, decider.party
            retry_after, decided_by = decider.retry_after, "catalog:" + _ref(decider)
        for rule in rules.rules if rules else ():
            if _rule_matches(rule, report, list(report.codes)):
                reason = rule.reason or reason
                retry = rule.retry or retry
                party = rule.party or party
                retry_after = rule.retry_after if rule.retry_after is not None else retry_after
                decided_by = "rules:" + rule.label
                break
        if retry != Retry.LATER:
            retry_after = None
        codes = tuple(
            OutcomeCode(
                kind=c.kind,
                channel=c.channel,
                code=c.code,
                name=c.name or (e.name if e else None),
                known=e is not None,
                entry=_ref(e) if e else None,
                reason=e.reason.value if e else None,
            )
            for c, e in resolved
        )
        unknown = tuple(
            f"{c.namespace or report.provider}:{c.kind}:{c.channel}:{c.code}"
            for c, e in resolved
            if e is None
        )
        return Decision(state, reason, retry, party, retry_after, decided_by, codes, unknown)

    def classify(self, report: Report, *, received_at: str | None = None) -> Outcome:
        d = self.decide(report)
        recipient = (
            parse_recipient(report.recipient, NATIONAL_NUMBERS.get(report.provider))
            if report.recipient
            else None
        )
        return Outcome(
            message_id=report.parent_id or report.message_id,
            provider=report.provider,
            channel=report.channel,
            state=d.state,
            final=d.state.final,
            reason=d.reason,
            retry=d.retry,
            party=d.party,
            retry_after=d.retry_after,
            decided_by=d.decided_by,
            codes=d.codes,
            unknown_codes=d.unknown,
            recipient=(recipient.e164 or report.recipient) if recipient else None,
            recipient_raw=report.recipient,
            country=recipient.country if recipient else None,
            operator=recipient.operator if recipient else None,
            sender=report.sender,
            sent_at=report.sent_at,
            done_at=report.done_at,
            received_at=received_at or now_iso(),
            price=report.price,
            currency=report.currency,
            segments=report.segments,
            source=report.source,
            raw=report.raw,
        )


def classify(
    report: Report,
    catalog: Catalog,
    rules: Rules | None = None,
    *,
    received_at: str | None = None,
) -> Outcome:
    """The canonical outcome of one report (see the module docstring for the precedence)."""
    return Classifier(catalog, rules).classify(report, received_at=received_at)
