"""Varied report traffic for the rollup and suppression tests: what the insights count.

Messages spread over three days, to a small pool of recipients (so that failures repeat per
recipient), with known and unknown native codes (one listed twice), `sent_at`/`done_at` in every
latency bin (one finishing before it was sent), missing countries and operators, multipart
failures after a delivered part (a final outcome changing reason), and reports of one message
up to two hours apart, so that a late early report moves the message to another hour or day.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from dlrkit.outcome import Channel, Outcome, OutcomeCode
from dlrkit.store.base import Incoming
from dlrkit.vocab import Party, Reason, Retry, State

from .traffic import START, incoming, iso

PROVIDERS = ("infobip", "plivo", "smspartner")
CHANNELS = (Channel.SMS, Channel.SMS, Channel.VOICE, Channel.CHAT)
PLACES = (("FR", "Orange"), ("FR", "SFR"), ("DE", "Telekom"), ("GB", None), (None, None))
FINALS = (
    (State.DELIVERED, Reason.NONE, 40),
    (State.UNDELIVERED, Reason.RECIPIENT_UNREACHABLE, 20),
    (State.UNDELIVERED, Reason.RECIPIENT_INVALID, 4),
    (State.UNDELIVERED, Reason.RECIPIENT_OPTED_OUT, 3),
    (State.REJECTED, Reason.CONTENT_REJECTED, 6),
    (State.EXPIRED, Reason.EXPIRED, 6),
    (None, Reason.NONE, 15),  # still pending
)
LATENCIES = (0.4, 3, 20, 45, 200, 1000, 3000, 5000, -2)  # seconds from sent_at to done_at


def _status(provider: str, state: State) -> OutcomeCode:
    code = list(State).index(state) + 1
    return OutcomeCode(
        kind="status",
        channel="general",
        code=code,
        known=True,
        entry=f"{provider}:status:general:{code}",
    )


def _outcome(
    base: dict[str, Any],
    state: State,
    reason: Reason,
    at: dt.datetime,
    step: int,
    codes: tuple[OutcomeCode, ...],
    unknown: tuple[str, ...],
    done_at: str | None,
) -> Outcome:
    return Outcome(
        **base,
        state=state,
        final=state.final,
        reason=reason,
        retry=Retry.NEVER if state == State.DELIVERED or not state.final else Retry.LATER,
        party=Party.RECIPIENT if state.final and state != State.DELIVERED else Party.UNKNOWN,
        codes=codes,
        unknown_codes=unknown,
        done_at=done_at,
        received_at=iso(at),
        raw={"id": base["message_id"], "step": step, "status": state.value, "at": iso(at)},
    )


def mixed_traffic(messages: int = 600, seed: int = 1, recipients: int = 40) -> list[Incoming]:
    """Distinct reports about `messages` messages, in the order they were sent."""
    rng = random.Random(seed)
    timed: list[tuple[dt.datetime, Incoming]] = []
    for n in range(messages):
        provider = PROVIDERS[n % len(PROVIDERS)]
        country, operator = rng.choice(PLACES)
        sent = START + dt.timedelta(seconds=rng.uniform(0, 3 * 86400))
        with_sent_at = rng.random() < 0.8
        base: dict[str, Any] = {
            "message_id": f"mix-{seed}-{n:05d}",
            "provider": provider,
            "channel": rng.choice(CHANNELS),
            "recipient": f"+33612{rng.randrange(recipients):06d}",
            "country": country,
            "operator": operator,
            "sent_at": iso(sent) if with_sent_at else None,
        }
        final, reason, _ = rng.choices(FINALS, [f[2] for f in FINALS])[0]
        steps: list[tuple[State, Reason]] = [(State.ACCEPTED, Reason.NONE)]
        steps += [(State.PENDING, Reason.NONE)] * rng.randint(1, 3)
        if final is not None:
            if final != State.DELIVERED and rng.random() < 0.3:
                steps.append((State.DELIVERED, Reason.NONE))  # one part got through
            steps.append((final, reason))
        latency = dt.timedelta(seconds=rng.choice(LATENCIES))
        at = sent + dt.timedelta(seconds=rng.uniform(0, 0.3))
        for i, (state, why) in enumerate(steps):
            if i:
                at += dt.timedelta(seconds=rng.uniform(1, 7200 / len(steps)))
            codes: tuple[OutcomeCode, ...] = (_status(provider, state),)
            unknown: tuple[str, ...] = ()
            if state.final and state != State.DELIVERED:
                error = rng.choice((27, 9001, 9002))
                if error == 27:
                    known = OutcomeCode(
                        kind="error",
                        channel="general",
                        code=27,
                        known=True,
                        entry=f"{provider}:error:general:27",
                    )
                    codes += (known, known)  # listed twice: counted once
                else:
                    codes += (
                        OutcomeCode(kind="error", channel="general", code=error, known=False),
                    )
                    unknown = (f"{provider}:error:general:{error}",)
            done = iso(sent + latency) if state.final else None
            o = _outcome(base, state, why, at, i, codes, unknown, done)
            timed.append((at, incoming(o)))
    timed.sort(key=lambda pair: pair[0])
    return [item for _, item in timed]
