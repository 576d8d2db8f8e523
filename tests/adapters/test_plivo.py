"""The Plivo adapter: hangup, DialHangup and message status callbacks, form and JSON."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlrkit import Catalog, normalize
from dlrkit.adapters import plivo
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Outcome, Party, Reason, Report, Retry, State

FIXTURES = Path(__file__).parent.parent / "fixtures" / "plivo"
FORM = "application/x-www-form-urlencoded"


def load(name: str) -> list[Report]:
    ctype = FORM if name.endswith(".form") else "application/json"
    return plivo.parse((FIXTURES / name).read_bytes(), ctype)


def one(name: str) -> Report:
    (report,) = load(name)
    return report


def cause(code: int | str, name: str | None) -> NativeCode:
    return NativeCode(kind="hangup_cause", channel="voice", code=code, name=name)


def status(word: str) -> NativeCode:
    return NativeCode(kind="status", channel="sms", code=word)


def error(code: int) -> NativeCode:
    return NativeCode(kind="error", channel="sms", code=code)


# --- voice ---------------------------------------------------------------------------------


def test_answered_outbound_call_in_an_indian_console_time_zone() -> None:
    r = one("call_hangup_completed.form")
    assert r.provider == "plivo"
    assert r.message_id == "5d1f0a6e-2c8b-4f3a-9c1e-7b2a9e4f1c01"
    assert r.channel is Channel.VOICE
    assert r.codes == (cause(4000, "Normal Hangup"),)
    assert (r.sender, r.recipient) == ("918035735900", "919876543210")
    # StartTime is local (+05:30, learnt from SessionStart, which is UTC)
    assert (r.sent_at, r.done_at) == ("2025-03-14T10:50:31Z", "2025-03-14T10:52:15Z")
    assert (r.price, r.currency) == (0.017, "USD")
    assert r.source == "plivo.call_hangup"
    assert r.raw["CallStatus"] == "completed"
    assert r.raw["HangupSource"] == "Callee"


def test_busy_line() -> None:
    r = one("call_hangup_busy.form")
    assert r.codes == (cause(3010, "Busy Line"),)
    assert (r.sent_at, r.done_at) == ("2025-03-14T09:02:01Z", "2025-03-14T09:02:07Z")
    assert r.price == 0.0
    assert r.raw["CallStatus"] == "busy"
    assert r.raw["AnswerTime"] == ""


def test_inbound_call_in_a_new_york_console_time_zone() -> None:
    r = one("call_hangup_inbound.form")
    assert r.codes == (cause(4010, "End Of XML Instructions"),)
    assert (r.sender, r.recipient) == ("14155550177", "12125550199")
    assert (r.sent_at, r.done_at) == ("2025-01-20T13:15:02Z", "2025-01-20T13:15:24Z")
    assert r.raw["Direction"] == "inbound"


def test_json_callback_with_numbers_as_numbers_and_no_session_start() -> None:
    r = one("call_hangup_no_answer.json")
    assert r.message_id == "2c4e6a8b-1d3f-4a5c-9e7b-0f2d4c6e8a1b"
    assert r.codes == (cause(3000, "No Answer"),)
    assert (r.sent_at, r.done_at) == ("2025-05-02T11:30:00Z", "2025-05-02T11:30:45Z")
    assert (r.price, r.currency) == (0.0, "USD")
    assert r.raw["Duration"] == 0


def q850(code: int, name: str) -> NativeCode:
    return NativeCode(kind="hangup_cause", channel="cause", code=code, name=name, namespace="q850")


def test_older_callback_cause_name_resolves_to_its_q850_cause() -> None:
    r = one("call_hangup_legacy.form")
    assert r.codes == (q850(19, "NO_ANSWER"),)
    assert r.sent_at == "2019-06-03T12:00:00Z"


def test_older_answered_call_is_delivered(catalog: Catalog) -> None:
    (o,) = normalize(
        (FIXTURES / "call_hangup_legacy_completed.form").read_bytes(), provider="plivo"
    )
    assert (o.state, o.final, o.reason) == (State.DELIVERED, True, Reason.NONE)
    assert o.unknown_codes == ()
    assert o.decided_by == "catalog:q850:hangup_cause:cause:16"
    assert (o.recipient, o.price, o.currency) == ("+12025550178", 0.017, "USD")
    assert (o.sent_at, o.done_at) == ("2017-08-02T16:01:10Z", "2017-08-02T16:02:52Z")


def test_older_cancelled_call_is_a_sip_487() -> None:
    (o,) = normalize((FIXTURES / "call_hangup_legacy_cancel.form").read_bytes())
    assert (o.provider, o.state, o.reason, o.party) == (
        "plivo",
        State.UNDELIVERED,
        Reason.CANCELLED,
        Party.SENDER,
    )
    assert o.decided_by == "catalog:sip:status:response:487"
    assert o.codes[0].name == "ORIGINATOR_CANCEL"


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("NORMAL_CLEARING", "q850:hangup_cause:cause:16"),
        ("USER_BUSY", "q850:hangup_cause:cause:17"),
        ("NO_USER_RESPONSE", "q850:hangup_cause:cause:18"),
        ("NO_ANSWER", "q850:hangup_cause:cause:19"),
        ("CALL_REJECTED", "q850:hangup_cause:cause:21"),
        ("UNALLOCATED_NUMBER", "q850:hangup_cause:cause:1"),
        ("SUBSCRIBER_ABSENT", "q850:hangup_cause:cause:20"),
        ("NORMAL_TEMPORARY_FAILURE", "q850:hangup_cause:cause:41"),
        ("RECOVERY_ON_TIMER_EXPIRE", "q850:hangup_cause:cause:102"),
        ("ORIGINATOR_CANCEL", "sip:status:response:487"),
        ("ALLOTTED_TIMEOUT", "plivo:hangup_cause:voice:6000"),
        ("LOSE_RACE", "plivo:hangup_cause:voice:9000"),
        ("user_busy", "q850:hangup_cause:cause:17"),
    ],
)
def test_cause_names_resolve_in_the_catalog(name: str, entry: str) -> None:
    (o,) = normalize({"CallUUID": "c-1", "HangupCause": name}, provider="plivo")
    assert o.unknown_codes == ()
    assert o.codes[0].entry == entry


def test_an_unlisted_cause_name_stays_an_unknown_code() -> None:
    (o,) = normalize({"CallUUID": "c-1", "HangupCause": "SOMETHING_NEW"}, provider="plivo")
    assert o.unknown_codes == ("plivo:hangup_cause:voice:SOMETHING_NEW",)
    assert o.state is State.UNKNOWN


def test_dial_hangup_event_reports_the_b_leg() -> None:
    r = one("dial_hangup.form")
    assert r.message_id == "a9b8c7d6-e5f4-4321-9876-5a4b3c2d1e0f"
    assert r.codes == (cause(4000, "Normal Hangup"),)
    assert (r.sender, r.recipient) == ("14155550100", "14155550188")
    assert r.source == "plivo.dial_hangup"
    assert r.raw["CallUUID"] == "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b"


def test_older_dial_hangup_event_with_only_the_cause_name() -> None:
    (o,) = normalize((FIXTURES / "dial_hangup_legacy_name.form").read_bytes())
    assert o.message_id == "d41f7b28-9e6a-4c03-8b5d-1a7e3c9f2b60"
    assert (o.state, o.final, o.reason) == (State.UNDELIVERED, True, Reason.RECIPIENT_DECLINED)
    assert o.recipient == "+4915112345678"
    assert o.source == "plivo.dial_hangup"


def test_dial_action_without_a_b_leg_reports_the_a_leg() -> None:
    r = one("dial_action_no_answer.form")
    assert r.message_id == "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b"  # CallUUID
    assert r.codes == (q850(19, "NO_ANSWER"),)
    assert r.source == "plivo.dial_action"
    (o,) = normalize((FIXTURES / "dial_action_no_answer.form").read_bytes())
    assert (o.state, o.final, o.reason, o.retry) == (
        State.UNDELIVERED,
        True,
        Reason.RECIPIENT_NO_ANSWER,
        Retry.LATER,
    )


def test_dial_action_without_call_uuid_uses_the_a_leg_uuid() -> None:
    (o,) = normalize((FIXTURES / "dial_action_busy_no_call_uuid.form").read_bytes())
    assert o.message_id == "3e8a1f60-7c2d-4b95-a0e4-6d9c2b1f8a37"
    assert (o.state, o.reason) == (State.UNDELIVERED, Reason.RECIPIENT_BUSY)


def test_dial_action_without_any_cause_reads_dial_status() -> None:
    body = urlencode({"DialStatus": "no-answer", "DialALegUUID": "a-1", "DialBLegUUID": ""})
    (r,) = plivo.parse(body.encode())
    assert r.message_id == "a-1"
    assert r.codes == (q850(19, "no-answer"),)


def test_dial_action_without_any_leg_id_names_the_missing_id() -> None:
    with pytest.raises(InputError) as exc:
        plivo.parse(b"DialStatus=failed&DialBLegUUID=")
    assert exc.value.field == "DialALegUUID"


def test_dial_action_with_a_b_leg_resolves_the_cause_name() -> None:
    body = urlencode({"DialStatus": "busy", "DialBLegUUID": "b-1", "DialHangupCause": "USER_BUSY"})
    (r,) = plivo.parse(body.encode())
    assert (r.message_id, r.codes) == ("b-1", (q850(17, "USER_BUSY"),))


def test_get_callback_query_string_without_content_type() -> None:
    query = "CallUUID=c-9&HangupCauseCode=6010&HangupCauseName=Ring+Timeout+Reached&To=15550001"
    (r,) = plivo.parse(query.encode())
    assert (r.message_id, r.codes, r.recipient) == (
        "c-9",
        (cause(6010, "Ring Timeout Reached"),),
        "15550001",
    )


def test_time_beyond_year_9999_in_utc_is_an_input_error() -> None:
    doc = {
        "CallUUID": "c",
        "StartTime": "2020-01-01 00:00:00",
        "SessionStart": "2020-01-01 05:00:00",  # console at -05:00
        "EndTime": "9999-12-31 23:59:59",
    }
    with pytest.raises(InputError) as exc:
        plivo.parse_doc(doc)
    assert exc.value.field == "EndTime"


def test_explicit_offset_wins_over_the_console_rule() -> None:
    doc = {
        "CallUUID": "c",
        "StartTime": "2022-06-28 19:39:04+05:30",
        "EndTime": "2022-06-28 19:39:15+05:30",
    }
    (r,) = plivo.parse_doc(doc)
    assert (r.sent_at, r.done_at) == ("2022-06-28T14:09:04Z", "2022-06-28T14:09:15Z")


def test_fixture_hangup_causes_are_catalog_codes(catalog: Catalog) -> None:
    names = ["call_hangup_completed.form", "call_hangup_busy.form", "call_hangup_inbound.form"]
    names += ["call_hangup_no_answer.json", "dial_hangup.form"]
    codes = [c for name in names for c in one(name).codes]
    assert [c.code for c in codes] == [4000, 3010, 4010, 3000, 4000]
    for c in codes:
        (entry,) = catalog.lookup("plivo", c.code, kind=c.kind, channel=c.channel)
        assert entry.name == c.name


# --- messages ------------------------------------------------------------------------------


def test_delivered_sms() -> None:
    r = one("message_delivered.form")
    assert r.message_id == "9b1c0d2e-3f4a-11f0-8a5b-0242ac110002"
    assert r.channel is Channel.SMS
    assert r.codes == (status("delivered"),)
    assert (r.sender, r.recipient) == ("14155550100", "14155550123")
    assert r.sent_at == "2025-04-02T10:15:03.904518Z"
    assert r.done_at == "2025-04-02T10:15:09.613277Z"
    assert (r.price, r.currency, r.segments) == (0.005, "USD", 1)
    assert r.parent_id == r.message_id
    assert (r.part, r.parts) == (None, None)
    assert r.source == "plivo.message_status"
    assert (r.raw["MCC"], r.raw["MNC"]) == ("310", "260")


def test_undelivered_sms_carries_its_error_code() -> None:
    r = one("message_undelivered.form")
    assert r.codes == (status("undelivered"), error(80))
    assert r.done_at == "2025-04-02T10:20:44.002913Z"


def test_queued_sms_falls_back_to_the_queued_time() -> None:
    r = one("message_queued.form")
    assert r.codes == (status("queued"),)
    assert (r.sent_at, r.done_at) == ("2025-04-02T10:15:02.311702Z", None)


def test_mms_with_the_no_error_code() -> None:
    r = one("message_mms_sent.form")
    assert r.channel is Channel.MMS
    assert r.codes == (status("sent"),)  # "000" means no error
    assert r.price == 0.02


def test_whatsapp_read() -> None:
    r = one("message_whatsapp_read.form")
    assert (r.channel, r.codes) == (Channel.CHAT, (status("read"),))
    assert r.raw["ConversationOrigin"] == "utility"


def test_failed_json_callback_out_of_credit() -> None:
    r = one("message_failed.json")
    assert r.codes == (status("failed"), error(900))
    assert r.sent_at == "2025-04-05T07:30:00.100000Z"
    assert r.segments == 1


def test_multipart_callbacks_share_the_parent() -> None:
    first, second = load("message_multipart.json")
    assert (first.part, first.parts, second.part, second.parts) == (1, 2, 2, 2)
    assert first.parent_id == second.parent_id == "f0a1b2c3-4300-11f0-8d4e-0242ac110006"
    assert second.message_id == "f0a1b2c3-4300-11f0-8d4e-0242ac110007"
    assert second.codes == (status("undelivered"), error(30))
    assert second.raw["PartInfo"] == "2 of 2"


def test_unknown_message_type_and_odd_part_info_are_kept_raw() -> None:
    doc = {
        "MessageUUID": "m",
        "Status": "sent",
        "Type": "rcs",
        "PartInfo": "first",
        "ErrorCode": "E7",
    }
    (r,) = plivo.parse_doc(doc)
    assert r.channel is Channel.OTHER
    assert (r.part, r.parts) == (None, None)
    assert r.codes == (status("sent"), NativeCode(kind="error", channel="sms", code="E7"))


# --- detection and bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"CallUUID": "c", "HangupCauseCode": "4000"}, True),
        ({"CallUUID": "c", "HangupCause": "NORMAL_CLEARING"}, True),
        ({"DialBLegUUID": "b", "DialAction": "hangup"}, True),
        ({"MessageUUID": "m", "Status": "delivered"}, True),
        ([{"MessageUUID": "m", "Status": "sent"}], True),
        ({"CallUUID": "c", "CallStatus": "ringing"}, False),
        ({"MessageUUID": "m", "Text": "hi"}, False),
        ({"results": [{"messageId": "x"}]}, False),
        ({"msgId": "1", "phoneNumber": "+33", "status": "delivered"}, False),
        ([], False),
        (None, False),
        ("CallUUID", False),
    ],
)
def test_detect(doc: object, expected: bool) -> None:
    assert plivo.detect(doc) is expected


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"HangupCauseCode": "4000"}, "CallUUID"),
        ({"foo": "bar"}, "MessageUUID"),  # neither kind of callback: the message one is named
        ({"CallUUID": "  "}, "CallUUID"),
        ({"Status": "sent"}, "MessageUUID"),
        ({"MessageUUID": "m"}, "Status"),
        ({"MessageUUID": "m", "Status": "sent", "TotalAmount": "free"}, "TotalAmount"),
        ({"MessageUUID": "m", "Status": "sent", "Units": "one"}, "Units"),
        ({"MessageUUID": "m", "Status": "sent", "SentTime": "yesterday"}, "SentTime"),
        ({"CallUUID": "c", "HangupCauseCode": "4000x"}, "HangupCauseCode"),
        ({"CallUUID": ["c"]}, "CallUUID"),
        ([{"CallUUID": "c"}, {"MessageUUID": "m", "Status": True}], "[1].Status"),
        ([{"CallUUID": "c"}, 7], "[1]"),
    ],
)
def test_bad_fields_are_named(doc: object, field: str) -> None:
    with pytest.raises(InputError) as exc:
        plivo.parse_doc(doc)
    assert exc.value.field == field
    assert exc.value.provider == "plivo"


JUNK: list[tuple[object, str | None]] = [
    (b"", None),
    (b"   ", "application/json"),
    (b"null", None),
    (b"[]", None),
    (b"{}", None),
    (b"[1, 2]", None),
    (b"\xff\xfe\x00", None),
    (b"\xff=\xfe", FORM),
    (b"CallUUID=c&StartTime=2020-01-01", "application/json"),
    (b'{"CallUUID": {"a": 1}}', None),
    (b'{"MessageUUID": 5, "Status": true}', None),
    (b'{"MessageUUID": "m", "Status": "sent", "Units": 1e400}', None),
    (b'{"MessageUUID": "m", "Status": "sent", "TotalAmount": "1e999"}', None),
    (b'{"CallUUID": "c", "HangupCauseCode": "' + b"9" * 5000 + b'"}', None),
    (b'{"CallUUID": "' + b"9" * 5000 + b'"}', None),
    (b'{"CallUUID": 1' + b"0" * 400 + b"}", None),
    (b'{"CallUUID": "c", "EndTime": "0001-01-01 00:00:00+05:00"}', None),
    (b'{"MessageUUID": "m", "Status": "sent", "PartInfo": "99999 of 99999"}', None),
    ("CallUUID=c", None),
    (None, None),
]


@pytest.mark.parametrize(("body", "ctype"), JUNK)
def test_junk_gives_input_error_or_reports(body: object, ctype: str | None) -> None:
    try:
        reports = plivo.parse(body, ctype)  # type: ignore[arg-type]
    except InputError:
        return
    assert all(isinstance(r, Report) and r.message_id for r in reports)


KEYS = [
    "CallUUID", "MessageUUID", "Status", "HangupCauseCode", "HangupCauseName", "HangupCause",
    "StartTime", "EndTime", "SessionStart", "TotalCost", "TotalAmount", "Units", "ErrorCode",
    "PartInfo", "Type", "DialBLegUUID", "DialAction", "DialBLegHangupCauseCode", "SentTime",
]  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()


def _check(body: bytes, ctype: str | None) -> None:
    try:
        reports = plivo.parse(body, ctype)
    except InputError:
        return
    assert all(isinstance(r, Report) and r.message_id for r in reports)
    msgspec.json.encode(reports)


@settings(deadline=None)
@given(JSON)
def test_any_json_value(value: object) -> None:
    _check(msgspec.json.encode(value), "application/json")


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), SCALARS | JSON))
def test_callback_shaped_json(doc: dict[str, object]) -> None:
    _check(msgspec.json.encode(doc), None)


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), st.text()))
def test_callback_shaped_forms(doc: dict[str, str]) -> None:
    _check(urlencode(doc).encode(), FORM)


@settings(deadline=None)
@given(st.binary(), st.sampled_from([None, FORM, "application/json", "text/plain"]))
def test_any_bytes(body: bytes, ctype: str | None) -> None:
    _check(body, ctype)


# --- API answers: the Message and Call objects, lists of them, the send answer ------------------


def outcomes(name: str) -> list[Outcome]:
    found = normalize((FIXTURES / name).read_bytes())  # auto-detected
    given = normalize((FIXTURES / name).read_bytes(), provider="plivo")
    assert [(o.message_id, o.state) for o in found] == [(o.message_id, o.state) for o in given]
    return found


def test_message_object_delivered() -> None:
    (o,) = outcomes("message_object_delivered.json")
    assert o.message_id == "8c3f1e22-6a4d-4b1f-9e2a-5d7c0b9a1e36"
    assert (o.channel, o.state, o.final, o.reason) == (
        Channel.SMS,
        State.DELIVERED,
        True,
        Reason.NONE,
    )
    assert o.unknown_codes == ()  # error_code "000" is no error
    assert (o.recipient, o.sender, o.segments) == ("+14155550177", "14155550100", 2)
    assert (o.sent_at, o.done_at) == ("2023-09-27T08:32:12.118000Z", "2023-09-27T08:32:19.504000Z")
    assert (o.price, o.currency) == (0.005, "USD")
    assert o.source == "plivo.message_object"
    assert o.raw["message_state"] == "delivered"


def test_message_object_failed_names_the_error() -> None:
    (o,) = outcomes("message_object_failed.json")
    assert (o.state, o.final, o.reason) == (State.REJECTED, True, Reason.CONTENT_REJECTED)
    assert o.decided_by == "catalog:plivo:error:sms:30"
    assert o.done_at == "2023-09-27T09:30:02Z"


def test_call_object_with_a_hangup_cause() -> None:
    (o,) = outcomes("call_object_no_answer.json")
    assert (o.channel, o.state, o.reason) == (
        Channel.VOICE,
        State.UNDELIVERED,
        Reason.RECIPIENT_NO_ANSWER,
    )
    assert (o.sent_at, o.done_at) == ("2023-09-27T12:40:12Z", "2023-09-27T12:40:42Z")
    assert o.source == "plivo.call_object"


def test_message_list_gives_one_outcome_per_object() -> None:
    delivered, undelivered = outcomes("message_list.json")
    assert (delivered.state, undelivered.state) == (State.DELIVERED, State.UNDELIVERED)
    assert undelivered.channel is Channel.MMS
    assert undelivered.decided_by == "catalog:plivo:error:sms:40"


def test_send_answer_queues_every_message() -> None:
    first, second = outcomes("send_response.json")
    assert (first.message_id, second.message_id) == (
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
    )
    assert (first.state, first.final, first.source) == (
        State.ACCEPTED,
        False,
        "plivo.send_response",
    )


def test_send_answer_with_a_blank_id_is_refused() -> None:
    with pytest.raises(InputError) as exc:
        plivo.parse(b'{"api_id": "a", "message": "message(s) queued", "message_uuid": [""]}')
    assert exc.value.field == "message_uuid[0]"


def test_api_error_answers_are_about_the_request() -> None:
    (text,) = plivo.parse(b'{"api_id": "a-1", "error": "not found"}', "application/json")
    assert (text.message_id, text.channel, text.source) == (
        "request",
        Channel.OTHER,
        "plivo.api_error",
    )
    assert text.codes == (NativeCode(kind="api_error", channel="api", code="not found"),)
    (number,) = plivo.parse(b'{"api_id": "a-2", "error_code": 404, "message": "gone"}')
    assert number.codes == (NativeCode(kind="api_error", channel="api", code=404, name="gone"),)
    with pytest.raises(InputError):
        plivo.parse(b'{"api_id": "a-3", "error": " "}')


def test_a_call_without_cause_is_read_from_its_status_or_its_answer() -> None:
    base = {"CallUUID": "c-1", "StartTime": "2024-01-01 10:00:00", "EndTime": "2024-01-01 10:01:00"}
    (busy,) = plivo.parse_doc({**base, "CallStatus": "busy"})
    assert [(c.code, c.name) for c in busy.codes] == [(17, "busy")]  # Q.850 user busy
    (no_answer,) = plivo.parse_doc({**base, "CallStatus": "NO_ANSWER"})  # a call_state
    assert [c.code for c in no_answer.codes] == [19]  # Q.850 no answer
    (answered,) = plivo.parse_doc({**base, "AnswerTime": "2024-01-01 10:00:10"})
    assert [(c.code, c.name) for c in answered.codes] == [(16, None)]  # normal clearing
    (unknown,) = plivo.parse_doc(base)
    assert unknown.codes == ()
