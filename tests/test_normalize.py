"""normalize(): detection, every adapter through the registry, and robustness against any input."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlrkit import DlrkitError, InputError, normalize
from dlrkit.adapters import ADAPTERS, get
from dlrkit.catalog.registry import PROVIDERS
from dlrkit.normalizer import detect
from dlrkit.outcome import State

from .strategies import json_values

INFOBIP_SMS = {
    "results": [
        {
            "bulkId": "b-1",
            "messageId": "m-1",
            "to": "385981234567",
            "sentAt": "2024-10-09T12:00:00.000+0000",
            "doneAt": "2024-10-09T12:00:05.000+0000",
            "smsCount": 1,
            "price": {"pricePerMessage": 0.01, "currency": "EUR"},
            "status": {
                "groupId": 3,
                "groupName": "DELIVERED",
                "id": 5,
                "name": "DELIVERED_TO_HANDSET",
            },
            "error": {
                "groupId": 0,
                "groupName": "OK",
                "id": 0,
                "name": "NO_ERROR",
                "permanent": False,
            },
        },
        {
            "bulkId": "b-1",
            "messageId": "m-2",
            "to": "33612345678",
            "status": {
                "groupId": 2,
                "groupName": "UNDELIVERABLE",
                "id": 9,
                "name": "UNDELIVERABLE_NOT_DELIVERED",
            },
            "error": {
                "groupId": 1,
                "groupName": "HANDSET_ERRORS",
                "id": 27,
                "name": "EC_ABSENT_SUBSCRIBER",
                "permanent": False,
            },
        },
    ]
}
PLIVO_HANGUP = (
    b"CallUUID=c-1&From=14155550100&To=14155550123&CallStatus=busy&Direction=outbound"
    b"&HangupCauseCode=3010&HangupCauseName=Busy+Line&HangupSource=Carrier"
)
SMPP_RECEIPT = b"id:0123456789 sub:001 dlvrd:000 submit date:2410091200 done date:2410091201 stat:UNDELIV err:001 text:"


def test_registry_and_adapters_agree() -> None:
    assert set(ADAPTERS) == {*PROVIDERS, "smpp"}
    for name in ADAPTERS:
        module = get(name)
        assert name == module.PROVIDER
        assert callable(module.detect)
        assert callable(module.parse)


def test_infobip_batch_gives_one_outcome_per_message() -> None:
    outs = normalize(json.dumps(INFOBIP_SMS).encode())
    assert [(o.message_id, o.state, o.reason) for o in outs] == [
        ("m-1", "delivered", "none"),
        ("m-2", "undelivered", "recipient_unreachable"),
    ]
    assert outs[0].recipient == "+385981234567"
    assert outs[0].country == "HR"
    assert outs[0].price == 0.01
    assert outs[0].currency == "EUR"
    assert outs[1].raw["messageId"] == "m-2"


def test_dict_payloads_and_detection() -> None:
    assert normalize(INFOBIP_SMS)[0].provider == "infobip"
    (plivo,) = normalize(PLIVO_HANGUP)
    assert (plivo.provider, plivo.state, plivo.reason) == ("plivo", "undelivered", "recipient_busy")
    (smpp,) = normalize(SMPP_RECEIPT)
    assert (smpp.provider, smpp.message_id, smpp.state) == ("smpp", "0123456789", "undelivered")


def test_unknown_shape_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="unrecognised payload shape"):
        normalize({"hello": "world"})


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{not json", "object keys must be strings (byte 1)"),
        (b'{"results":[{"messageId":"a",}]}', "trailing comma in object (byte 29)"),
        (b"[1, 2", "truncated"),
    ],
)
def test_broken_json_is_said_to_be_broken(body: bytes, where: str) -> None:
    """A payload that looks like JSON and is not: the JSON error, not "whose is it?"."""
    with pytest.raises(InputError, match="not valid JSON") as err:
        normalize(body)
    assert where in str(err.value)


@pytest.mark.parametrize(
    "junk",
    [b"", b"null", b"[]", b"{}", b"\xff\xfe\x00", b"{" * 5000, b"1e999999", b'{"results": 5}'],
)
@pytest.mark.parametrize("provider", [None, *ADAPTERS])
def test_junk_gives_a_dlrkit_error_or_nothing(junk: bytes, provider: str | None) -> None:
    try:
        outcomes = normalize(junk, provider)
    except DlrkitError:
        return
    assert isinstance(outcomes, list)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([None, *ADAPTERS]))
def test_any_bytes_give_outcomes_or_a_dlrkit_error(body: bytes, provider: str | None) -> None:
    with contextlib.suppress(DlrkitError):
        normalize(body, provider)


@settings(max_examples=200, deadline=None)
@given(json_values, st.sampled_from([None, *ADAPTERS]))
def test_any_json_gives_outcomes_or_a_dlrkit_error(doc: object, provider: str | None) -> None:
    with contextlib.suppress(DlrkitError):
        normalize(json.dumps(doc).encode(), provider)


@settings(max_examples=100, deadline=None)
@given(st.fixed_dictionaries({"results": st.lists(json_values, max_size=3)}))
def test_infobip_like_json_never_escapes(doc: dict[str, object]) -> None:
    with contextlib.suppress(DlrkitError):
        normalize(doc, "infobip")


def test_smpp_profile_maps_err_into_another_namespace() -> None:
    from dlrkit.adapters import smpp
    from dlrkit.catalog import Catalog
    from dlrkit.classify import classify

    profile = smpp.ReceiptProfile.from_dict(
        {"name": "acme", "err_map": {"001": "infobip:error:general:1"}}
    )
    (rep,) = smpp.parse(b"id:9 stat:UNDELIV err:001", profile=profile)
    o = classify(rep, Catalog.default())
    assert (o.reason, o.decided_by) == ("recipient_invalid", "catalog:infobip:error:general:1")


NEEDS_A_PROFILE = {"csv_custom_format.txt"}  # a custom text format: only a profile reads it


def fixture_paths() -> list[str]:
    root = Path(__file__).parent / "fixtures"
    return sorted(
        str(path.relative_to(root))
        for path in root.glob("*/*")
        if path.suffix != ".toml" and path.name not in NEEDS_A_PROFILE
    )


@pytest.mark.parametrize("rel", fixture_paths())
def test_every_fixture_is_detected_as_its_provider(rel: str) -> None:
    path = Path(__file__).parent / "fixtures" / rel
    ctype = "application/x-www-form-urlencoded" if path.suffix == ".form" else None
    assert detect(path.read_bytes(), ctype) == path.parent.name


@pytest.mark.parametrize("provider", [None, *ADAPTERS])
def test_deeply_nested_arrays_are_refused_cleanly(provider: str | None) -> None:
    with pytest.raises(InputError):
        normalize(b"[" * 950 + b"]" * 950, provider=provider)


def test_one_message_id_for_several_recipients_gives_one_outcome_each() -> None:
    path = Path(__file__).parent / "fixtures" / "smspartner" / "bulk_status.json"
    first, second = normalize(path.read_bytes())
    assert first.message_id == second.message_id == "48215"
    assert (first.recipient, first.state) == ("+33644444444", State.DELIVERED)
    assert second.state is State.UNDELIVERED


def test_a_report_without_recipient_joins_its_message() -> None:
    with_recipient = {
        "receipted_message_id": "77",
        "message_state": 1,
        "source_addr": "33611112222",
    }
    batch = [with_recipient, "id:77 sub:001 dlvrd:001 stat:DELIVRD err:000"]
    (o,) = normalize(batch, provider="smpp")
    assert (o.message_id, o.state, o.reports) == ("77", State.DELIVERED, 2)
