"""Schemathesis against the real server's /openapi.json: generated requests for every operation
(webhook bodies per provider and content type, query filters, code look-ups) over loopback.
Every default check must pass; above all, no 5xx.

Webhooks of infobip, plivo and smspartner run in development mode (unverified) so that the
generated bodies reach the parsers; smpp keeps a token account, so refusals are exercised too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.service.conftest import LiveServer, dlrkit, live_server

MAX_EXAMPLES = 50


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    data = tmp_path_factory.mktemp("schemathesis")
    key = json.loads(
        dlrkit("keys", "create", "schemathesis", "--data-dir", str(data), "--json").stdout
    )["secret"]
    with live_server(
        Path(data), "--insecure-webhooks", env={"DLRKIT_SMPP_TOKEN": "st-token"}
    ) as server:
        yield server, key
    assert "Traceback" not in server.output, server.output[-4000:]


@pytest.fixture(scope="module")
def api_schema(live: tuple[LiveServer, str]) -> Any:
    return schemathesis.openapi.from_url(live[0].url + "/openapi.json")


# Every operation of the description (test_every_operation_is_exercised keeps this list honest).
# schemathesis' own pytest loader (`from_fixture`) does not run under pytest 9, so each
# operation's strategy is driven by Hypothesis directly.
OPERATIONS = [
    ("POST", "/webhooks/infobip"),
    ("POST", "/webhooks/smspartner"),
    ("POST", "/webhooks/plivo"),
    ("POST", "/webhooks/smpp"),
    ("POST", "/webhooks/smspartner/{token}"),
    ("GET", "/webhooks/plivo"),
    ("GET", "/webhooks/smspartner"),
    ("GET", "/webhooks/smspartner/{token}"),
    ("GET", "/codes/search"),
    ("GET", "/codes/{provider}/{code}"),
    ("GET", "/healthz"),
    ("POST", "/healthz/noop"),
    ("GET", "/messages/{message_id}"),
    ("GET", "/outcomes"),
    ("GET", "/metrics"),
    ("GET", "/messages/{message_id}/advice"),
    ("GET", "/suppressions"),
    ("POST", "/suppressions"),
    ("DELETE", "/suppressions"),
    ("GET", "/suppressions/check"),
    ("GET", "/insights/delivery-rate"),
    ("GET", "/insights/failures"),
    ("GET", "/insights/latency"),
    ("GET", "/insights/unknown-codes"),
]


def test_every_operation_is_exercised(api_schema: Any) -> None:
    found = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_and_never_fails(
    api_schema: Any, live: tuple[LiveServer, str], method: str, path: str
) -> None:
    operation = api_schema[path][method]
    statuses: list[int] = []
    # Webhook bodies: the description documents each provider's common shape, but adapters
    # also check values (dates, nested objects, several native shapes) beyond what it says,
    # so a schema-valid body may still be a 422 there; and a made-up paging cursor, a string
    # like any other to the schema, is a 422 too; so are schema-valid but impossible values of
    # the decision and insight routes (an expiry in the past, a period ending before it starts).
    refusable = ("/webhooks/", "/outcomes", "/suppressions", "/insights/")
    excluded = [positive_data_acceptance] if path.startswith(refusable) else []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: Any) -> None:
        response = case.call_and_validate(headers={"X-API-Key": live[1]}, excluded_checks=excluded)
        statuses.append(response.status_code)
        assert response.status_code < 500

    check()
    assert statuses
    assert max(statuses) < 500
