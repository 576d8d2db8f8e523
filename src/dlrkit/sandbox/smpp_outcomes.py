"""What the sandbox SMSC does with each message: outcomes by name, magic numbers, scenario mixes.

An outcome is either a refusal at submission (a submit_sm_resp command_status, SMPP 3.4
section 5.1.3) or a final delivery receipt: the Appendix B `stat:` word, the matching
message_state (5.2.28) and, for failures, a MAP error (3GPP TS 29.002 section 17.6.6) sent as
`err:` and as a GSM network_error_code (5.3.2.31). Every name is resolved through the catalog
when first used, so the numbers on the wire are the catalog's.

Magic numbers sit in the range Ofcom reserves for drama (+44 7700 900000 to 900999): they never
reach a real handset. Any other number follows the scenario's mix, deterministically for a seed.

Scenario files are TOML::

    name = "busy evening"
    seed = 7
    duplicates = 0.01          # share of final receipts sent twice, as some SMSCs do
    [mix]                      # weights, any scale
    delivered = 90
    absent_subscriber = 5
    unknown_subscriber = 3
    expired = 2
    [delays]                   # sandbox seconds from submit to the final state: [low, high]
    delivered = [1, 5]
    [magic]                    # extra magic numbers
    "33612345678" = "busy"
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from dlrkit.catalog import Catalog
from dlrkit.errors import InputError

PROVIDER = "smpp"
DEFAULT_VALIDITY = 48 * 3600.0  # sandbox seconds a message may wait for delivery


@dataclass(frozen=True, slots=True)
class Codes:
    """The numbers an outcome puts on the wire, looked up in the catalog."""

    submit_status: int
    message_state: int | None
    err: int  # MAP error code, 0 when none


@dataclass(frozen=True, slots=True)
class SmppOutcome:
    """One way a message can end. `stat` None: refused at submission, no receipt follows."""

    name: str
    submit_status: str = "ESME_ROK"
    stat: str | None = "DELIVRD"
    map_error: str | None = None
    delay: tuple[float, float] = (2.0, 10.0)  # sandbox seconds; expired waits for validity

    @property
    def accepted(self) -> bool:
        return self.submit_status == "ESME_ROK"

    @property
    def codes(self) -> Codes:
        return _codes(self.submit_status, self.stat, self.map_error)


_OUTCOMES = (
    SmppOutcome("delivered"),
    SmppOutcome("absent_subscriber", stat="UNDELIV", map_error="absentSubscriber", delay=(30, 300)),
    SmppOutcome("unknown_subscriber", stat="UNDELIV", map_error="unknownSubscriber", delay=(1, 5)),
    SmppOutcome("barred", stat="UNDELIV", map_error="callBarred", delay=(1, 5)),
    SmppOutcome("busy", stat="UNDELIV", map_error="subscriberBusyForMT-SMS", delay=(5, 60)),
    SmppOutcome("delivery_failure", stat="UNDELIV", map_error="sm-DeliveryFailure", delay=(5, 60)),
    SmppOutcome("system_failure", stat="UNDELIV", map_error="systemFailure", delay=(1, 30)),
    SmppOutcome("expired", stat="EXPIRED"),
    SmppOutcome("rejected", stat="REJECTD", delay=(0.5, 2)),
    SmppOutcome("deleted", stat="DELETED", delay=(5, 60)),
    SmppOutcome("unknown", stat="UNKNOWN", delay=(5, 60)),
    SmppOutcome("throttled", submit_status="ESME_RTHROTTLED", stat=None),
    SmppOutcome("queue_full", submit_status="ESME_RMSGQFUL", stat=None),
    SmppOutcome("system_error", submit_status="ESME_RSYSERR", stat=None),
    SmppOutcome("invalid_destination", submit_status="ESME_RINVDSTADR", stat=None),
    SmppOutcome("submit_failed", submit_status="ESME_RSUBMITFAIL", stat=None),
)
OUTCOMES: Mapping[str, SmppOutcome] = {o.name: o for o in _OUTCOMES}

#: destination -> outcome name; the table the README documents
MAGIC: Mapping[str, str] = {
    f"447700900{i:03d}": name
    for i, name in enumerate(
        ("delivered", "absent_subscriber", "unknown_subscriber", "barred", "busy",
         "delivery_failure", "system_failure", "expired", "rejected", "deleted", "unknown")
    )
} | {
    f"4477009000{20 + i}": name
    for i, name in enumerate(
        ("throttled", "queue_full", "system_error", "invalid_destination", "submit_failed")
    )
}  # fmt: skip


def digits(address: str) -> str:
    """An address as the magic table keys it: no '+', no '00' international prefix, no spaces."""
    s = "".join(address.split()).lstrip("+")
    return s[2:] if s.startswith("00") else s


@cache
def _codes(submit_status: str, stat: str | None, map_error: str | None) -> Codes:
    catalog = Catalog.default()
    submit = catalog.by_name(PROVIDER, submit_status, kind="api_error", channel="command_status")
    if not submit:
        raise LookupError(f"command_status {submit_status} is not in the catalog")
    state: int | None = None
    if stat is not None:
        word = catalog.lookup(PROVIDER, stat, kind="dlr_status", channel="receipt")
        states = word and catalog.by_name(PROVIDER, word[0].name or "", "status", "message_state")
        if not states:
            raise LookupError(f"receipt stat {stat} has no message_state in the catalog")
        state = int(states[0].code)
    err = 0
    if map_error is not None:
        found = catalog.by_name("map", map_error, kind="error")
        if not found:
            raise LookupError(f"MAP error {map_error} is not in the catalog")
        err = int(found[0].code)
    return Codes(int(submit[0].code), state, err)


def status_code(name: str) -> int:
    """The command_status value of a name such as "ESME_RINVPASWD", from the catalog."""
    return _codes(name, None, None).submit_status


@dataclass(frozen=True, slots=True)
class Scenario:
    """A mix of outcomes for ordinary numbers, plus magic numbers and delays."""

    name: str = "default"
    mix: Mapping[str, float] = field(default_factory=lambda: {"delivered": 1.0})
    seed: int | None = None
    duplicates: float = 0.0
    delays: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    magic: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, weight in self.mix.items():
            _known(key, f"mix.{key}")
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise InputError("must be a number >= 0", provider=PROVIDER, field=f"mix.{key}")
        if not sum(self.mix.values()):
            raise InputError("needs at least one positive weight", provider=PROVIDER, field="mix")
        for key, span in self.delays.items():
            _known(key, f"delays.{key}")
            if not (len(span) == 2 and 0 <= span[0] <= span[1]):
                raise InputError("must be [low, high] seconds", provider=PROVIDER, field=f"delays.{key}")
        for number, name in self.magic.items():
            _known(name, f"magic.{number}")
        if not 0 <= self.duplicates <= 1:
            raise InputError("must be between 0 and 1", provider=PROVIDER, field="duplicates")

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Scenario:
        """A scenario from a decoded TOML/JSON table; unknown keys are named in the error."""
        known = ("name", "seed", "duplicates", "mix", "delays", "magic")
        for key in data:
            if key not in known:
                raise InputError(f"unknown key; use {', '.join(known)}", provider=PROVIDER, field=key)
        name = data.get("name", "default")
        seed = data.get("seed")
        duplicates = data.get("duplicates", 0.0)
        if not isinstance(name, str):
            raise InputError("must be a string", provider=PROVIDER, field="name")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise InputError("must be an integer", provider=PROVIDER, field="seed")
        if not isinstance(duplicates, int | float) or isinstance(duplicates, bool):
            raise InputError("must be a number", provider=PROVIDER, field="duplicates")
        return cls(
            name=name,
            mix=dict(_table(data, "mix")) or {"delivered": 1.0},
            seed=seed,
            duplicates=float(duplicates),
            delays={str(k): _span(v, str(k)) for k, v in _table(data, "delays").items()},
            magic={digits(str(k)): str(v) for k, v in _table(data, "magic").items()},
        )

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"cannot read scenario: {exc}", provider=PROVIDER, field=str(path)) from exc
        data.setdefault("name", Path(path).stem)
        return cls.from_dict(data)


def _table(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise InputError("must be a table", provider=PROVIDER, field=key)
    return table


def _known(name: str, where: str) -> None:
    if name not in OUTCOMES:
        raise InputError(
            f"unknown outcome {name!r}; known: {', '.join(OUTCOMES)}", provider=PROVIDER, field=where
        )


def _span(value: object, key: str) -> tuple[float, float]:
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return float(value[0]), float(value[1])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), float(value)
    raise InputError("must be [low, high] seconds", provider=PROVIDER, field=f"delays.{key}")


class Picker:
    """Chooses each message's outcome and delay; the same seed gives the same sequence."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario or Scenario()
        self._rng = random.Random(self.scenario.seed)
        names = [n for n, w in self.scenario.mix.items() if w > 0]
        self._names = names
        self._weights = [float(self.scenario.mix[n]) for n in names]

    def pick(self, destination: str) -> SmppOutcome:
        number = digits(destination)
        name = self.scenario.magic.get(number) or MAGIC.get(number)
        if name is None:
            name = self._rng.choices(self._names, self._weights)[0]
        outcome = OUTCOMES[name]
        span = self.scenario.delays.get(name)
        return replace(outcome, delay=span) if span else outcome

    def delay(self, outcome: SmppOutcome, validity: float | None) -> float:
        """Sandbox seconds until the final state; an expiry comes when the validity runs out."""
        if outcome.stat == "EXPIRED" and outcome.name not in self.scenario.delays:
            return validity if validity is not None else DEFAULT_VALIDITY
        low, high = outcome.delay
        return self._rng.uniform(low, high)

    def duplicate(self) -> bool:
        return self.scenario.duplicates > 0 and self._rng.random() < self.scenario.duplicates
