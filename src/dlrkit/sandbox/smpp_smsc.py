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
import logging
import secrets
import time
from dataclasses import dataclass, field, replace

import smpp34

from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.scenario import Decision, Scenario
from dlrkit.sandbox.smpp_outcomes import DEFAULT_VALIDITY, message_state, plan, receipt_codes
from dlrkit.sandbox.smpp_pdu import BindRequest, Command
from dlrkit.sandbox.smpp_receipts import Forwarder, Receipt, first_chars
from dlrkit.sandbox.smpp_rules import check_submit
from dlrkit.sandbox.smpp_session import Session

log = logging.getLogger("dlrkit.sandbox.smpp")
REDELIVER_AFTER = 2.0  # real seconds between attempts to hand a queued receipt to the ESME


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


@dataclass(slots=True)
class _Outbox:
    """Receipts waiting for a receiver session of one account, in order."""

    queue: collections.deque[Receipt] = field(default_factory=collections.deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Smsc:
    """The SMSC's state; `SmscServer` puts it on a TCP port."""

    def __init__(
        self,
        accounts: list[Account] | tuple[Account, ...] = (DEFAULT_ACCOUNT,),
        *,
        scenario: Scenario | None = None,
        clock: Clock | None = None,
        forwarder: Forwarder | None = None,
        system_id: str = "DLRKIT",
    ) -> None:
        self.accounts = {a.system_id: a for a in accounts}
        self.scenario = scenario or Scenario()
        self.clock = clock or Clock()
        self.forwarder = forwarder
        self.system_id = system_id
        self.sessions: set[Session] = set()
        self._sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._counts: collections.Counter[str] = collections.Counter()
        self._outboxes: dict[str, _Outbox] = {}
        self._lives: set[asyncio.Task[None]] = set()

    # --- binds ----------------------------------------------------------------------------

    def authorize(self, request: BindRequest, command: Command) -> str:
        """The command_status name for a bind request."""
        account = self.accounts.get(request.system_id)
        if account is None:
            return "ESME_RINVSYSID"
        if not secrets.compare_digest(request.password.encode(), account.password.encode()):
            return "ESME_RINVPASWD"
        bound = sum(1 for s in self.sessions if s.system_id == account.system_id and s.bind)
        if account.max_binds is not None and bound >= account.max_binds:
            return "ESME_RBINDFAIL"
        return "ESME_ROK"

    def bound(self, session: Session) -> None:
        self.sessions.add(session)
        if session.receives:
            self._outbox(session.system_id).wake.set()

    def unbound(self, session: Session) -> None:
        self.sessions.discard(session)

    # --- submissions ----------------------------------------------------------------------

    def submit(self, session: Session, sm: smpp34.SubmitSm) -> tuple[str, str]:
        """(command_status name, message_id) for a submit_sm; bad fields raise `PduError`."""
        now = self.clock.now()
        checked = check_submit(sm, now)
        if self._throttled(session.system_id):
            return "ESME_RTHROTTLED", ""
        destination = sm.destination_addr.lstrip("+")
        n = self._counts[destination]
        self._counts[destination] += 1
        chosen = plan(self.scenario, destination, n)
        if chosen.decision is None:
            return chosen.status, ""
        message_id = secrets.token_hex(8).upper()
        template = Receipt(
            message_id=message_id,
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
            self._live(session.system_id, template, chosen.decision, sm.registered_delivery,
                       checked.wait, checked.validity)  # fmt: skip
        )
        self._lives.add(life)
        life.add_done_callback(self._lives.discard)
        return "ESME_ROK", message_id

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
        system_id: str,
        template: Receipt,
        decision: Decision,
        registered: int,
        wait: float,
        validity: float | None,
    ) -> None:
        """Wait out the message's delays and emit the receipts it asked for."""
        fate, delay = decision.fate, decision.delay
        if decision.expires:
            delay = validity if validity is not None else DEFAULT_VALIDITY
        elif validity is not None and delay > validity:
            fate, delay = Fate.EXPIRED, validity  # the SMSC gives up when the validity ends
        codes = receipt_codes(fate)
        wanted = registered & 0x03 == 0x01 or (registered & 0x03 == 0x02 and codes.stat != "DELIVRD")
        intermediate = bool(registered & 0x10) and self.scenario.intermediate
        await self.clock.sleep(wait)
        if intermediate and not decision.out_of_order:
            self._emit(system_id, _at(template, self.clock))
        await self.clock.sleep(delay)
        final = _at(template, self.clock, stat=codes.stat, state=codes.message_state, err=codes.err)
        if wanted:
            self._emit(system_id, final)
        if intermediate and decision.out_of_order:
            self._emit(system_id, template)  # the ENROUTE notice, late, with its early date
        if wanted and decision.duplicate:
            await self.clock.sleep(decision.duplicate_after)
            self._emit(system_id, final)

    # --- receipts -------------------------------------------------------------------------

    def _emit(self, system_id: str, receipt: Receipt) -> None:
        if self.forwarder is not None:
            self.forwarder.submit(receipt)
        box = self._outbox(system_id)
        box.queue.append(receipt)
        box.wake.set()

    def _outbox(self, system_id: str) -> _Outbox:
        box = self._outboxes.get(system_id)
        if box is None:
            box = self._outboxes[system_id] = _Outbox()
            box.task = asyncio.get_running_loop().create_task(self._courier(system_id, box))
        return box

    async def _courier(self, system_id: str, box: _Outbox) -> None:
        """Hands one account's receipts to its receiver sessions, in order, until each is acked."""
        while True:
            await box.wake.wait()
            box.wake.clear()
            while box.queue:
                receivers = [s for s in self.sessions if s.system_id == system_id and s.receives]
                if not receivers or not await receivers[0].deliver(box.queue[0]):
                    break
                box.queue.popleft()
            if box.queue and any(s.system_id == system_id and s.receives for s in self.sessions):
                await asyncio.sleep(REDELIVER_AFTER)
                box.wake.set()

    def pending(self, system_id: str) -> int:
        """Receipts of an account still waiting for a receiver."""
        box = self._outboxes.get(system_id)
        return len(box.queue) if box else 0

    async def close(self) -> None:
        """Unbind every session, stop every message's life and the couriers."""
        await asyncio.gather(*(s.unbind() for s in list(self.sessions)), return_exceptions=True)
        tasks = [*self._lives, *(b.task for b in self._outboxes.values() if b.task)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.forwarder is not None:
            await self.forwarder.aclose()


def _at(template: Receipt, clock: Clock, *, stat: str = "ENROUTE", state: int | None = None,
        err: int = 0) -> Receipt:  # fmt: skip
    """The template as a receipt in state `stat`, dated now."""
    return replace(
        template,
        stat=stat,
        message_state=state if state is not None else template.message_state,
        err=err,
        done=clock.now(),
        final=stat != "ENROUTE",
    )


