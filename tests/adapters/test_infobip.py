"""The Infobip adapter: every documented payload variant in, typed reports out, junk refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlrkit import Catalog, normalize
from dlrkit.adapters import infobip
from dlrkit.adapters.infobip_codes import error_catalog_channel, status_catalog_channel
from dlrkit.adapters.infobip_shapes import iso_time
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Outcome, Reason, Report, State

FIXTURES = Path(__file__).parent.parent / "fixtures"
HERE = FIXTURES / "infobip"


def body(name: str) -> bytes:
    return (HERE / name).read_bytes()


def doc(name: str) -> Any:
    return msgspec.json.decode(body(name))


def parse(name: str) -> list[Report]:
    return infobip.parse(body(name), "application/json")


def codes(report: Report) -> list[tuple[str, str, int | str]]:
    return [(c.kind, c.channel, c.code) for c in report.codes]


# --- SMS --------------------------------------------------------------------------------------


def test_sms_report_v2_delivered_and_failures() -> None:
    delivered, absent, unknown = parse("sms_report_v2.json")
    assert delivered.provider == "infobip"
    assert delivered.message_id == "msg-0001-delivered"
    assert delivered.channel is Channel.SMS
    assert delivered.source == "infobip.sms_report"
    assert delivered.recipient == "33612345678"
    assert delivered.sent_at == "2024-06-01T09:15:02.120Z"
    assert delivered.done_at == "2024-06-01T09:15:07.981Z"
    assert (delivered.price, delivered.currency, delivered.segments) == (0.045, "EUR", 1)
    assert delivered.codes == (
        NativeCode(
            kind="status",
            channel="general",
            code=5,
            name="DELIVERED_TO_HANDSET",
            group_id=3,
            group_name="DELIVERED",
        ),
        NativeCode(
            kind="error",
            channel="general",
            code=0,
            name="NO_ERROR",
            group_id=0,
            group_name="OK",
            permanent=False,
        ),
    )
    assert codes(absent) == [("status", "general", 9), ("error", "general", 27)]
    assert absent.codes[1].name == "EC_ABSENT_SUBSCRIBER"
    assert absent.codes[1].permanent is False
    assert absent.done_at == "2024-06-01T09:40:55.004Z"  # +0200 turned into UTC
    assert absent.segments == 2
    assert unknown.codes[1] == NativeCode(
        kind="error",
        channel="general",
        code=1,
        name="EC_UNKNOWN_SUBSCRIBER",
        group_id=1,
        group_name="HANDSET_ERRORS",
        permanent=True,
    )


def test_raw_keeps_each_result_whole() -> None:
    reports = parse("sms_report_v2.json")
    original = doc("sms_report_v2.json")["results"]
    assert [r.raw for r in reports] == original
    assert reports[0].raw["callbackData"] == "order=4711"
    assert reports[0].raw["entityId"] == "transactional-entity"


def test_sms_report_v3_sender_message_count_and_dlt() -> None:
    rejected, expired, dlt = parse("sms_report_v3.json")
    assert rejected.sender == "ShopAlerts"
    assert rejected.sent_at == "2024-03-18T13:02:11Z"
    assert rejected.segments == 1
    assert codes(rejected)[0] == ("status", "general", 12)
    assert rejected.raw["platform"] == {
        "entityId": "promotional-traffic-entity",
        "applicationId": "marketing-automation-application",
    }
    assert expired.segments == 3
    assert codes(expired) == [("status", "general", 15), ("error", "general", 27)]
    assert codes(dlt)[1] == ("error", "dlt", 4106)
    assert dlt.codes[1].permanent is True
    assert (dlt.price, dlt.currency) == (0.0, "INR")


# --- voice ------------------------------------------------------------------------------------


def test_legacy_voice_report_with_5xxx_errors() -> None:
    answered, busy = parse("voice_report_legacy.json")
    assert answered.channel is Channel.VOICE
    assert answered.source == "infobip.voice_report"
    assert codes(answered) == [("status", "general", 5), ("error", "voice", 5000)]
    assert answered.codes[1].name == "VOICE_ANSWERED"
    assert answered.done_at == "2019-11-12T13:38:28.318Z"
    # a price per second without charged seconds gives no message price
    assert (answered.price, answered.currency) == (None, None)
    assert codes(busy) == [("status", "general", 9), ("error", "voice", 5002)]
    assert busy.codes[1].group_name == "OPERATOR_ERRORS"


def test_voice_report_with_busy_status_reason_and_10xxx_errors() -> None:
    busy, answered, empty = parse("voice_report.json")
    assert busy.message_id == "call-busy-97"
    assert busy.sender == "441134960000"
    assert busy.recipient == "447700900123"
    assert codes(busy) == [("status", "voice", 97), ("error", "voice", 10201)]
    assert busy.codes[0].name == "BUSY"
    assert busy.done_at == "2024-10-15T10:00:06.250Z"  # from voiceCall.endTime
    assert answered.codes[1].name == "NORMAL_HANGUP"
    assert answered.price == pytest.approx(0.06)  # 0.002 per second x 30 charged seconds
    assert answered.currency == "GBP"
    # status 55 is a voice status; NO_ERROR (0) lives with the general errors
    assert codes(empty) == [("status", "voice", 55), ("error", "general", 0)]
    assert empty.done_at is None


def test_calls_api_events() -> None:
    (finished,) = parse("calls_call_finished.json")
    assert finished.message_id == "d8d84155-3831-43fb-91c9-bb897149a79d"
    assert finished.channel is Channel.VOICE
    assert finished.source == "infobip.calls_event"
    assert finished.codes == (
        NativeCode(kind="error", channel="voice", code=10000, name="NORMAL_HANGUP"),
    )
    assert (finished.sender, finished.recipient) == ("41793026700", "41793026727")
    assert finished.sent_at == "2024-11-05T15:09:58.120Z"
    assert finished.done_at == "2024-11-05T15:10:23.400Z"
    assert finished.raw == doc("calls_call_finished.json")
    (failed,) = parse("calls_call_failed.json")
    assert codes(failed) == [("error", "voice", 10201)]
    assert failed.recipient == "41793026799"  # no `to`: the endpoint's phone number


def test_calls_event_variants() -> None:
    event = {
        "type": "CALL_FAILED",
        "timestamp": "2024-11-05T15:12:40.010Z",
        "properties": {"call": {"callId": "c-1", "to": "385911"}, "errorCode": {"id": "10004"}},
    }
    (report,) = infobip.parse_doc(event)
    assert report.message_id == "c-1"
    assert codes(report) == [("error", "voice", 10004)]
    assert report.done_at == "2024-11-05T15:12:40.010Z"
    with pytest.raises(InputError) as err:
        infobip.parse_doc({"type": "CALL_RINGING", "callId": "c-2"})
    assert err.value.field == "type"
    with pytest.raises(InputError) as err:
        infobip.parse_doc({"type": "CALL_FINISHED", "properties": {"callLog": {}}})
    assert err.value.field == "callId"


# --- chat, email, push ------------------------------------------------------------------------


def test_chat_reports() -> None:
    delivered, unknown_user = parse("whatsapp_report.json")
    assert delivered.channel is Channel.CHAT
    assert delivered.source == "infobip.chat_report"
    assert delivered.sent_at == "2024-04-09T19:00:58.647Z"  # -0300 turned into UTC
    assert codes(delivered) == [("status", "general", 5), ("error", "general", 0)]
    # no `channel` field: the 7xxx error id says chat
    assert unknown_user.channel is Channel.CHAT
    assert codes(unknown_user)[1] == ("error", "chat", 7002)
    zalo, line = parse("zalo_line_report.json")
    assert (zalo.channel, line.channel) == (Channel.CHAT, Channel.CHAT)
    assert codes(line)[1] == ("error", "chat", 7001)


def test_messages_api_reports() -> None:
    viber, rcs, sms = parse("messages_api_report.json")
    assert (viber.channel, rcs.channel, sms.channel) == (Channel.CHAT, Channel.CHAT, Channel.SMS)
    assert (viber.sender, viber.recipient) == ("MyBrand", "38598111222")
    assert codes(rcs)[1] == ("error", "chat", 7021)
    assert sms.source == "infobip.sms_report"
    assert sms.segments == 2


def test_email_and_push_reports() -> None:
    ok, dropped = parse("email_report.json")
    assert (ok.channel, dropped.channel) == (Channel.EMAIL, Channel.EMAIL)
    assert ok.recipient == "jane.doe@example.com"
    assert ok.source == "infobip.email_report"
    assert codes(dropped)[1] == ("error", "email", 6001)
    uninstalled, no_destination = parse("push_report.json")
    assert uninstalled.channel is Channel.PUSH
    assert codes(uninstalled)[1] == ("error", "push", 8001)
    assert no_destination.channel is Channel.PUSH
    assert no_destination.recipient is None  # "to": ""
    assert codes(no_destination)[0] == ("status", "push", 66)
    assert no_destination.sent_at == "2024-07-07T16:20:00Z"


def test_channel_hint_wins_over_inference() -> None:
    reports = infobip.parse_doc(doc("sms_report_v2.json"), channel=Channel.MMS)
    assert {r.channel for r in reports} == {Channel.MMS}
    assert {r.source for r in reports} == {"infobip.mms_report"}


def test_unknown_channel_name_is_other() -> None:
    item = {"messageId": "m", "channel": "CARRIER_PIGEON", "status": {"id": 5}}
    (report,) = infobip.parse_doc({"results": [item]})
    assert report.channel is Channel.OTHER
    assert report.source == "infobip.report"


# --- send answers and error answers ---------------------------------------------------------


def test_send_answers() -> None:
    accepted, rejected = parse("send_response_v2.json")
    assert accepted.source == "infobip.send_response"
    assert accepted.message_id == "2250be2d4219-3af1-78856-aabe-1362af1edfd2"
    assert codes(accepted) == [("status", "general", 26)]
    assert accepted.codes[0].name == "PENDING_ACCEPTED"
    assert rejected.recipient == "4179302"
    assert codes(rejected) == [("status", "general", 52)]
    (v3,) = parse("send_response_v3.json")
    assert (v3.recipient, v3.segments) == ("421907372599", 2)
    (v1,) = parse("send_response_v1_single.json")
    assert v1.codes[0] == NativeCode(
        kind="status",
        channel="general",
        code=0,
        name="MESSAGE_ACCEPTED",
        group_id=0,
        group_name="ACCEPTED",
    )


@pytest.mark.parametrize(
    ("name", "word", "text"),
    [
        ("api_error_unauthorized.json", "UNAUTHORIZED", "Invalid login details"),
        ("api_error_bad_request.json", "BAD_REQUEST", "Bad request"),
        ("api_error_policy.json", "TOO_MANY_REQUESTS", "Too many requests"),
        ("api_error_v3.json", "BAD_REQUEST", "Request cannot be processed."),
    ],
)
def test_error_answers(name: str, word: str, text: str) -> None:
    (report,) = parse(name)
    assert report.message_id == "request"
    assert report.channel is Channel.OTHER
    assert report.source == "infobip.api_error"
    assert report.codes == (NativeCode(kind="api_error", channel="general", code=word, name=text),)
    assert report.raw == doc(name)
    (named,) = infobip.parse_doc(doc(name), message_id="my-request-42")
    assert named.message_id == "my-request-42"


# --- the catalog can find what the adapter addresses -------------------------------------------


def test_every_fixture_code_is_in_the_catalog(catalog: Catalog) -> None:
    for path in sorted(HERE.glob("*.json")):
        for report in infobip.parse(path.read_bytes()):
            for c in report.codes:
                if c.kind == "api_error" or (c.kind, c.code) == ("status", 0):
                    continue  # not catalogued yet (see the adapter's report)
                found = catalog.lookup("infobip", c.code, c.kind, c.channel)
                assert found, f"{path.name}: {c}"
                assert c.name in {e.name for e in found}, f"{path.name}: {c}"


@pytest.mark.parametrize(
    ("error_id", "channel", "expected"),
    [
        (0, Channel.CHAT, "general"),
        (27, Channel.VOICE, "general"),
        (4105, Channel.SMS, "general"),
        (4106, Channel.SMS, "dlt"),
        (4111, Channel.SMS, "dlt"),
        (5003, Channel.SMS, "voice"),
        (10201, Channel.OTHER, "voice"),
        (6002, Channel.SMS, "email"),
        (7023, Channel.SMS, "chat"),
        (8012, Channel.SMS, "push"),
        (9999, Channel.CHAT, "chat"),
        (9999, Channel.SMS, "general"),
        ("EC_SOMETHING", Channel.EMAIL, "email"),
    ],
)
def test_error_catalog_channel(error_id: int | str, channel: Channel, expected: str) -> None:
    assert error_catalog_channel(error_id, channel) == expected


@pytest.mark.parametrize(
    ("status_id", "expected"),
    [(5, "general"), (52, "general"), (53, "voice"), (64, "voice"), (97, "voice"), (65, "push")],
)
def test_status_catalog_channel(status_id: int, expected: str) -> None:
    assert status_catalog_channel(status_id) == expected


# --- leniency ---------------------------------------------------------------------------------


def test_lenient_types_and_extra_fields() -> None:
    item = {
        "messageId": 123456789,
        "to": 41793026727,
        "smsCount": "2",
        "status": {
            "groupId": "3",
            "groupName": "DELIVERED",
            "id": "5",
            "name": "DELIVERED_TO_HANDSET",
        },
        "error": {
            "groupId": "x",
            "id": " 27 ",
            "name": "EC_ABSENT_SUBSCRIBER",
            "permanent": "false",
        },
        "price": {"pricePerMessage": "0.01", "currency": ""},
        "somethingNew": {"nested": [1, 2, 3]},
    }
    (report,) = infobip.parse_doc({"results": [item], "extra": True})
    assert report.message_id == "123456789"
    assert report.recipient == "41793026727"
    assert report.segments == 2
    assert codes(report) == [("status", "general", 5), ("error", "general", 27)]
    assert report.codes[0].group_id == 3
    assert report.codes[1].group_id is None  # not a number: dropped, kept in raw
    assert report.codes[1].permanent is False
    assert (report.price, report.currency) == (0.01, None)
    assert report.raw["somethingNew"] == {"nested": [1, 2, 3]}


def test_status_given_by_name_only_and_missing_optionals() -> None:
    item = {"messageId": "m-1", "status": {"name": "PENDING_ENROUTE"}}
    (report,) = infobip.parse_doc({"results": [item]})
    assert codes(report) == [("status", "general", "PENDING_ENROUTE")]
    assert (report.recipient, report.sent_at, report.price, report.segments) == (None,) * 4


def test_single_result_object_is_read_too() -> None:
    item = doc("sms_report_v2.json")["results"][1]
    assert infobip.detect(item)
    (report,) = infobip.parse_doc(item)
    assert report.message_id == "msg-0002-absent"


def test_empty_batch_gives_no_reports() -> None:
    assert infobip.parse(b'{"results": []}') == []
    assert infobip.parse(b'{"bulkId": "b", "messages": []}') == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-11-09T16:00:00.000+0000", "2019-11-09T16:00:00Z"),
        ("2019-04-09T16:01:56.494-0300", "2019-04-09T19:01:56.494Z"),
        ("2022-05-02T11:10:23.442Z", "2022-05-02T11:10:23.442Z"),
        ("2015-02-12T09:58:20", "2015-02-12T09:58:20Z"),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_times(value: str | None, expected: str | None) -> None:
    assert iso_time(value) == expected


# --- strictness -------------------------------------------------------------------------------


def _broken(change: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(doc("sms_report_v2.json"))
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["results"][1].pop("messageId"), "results[1].messageId"),
        (lambda d: d["results"][0].update(messageId=""), "results[0].messageId"),
        (lambda d: d["results"][0].update(messageId=None), "results[0].messageId"),
        (lambda d: d["results"][0].update(messageId=[1]), "results[0].messageId"),
        (lambda d: d["results"][0].update(status="DELIVERED"), "results[0].status"),
        (lambda d: d["results"][2]["error"].update(id=1.5), "results[2].error.id"),
        (lambda d: d["results"][0]["price"].update(pricePerMessage="cheap"), None),
        (lambda d: d["results"][0].update(sentAt=17), "results[0].sentAt"),
        (lambda d: d.update(results={"a": 1}), "results"),
        (lambda d: d["results"].append("oops"), "results[3]"),
        (lambda d: d["results"].append({"messageId": "x"}), "results[3]"),
    ],
)
def test_malformed_reports_name_the_field(change: Any, field: str | None) -> None:
    with pytest.raises(InputError) as err:
        infobip.parse_doc(_broken(change))
    assert err.value.provider == "infobip"
    if field is not None:
        assert err.value.field == field
    else:
        assert err.value.field is not None
        assert err.value.field.startswith("results[0].price")


def test_malformed_send_answer_and_error_answer() -> None:
    with pytest.raises(InputError) as err:
        infobip.parse_doc({"bulkId": "b", "messages": [{"status": {"id": 26}}]})
    assert err.value.field == "messages[0].messageId"
    with pytest.raises(InputError) as err:
        infobip.parse_doc({"messages": "none"})
    assert err.value.field == "messages"
    with pytest.raises(InputError) as err:
        infobip.parse_doc({"requestError": {"serviceException": {"text": "no id"}}})
    assert err.value.field == "requestError.serviceException.messageId"
    with pytest.raises(InputError) as err:
        infobip.parse_doc({"requestError": {}})
    assert err.value.field == "requestError.serviceException"
    with pytest.raises(InputError):
        infobip.parse_doc({"requestError": "broken"})


# --- detection --------------------------------------------------------------------------------


def test_detects_every_fixture() -> None:
    for path in sorted(HERE.glob("*.json")):
        assert infobip.detect(msgspec.json.decode(path.read_bytes())), path.name


@pytest.mark.parametrize(
    "other",
    [
        # Plivo: message status callback and API answers
        {"MessageUUID": "db3ce55a", "Status": "delivered", "To": "14155551234", "ErrorCode": "0"},
        {"api_id": "97c", "message": "message(s) queued", "message_uuid": ["db3ce55a"]},
        {"api_id": "a1", "error": "authentication failed"},
        {"CallUUID": "c1", "HangupCause": "NORMAL_CLEARING", "CallStatus": "completed"},
        # SMSPartner: send answer, status answer, DLR callback
        {"success": True, "code": 200, "message_id": 307, "nb_sms": 1, "cost": 0.045},
        {
            "success": True,
            "code": 200,
            "StatutResponseList": [{"phoneNumber": "+336", "status": "Delivered"}],
        },
        {"msgId": "123", "phoneNumber": "+33600000000", "status": "DELIVRD", "date": "1622628000"},
        # SMPP receipt as fields
        {"id": "1a2b", "stat": "DELIVRD", "err": "000", "submit date": "2406011200"},
        # Infobip payloads that are not reports
        {
            "results": [{"messageId": "mo-1", "from": "385", "to": "InfoSMS", "text": "hi"}],
            "messageCount": 1,
        },
        {"results": []},
        {"results": [{"messageId": "x", "status": "DELIVERED"}]},
        {"type": "CALL_RINGING", "callId": "c"},
        {"messages": [{"to": "1", "message-id": "v1", "status": "0"}], "message-count": "1"},
        {"errorCode": "X", "message": "Vonage-like"},
        {"requestError": "text"},
        {},
    ],
)
def test_does_not_claim_other_shapes(other: dict[str, Any]) -> None:
    assert not infobip.detect(other)


@pytest.mark.parametrize("value", [None, [], "results", b"{}", 5, [{"results": []}]])
def test_detect_non_objects(value: object) -> None:
    assert not infobip.detect(value)


def test_does_not_claim_other_providers_fixtures() -> None:
    for path in sorted(FIXTURES.glob("*/*.json")):
        if path.parent.name == "infobip":
            continue
        try:
            decoded = msgspec.json.decode(path.read_bytes())
        except msgspec.DecodeError:
            continue
        assert not infobip.detect(decoded), path


# --- robustness -------------------------------------------------------------------------------

JUNK = [
    b"",
    b"   ",
    b"null",
    b"[]",
    b"{}",
    b"0",
    b'"results"',
    b"\xff\xfe\x00garbage",
    b"\x80abc=1",
    b"results=1&messageId=2",
    b'{"results": null}',
    b'{"results": [null]}',
    b'{"results": [{"messageId": 1e999, "status": {}}]}',
    b'{"results": [{"messageId": 123456789012345678901234567890, "status": {"id": 1e308}}]}',
    b'{"results": [{"messageId": "a", "status": {"id": 123456789012345678901234567890}}]}',
    b'{"results": [{"messageId": "a", "error": {"id": -1, "permanent": 2}}]}',
    b'{"results": [{"messageId": "a", "status": {}, "price": {"pricePerMessage": 1e308}}]}',
    b'{"results": [{"messageId": "a", "status": {}, "sentAt": "9999-12-31T23:59:59-2359"}]}',
    b'{"results": [{"messageId": "a", "status": {}, "sentAt": "0001-01-01T00:00:00+2359"}]}',
    b'{"results": [{"messageId": "a", "status": {}, "voiceCall": {"chargedDuration": 1e308}, '
    b'"price": {"pricePerSecond": 1e308}}]}',
    b'{"results": [{"messageId": "a", "status": {"id": "--5", "groupId": "\xc2\xb2"}}]}',
    b'{"results": [{"messageId": "a", "status": {"id": "' + b"9" * 5000 + b'"}}]}',
    b'{"results": [{"messageId": "a", "status": {}, "smsCount": "' + b"9" * 5000 + b'"}}]}',
    b'{"messages": [{"messageId": {"a": 1}, "status": {}}]}',
    b'{"requestError": {"serviceException": {"messageId": ["x"]}}}',
    b'{"type": "CALL_FAILED", "callId": {"x": 1}}',
    b'{"type": "CALL_FAILED", "properties": []}',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    b'{"results": [' + b'{"messageId": "m", "status": {"id": 5}},' * 2000 + b"{}]}",
]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
@pytest.mark.parametrize(
    "content_type", [None, "application/json", "text/plain", "application/x-www-form-urlencoded"]
)
def test_junk_gives_reports_or_input_error(junk: bytes, content_type: str | None) -> None:
    _parse_or_refuse(junk, content_type)


def test_body_must_be_bytes() -> None:
    with pytest.raises(InputError):
        infobip.parse("{}")  # type: ignore[arg-type]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "messageId", "to", "from", "sender", "destination", "sentAt", "doneAt", "smsCount",
        "messageCount", "channel", "price", "status", "error", "voiceCall", "id", "groupId",
        "groupName", "name", "permanent", "pricePerMessage", "pricePerSecond", "currency",
        "chargedDuration", "endTime", "details", "callLog", "call", "errorCode", "callId",
        "properties", "type", "requestError", "serviceException", "policyException", "text",
    ]
)  # fmt: skip
infobip_like = st.recursive(
    json_values | st.sampled_from(["CALL_FAILED", "CALL_FINISHED", "WHATSAPP", "5", "2024-01-01"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)
documents = st.one_of(
    json_values,
    infobip_like,
    st.fixed_dictionaries({"results": st.lists(infobip_like, max_size=3)}),
    st.fixed_dictionaries(
        {"bulkId": st.text(max_size=5), "messages": st.lists(infobip_like, max_size=3)}
    ),
    st.fixed_dictionaries({"requestError": infobip_like}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(sorted(infobip.CALL_EVENTS)), "properties": infobip_like}
    ),
)


def _outcome(data: bytes, content_type: str | None) -> list[Report] | InputError:
    try:
        return infobip.parse(data, content_type)
    except InputError as exc:
        return exc


def _parse_or_refuse(data: bytes, content_type: str | None = None) -> None:
    """Only reports or an InputError (naming the provider) may come out."""
    outcome = _outcome(data, content_type)
    if isinstance(outcome, InputError):
        assert outcome.provider == "infobip"
        return
    for report in outcome:
        assert isinstance(report, Report)
        assert report.message_id
        msgspec.json.encode(report)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_json_gives_reports_or_input_error(value: object) -> None:
    infobip.detect(value)
    _parse_or_refuse(msgspec.json.encode(value))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_reports_or_input_error(data: bytes) -> None:
    _parse_or_refuse(data)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"messageId": 10**5000, "status": {"id": 5}}, "results[0].messageId"),
        ({"messageId": "m", "status": {"id": 10**30}}, "results[0].status.id"),
        ({"messageId": "m", "to": -(10**30), "status": {"id": 5}}, "results[0].to"),
        ({"messageId": "m", "smsCount": 10**5000, "status": {"id": 5}}, "results[0].smsCount"),
    ],
)
def test_integers_beyond_64_bits_are_refused(item: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        infobip.parse_doc({"results": [item]})
    assert err.value.field == field


# --- published shapes: seen reports, email send answers, newer error answers ---------------------


def outcome_of(name: str) -> Outcome:
    (o,) = normalize(body(name))  # auto-detected
    (same,) = normalize(body(name), provider="infobip")
    assert (o.state, o.reason, o.decided_by) == (same.state, same.reason, same.decided_by)
    return o


def test_whatsapp_seen_report_is_a_delivered_chat_message() -> None:
    o = outcome_of("whatsapp_seen_report.json")
    assert o.message_id == "7f3b2c1d9e84-4a6b-b0c2-5d8e1f3a7c90"
    assert (o.channel, o.state, o.final, o.reason) == (
        Channel.CHAT,
        State.DELIVERED,
        True,
        Reason.NONE,
    )
    assert o.unknown_codes == ()
    assert o.source == "infobip.seen_report"
    assert (o.sent_at, o.done_at) == ("2023-04-17T08:12:44.120Z", "2023-04-17T08:13:05.871Z")
    assert o.raw["seenAt"] == "2023-04-17T08:13:05.871+0000"


def test_messages_api_seen_report_keeps_its_channel_and_parties() -> None:
    o = outcome_of("messages_api_seen_report.json")
    assert (o.channel, o.state, o.final) == (Channel.CHAT, State.DELIVERED, True)
    assert (o.recipient, o.sender) == ("+385981112233", "AcmeShop")
    assert o.done_at == "2025-03-03T10:02:11Z"


def test_a_result_without_status_error_or_seen_time_is_refused() -> None:
    with pytest.raises(InputError):
        infobip.parse(b'{"results": [{"messageId": "m", "to": "1"}]}')


def test_email_send_answer_is_an_email_accepted() -> None:
    o = outcome_of("send_response_email.json")
    assert (o.channel, o.state, o.final) == (Channel.EMAIL, State.ACCEPTED, False)
    assert o.recipient == "ana.horvat@example.hr"
    assert o.source == "infobip.send_response"


def test_newer_error_answers_read_as_the_older_words() -> None:
    bad = outcome_of("api_error_v3.json")
    assert (bad.state, bad.final, bad.reason) == (State.REJECTED, True, Reason.REQUEST_INVALID)
    assert bad.decided_by == "catalog:infobip:api_error:general:BAD_REQUEST"
    unauthorized = outcome_of("api_error_v3_unauthorized.json")
    assert (unauthorized.state, unauthorized.reason) == (State.REJECTED, Reason.ACCOUNT_PROBLEM)
    assert unauthorized.raw["errorCode"] == "E401"
    (other,) = infobip.parse(b'{"errorCode": "E500", "description": "x", "violations": []}')
    assert other.codes[0].code == "E500"  # not known: kept as reported


def test_mms_report_is_an_mms_with_its_count() -> None:
    o = outcome_of("mms_report.json")
    assert (o.channel, o.state, o.final) == (Channel.MMS, State.DELIVERED, True)
    assert (o.segments, o.price, o.currency) == (1, 0.05, "EUR")
    assert o.source == "infobip.mms_report"


def test_unknown_currency_is_no_currency() -> None:
    o = outcome_of("email_report_unknown_currency.json")
    assert (o.channel, o.state, o.final) == (Channel.EMAIL, State.DELIVERED, True)
    assert (o.price, o.currency) == (0.0, None)
    assert o.recipient == "marko.kovac@example.hr"


def test_email_tracking_events_other_than_opens_keep_their_type() -> None:
    body = (
        b'{"notificationType": "UNSUBSCRIBED", "recipient": "a@example.com",'
        b' "sendDateTime": "1599542877689", "messageId": "m-1"}'
    )
    assert infobip.detect(msgspec.json.decode(body))
    (report,) = infobip.parse(body, "application/json")
    assert report.channel is Channel.EMAIL
    assert report.codes == (NativeCode(kind="status", channel="email", code="UNSUBSCRIBED"),)
    assert report.sent_at == "2020-09-08T05:27:57.689Z"
    (clicked,) = infobip.parse(body.replace(b"UNSUBSCRIBED", b"CLICKED"))
    assert clicked.codes[0].name == "DELIVERED_TO_HANDSET"
    with pytest.raises(InputError):
        infobip.parse(b'{"notificationType": " ", "messageId": "m-1"}')
