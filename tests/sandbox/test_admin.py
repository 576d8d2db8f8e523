"""The admin endpoints and the sandbox's own state: persisted, validated, resettable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlrkit.errors import InputError
from dlrkit.sandbox.state import StateStore
from tests.sandbox.conftest import INFOBIP_AUTH, SandboxFactory

pytestmark = pytest.mark.anyio


async def test_state_is_patched_persisted_and_reset(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    async with sandbox_factory(state_dir=tmp_path) as sb:
        r = await sb.http.patch(
            "/_sandbox/state", json={"smspartner": {"stop_list": ["+33612349900"], "credits": 5}}
        )
        assert r.status_code == 200
        assert r.json()["smspartner"]["stop_list"] == ["+33612349900"]
        assert r.json()["infobip"]["credits"] == 100.0  # untouched
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["smspartner"]["credits"] == 5
    async with sandbox_factory(state_dir=tmp_path) as sb:
        assert (await sb.http.get("/_sandbox/state")).json()["smspartner"]["credits"] == 5
        await sb.http.post(
            "/sms/2/text/advanced",
            headers=INFOBIP_AUTH,
            json={"messages": [{"destinations": [{"to": "33612349900"}], "text": "x"}]},
        )
        assert (
            len((await sb.http.get("/_sandbox/messages", params={"provider": "infobip"})).json())
            == 1
        )
        assert (await sb.http.get("/_sandbox/messages", params={"provider": "plivo"})).json() == []
        r = await sb.http.post("/_sandbox/reset")
        assert r.json()["smspartner"]["credits"] == 100.0
        assert (await sb.http.get("/_sandbox/messages")).json() == []
    assert json.loads((tmp_path / "state.json").read_text())["smspartner"]["stop_list"] == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"smspartner": {"credits": -1}}, "smspartner.credits"),
        ({"plivo": {"max_concurrent_calls": "many"}}, "plivo.max_concurrent_calls"),
        ({"twilio": {}}, "twilio"),
        ({"infobip": {"webhook": {"kind": "magic"}}}, "infobip.webhook.kind"),
    ],
)
async def test_bad_state_changes_name_the_field(
    sandbox_factory: SandboxFactory, patch: dict[str, object], field: str
) -> None:
    async with sandbox_factory() as sb:
        r = await sb.http.patch("/_sandbox/state", json=patch)
        assert (await sb.http.get("/_sandbox/state")).json()["smspartner"]["credits"] == 100.0
    assert r.status_code == 400
    assert r.json()["field"] == field


async def test_clock_scenario_and_health(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(speed=1.0) as sb:
        r = await sb.http.put("/_sandbox/clock", json={"now": "2025-07-14T10:00:00+02:00"})
        assert r.json()["now"].startswith("2025-07-14T10:00:0")
        bad = await sb.http.put("/_sandbox/clock", json={"now": "tomorrow"})
        assert (bad.status_code, bad.json()["field"]) == (400, "now")
        r = await sb.http.put(
            "/_sandbox/scenario", json={"name": "busy day", "seed": 3, "mix": {"busy": 1}}
        )
        assert r.json() == {"scenario": "busy day", "seed": 3}
        bad = await sb.http.put("/_sandbox/scenario", json={"mix": {"busy": "x"}})
        assert (bad.status_code, bad.json()["field"]) == (400, "mix.busy")
        not_json = await sb.http.put("/_sandbox/scenario", content=b"[")
        assert (not_json.status_code, not_json.json()["field"]) == (400, "body")
        health = (await sb.http.get("/_sandbox/health")).json()
    assert (health["status"], health["scenario"], health["speed"]) == ("ok", "busy day", 1.0)


def test_a_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"plivo": {"credits": "lots"}}')
    with pytest.raises(InputError) as exc:
        StateStore(tmp_path)
    assert "state.json" in exc.value.problem
    assert exc.value.field == "state"
