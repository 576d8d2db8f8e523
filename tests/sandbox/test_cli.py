"""`dlrkit sandbox` from the command line: serving, bad options, and the `fire` traffic source."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from dlrkit.normalizer import normalize
from dlrkit.sandbox import Scenario, fire
from tests.sandbox.conftest import INFOBIP_AUTH, Received, Receiver
from tests.sandbox.live import live_sandbox
from tests.service.conftest import dlrkit


def test_serves_and_stops_cleanly(tmp_path: Path, receiver: Receiver) -> None:
    scenario = tmp_path / "busy.toml"
    scenario.write_text("seed = 1\n[mix]\nbusy = 1\n[delays]\ndefault = 1\n")
    args = ("--callback-base", receiver.url, "--scenario", str(scenario), "--speed", "50")
    with live_sandbox(*args, "--start", "2025-07-14T10:00:00+02:00") as server:
        health = httpx.get(server.url + "/_sandbox/health").json()
        assert (health["scenario"], health["speed"]) == ("busy", 50.0)
        assert health["now"].startswith("2025-07-14T10:0")
        body = {"messages": [{"destinations": [{"to": "33612345678"}], "text": "hi"}]}
        r = httpx.post(server.url + "/sms/2/text/advanced", json=body, headers=INFOBIP_AUTH)
        assert r.status_code == 200
        deadline = 100
        while not receiver.calls and deadline:
            deadline -= 1
            httpx.get(server.url + "/_sandbox/health")  # let time pass
    [call] = receiver.calls
    [outcome] = normalize(call.body, "infobip")
    assert outcome.reason.value == "recipient_busy"
    assert "dlrkit sandbox on http://127.0.0.1:" in server.output
    assert "DLRKIT_PLIVO_AUTH_TOKEN=sandbox-plivo-auth-token" in server.output
    assert "Traceback" not in server.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scenario", "{missing}"), "cannot read"),
        (("--scenario", "{bad}"), "mix.lost"),
        (("--start", "2025-07-14T10:00:00"), "--start"),
        (("--start", "Monday"), "--start"),
        (("--speed", "0"), "--speed"),
        (("--fire", "10"), "--fire needs --callback-base"),
    ],
)
def test_bad_options_are_clear_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[mix]\nlost = 3\n")
    paths = {"missing": str(tmp_path / "missing.toml"), "bad": str(bad)}
    run = dlrkit("sandbox", *(a.format(**paths) for a in args))
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("provider", "channel", "field"),
    [
        ("smspartner", "sms", "status"),
        ("plivo", "voice", "HangupCauseCode"),
        ("plivo", "sms", "Status"),
    ],
)
async def test_fire_posts_signed_native_reports(
    receiver: Receiver, provider: str, channel: str, field: str
) -> None:
    scenario = Scenario.from_dict({"seed": 5, "mix": {"delivered": 1, "busy": 1}})
    stats = await fire(
        receiver.url, provider=provider, channel=channel, count=30, rate=3000, scenario=scenario
    )
    assert (stats.sent, stats.accepted, stats.errors) == (30, 30, 0)
    assert stats.to_dict()["statuses"] == {"200": 30}
    assert len(receiver.calls) == 30
    for call in receiver.calls:
        assert call.path == f"/webhooks/{provider}"
        assert field in parse_qs(call.body.decode())
        [outcome] = normalize(call.body, provider, content_type="application/x-www-form-urlencoded")
        assert outcome.state.value in ("delivered", "undelivered")
    if provider == "plivo":
        assert all("x-plivo-signature-v3" in c.headers for c in receiver.calls)
    again = await fire(
        receiver.url, provider=provider, channel=channel, count=30, rate=3000, scenario=scenario
    )
    assert again.accepted == 30  # the same seed gives the same stream of fates

    def stream(calls: list[Received]) -> list[tuple[str, str]]:  # arrival order varies: sort
        forms = [parse_qs(c.body.decode()) for c in calls]
        return sorted((f.get("To", f.get("phoneNumber", [""]))[0], f[field][0]) for f in forms)

    assert stream(receiver.calls[:30]) == stream(receiver.calls[30:])
    assert len({value for _, value in stream(receiver.calls)}) == 2  # both fates of the mix


@pytest.mark.anyio
async def test_fire_counts_refusals_and_unreachable_receivers(receiver: Receiver) -> None:
    receiver.answer = 403
    refused = await fire(receiver.url, count=5, rate=1000)
    assert (refused.accepted, refused.refused, dict(refused.statuses)) == (0, 5, {403: 5})
    nobody = await fire("http://127.0.0.1:9", count=3, rate=1000)
    assert nobody.errors == 3
    with pytest.raises(ValueError, match="provider"):
        await fire(receiver.url, provider="twilio")
