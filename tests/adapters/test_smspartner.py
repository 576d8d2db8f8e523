"""The SMSPartner adapter: status answers, urlDlr delivery reports and API error answers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlrkit import Catalog, normalize
from dlrkit.adapters import smspartner
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Reason, Report, State

FIXTURES = Path(__file__).parent.parent / "fixtures" / "smspartner"
FORM = "application/x-www-form-urlencoded"


def load(name: str, **kwargs: str) -> list[Report]:
    ctype = FORM if name.endswith(".form") else "application/json"
    return smspartner.parse((FIXTURES / name).read_bytes(), ctype, **kwargs)


def one(name: str, **kwargs: str) -> Report:
    (report,) = load(name, **kwargs)
    return report


def listed(word: str) -> NativeCode:
    return NativeCode(kind="status", channel="status_list", code=word)


def api_error(channel: str, code: int | str, name: str) -> NativeCode:
    return NativeCode(kind="api_error", channel=channel, code=code, name=name)


# --- status answers ------------------------------------------------------------------------


def test_single_status_answer() -> None:
    r = one("message_status_delivered.json")
    assert r.provider == "smspartner"
    assert (r.message_id, r.recipient, r.channel) == ("48213", "0612345678", Channel.SMS)
    assert r.codes == (listed("Delivered"),)
    assert r.done_at == "2025-02-07T21:39:46Z"  # French winter time, UTC+1
    assert (r.price, r.currency) == (0.045, "EUR")
    assert r.source == "smspartner.status"
    assert r.raw["stopSms"] is False


def test_single_status_answer_not_delivered_in_summer_time() -> None:
    r = one("message_status_not_delivered.json")
    assert r.message_id == "48214"  # a JSON integer id
    assert r.codes == (listed("Not delivered"),)
    assert r.done_at == "2025-07-14T07:05:00Z"  # UTC+2
    assert r.raw["stopSms"] is True


def test_multi_status_answer_with_a_failed_entry() -> None:
    delivered, waiting, missing = load("multi_status.json")
    assert (delivered.message_id, delivered.recipient) == ("48213", "+33611111111")
    assert delivered.codes == (listed("Delivered"),)
    assert delivered.done_at == "2025-02-07T21:59:46Z"  # Unix seconds
    assert delivered.raw == {
        "success": True,
        "code": 200,
        "phoneNumber": "+33611111111",
        "messageId": 48213,
        "status": "Delivered",
        "date": "1738965586",
        "stopSms": "0",
        "isSpam": "0",
    }
    assert (waiting.codes, waiting.done_at) == ((listed("Waiting"),), "2025-02-07T21:59:50Z")
    assert (missing.message_id, missing.recipient) == ("1000", "+33633333333")
    assert missing.codes == (api_error("status_retrieval", 4, "Number not found"),)
    assert missing.source == "smspartner.api_error"


def test_status_by_message_takes_the_id_from_the_top() -> None:
    first, second = load("bulk_status.json")
    assert first.message_id == second.message_id == "48215"
    assert (first.recipient, first.codes) == ("+33644444444", (listed("Delivered"),))
    assert (second.codes, second.done_at) == ((listed("Not delivered"),), "2025-02-07T22:01:50Z")
    assert second.raw["stopSMS"] is True


def test_status_by_tag_names_no_message() -> None:
    (o,) = normalize((FIXTURES / "bulk_status_by_tag.json").read_bytes())
    assert (o.message_id, o.recipient, o.state) == ("+33666666666", "+33666666666", State.DELIVERED)
    assert o.source == "smspartner.status"


def test_status_by_tag_entries_get_the_callers_id() -> None:
    (r,) = load("bulk_status_by_tag.json", message_id="48299")
    assert (r.message_id, r.codes) == ("48299", (listed("Delivered"),))


def test_empty_status_list_is_no_report() -> None:
    assert smspartner.parse(b'{"success": true, "code": 200, "StatutResponse_List": []}') == []


# --- delivery reports ----------------------------------------------------------------------


def test_dlr_form() -> None:
    r = one("dlr_delivered.form")
    assert (r.message_id, r.recipient) == ("48216", "+33677777777")
    assert r.codes == (listed("delivered"),)
    assert r.done_at == "2025-03-29T13:30:15Z"
    assert r.source == "smspartner.dlr"
    assert r.raw["customID"] == "order-5521"


def test_dlr_json_with_an_smpp_word() -> None:
    r = one("dlr_undeliv.json")
    assert r.message_id == "48217"
    assert r.codes == (NativeCode(kind="dlr_status", channel="sms", code="UNDELIV"),)
    assert r.done_at == "2025-03-30T10:00:00Z"  # statusDate, Unix seconds
    assert (r.price, r.currency) == (0.045, "EUR")


def test_dlr_ko_as_query_string() -> None:
    r = smspartner.parse((FIXTURES / "dlr_ko.form").read_bytes())
    assert [(x.message_id, x.recipient, x.codes, x.done_at) for x in r] == [
        ("48218", "0699999999", (listed("ko"),), "2025-08-01T10:00:00Z")
    ]


# --- error answers -------------------------------------------------------------------------


def test_error_answer_is_the_request_unless_the_caller_names_it() -> None:
    (o,) = normalize((FIXTURES / "error_invalid_key.json").read_bytes())  # auto-detected
    assert (o.message_id, o.state, o.final, o.reason) == (
        "request",
        State.REJECTED,
        True,
        Reason.ACCOUNT_PROBLEM,
    )
    assert o.decided_by == "catalog:smspartner:api_error:send_sms:10"
    r = one("error_invalid_key.json", message_id="my-ref-1")
    assert r.message_id == "my-ref-1"
    assert r.codes == (api_error("send_sms", 10, "Invalid API key"),)
    assert r.source == "smspartner.api_error"


def test_error_answer_of_another_endpoint() -> None:
    r = one("error_invalid_key.json", message_id="q-7", endpoint="status_retrieval")
    assert r.codes == (api_error("status_retrieval", 10, "Invalid API key"),)


def test_constraint_errors_under_error() -> None:
    r = one("error_constraints.json", message_id="s-1")
    message = "The message is required; This phone number is not valid (922264)"
    assert r.codes == (api_error("send_sms", 9, message),)
    assert r.raw["error"][0]["elementId"] == "children[message].data"  # type: ignore[index]


def test_constraint_errors_under_errors() -> None:
    r = one("error_constraints_errors.json", message_id="s-2")
    assert r.codes == (api_error("send_sms", 9, "The sender cannot be longer than 11 characters"),)


def test_voice_message_error_word() -> None:
    r = one("error_voice_credit.json", message_id="v-1", endpoint="voice_message")
    assert r.channel is Channel.VOICE
    assert r.codes == (api_error("voice_message", "NOT_CREDIT", "Insufficient credit"),)


def test_unknown_endpoint() -> None:
    with pytest.raises(InputError) as exc:
        smspartner.parse(b'{"success": false, "code": 1}', endpoint="fax", message_id="x")
    assert exc.value.field == "endpoint"


def test_fixture_codes_are_catalog_codes(catalog: Catalog) -> None:
    reports = [*load("multi_status.json"), *load("bulk_status.json"), one("dlr_undeliv.json")]
    reports += [one("dlr_ko.form"), one("error_invalid_key.json", message_id="x")]
    reports += [one("error_voice_credit.json", message_id="v", endpoint="voice_message")]
    for code in (c for r in reports for c in r.codes):
        assert catalog.lookup("smspartner", code.code, kind=code.kind, channel=code.channel), code


# --- detection and bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"success": True, "code": 200, "StatutResponse_List": []}, True),
        ({"success": False, "code": 10, "message": "Invalid API key"}, True),
        ({"msgId": "1", "phoneNumber": "+33600000000", "status": "delivered"}, True),
        (
            {"messageId": 1, "number": "06", "statut": "Delivered", "success": True, "code": 200},
            True,
        ),
        ([{"msgId": "1", "phoneNumber": "06", "status": "ko"}], True),
        ({"results": [{"messageId": "x", "status": {"id": 5}}]}, False),
        ({"MessageUUID": "m", "Status": "delivered"}, False),
        ({"CallUUID": "c", "HangupCauseCode": "4000"}, False),
        ({"requestError": {"serviceException": {}}}, False),
        ({"msgId": "1", "status": "delivered"}, False),
        ({"success": "yes", "code": 200}, False),
        ([], False),
        (3, False),
    ],
)
def test_detect(doc: object, expected: bool) -> None:
    assert smspartner.detect(doc) is expected


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"phoneNumber": "06", "status": "delivered"}, "msgId"),  # named as a DLR names it
        ({"msgId": "1", "phoneNumber": "06"}, "status"),
        ({"msgId": "1", "status": "ko", "date": "01/08/2025"}, "date"),
        ({"msgId": "1", "status": "ko", "statusDate": "99999999999999"}, "statusDate"),
        ({"msgId": "1", "status": "ko", "cost": "cheap"}, "cost"),
        ({"msgId": {"id": 1}, "status": "ko"}, "msgId"),
        ({"success": True, "StatutResponse_List": {"a": 1}}, "StatutResponse_List"),
        ({"success": True, "StatutResponse_List": [1]}, "StatutResponse_List[0]"),
        ({"success": False, "message": "no code"}, "code"),
        ([{"msgId": "1", "status": "ko"}, "x"], "[1]"),
    ],
)
def test_bad_fields_are_named(doc: object, field: str) -> None:
    with pytest.raises(InputError) as exc:
        smspartner.parse_doc(doc)
    assert exc.value.field == field
    assert exc.value.provider == "smspartner"


JUNK: list[tuple[object, str | None]] = [
    (b"", None),
    (b"null", None),
    (b"[]", None),
    (b"{}", None),
    (b'"text"', None),
    (b"\x80\x81=\x82", None),
    (b"\xef\xbb\xbf{}", "application/json"),
    (b'{"success": false, "code": "' + b"9" * 5000 + b'", "message_id": "m"}', None),
    (b'{"success": false, "code": 1' + b"0" * 300 + b', "message_id": "m"}', None),
    (b'{"messageId": "m", "status": "ko", "date": "' + b"1" * 13 + b'"}', None),
    (b'{"messageId": "m", "status": "ko", "cost": 1e308, "currency": 5}', None),
    (b'{"messageId": "m", "status": "ko", "date": "0001-01-01 00:00:00"}', None),
    (b'{"success": false, "code": 9, "error": [1, {"message": 2}, {"message": ""}]}', None),
    (b'{"StatusResponse": [{"success": false}]}', None),
    (b"msgId=1&status=", FORM),
    ("msgId=1&status=ko", None),
]


@pytest.mark.parametrize(("body", "ctype"), JUNK)
def test_junk_gives_input_error_or_reports(body: object, ctype: str | None) -> None:
    try:
        reports = smspartner.parse(body, ctype, message_id="fallback")  # type: ignore[arg-type]
    except InputError:
        return
    assert all(isinstance(r, Report) and r.message_id for r in reports)


KEYS = [
    "success", "code", "message", "error", "errors", "messageId", "msgId", "message_id",
    "phoneNumber", "number", "status", "statut", "date", "statusDate", "cost", "currency",
    "StatutResponse_List", "StatusResponse",
]  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
SHAPED = st.dictionaries(st.sampled_from(KEYS), SCALARS | JSON)


def _check(body: bytes, ctype: str | None, message_id: str | None = None) -> None:
    try:
        reports = smspartner.parse(body, ctype, message_id=message_id)
    except InputError:
        return
    assert all(isinstance(r, Report) and r.message_id for r in reports)
    msgspec.json.encode(reports)


@settings(deadline=None)
@given(JSON)
def test_any_json_value(value: object) -> None:
    _check(msgspec.json.encode(value), "application/json")


@settings(deadline=None)
@given(SHAPED | st.fixed_dictionaries({"StatutResponse_List": st.lists(SHAPED, max_size=3)}))
def test_answer_shaped_json(doc: dict[str, object]) -> None:
    _check(msgspec.json.encode(doc), None, message_id="m-1")


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), st.text()))
def test_dlr_shaped_forms(doc: dict[str, str]) -> None:
    _check(urlencode(doc).encode(), FORM)


@settings(deadline=None)
@given(st.binary(), st.sampled_from([None, FORM, "application/json"]))
def test_any_bytes(body: bytes, ctype: str | None) -> None:
    _check(body, ctype)


# --- published shapes: the send answer, a failed entry in French --------------------------------


def test_send_answer_is_accepted_with_its_cost_and_parts() -> None:
    (o,) = normalize((FIXTURES / "send_response.json").read_bytes())  # auto-detected
    assert o.provider == "smspartner"
    assert o.message_id == "5180233"  # sent as 5.180233e+06
    assert (o.state, o.final, o.reason) == (State.ACCEPTED, False, Reason.NONE)
    assert o.decided_by == "catalog:smspartner:dlr_status:sms:ACCEPTD"
    assert (o.price, o.currency, o.segments) == (0.045, "EUR", 1)
    assert o.source == "smspartner.send_response"


def test_send_answer_without_an_id_is_refused() -> None:
    with pytest.raises(InputError) as exc:
        smspartner.parse(b'{"success": true, "code": 200, "nb_sms": 1}')
    assert exc.value.field == "message_id"


def test_multi_status_with_a_french_not_found_entry() -> None:
    delivered, missing = normalize((FIXTURES / "multi_status_not_found.json").read_bytes())
    assert (delivered.message_id, delivered.state) == ("5180233", State.DELIVERED)
    assert delivered.done_at == "2023-11-17T10:00:06Z"  # Unix seconds, UTC
    assert missing.message_id == "5180234"
    assert missing.codes[0].entry == "smspartner:api_error:status_retrieval:4"
    assert missing.codes[0].name == "Numéro introuvable"
    assert missing.unknown_codes == ()


@pytest.mark.parametrize(
    ("name", "state", "reason"),
    [
        ("voice_status_answered.json", State.DELIVERED, Reason.NONE),
        ("voice_status_not_answered.json", State.UNDELIVERED, Reason.RECIPIENT_NO_ANSWER),
        ("voice_status_undelivered.json", State.UNDELIVERED, Reason.UNKNOWN),
    ],
)
def test_voice_partner_status_webhook(name: str, state: State, reason: Reason) -> None:
    (o,) = normalize((FIXTURES / name).read_bytes())  # auto-detected
    assert o.provider == "smspartner"
    assert (o.channel, o.state, o.final, o.reason) == (Channel.VOICE, state, True, reason)
    assert o.unknown_codes == ()
    assert o.source == "smspartner.voice_status"
    assert str(o.recipient).startswith("+336")
    assert o.sent_at == "2025-06-10T12:20:00Z"  # French summer time, UTC+2


def test_voice_partner_answered_call_times() -> None:
    (o,) = normalize((FIXTURES / "voice_status_answered.json").read_bytes())
    assert (o.message_id, o.done_at) == ("Qm7xT2pLk9vR4sWz8YbN1", "2025-06-10T12:20:31Z")
    assert o.codes[0].name == "VOICE_ANSWERED"


def test_a_word_error_code_is_a_voice_message_error() -> None:
    (o,) = normalize((FIXTURES / "error_voice_credit.json").read_bytes())
    assert (o.channel, o.state, o.reason) == (Channel.VOICE, State.REJECTED, Reason.ACCOUNT_PROBLEM)
    assert o.codes[0].entry == "smspartner:api_error:voice_message:NOT_CREDIT"
    (numbered,) = normalize((FIXTURES / "error_invalid_key.json").read_bytes())
    assert numbered.codes[0].channel == "send_sms"


def test_bulk_send_answer_is_one_report_per_number() -> None:
    body = (
        b'{"success": true, "code": 200, "message_id": 7, "currency": "EUR", "cost": 0.05,'
        b' "nbSMS": 2, "SMSResponse_List": ['
        b'{"success": true, "code": 200, "nbSms": 2, "cost": 0.05, "phoneNumber": "+33600000001"},'
        b'{"success": false, "code": 14, "phoneNumber": "+33600000002",'
        b' "message": "The number is in the STOP SMS list"}]}'
    )
    sent, refused = smspartner.parse(body, "application/json")
    assert (sent.message_id, sent.recipient, sent.segments) == ("7", "+33600000001", 2)
    assert (sent.price, sent.currency) == (0.05, "EUR")
    assert sent.codes == (NativeCode(kind="dlr_status", channel="sms", code="ACCEPTD"),)
    assert (refused.message_id, refused.recipient) == ("7", "+33600000002")
    assert refused.codes == (api_error("send_sms", 14, "The number is in the STOP SMS list"),)
    (whole,) = smspartner.parse(body.replace(b'"SMSResponse_List": [', b'"x": ['))
    assert (whole.segments, whole.price) == (2, 0.05)  # nbSMS of the whole answer


def test_stop_reply_is_kept_under_its_message() -> None:
    body = b'{"type": "stop", "phone_number": "+33600000001", "text": "STOP", "message_id": 9}'
    assert smspartner.detect(msgspec.json.decode(body))
    (report,) = smspartner.parse(body, "application/json")
    assert (report.message_id, report.recipient, report.source) == (
        "9",
        "+33600000001",
        "smspartner.stop",
    )
    assert report.codes == (NativeCode(kind="status", channel="sms", code="stop", name="STOP"),)
    reply = b'{"type": "response", "phone_number": "+33600000001", "text": "ok", "message_id": 9}'
    assert not smspartner.detect(msgspec.json.decode(reply))  # a reply is no report
    with pytest.raises(InputError):
        smspartner.parse(b'{"type": "stop", "phone_number": "+33600000001"}')


def test_cancellation_answer_is_a_cancelled_message_when_the_caller_says_so() -> None:
    # github.com/smspartnerfr/SMS-API-GO v1/testdata/cancel_sms.json
    body = '{"success": true, "code": 200, "message": "L\'envoi du SMS a été annulé."}'.encode()
    (report,) = smspartner.parse(body, endpoint="cancel_sms", message_id="2270142")
    assert (report.message_id, report.source) == ("2270142", "smspartner.cancel_response")
    assert report.codes == (
        NativeCode(
            kind="dlr_status",
            channel="receipt",
            code="DELETED",
            name="L'envoi du SMS a été annulé.",
            namespace="smpp",
        ),
    )
    with pytest.raises(InputError, match="cancel_sms"):
        smspartner.parse(body, message_id="2270142")  # never read as an accepted send
    with pytest.raises(InputError, match="message_id"):
        smspartner.parse(body, endpoint="cancel_sms")
