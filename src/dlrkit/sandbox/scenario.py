"""Scenario files: the mix of fates, the delays and the report disorder a sandbox run imitates.

A scenario is a TOML file (docs/sandbox.md has the full format):

    seed = 7
    [mix]                       # weights (percentages or any positive numbers)
    delivered = 90
    absent_subscriber = 5
    unknown_subscriber = 3
    expired = 2
    [delays]                    # simulated seconds: a number, or [min, max] drawn uniformly
    delivered = [2, 20]
    default = [5, 120]          # fates without a line of their own
    answer = [3, 15]            # voice: rings before the callee picks up
    [reports]
    duplicates = 0.05           # share of final reports posted twice
    out_of_order = 0.2          # share of messages whose intermediate report comes after the final
    intermediate = true         # post intermediate reports where the provider does (Plivo)

Decisions are deterministic: message number n to a recipient at a provider always gets the same
fate, delays and disorder for the same seed, whatever the order requests arrive in.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlrkit.errors import InputError
from dlrkit.sandbox.fates import Fate, magic_fate, parse_fate

Range = tuple[float, float]
DEFAULT_DELAYS: dict[str, Range] = {
    "delivered": (2.0, 12.0),
    "default": (5.0, 60.0),
    "answer": (3.0, 12.0),
    "duplicate": (1.0, 30.0),
}
_KNOWN_DELAYS = {f.value for f in Fate} | {"default", "answer", "duplicate"}


class ScenarioError(InputError):
    """A scenario file that cannot be used; `field` names the key (e.g. "mix.delivered")."""


@dataclass(frozen=True)
class Decision:
    """What happens to one message: its fate, when, and how its reports misbehave."""

    fate: Fate
    delay: float  # simulated seconds from acceptance to the final report
    answer_after: float  # voice: seconds the phone rings before the callee would answer
    duplicate: bool  # post the final report twice
    duplicate_after: float  # simulated seconds between the two copies
    out_of_order: bool  # deliver the intermediate report after the final one
    magic: bool  # the fate came from a magic number
    expires: bool = False  # an expired fate without a delay line: it ends with the validity period


@dataclass(frozen=True)
class Scenario:
    """A validated scenario; `Scenario()` is the default: everything delivered, a few seconds."""

    seed: int = 0
    mix: tuple[tuple[Fate, float], ...] = ((Fate.DELIVERED, 1.0),)
    delays: Mapping[str, Range] = field(default_factory=lambda: dict(DEFAULT_DELAYS))
    duplicates: float = 0.0
    out_of_order: float = 0.0
    intermediate: bool = True
    name: str = "default"

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read and check a scenario file; ScenarioError names the file and the key."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ScenarioError(f"cannot read {path}: {exc.strerror}", field="scenario") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{path}: not valid TOML ({exc})", field="scenario") from None
        try:
            return cls.from_dict(data, name=path.stem)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: {exc.problem}", field=exc.field) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "scenario") -> Scenario:
        unknown = set(data) - {"seed", "mix", "delays", "reports", "name"}
        if unknown:
            raise ScenarioError(f"unknown key(s): {', '.join(sorted(unknown))}", field=min(unknown))
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ScenarioError(f"expected an integer, got {seed!r}", field="seed")
        mix = _mix(_table(data, "mix")) if "mix" in data else cls.mix
        delays = dict(DEFAULT_DELAYS)
        for key, value in _table(data, "delays").items():
            if key not in _KNOWN_DELAYS:
                raise ScenarioError(
                    f"unknown delay; known: {', '.join(sorted(_KNOWN_DELAYS))}",
                    field=f"delays.{key}",
                )
            delays[key] = _range(value, f"delays.{key}")
        reports = _table(data, "reports")
        unknown = set(reports) - {"duplicates", "out_of_order", "intermediate"}
        if unknown:
            raise ScenarioError("unknown key", field=f"reports.{min(unknown)}")
        intermediate = reports.get("intermediate", True)
        if not isinstance(intermediate, bool):
            raise ScenarioError(
                f"expected true or false, got {intermediate!r}", field="reports.intermediate"
            )
        return cls(
            seed=seed,
            mix=mix,
            delays=delays,
            duplicates=_share(reports.get("duplicates", 0.0), "reports.duplicates"),
            out_of_order=_share(reports.get("out_of_order", 0.0), "reports.out_of_order"),
            intermediate=intermediate,
            name=str(data.get("name", name)),
        )

    def decide(self, provider: str, recipient: str, n: int) -> Decision:
        """The decision for the n-th message (0-based) to `recipient` at `provider`."""
        rng = random.Random(f"{self.seed}/{provider}/{recipient}/{n}")
        magic = magic_fate(recipient)
        fate = magic if magic is not None else self._draw(rng.random())
        delay_range = self.delays.get(fate.value) or self.delays["default"]
        return Decision(
            fate=fate,
            delay=rng.uniform(*delay_range),
            answer_after=rng.uniform(*self.delays["answer"]),
            duplicate=rng.random() < self.duplicates,
            duplicate_after=rng.uniform(*self.delays["duplicate"]),
            out_of_order=rng.random() < self.out_of_order,
            magic=magic is not None,
            expires=fate is Fate.EXPIRED and "expired" not in self.delays,
        )

    def _draw(self, x: float) -> Fate:
        total = sum(weight for _, weight in self.mix)
        point = x * total
        for fate, weight in self.mix:
            point -= weight
            if point < 0:
                return fate
        return self.mix[-1][0]


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ScenarioError("expected a table", field=key)
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"expected a number, got {value!r}", field=where)
    if value < 0:
        raise ScenarioError(f"must not be negative, got {value!r}", field=where)
    return float(value)


def _mix(table: Mapping[str, Any]) -> tuple[tuple[Fate, float], ...]:
    out = []
    for key, value in table.items():
        try:
            fate = parse_fate(key, f"mix.{key}")
        except ValueError as exc:
            raise ScenarioError(str(exc).partition(": ")[2], field=f"mix.{key}") from None
        weight = _number(value, f"mix.{key}")
        if weight > 0:
            out.append((fate, weight))
    if not out:
        raise ScenarioError("needs at least one fate with a positive weight", field="mix")
    return tuple(out)


def _range(value: object, where: str) -> Range:
    if isinstance(value, list):
        if len(value) != 2:
            raise ScenarioError("expected [min, max]", field=where)
        low, high = _number(value[0], where), _number(value[1], where)
        if low > high:
            raise ScenarioError(f"min {low} is greater than max {high}", field=where)
        return (low, high)
    single = _number(value, where)
    return (single, single)


def _share(value: object, where: str) -> float:
    share = _number(value, where)
    if share > 1:
        raise ScenarioError(f"a share between 0 and 1, got {share}", field=where)
    return share
