"""The ledger: every message the sandbox accepted, what it ordered for it, and its callbacks.

Tests (and users) read it at `GET /_sandbox/messages` to compare what the sandbox ordered with
what their system recorded: each message carries its fate, the native codes of its final report
and, per callback, every delivery attempt and its HTTP answer.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from dlrkit.sandbox.fates import Fate

CallbackKind = Literal["intermediate", "final", "duplicate"]
MessageStatus = Literal["accepted", "held", "scheduled", "cancelled", "rejected", "reported"]


@dataclass
class Attempt:
    at: str  # real time, ISO 8601
    status: int | None  # HTTP status, None when the receiver could not be reached
    error: str | None = None


@dataclass
class Callback:
    """One report to post: rendered in the provider's format, signed when it is sent."""

    message_id: str
    provider: str
    kind: CallbackKind
    url: str
    body: bytes
    content_type: str
    due: float  # simulated Unix time
    seq: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    outcome: Literal["pending", "delivered", "failed", "cancelled"] = "pending"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "due": self.due,
            "outcome": self.outcome,
            "attempts": [a.__dict__ for a in self.attempts],
            "body": self.body.decode("utf-8", "replace"),
        }


@dataclass
class Message:
    """One message or call, from acceptance to its last report."""

    id: str
    provider: str
    channel: Literal["sms", "voice"]
    recipient: str
    accepted_at: float  # simulated Unix time
    fate: Fate | None  # None: refused at send time (see `codes`)
    codes: dict[str, Any]  # the native codes of the final report (status/error/cause/word)
    status: MessageStatus = "accepted"
    sender: str | None = None
    magic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # provider details (cost, parts, ...)
    callbacks: list[Callback] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "channel": self.channel,
            "recipient": self.recipient,
            "sender": self.sender,
            "fate": self.fate.value if self.fate else None,
            "magic": self.magic,
            "codes": self.codes,
            "status": self.status,
            "accepted_at": self.accepted_at,
            "extra": self.extra,
            "callbacks": [c.to_dict() for c in self.callbacks],
        }


class Ledger:
    """Messages by id, in acceptance order, with per-recipient counters for deterministic draws."""

    def __init__(self) -> None:
        self.messages: dict[str, Message] = {}
        self._sends: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._ids = itertools.count(1)

    def next_number(self) -> int:
        """A sequence number (SMSPartner's integer message ids)."""
        return next(self._ids)

    def nth(self, provider: str, recipient: str) -> int:
        """How many messages this recipient already got from this provider (then counts this one)."""
        key = (provider, recipient)
        n = self._sends[key]
        self._sends[key] = n + 1
        return n

    def add(self, message: Message) -> Message:
        self.messages[message.id] = message
        return message

    def get(self, provider: str, message_id: str) -> Message | None:
        found = self.messages.get(message_id)
        return found if found is not None and found.provider == provider else None

    def select(self, provider: str | None = None) -> list[Message]:
        return [m for m in self.messages.values() if provider is None or m.provider == provider]

    def clear(self) -> None:
        self.messages.clear()
        self._sends.clear()
        self._ids = itertools.count(1)

    def summary(self) -> dict[str, int]:
        """Callbacks by outcome: how far the sandbox got posting its reports."""
        out: dict[str, int] = defaultdict(int)
        for message in self.messages.values():
            for cb in message.callbacks:
                out[cb.outcome] += 1
        return dict(out)
