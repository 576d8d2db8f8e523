"""The sandbox SMSC: accounts, binds, submissions, and the life of each accepted message.

Binds (SMPP v3.4 Issue 1.2, 4.1; command_status values from the catalog's smpp/command_status
table): an unknown system_id is refused with ESME_RINVSYSID, a wrong password with
ESME_RINVPASWD, a session beyond the account's `max_binds` with ESME_RBINDFAIL.

A submit_sm passes the field checks of `smpp_rules`, then the account's rate limit (more than
`max_tps` in one second: ESME_RTHROTTLED), then the destination's magic number or the
scenario decides its fate (`smpp_outcomes`). An accepted message reaches its final state after
the scenario's delay on the sandbox clock, or EXPIRED when its validity period runs out first.
A receipt is sent when registered_delivery asks for one (5.2.17: 01 always, 10 on failure
only; bit 4 adds an ENROUTE intermediate notification) to a receiver or transceiver session of
the same account, kept in order while none is bound, and posted to the ingest service when a
`Forwarder` is configured.
"""

from __future__ import annotations

import asyncio
import collections
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import smpp34

from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.ledger import CallbackKind, Ledger, Message
from dlrkit.sandbox.scenario import Decision, Scenario
from dlrkit.sandbox.smpp_outbox import Outboxes
from dlrkit.sandbox.smpp_outcomes import (
    DEFAULT_VALIDITY,
    PROVIDER,
    message_state,
    plan,
    receipt_codes,
)
from dlrkit.sandbox.smpp_pdu import BindRequest
from dlrkit.sandbox.smpp_receipts import Forwarder, Receipt, first_chars
from dlrkit.sandbox.smpp_rules import Checked, check_submit
from dlrkit.sandbox.smpp_session import Session


@dataclass(frozen=True, slots=True)
class Account:
    """An ESME account: credentials (SMPP 3.4: at most 15 and 8 characters) and limits."""

    system_id: str
    password: str
    max_tps: int | None = None  # submit_sm per second; beyond it: ESME_RTHROTTLED
    max_binds: int | None = None  # simultaneous sessions; beyond it: ESME_RBINDFAIL

    def __post_init__(self) -> None:
        if not 0 < len(self.system_id) <= 15:
            raise ValueError("system_id must be 1 to 15 characters (SMPP 3.4, 4.1.1)")
        if len(self.password) > 8:
            raise ValueError("password must be at most 8 characters (SMPP 3.4, 4.1.1)")
        if self.max_tps is not None and self.max_tps < 1:
            raise ValueError("max_tps must be at least 1")


DEFAULT_ACCOUNT = Account("dlrkit", "sandbox")


