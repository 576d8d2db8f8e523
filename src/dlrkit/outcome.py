"""Reports in, outcomes out: the typed records between adapters, classification and storage.

The vocabulary (State, Reason, Retry, Party) lives in `dlrkit.vocab` and is re-exported here.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from dlrkit.vocab import Party, Reason, Retry, State

__all__ = [
    "Channel",
    "NativeCode",
    "Outcome",
    "OutcomeCode",
    "Party",
    "Reason",
    "Report",
    "Retry",
    "State",
]


class Channel(StrEnum):
    """The kind of traffic a message is (not the catalog's per-provider channel)."""

    SMS = "sms"
    MMS = "mms"
    VOICE = "voice"
    PUSH = "push"
    EMAIL = "email"
    CHAT = "chat"
    OTHER = "other"


class NativeCode(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A code exactly as a provider reported it, addressed in the catalog's terms."""

    kind: str  # catalog kind: status, error, hangup_cause, api_error, dlr_status
    channel: str  # catalog channel, e.g. "general", "voice", "sms"
    code: int | str
    name: str | None = None
    namespace: str | None = None  # catalog namespace when not the reporting provider's ("map")
    group_id: int | None = None
    group_name: str | None = None
    permanent: bool | None = None


class Report(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One provider report about one message (or one part of it), typed but not yet judged.

    Adapters produce reports; `classify` turns them into outcomes. `raw` keeps the report's
    own piece of the payload so nothing is lost.
    """

    provider: str
    message_id: str
    channel: Channel
    codes: tuple[NativeCode, ...] = ()
    recipient: str | None = None
    sender: str | None = None
    sent_at: str | None = None  # ISO 8601, as normalized by the adapter
    done_at: str | None = None
    price: float | None = None
    currency: str | None = None
    segments: int | None = None
    parent_id: str | None = None  # several reports (parts) of one message share it
    part: int | None = None
    parts: int | None = None
    source: str = ""  # what the payload was: "infobip.sms_report", "smpp.receipt", ...
    raw: dict[str, object] = msgspec.field(default_factory=dict)


class OutcomeCode(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A native code with what the catalog knows of it (`known` false: not in the catalog)."""

    kind: str
    channel: str
    code: int | str
    name: str | None = None
    known: bool = True
    entry: str | None = None  # the catalog entry it resolved to: "infobip:error:general:27"
    reason: str | None = None


class Outcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=False):
    """The one answer per message: what happened, why, who caused it, what to do next."""

    message_id: str
    provider: str
    channel: Channel
    state: State
    final: bool
    reason: Reason
    retry: Retry
    party: Party
    retry_after: int | None = None
    decided_by: str = ""  # "catalog:infobip:error:general:27", "rules:my.toml#3", ...
    codes: tuple[OutcomeCode, ...] = ()
    unknown_codes: tuple[str, ...] = ()
    recipient: str | None = None  # E.164 when parseable, else as reported
    recipient_raw: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    operator: str | None = None
    sender: str | None = None
    sent_at: str | None = None
    done_at: str | None = None
    received_at: str | None = None
    price: float | None = None
    currency: str | None = None
    segments: int | None = None
    reports: int = 1  # how many reports were folded into this outcome
    source: str = ""
    raw: dict[str, object] = msgspec.field(default_factory=dict)
