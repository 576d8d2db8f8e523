"""Scenarios (mixes drawn from a seed, delays, disorder), magic numbers, the clock, SMS parts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.fates import MAGIC_SUFFIXES, Fate, magic_fate
from dlrkit.sandbox.scenario import Scenario, ScenarioError
from dlrkit.sandbox.texts import NumberCheck, check_number, sms_parts

MIX = """
seed = 42
[mix]
delivered = 90
absent_subscriber = 5
unknown_subscriber = 3
expired = 2
[delays]
delivered = [2, 20]
[reports]
duplicates = 0.1
"""


def test_mix_is_followed_and_deterministic(tmp_path: Path) -> None:
    path = tmp_path / "mostly.toml"
    path.write_text(MIX)
    scenario = Scenario.load(path)
    numbers = [f"+336{n:08d}" for n in range(20_000)]
    numbers = [n for n in numbers if magic_fate(n) is None]  # magic numbers take precedence
    fates = [scenario.decide("infobip", n, 0).fate for n in numbers]
    counts = Counter(fates)
    shares = {f: counts[f] / len(numbers) for f in counts}
    assert shares[Fate.DELIVERED] == pytest.approx(0.90, abs=0.01)
    assert shares[Fate.ABSENT_SUBSCRIBER] == pytest.approx(0.05, abs=0.005)
    assert shares[Fate.UNKNOWN_SUBSCRIBER] == pytest.approx(0.03, abs=0.005)
    assert shares[Fate.EXPIRED] == pytest.approx(0.02, abs=0.005)
    assert set(counts) == {
        Fate.DELIVERED,
        Fate.ABSENT_SUBSCRIBER,
        Fate.UNKNOWN_SUBSCRIBER,
        Fate.EXPIRED,
    }
    again = [Scenario.load(path).decide("infobip", n, 0).fate for n in numbers]
    assert again == fates  # same seed, same fates
    reseeded = Scenario.load(path)
    other = Scenario(**{**reseeded.__dict__, "seed": 43})
    assert [other.decide("infobip", n, 0).fate for n in numbers[:500]] != fates[:500]


def test_decisions_depend_on_provider_recipient_and_rank() -> None:
    scenario = Scenario.from_dict(
        {"seed": 1, "mix": {"delivered": 1, "busy": 1}, "delays": {"delivered": [2, 20]}}
    )
    one = scenario.decide("plivo", "+33612345678", 0)
    assert scenario.decide("plivo", "+33612345678", 0) == one
    assert scenario.decide("infobip", "+33612345678", 0).delay != one.delay  # another stream
    ranks = {scenario.decide("plivo", "+33612345678", n).fate for n in range(50)}
    assert ranks == {Fate.DELIVERED, Fate.BUSY}


def test_delays_duplicates_and_expiry() -> None:
    scenario = Scenario.from_dict(
        {"delays": {"delivered": [2, 20], "default": 7}, "reports": {"duplicates": 1.0}}
    )
    delivered = [scenario.decide("x", f"+3361234{n:04d}", 0) for n in range(100)]
    assert all(2 <= d.delay <= 20 and d.duplicate for d in delivered)
    absent = scenario.decide("x", "+33612349901", 0)  # a magic number: absent subscriber
    assert (absent.fate, absent.delay, absent.magic) == (Fate.ABSENT_SUBSCRIBER, 7.0, True)
    expired = scenario.decide("x", "+33612349903", 0)
    assert expired.expires  # no delay line for expired: it ends with the validity period
    timed = Scenario.from_dict({"delays": {"expired": 30}}).decide("x", "+33612349903", 0)
    assert (timed.expires, timed.delay) == (False, 30.0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mix": {"delivered": 1, "lost": 2}}, "mix.lost"),
        ({"mix": {"delivered": -1}}, "mix.delivered"),
        ({"mix": {"delivered": 0}}, "mix"),
        ({"seed": "x"}, "seed"),
        ({"delays": {"delivered": [5, 1]}}, "delays.delivered"),
        ({"delays": {"eventually": 5}}, "delays.eventually"),
        ({"reports": {"duplicates": 2}}, "reports.duplicates"),
        ({"reports": {"intermediate": "yes"}}, "reports.intermediate"),
        ({"speed": 3}, "speed"),
    ],
)
def test_bad_scenarios_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_dict(data)
    assert exc.value.field == field


def test_unreadable_scenario_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[mix\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        Scenario.load(bad)
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.load(tmp_path / "missing.toml")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[mix]\ndelivered = 'lots'\n")
    with pytest.raises(ScenarioError, match=r"wrong\.toml: expected a number") as exc:
        Scenario.load(wrong)
    assert exc.value.field == "mix.delivered"


def test_magic_numbers_are_valid_numbers_and_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "sandbox.md").read_text()
    for suffix, fate in MAGIC_SUFFIXES.items():
        assert magic_fate("+3361234" + suffix) is fate
        assert check_number("+3361234" + suffix).check is NumberCheck.VALID
        assert check_number("+1415555" + suffix).check is NumberCheck.VALID
        assert f"| `{suffix}` | `{fate.value}` |" in doc
    assert magic_fate("+33612345678") is None
    assert magic_fate("12") is None


def test_clock_runs_at_its_speed() -> None:
    start = datetime(2025, 7, 14, 8, 0, tzinfo=UTC)
    clock = Clock(speed=3600.0, start=start)
    assert clock.real_seconds(7200) == 2.0
    assert clock.now() >= start
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now().year == 2030
    with pytest.raises(ValueError, match="speed"):
        Clock(speed=0)
    with pytest.raises(ValueError, match="offset"):
        Clock(start=datetime(2025, 1, 1))


@pytest.mark.parametrize(
    ("text", "unicode", "parts", "encoding"),
    [
        ("a" * 160, False, 1, "GSM-7"),
        ("a" * 161, False, 2, "GSM-7"),
        ("€" * 80, False, 1, "GSM-7"),  # two septets each
        ("€" * 81, False, 2, "GSM-7"),
        ("ü" * 70, True, 1, "UCS-2"),
        ("ü" * 71, True, 2, "UCS-2"),
        ("😀" * 35, False, 1, "UCS-2"),  # a surrogate pair each
        ("Ж" * 135, False, 3, "UCS-2"),
    ],
)
def test_sms_parts(text: str, unicode: bool, parts: int, encoding: str) -> None:
    found = sms_parts(text, force_unicode=unicode)
    assert (found.parts, found.encoding) == (parts, encoding)