class Smsc:
    """The SMSC's state; `smpp_serve.SmscServer` puts it on a TCP port.

    Every accepted message goes into `ledger` (the sandbox's, when shared) with its fate, the
    codes of its final receipt and the HTTP posts of its receipts, like the HTTP imitations'.
    """

    def __init__(
        self,
        accounts: Sequence[Account] = (DEFAULT_ACCOUNT,),
        *,
        scenario: Scenario | Callable[[], Scenario] | None = None,
        clock: Clock | None = None,
        ledger: Ledger | None = None,
        forwarder: Forwarder | None = None,
        system_id: str = "DLRKIT",
    ) -> None:
        self.accounts = {a.system_id: a for a in accounts}
        # a callable: the scenario of the sandbox it runs in, which PUT /_sandbox/scenario changes
        self._scenario = scenario if callable(scenario) else _fixed(scenario or Scenario())
        self.clock = clock or Clock()
        self.ledger = ledger or Ledger()
        self.forwarder = forwarder
        self.system_id = system_id
        self.sessions: set[Session] = set()
        self.outboxes = Outboxes(self._receivers)
        self._sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lives: set[asyncio.Task[None]] = set()

    @property
    def scenario(self) -> Scenario:
        return self._scenario()

    # --- binds ----------------------------------------------------------------------------

    def authorize(self, request: BindRequest) -> str:
        """The command_status name for a bind request."""
        account = self.accounts.get(request.system_id)
        if account is None:
            return "ESME_RINVSYSID"
        if not secrets.compare_digest(request.password.encode(), account.password.encode()):
            return "ESME_RINVPASWD"
        bound = sum(1 for s in self.sessions if s.system_id == account.system_id)
        if account.max_binds is not None and bound >= account.max_binds:
            return "ESME_RBINDFAIL"
        return "ESME_ROK"

    def bound(self, session: Session) -> None:
        self.sessions.add(session)
        if session.receives:
            self.outboxes.wake(session.system_id)

    def unbound(self, session: Session) -> None:
        self.sessions.discard(session)

    def _receivers(self, system_id: str) -> list[Session]:
        return [s for s in self.sessions if s.system_id == system_id and s.receives]

    # --- submissions ----------------------------------------------------------------------

    def submit(self, session: Session, sm: smpp34.SubmitSm) -> tuple[str, str]:
        """(command_status name, message_id) for a submit_sm; bad fields raise `PduError`."""
        now = self.clock.now()
        checked = check_submit(sm, now)
        if self._throttled(session.system_id):
            return "ESME_RTHROTTLED", ""
        destination = sm.destination_addr.lstrip("+")
        chosen = plan(self.scenario, destination, self.ledger.nth(PROVIDER, destination))
        if chosen.decision is None:
            return chosen.status, ""
        message = self.ledger.add(
            Message(
                id=secrets.token_hex(8).upper(),
                provider=PROVIDER,
                channel="sms",
                recipient=destination,
                accepted_at=now.timestamp(),
                fate=chosen.decision.fate,
                codes={},
                sender=sm.source_addr,
                magic=chosen.decision.magic,
                extra={
                    "system_id": session.system_id,
                    "registered_delivery": sm.registered_delivery,
                },
            )
        )
        template = Receipt(
            message_id=message.id,
            recipient=sm.destination_addr,
            recipient_ton=sm.dest_addr_ton,
            recipient_npi=sm.dest_addr_npi,
            sender=sm.source_addr,
            sender_ton=sm.source_addr_ton,
            sender_npi=sm.source_addr_npi,
            stat="ENROUTE",
            message_state=message_state("ENROUTE"),
            err=0,
            submitted=now,
            done=now,
            text=first_chars(checked.text, sm.data_coding),
            final=False,
        )
        life = asyncio.get_running_loop().create_task(
            self._live(message, template, chosen.decision, sm.registered_delivery, checked)
        )
        self._lives.add(life)
        life.add_done_callback(self._lives.discard)
        return "ESME_ROK", message.id

    def _throttled(self, system_id: str) -> bool:
        limit = self.accounts[system_id].max_tps
        if limit is None:
            return False
        stamps, now = self._sent[system_id], time.monotonic()
        while stamps and now - stamps[0] >= 1.0:
            stamps.popleft()
        if len(stamps) >= limit:
            return True
        stamps.append(now)
        return False

    async def _live(
        self,
        message: Message,
        template: Receipt,
        decision: Decision,
        registered: int,
        checked: Checked,
    ) -> None:
        """Wait out the message's delays and emit the receipts it asked for."""
        fate, delay, validity = decision.fate, decision.delay, checked.validity
        if decision.expires:
            delay = validity if validity is not None else DEFAULT_VALIDITY
        elif validity is not None and delay > validity:
            fate, delay = Fate.EXPIRED, validity  # the SMSC gives up when the validity ends
        codes = receipt_codes(fate)
        message.fate = fate
        message.codes = {"stat": codes.stat, "message_state": codes.message_state, "err": codes.err}
        message.status = "scheduled"
        wanted = registered & 0x03 == 0x01 or (
            registered & 0x03 == 0x02 and codes.stat != "DELIVRD"
        )
        intermediate = bool(registered & 0x10) and self.scenario.intermediate
        await self.clock.sleep(checked.wait)
        if intermediate and not decision.out_of_order:
            self._emit(message, _at(template, self.clock), "intermediate")
        await self.clock.sleep(delay)
        final = _at(template, self.clock, stat=codes.stat, state=codes.message_state, err=codes.err)
        if wanted:
            self._emit(message, final, "final")
        if intermediate and decision.out_of_order:
            self._emit(message, template, "intermediate")  # the ENROUTE notice, late
        message.status = "reported"
        if wanted and decision.duplicate:
            await self.clock.sleep(decision.duplicate_after)
            self._emit(message, final, "duplicate")

    def _emit(self, message: Message, receipt: Receipt, kind: CallbackKind) -> None:
        if self.forwarder is not None:
            message.callbacks.append(self.forwarder.send(receipt, kind))
        self.outboxes.put(str(message.extra["system_id"]), receipt)

    async def close(self) -> None:
        """Unbind every session, end every message's life, let forwarded receipts go out."""
        await asyncio.gather(*(s.unbind() for s in list(self.sessions)), return_exceptions=True)
        for task in self._lives:
            task.cancel()
        await asyncio.gather(*self._lives, return_exceptions=True)
        await self.outboxes.close()
        if self.forwarder is not None:
            await self.forwarder.aclose()


def _fixed(scenario: Scenario) -> Callable[[], Scenario]:
    return lambda: scenario


def _at(
    template: Receipt,
    clock: Clock,
    *,
    stat: str = "ENROUTE",
    state: int | None = None,
    err: int = 0,
) -> Receipt:
    """The template as a receipt in state `stat`, dated now."""
    return replace(
        template,
        stat=stat,
        message_state=state if state is not None else template.message_state,
        err=err,
        done=clock.now(),
        final=stat != "ENROUTE",
    )
