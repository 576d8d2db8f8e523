"""`dlrkit serve` as a real process on a loopback port, spoken to over real HTTP; and
`dlrkit keys create|list|revoke`."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from tests.service import signing
from tests.service.conftest import dlrkit, fixture_bytes, free_port, live_server

TOKEN = "live-plivo-token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _signed(url: str, body: bytes, nonce: str = "4242") -> dict[str, str]:
    return {
        **FORM,
        "X-Plivo-Signature-V3": signing.plivo_v3(TOKEN, url, nonce, body),
        "X-Plivo-Signature-V3-Nonce": nonce,
    }


def test_keys_commands(tmp_path: Path) -> None:
    made = dlrkit("keys", "create", "support dashboard", "--data-dir", str(tmp_path), "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["name"] == "support dashboard"
    assert key["secret"].startswith(key["prefix"])
    listed = dlrkit("keys", "list", "--data-dir", str(tmp_path), "--json")
    [row] = json.loads(listed.stdout)
    assert row == {k: key[k] for k in ("id", "name", "prefix", "created_at")} | {"revoked_at": None}
    assert key["secret"] not in listed.stdout
    plain = dlrkit("keys", "list", "--data-dir", str(tmp_path))
    assert key["id"] in plain.stdout
    assert "active" in plain.stdout
    assert dlrkit("keys", "revoke", key["id"], "--data-dir", str(tmp_path)).returncode == 0
    again = dlrkit("keys", "revoke", key["id"], "--data-dir", str(tmp_path))
    assert again.returncode == 1
    assert "no active API key" in again.stderr
    [row] = json.loads(dlrkit("keys", "list", "--data-dir", str(tmp_path), "--json").stdout)
    assert row["revoked_at"] is not None


def test_serve_over_loopback(tmp_path: Path) -> None:
    key = json.loads(
        dlrkit("keys", "create", "live", "--data-dir", str(tmp_path), "--json").stdout
    )["secret"]
    body = fixture_bytes("plivo/message_delivered.form")
    with (
        live_server(tmp_path, env={"DLRKIT_PLIVO_AUTH_TOKEN": TOKEN}) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        url = server.url + "/webhooks/plivo"
        r = http.post("/webhooks/plivo", content=body, headers=_signed(url, body))
        assert (r.status_code, r.json()) == (200, {"accepted": 1, "duplicates": 0})
        r = http.post("/webhooks/plivo", content=body, headers=_signed(url, body, nonce="4243"))
        assert r.json() == {"accepted": 0, "duplicates": 1}
        r = http.post(
            "/webhooks/plivo",
            content=body,
            headers={**FORM, "X-Plivo-Signature-V3": "x", "X-Plivo-Signature-V3-Nonce": "1"},
        )
        assert r.status_code == 403

        r = http.get(
            "/messages/9b1c0d2e-3f4a-11f0-8a5b-0242ac110002",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200
        from dlrkit.normalizer import normalize  # late: see conftest's _late_imports

        [expected] = normalize(body, "plivo", content_type=FORM["Content-Type"])
        assert r.json()["outcome"]["state"] == expected.state.value
        assert len(r.json()["history"]) == 1
        assert http.get("/outcomes").status_code == 401

        metrics = http.get("/metrics").text
        assert 'dlrkit_webhook_reports_total{provider="plivo",result="duplicate"} 1.0' in metrics
        assert 'dlrkit_webhook_rejections_total{provider="plivo",reason="auth"} 1.0' in metrics
        assert "swagger-ui" in http.get("/docs").text
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: exit status -SIGTERM
    assert server.process.returncode == -signal.SIGTERM
    assert "Traceback" not in server.output
    assert "Application shutdown complete" in server.output


def test_serve_behind_a_proxy_and_insecure_mode(tmp_path: Path) -> None:
    body = fixture_bytes("plivo/message_queued.form")
    public = "https://dlr.example.com/base"
    args = ("--public-url", public, "--insecure-webhooks")
    with (
        live_server(tmp_path, *args, env={"DLRKIT_PLIVO_AUTH_TOKEN": TOKEN}) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        # Plivo signed the public URL, not the one this process sees
        r = http.post(
            "/webhooks/plivo?x=1",
            content=body,
            headers=_signed(public + "/webhooks/plivo?x=1", body),
        )
        assert r.status_code == 200, r.text
        # providers without an account are accepted unverified in insecure mode...
        r = http.post(
            "/webhooks/smspartner", content=fixture_bytes("smspartner/dlr_ko.form"), headers=FORM
        )
        assert r.json() == {"accepted": 1, "duplicates": 0}
        # ... but a configured account is still checked
        r = http.post("/webhooks/plivo", content=body, headers=FORM)
        assert r.status_code == 401
    assert "WARNING: --insecure-webhooks" in server.output


def test_serve_refuses_bad_settings_clearly(tmp_path: Path) -> None:
    run = dlrkit("serve", "--data-dir", str(tmp_path), "--max-body", "0")
    assert run.returncode == 2
    assert "--max-body" in run.stderr  # the option given, not the variable it sets
    assert "Traceback" not in run.stderr
    # a port of its own: the default one may be taken on a shared machine, and the port is
    # checked before the database
    run = dlrkit("serve", "--db", "mysql://x/y", "--port", str(free_port()))
    assert run.returncode == 2
    assert "unsupported database" in run.stderr
    policy = tmp_path / "policy.toml"
    policy.write_text("[policy]\nmax_attempts = 0\n")
    run = dlrkit("serve", "--data-dir", str(tmp_path), "--policy", str(policy))
    assert run.returncode == 2
    assert f"{policy}: policy.max_attempts: Expected `int` >= 1" in run.stderr
