"""The canonical vocabulary every report is reduced to: state, reason, retry advice and party.

These sets are fixed (DESIGN.md, "The canonical outcome"): exports, the store and other tools
rely on the exact strings. Kept free of heavy imports: the catalog and `dlrkit explain` use it.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a message stands. A voice call answered is `delivered`; not answered is `undelivered`."""

    ACCEPTED = "accepted"
    PENDING = "pending"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        """Whether no further report can change this state."""
        return self not in (State.ACCEPTED, State.PENDING, State.UNKNOWN)


class Reason(StrEnum):
    """Why a message ended as it did, from the sender's point of view."""

    NONE = "none"
    ANSWERED_BY_MACHINE = "answered_by_machine"
    CANCELLED = "cancelled"
    RECIPIENT_UNREACHABLE = "recipient_unreachable"
    RECIPIENT_NO_ANSWER = "recipient_no_answer"
    RECIPIENT_BUSY = "recipient_busy"
    RECIPIENT_DECLINED = "recipient_declined"
    RECIPIENT_INVALID = "recipient_invalid"
    RECIPIENT_BLOCKED = "recipient_blocked"
    RECIPIENT_OPTED_OUT = "recipient_opted_out"
    CONTENT_REJECTED = "content_rejected"
    SENDER_REJECTED = "sender_rejected"
    ACCOUNT_PROBLEM = "account_problem"
    REQUEST_INVALID = "request_invalid"
    RATE_LIMITED = "rate_limited"
    NETWORK_ERROR = "network_error"
    PROVIDER_ERROR = "provider_error"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class Retry(StrEnum):
    """What to do next with the message."""

    NEVER = "never"
    NOW = "now"
    LATER = "later"
    AFTER_FIX = "after_fix"


class Party(StrEnum):
    """Who caused the outcome."""

    RECIPIENT = "recipient"
    CARRIER = "carrier"
    PROVIDER = "provider"
    SENDER = "sender"
    UNKNOWN = "unknown"
