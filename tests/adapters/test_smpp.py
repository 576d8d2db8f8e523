"""The SMPP adapter: Appendix B receipt texts, deliver_sm fields/TLVs, receipt profiles."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlrkit import Catalog, normalize
from dlrkit.adapters import smpp
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Outcome, Reason, Report, State

FIXTURES = Path(__file__).parent.parent / "fixtures" / "smpp"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def one(name: str, content_type: str | None = None, **kw: object) -> Report:
    reports = smpp.parse(body(name), content_type, **kw)  # type: ignore[arg-type]
    assert len(reports) == 1
    return reports[0]


def stat(code: str) -> NativeCode:
    return NativeCode(kind="dlr_status", channel="receipt", code=code)


def err(code: int | str, channel: str = "receipt_err") -> NativeCode:
    return NativeCode(kind="error", channel=channel, code=code)


def map_err(code: int) -> NativeCode:
    """An `err:` the default profile reads as a GSM MAP error (3GPP TS 29.002)."""
    return NativeCode(kind="error", channel="error", code=code, namespace="map")


def state(code: int) -> NativeCode:
    return NativeCode(kind="status", channel="message_state", code=code)


# --- receipt texts ------------------------------------------------------------------------

TEXTS = [
    # file, message id, codes, sent_at, done_at
    (
        "appendix_b_delivered.txt",
        "0123456789",
        (stat("DELIVRD"),),
        "2024-03-15T10:22:00Z",
        "2024-03-15T10:23:00Z",
    ),
    (
        "undeliv_err001.txt",
        "1234567890",
        (stat("UNDELIV"), map_err(1)),
        "2024-03-15T10:22:00Z",
        "2024-03-15T15:30:00Z",
    ),
    (
        "vonage_decimal_id.txt",
        "0000000087654321",
        (stat("DELIVRD"),),
        "2024-02-29T09:15:00Z",
        "2024-02-29T09:16:00Z",
    ),
    (
        "mixed_case_hex_id.txt",
        "4F2A1B9C",
        (stat("EXPIRED"), map_err(27)),
        "2024-03-15T10:22:00Z",
        "2024-03-16T00:22:00Z",
    ),
    (
        "out_of_order_empty_text.txt",
        "74e02ee1",
        (stat("DELIVRD"),),
        "2024-03-15T10:22:41Z",
        "2024-03-15T10:23:10Z",
    ),
    (
        "no_sub_dlvrd_14_digit_dates.txt",
        "7C3F0A9E2B1D4E8F9A0B1C2D3E4F5A6B",
        (stat("DELIVRD"),),
        "2024-03-15T10:22:41Z",
        "2024-03-15T10:23:05Z",
    ),
    (
        "rejected_zero_done_date.txt",
        "0324Q-1022K-4471T-93XRW",
        (stat("REJECTD"), err(375)),
        "2024-03-15T10:22:41Z",
        None,
    ),
    (
        "expired_12_digit_dates.txt",
        "64567564356765435677",
        (stat("EXPIRED"), map_err(27)),
        "2024-03-15T10:22:33Z",
        "2024-03-17T10:22:33Z",
    ),
    (
        "underscore_keys_extra_fields.txt",
        "998877",
        (stat("UNDELIV"), err("00B")),
        "2024-03-15T10:22:00Z",
        "2024-03-15T10:24:00Z",
    ),
    ("enroute_intermediate.txt", "5566778899", (stat("ENROUTE"),), "2024-03-15T10:22:00Z", None),
    ("acceptd.txt", "5566778900", (stat("ACCEPTD"),), "2024-03-15T10:22:00Z", None),
    ("deleted.txt", "5566778901", (stat("DELETED"),), "2024-03-15T10:22:00Z", None),
    ("unknown.txt", "5566778902", (stat("UNKNOWN"),), "2024-03-15T10:22:00Z", None),
    ("vendor_stat_word.txt", "5566778903", (stat("BUFFRED"),), "2024-03-15T10:22:00Z", None),
]


@pytest.mark.parametrize(
    ("name", "message_id", "codes", "sent_at", "done_at"), TEXTS, ids=[t[0] for t in TEXTS]
)
@pytest.mark.parametrize("content_type", [None, "text/plain", "text/plain; charset=utf-8"])
def test_receipt_texts(
    name: str,
    message_id: str,
    codes: tuple[NativeCode, ...],
    sent_at: str,
    done_at: str | None,
    content_type: str | None,
) -> None:
    report = one(name, content_type)
    assert report.provider == "smpp"
    assert report.channel is Channel.SMS
    assert report.message_id == message_id
    assert report.codes == codes
    assert report.sent_at == sent_at
    if done_at is not None:
        assert report.done_at == done_at
    assert report.source == "smpp.receipt"
    assert report.raw["short_message"] == body(name).decode().strip()
    assert report.recipient is None  # a bare text carries no addresses
    msgspec.json.encode(report)  # raw stays serializable


def test_every_field_kept_in_raw() -> None:
    raw = one("undeliv_err001.txt").raw
    assert raw["id"] == "1234567890"
    assert raw["sub"] == "001"
    assert raw["dlvrd"] == "000"
    assert raw["submit_date"] == "2403151022"
    assert raw["done_date"] == "2403151530"
    assert raw["stat"] == "UNDELIV"
    assert raw["err"] == "001"  # the string as sent; the NativeCode has the int
    assert raw["text"] == "Hello Marie, your"


def test_same_day_times_enroute() -> None:
    assert one("enroute_intermediate.txt").done_at == "2024-03-15T10:22:00Z"


def test_zero_done_date_is_absent() -> None:
    report = one("rejected_zero_done_date.txt")
    assert report.done_at is None
    assert report.raw["done_date"] == "000000000000"
    assert report.raw["text"] == ""


def test_text_with_colons_and_extra_fields() -> None:
    report = one("underscore_keys_extra_fields.txt")
    assert report.raw["text"] == "Code: 1234: valid 5 min"
    assert report.raw["extra"] == {"imsi": "208150123456789", "mccmnc": "20815"}
    # "00B" is not decimal: kept as the word it is under the default (decimal) profile
    assert report.raw["err"] == "00B"


def test_empty_text_followed_by_status() -> None:
    raw = one("out_of_order_empty_text.txt").raw
    assert raw["text"] == ""
    assert raw["stat"] == "DELIVRD"


def test_case_of_keys_and_words() -> None:
    report = one("mixed_case_hex_id.txt")
    assert report.raw["stat"] == "EXPIRED"
    assert report.raw["text"] == "Rendez-vous demain"
    lower = smpp.parse(b"id:1 submit date:2403151022 stat:delivrd err:000")[0]
    assert lower.codes == (stat("DELIVRD"),)
    assert lower.raw["stat"] == "delivrd"


# --- ids in decimal or hex ----------------------------------------------------------------


def test_decimal_id_both_interpretations() -> None:
    raw = one("vonage_decimal_id.txt").raw
    assert raw["id_decimal_as_hex"] == "5397FB1"  # 87654321
    assert raw["id_hex_as_decimal"] == str(0x87654321)


def test_hex_id_only_hex_interpretation() -> None:
    raw = one("mixed_case_hex_id.txt").raw
    assert raw["id_hex_as_decimal"] == str(0x4F2A1B9C)
    assert "id_decimal_as_hex" not in raw


def test_other_ids_have_no_interpretation() -> None:
    raw = one("rejected_zero_done_date.txt").raw
    assert "id_hex_as_decimal" not in raw
    assert "id_decimal_as_hex" not in raw


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2403151022", "2024-03-15T10:22:00Z"),
        ("240315102233", "2024-03-15T10:22:33Z"),
        ("20240315102233", "2024-03-15T10:22:33Z"),
        ("2024-03-15 10:22:33", "2024-03-15T10:22:33Z"),
        ("240315102233004+", "2024-03-15T10:22:33+01:00"),  # SMPP absolute time, +4 quarters
        ("240315102233008-", "2024-03-15T10:22:33-02:00"),
        ("0000000000", None),
        ("2413151022", None),  # month 13
        ("24031510", None),
        ("soon", None),
    ],
)
def test_dates(value: str, expected: str | None) -> None:
    report = smpp.parse(f"id:1 submit date:{value} stat:DELIVRD".encode())[0]
    assert report.sent_at == expected


# --- batches ----------------------------------------------------------------------------------


def test_text_batch_one_receipt_per_line() -> None:
    reports = smpp.parse(body("batch.txt"))
    assert [r.message_id for r in reports] == ["1000000001", "1000000002", "1000000003"]
    assert [r.codes[0].code for r in reports] == ["DELIVRD", "UNDELIV", "EXPIRED"]
    assert reports[1].codes[1] == map_err(34)


def test_json_batch_mixes_forms() -> None:
    reports = smpp.parse(body("batch.json"), "application/json")
    assert [r.message_id for r in reports] == ["3000000001", "3000000002", "3000000003"]
    assert reports[0].source == "smpp.receipt"
    assert reports[1].codes == (stat("UNDELIV"), map_err(1))
    assert reports[2].codes == (state(3),)
    assert reports[2].recipient == "33611112222"


def test_empty_json_array_is_no_reports() -> None:
    assert smpp.parse(b"[]", "application/json") == []


# --- deliver_sm fields and TLVs -----------------------------------------------------------


def test_tlv_gsm_network_error() -> None:
    report = one("tlv_gsm_absent_subscriber.json", "application/json")
    assert report.message_id == "a1b2c3d4e5"
    assert report.recipient == "33612345678"  # source_addr: the handset the receipt comes from
    assert report.sender == "ACME"  # destination_addr: the original sender
    # err:027 repeats the TLV's GSM error: one code, not an unknown second one
    assert report.codes == (state(5), stat("UNDELIV"), err(27, "error"))
    assert report.raw["network_error"] == {"type": 3, "type_name": "GSM", "code": 27}
    assert report.raw["network_error_code"] == "03001B"
    assert report.raw["receipt"]["err"] == "027"  # type: ignore[index]
    assert report.raw["esm_class"] == 4
    assert report.sent_at == "2024-03-15T10:22:00Z"
    assert report.done_at == "2024-03-15T15:25:00Z"
    assert report.source == "smpp.deliver_sm"


def test_tlv_only() -> None:
    report = one("tlv_only_delivered.json", "application/json")
    assert report.message_id == "3418907356"
    assert report.codes == (state(2),)  # GSM error 0: no error code
    assert report.raw["network_error"] == {"type": 3, "type_name": "GSM", "code": 0}
    assert report.recipient == "447700900123"
    assert report.sender == "447700900999"
    assert report.sent_at is None
    assert report.raw["id_decimal_as_hex"] == "CBC862DC"  # 3418907356


def test_nested_tlvs_and_non_gsm_network() -> None:
    report = one("tlv_nested.json")
    assert report.message_id == "88776655"
    assert report.codes == (state(3), stat("EXPIRED"), err(5, "network_type_1"))
    assert report.raw["network_error"] == {"type": 1, "type_name": "ANSI-136", "code": 5}
    assert report.done_at == "2024-03-17T10:22:00Z"


def test_short_message_only() -> None:
    report = one("short_message_only.json", "application/json")
    assert report.message_id == "2233445566"
    assert report.codes == (stat("DELIVRD"),)
    assert report.raw["receipt"]["text"] == "Bonjour"  # type: ignore[index]


def test_hex_dumped_short_message() -> None:
    report = one("tlv_hex_short_message.json", "application/json")
    assert report.codes == (state(8), stat("REJECTD"), map_err(11))
    assert report.raw["receipt"]["id"] == "77AA88BB"  # type: ignore[index]


def test_tlvs_win_over_text() -> None:
    report = one("tlv_conflict.json", "application/json")
    assert report.message_id == "3039"
    assert report.raw["receipt"]["id"] == "0000012345"  # type: ignore[index]
    assert report.raw["id_hex_as_decimal"] == str(0x3039)


@pytest.mark.parametrize(
    ("value", "code"),
    [(5, 5), ("5", 5), ("0x05", 5), ("UNDELIVERABLE", 5), ("undeliv", 5), ("SKIPPED", 9), (0, 0)],
)
def test_message_state_spellings(value: object, code: int) -> None:
    report = smpp.parse_doc({"receipted_message_id": "x1", "message_state": value})[0]
    assert report.codes == (state(code),)


@pytest.mark.parametrize(
    "value",
    ["030022", "0x030022", "03 00 22", "03:00:22", [3, 0, 34], 0x030022, {"type": 3, "code": 34}],
)
def test_network_error_code_spellings(value: object) -> None:
    report = smpp.parse_doc({"receipted_message_id": "x1", "network_error_code": value})[0]
    assert report.codes == (err(34, "error"),)
    assert report.raw["network_error"] == {"type": 3, "type_name": "GSM", "code": 34}


def test_network_error_code_as_bytes() -> None:
    doc = {"receipted_message_id": b"x1".decode(), "network_error_code": b"\x03\x00\x22"}
    report = smpp.parse_doc(doc)[0]
    assert report.codes == (err(34, "error"),)
    assert report.raw["network_error_code"] == "030022"  # bytes kept as hex in raw


def test_camel_case_field_names() -> None:
    doc = {"receiptedMessageId": "m-9", "messageState": 2, "sourceAddr": "33600000001"}
    report = smpp.parse_doc(doc)[0]
    assert (report.message_id, report.codes, report.recipient) == (
        "m-9",
        (state(2),),
        "33600000001",
    )


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", None])
def test_form_encoded_fields(content_type: str | None) -> None:
    form = b"receipted_message_id=m-7&message_state=3&source_addr=33600000002"
    report = smpp.parse(form, content_type)[0]
    assert (report.message_id, report.codes) == ("m-7", (state(3),))
    assert report.recipient == "33600000002"


def test_receipt_text_labelled_json() -> None:
    report = smpp.parse(body("undeliv_err001.txt"), "application/json")[0]
    assert (report.message_id, report.codes) == ("1234567890", (stat("UNDELIV"), map_err(1)))


def test_text_with_equals_sign_is_not_a_form() -> None:
    report = smpp.parse(b"id:42 stat:DELIVRD err:000 text:a=b&c=d")[0]
    assert (report.message_id, report.raw["text"]) == ("42", "a=b&c=d")


# --- receipt profiles -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def profiles() -> dict[str, smpp.ReceiptProfile]:
    data = tomllib.loads((FIXTURES / "profiles.toml").read_text(encoding="utf-8"))
    return smpp.load_profiles(data)


def test_profile_err_map_hex_and_zone(profiles: dict[str, smpp.ReceiptProfile]) -> None:
    acme = profiles["acme"]
    assert acme.name == "acme"
    text = b"id:A1 submit date:2403151022 done date:2403151530 stat:UNDELIV err:01B text:x"
    report = smpp.parse(text, profile=acme)[0]
    assert report.codes == (
        stat("UNDELIV"),
        NativeCode(kind="error", channel="error", code=27, namespace="map"),
    )
    assert report.raw["err_ref"] == "map:error:27"
    assert report.raw["err"] == "01B"
    assert report.raw["profile"] == "acme"
    assert report.sent_at == "2024-03-15T10:22:00+01:00"
    assert report.done_at == "2024-03-15T15:30:00+01:00"


def test_profile_four_part_reference(profiles: dict[str, smpp.ReceiptProfile]) -> None:
    report = smpp.parse(b"id:A2 stat:UNDELIV err:0FF", profile=profiles["acme"])[0]
    assert report.codes[1] == NativeCode(
        kind="error", channel="general", code=1, namespace="infobip"
    )
    assert report.raw["err_ref"] == "infobip:error:general:1"


def test_profile_none_and_unmapped(profiles: dict[str, smpp.ReceiptProfile]) -> None:
    ok = smpp.parse(b"id:A3 stat:DELIVRD err:000", profile=profiles["acme"])[0]
    assert ok.codes == (stat("DELIVRD"),)
    other = smpp.parse(b"id:A4 stat:UNDELIV err:00A", profile=profiles["acme"])[0]
    assert other.codes == (stat("UNDELIV"), err(10))  # hex 00A, not mapped: default channel


def test_profile_custom_regex(profiles: dict[str, smpp.ReceiptProfile]) -> None:
    report = one("csv_custom_format.txt", profile=profiles["csv"])
    assert report.message_id == "9f8e7d6c5b4a"
    assert report.codes == (stat("00"),)  # empty err: no error code
    assert report.sent_at == "2024-03-15T10:00:00Z"
    assert report.done_at == "2024-03-15T10:43:00Z"
    assert report.raw["extra"] == {"destination": "33612345678", "originator": "ACME"}
    assert report.raw["pattern_matched"] is True
    # A standard receipt on the same connection still reads, through the lenient parser
    fallback = smpp.parse(body("undeliv_err001.txt"), profile=profiles["csv"])[0]
    assert fallback.raw["pattern_matched"] is False
    assert fallback.codes == (stat("UNDELIV"), err(1, "csv_err"))


def test_profile_callable_err_map() -> None:
    def to_ref(value: str) -> str | None:
        return None if int(value) == 0 else f"map:error:{int(value)}"

    profile = smpp.ReceiptProfile(name="fn", err_map=to_ref)
    report = smpp.parse(b"id:C1 stat:UNDELIV err:034", profile=profile)[0]
    assert report.codes[1] == NativeCode(kind="error", channel="error", code=34, namespace="map")
    assert smpp.parse(b"id:C2 stat:DELIVRD err:000", profile=profile)[0].codes == (stat("DELIVRD"),)


def test_profile_callable_failure_is_input_error() -> None:
    profile = smpp.ReceiptProfile(err_map=lambda value: str(1 / 0))
    with pytest.raises(InputError) as info:
        smpp.parse(b"id:C3 stat:UNDELIV err:001", profile=profile)
    assert info.value.field == "err"


def test_profiles_are_hashable(profiles: dict[str, smpp.ReceiptProfile]) -> None:
    assert len({profiles["acme"], profiles["csv"], smpp.ReceiptProfile()}) == 3


def test_profile_from_dict_direct() -> None:
    profile = smpp.ReceiptProfile.from_dict(
        {"err_map": {"001": "map:error:1", "002": ""}, "utc_offset": -300}, name="x"
    )
    assert profile.name == "x"
    assert smpp.parse(b"id:D1 stat:UNDELIV err:002", profile=profile)[0].codes == (stat("UNDELIV"),)
    report = smpp.parse(b"id:D2 submit date:2403151022 err:1", profile=profile)[0]
    assert report.codes == (NativeCode(kind="error", channel="error", code=1, namespace="map"),)
    assert report.sent_at == "2024-03-15T10:22:00-05:00"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"err_base": "octal"}, "err_base"),
        ({"pattern": "(unclosed"}, "pattern"),
        ({"pattern": r"stat:(?P<stat>\w+)"}, "pattern"),  # no id group
        ({"err_map": {"001": "not a ref"}}, "err_map.001"),
        ({"err_map": {"001": "map:mistake:error:1"}}, "err_map.001"),
        ({"err_map": ["001"]}, "err_map"),
        ({"utc_offset": "+25:00"}, "utc_offset"),
        ({"utc_offset": "Paris"}, "utc_offset"),
        ({"name": 7}, "name"),
    ],
)
def test_profile_errors_name_the_key(data: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        smpp.ReceiptProfile.from_dict(data)
    assert info.value.field == field


def test_profile_references_exist_in_catalog(
    profiles: dict[str, smpp.ReceiptProfile], catalog: Catalog
) -> None:
    assert catalog.get_ref("map:error:27") is not None
    assert catalog.get_ref("map:error:34") is not None
    assert catalog.lookup("infobip", 1, kind="error", channel="general")


def test_emitted_smpp_codes_are_in_catalog(catalog: Catalog) -> None:
    for name, *_ in TEXTS:
        for code in one(name).codes:
            if code.kind == "dlr_status" and code.code != "BUFFRED":
                assert catalog.lookup("smpp", code.code, code.kind, code.channel), code
    for n in range(10):
        assert catalog.lookup("smpp", n, "status", "message_state"), n
    # a GSM network_error_code is a MAP error: the classifier looks it up in "map"
    assert catalog.lookup("map", 27, "error", "error")


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("id:123 sub:001 stat:DELIVRD", True),
        ("ID:123 Stat:DELIVRD", True),
        (b"id:123 stat:DELIVRD", True),
        ("sub:001 id:74e02ee1 err:000 stat:DELIVRD", True),
        ({"receipted_message_id": "1"}, True),
        ({"tlvs": {"receipted_message_id": "1"}}, True),
        ({"short_message": "id:9 stat:DELIVRD"}, True),
        ({"short_message": "Hello there"}, False),
        ({"results": [{"messageId": "x"}]}, False),
        ("Hello", False),
        (None, False),
        (42, False),
        ([], False),
    ],
)
def test_detect(doc: object, expected: bool) -> None:
    assert smpp.detect(doc) is expected


def test_detect_fixtures() -> None:
    for path in FIXTURES.iterdir():
        if path.suffix == ".txt" and path.name != "csv_custom_format.txt":
            assert smpp.detect(path.read_bytes()), path.name
        elif path.suffix == ".json" and path.name != "batch.json":
            assert smpp.detect(msgspec.json.decode(path.read_bytes())), path.name


# --- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "content_type", "field"),
    [
        (b"sub:001 stat:DELIVRD err:000", None, "id"),
        (b"id: stat:DELIVRD", None, "id"),
        (b'{"message_state": 2}', "application/json", "receipted_message_id"),
        (b'{"receipted_message_id": "1", "message_state": 300}', None, "message_state"),
        (b'{"receipted_message_id": "1", "message_state": "GONE"}', None, "message_state"),
        (
            b'{"receipted_message_id": "1", "network_error_code": "0301"}',
            None,
            "network_error_code",
        ),
        (
            b'{"receipted_message_id": "1", "network_error_code": {"type": 3, "code": 70000}}',
            None,
            "network_error_code.code",
        ),
        (b'{"receipted_message_id": 1.5}', None, "receipted_message_id"),
        (b'{"receipted_message_id": "1", "short_message": 7}', None, "short_message"),
        (
            b'[{"receipted_message_id": "1"}, {"message_state": 2}]',
            None,
            "[1].receipted_message_id",
        ),
        (b"[1]", None, "[0]"),
        (b"id:1 stat:X\nid:2\nid:", None, "[2].id"),
    ],
)
def test_input_errors_name_the_field(payload: bytes, content_type: str | None, field: str) -> None:
    with pytest.raises(InputError) as info:
        smpp.parse(payload, content_type)
    assert info.value.field == field
    assert info.value.provider == "smpp"


JUNK: list[object] = [
    b"",
    b"   ",
    b"null",
    b"[]",
    b"{}",
    b"[[]]",
    b'"just text"',
    b"\xff\xfe\x00garbage",
    b"id:\xff\xfe stat:\x80",
    b"9" * 5000,
    b'{"receipted_message_id": 1' + b"0" * 5000 + b"}",
    b'{"receipted_message_id": true}',
    b'{"receipted_message_id": "1", "network_error_code": [3, 0, 999]}',
    b'{"receipted_message_id": "1", "network_error_code": null, "message_state": ""}',
    b'{"tlvs": [1, 2], "short_message": ""}',
    b"[" * 2000 + b"]" * 2000,
    b"id:1 submit date:99999999999999 done date:0000000000000000 stat:" + b"X" * 10000,
    "id:1 text:é".encode("utf-16"),
    "not bytes",
    None,
]


@pytest.mark.parametrize("payload", JUNK, ids=range(len(JUNK)))
@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain", "image/png"])
def test_junk_gives_reports_or_input_error(payload: object, content_type: str | None) -> None:
    try:
        reports = smpp.parse(payload, content_type)  # type: ignore[arg-type]
    except InputError:
        return
    assert isinstance(reports, list)
    assert all(isinstance(r, Report) and r.message_id for r in reports)
    msgspec.json.encode(reports)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["id:7 stat:DELIVRD err:001", "030001", "DELIVERED", "0x05"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "receipted_message_id",
                    "message_state",
                    "network_error_code",
                    "source_addr",
                    "short_message",
                    "tlvs",
                    "type",
                    "code",
                    "x",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_json_value_gives_reports_or_input_error(value: object) -> None:
    data = msgspec.json.encode(value)
    try:
        reports = smpp.parse(data, "application/json")
    except InputError:
        return
    assert all(r.provider == "smpp" and r.message_id for r in reports)
    msgspec.json.encode(reports)


RECEIPT_ALPHABET = st.sampled_from(
    ["id:", "ID:", "stat:", "err:", "text:", "submit date:", "done date:", "sub:", " ", "0"]
) | st.sampled_from(["9", "A", "f", ":", "-", "DELIVRD", "\n", "é", "0x"])


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=200) | st.lists(RECEIPT_ALPHABET, max_size=30).map("".join).map(str.encode)
)
def test_any_bytes_give_reports_or_input_error(data: bytes) -> None:
    for content_type in (None, "text/plain", "application/json"):
        try:
            reports = smpp.parse(data, content_type)
        except InputError:
            continue
        assert all(r.message_id for r in reports)
        msgspec.json.encode(reports)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="0123456789ABCDEFabcdef", min_size=1, max_size=30),
    st.sampled_from(["DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"]),
    st.integers(0, 999),
)
def test_generated_receipts_round_trip(message_id: str, word: str, code: int) -> None:
    text = f"id:{message_id} sub:001 dlvrd:000 submit date:2403151022 done date:2403151023 stat:{word} err:{code:03d} text:x"
    report = smpp.parse(text.encode())[0]
    assert report.message_id == message_id
    assert report.codes[0] == stat(word)
    expected = (map_err(code) if code <= 255 else err(code),) if code else ()
    assert report.codes[1:] == expected
    assert report.raw["err"] == f"{code:03d}"


# --- published variants: long state names, Jasmin's HTTP receipts, Kannel's dlr-url ------------


def outcome(name: str) -> Outcome:
    (found,) = normalize(body(name))  # auto-detected
    (given,) = normalize(body(name), provider="smpp")
    assert (found.message_id, found.state, found.decided_by) == (
        given.message_id,
        given.state,
        given.decided_by,
    )
    return found


@pytest.mark.parametrize(
    ("name", "word", "expected"),
    [
        ("long_state_name_delivered.txt", "DELIVERED", State.DELIVERED),
        ("long_state_name_undeliverable.txt", "UNDELIVERABLE", State.UNDELIVERED),
    ],
)
def test_stat_written_as_the_long_state_name(name: str, word: str, expected: State) -> None:
    o = outcome(name)
    assert (o.state, o.final) == (expected, True)
    assert o.codes[0].name == word
    assert f"smpp:dlr_status:receipt:{word}" not in o.unknown_codes


def test_jasmin_level1_receipt_is_the_submit_answer() -> None:
    o = outcome("jasmin_dlr_level1_ok.form")
    assert o.message_id == "16fd2706-8baf-433b-82eb-8c7fada847da"
    assert (o.state, o.final) == (State.ACCEPTED, False)
    assert o.decided_by == "catalog:smpp:api_error:command_status:0"
    assert o.source == "smpp.jasmin_dlr"


def test_jasmin_level1_error_is_a_rejection() -> None:
    o = outcome("jasmin_dlr_level1_rejected.form")
    assert (o.state, o.final, o.reason) == (State.REJECTED, True, Reason.RECIPIENT_INVALID)
    assert o.codes[0].name == "ESME_RINVDSTADR"


def test_jasmin_level3_receipt_carries_the_receipt_fields() -> None:
    o = outcome("jasmin_dlr_level3_undeliv.form")
    assert (o.state, o.final) == (State.UNDELIVERED, True)
    assert (o.sent_at, o.done_at) == ("2023-11-17T10:30:00Z", "2023-11-17T10:31:00Z")
    assert o.raw["id_smsc"] == "2567"
    assert o.unknown_codes == ()  # err: read as a MAP error by default, as in receipt texts
    assert o.codes[-1].entry == "map:error:error:1"


def test_jasmin_receipt_without_an_id_is_refused() -> None:
    with pytest.raises(InputError) as exc:
        smpp.parse(b"id=&message_status=DELIVRD&level=3")
    assert exc.value.field == "id"


def test_receipt_forwarded_in_a_dlr_url_parameter() -> None:
    o = outcome("kannel_dlr_url_answer.form")
    assert (o.message_id, o.state, o.final) == ("0A1B2C3D", State.DELIVERED, True)
    assert o.raw["ref"] == "order-5521"
    assert o.source == "smpp.forwarded_receipt"


def test_node_smpp_pdu_with_wrapped_message_and_buffer_tlv() -> None:
    o = outcome("node_smpp_deliver_sm.json")
    assert o.message_id == "9F3A21C0"
    assert (o.state, o.final, o.reason) == (State.UNDELIVERED, True, Reason.RECIPIENT_INVALID)
    assert o.decided_by == "catalog:map:error:error:1"  # GSM network error 1, from the TLV
    assert (o.recipient, o.sender) == ("+447700900123", "MyBrand")
    assert o.done_at == "2023-11-17T10:31:00Z"
    assert o.raw["network_error"] == {"type": 3, "type_name": "GSM", "code": 1}


def test_pdu_with_base64_byte_fields_as_go_writes_them() -> None:
    o = outcome("go_smpp_base64_fields.json")
    assert (o.message_id, o.state, o.final) == ("7700112233", State.DELIVERED, True)
    assert o.raw["receipt"] == {
        "id": "7700112233",
        "sub": "001",
        "dlvrd": "001",
        "submit_date": "2311171030",
        "done_date": "2311171031",
        "stat": "DELIVRD",
        "err": "000",
        "text": "Ticket 42",
    }
    assert o.raw["network_error"] == {"type": 3, "type_name": "GSM", "code": 0}


def test_four_hex_digits_are_not_read_as_base64_octets() -> None:
    with pytest.raises(InputError) as exc:
        smpp.parse_doc({"receipted_message_id": "1", "network_error_code": "0301"})
    assert exc.value.field == "network_error_code"


# --- whole deliver_sm PDUs, as octets or hex dumps ----------------------------------------------


@pytest.mark.parametrize("name", ["deliver_sm_pdu.bin", "deliver_sm_pdu_hex.txt"])
def test_deliver_sm_pdu_octets_or_hex_dump(name: str) -> None:
    o = outcome(name)
    assert (o.message_id, o.state, o.final, o.reason) == (
        "2207A1C9",
        State.DELIVERED,
        True,
        Reason.NONE,
    )
    assert (o.recipient, o.sender) == ("+33612345678", "ParcelCo")
    assert (o.sent_at, o.done_at) == ("2024-05-06T14:12:00Z", "2024-05-06T14:13:00Z")
    assert o.source == "smpp.pdu"
    assert o.raw["esm_class"] == 4


def test_deliver_sm_pdu_with_a_gsm_network_error() -> None:
    o = outcome("deliver_sm_pdu_expired_hex.txt")
    assert (o.state, o.final, o.reason) == (State.EXPIRED, True, Reason.RECIPIENT_UNREACHABLE)
    assert o.decided_by == "catalog:map:error:error:27"


def test_truncated_pdu_names_the_field() -> None:
    pdu = body("deliver_sm_pdu.bin")
    cut = (len(pdu) - 20).to_bytes(4, "big") + pdu[4:-20]  # a consistent length, a cut body
    with pytest.raises(InputError) as exc:
        smpp.parse(cut)
    assert exc.value.field is not None


def test_text_that_is_not_a_pdu_is_still_a_receipt() -> None:
    (r,) = smpp.parse(b"id:00000001 stat:DELIVRD err:000")
    assert r.source == "smpp.receipt"


def test_pdu_whose_receipted_id_is_the_hex_of_the_text_id() -> None:
    o = outcome("deliver_sm_pdu_hex_receipted_id.txt")
    assert (o.message_id, o.state, o.final) == ("43ef407", State.DELIVERED, True)
    assert o.raw["id_hex_as_decimal"] == "71234567"  # the text's id:0071234567
    assert o.raw["receipt"]["id"] == "0071234567"  # type: ignore[index]
    assert (o.raw["tlv_0x000E"], o.raw["tlv_0x0006"]) == ("01", "01")
    assert (o.recipient, o.sender) == ("+447911123456", "60777")


# --- err: read as a MAP error by default; several receipts per payload -------------------------

ABSENT = b"id:77 sub:001 dlvrd:000 submit date:2403151022 done date:2403151530 stat:UNDELIV err:027 text:hi"


def test_err_is_read_as_a_map_error_by_default() -> None:
    (o,) = normalize(ABSENT)
    assert (o.state, o.reason, o.retry) == (
        State.UNDELIVERED,
        Reason.RECIPIENT_UNREACHABLE,
        "later",
    )
    assert o.decided_by == "catalog:map:error:error:27"
    assert [c.entry for c in o.codes] == ["smpp:dlr_status:receipt:UNDELIV", "map:error:error:27"]
    assert o.raw["err_ref"] == "map:error:27"
    assert "default" in str(o.raw["err_read_as"])
    assert o.unknown_codes == ()


@pytest.mark.parametrize(
    "profile",
    [
        smpp.ReceiptProfile(name="own", err_standard=""),
        smpp.ReceiptProfile.from_dict({"err_standard": ""}, name="own"),
        smpp.ReceiptProfile(name="own", err_channel="vendor_err"),
    ],
)
def test_a_profile_can_say_err_is_the_smscs_own(profile: smpp.ReceiptProfile) -> None:
    (report,) = smpp.parse(ABSENT, profile=profile)
    assert report.codes[1] == err(27, profile.err_channel)
    assert "err_ref" not in report.raw


def test_err_standard_must_be_known() -> None:
    with pytest.raises(InputError) as exc:
        smpp.ReceiptProfile(err_standard="q850:cause")
    assert exc.value.field == "err_standard"


def test_large_err_values_are_not_map_errors() -> None:
    (report,) = smpp.parse(ABSENT.replace(b"err:027", b"err:375"))
    assert report.codes[1] == err(375)


def test_the_sandbox_smscs_receipts_read_as_it_means_them() -> None:
    """Our sandbox SMSC writes the MAP error of each fate in err:; our adapter reads it back."""
    from dlrkit.sandbox.fates import Fate
    from dlrkit.sandbox.smpp_outcomes import FATE_RECEIPTS, map_error_code

    for fate, (word, name) in FATE_RECEIPTS.items():
        code = map_error_code(name) if name else 0
        text = f"id:9 sub:001 dlvrd:000 submit date:2403151022 done date:2403151530 stat:{word} err:{code:03d} text:x"
        (o,) = normalize(text.encode())
        if name is None:
            assert len(o.codes) == 1, fate
            continue
        assert o.codes[1].name == name, fate
        assert o.reason not in (Reason.UNKNOWN, Reason.NONE), fate
        assert fate is not Fate.DELIVERED


def test_a_payload_of_receipts_gives_one_report_per_line() -> None:
    data = (Path(__file__).parent.parent.parent / "examples" / "smpp-receipts.txt").read_bytes()
    outcomes = normalize(data)
    lines = [line for line in data.splitlines() if line.strip()]
    assert len(outcomes) == len(lines) == 6
    assert [o.raw.get("text") for o in outcomes[:5]] == [
        "Your code is 4821",
        "Hello Marie, your",
        "Your parcel is on it",
        "Rendez-vous demain",
        "",
    ]
    assert all("\n" not in str(o.raw.get("short_message", "")) for o in outcomes)
    # the README reads one line: one outcome
    (first,) = normalize(data.splitlines(keepends=True)[0])
    assert first.message_id == "0123456789"


def test_text_continuation_lines_stay_with_their_receipt() -> None:
    data = b"id:1 stat:DELIVRD err:000 text:two\nlines here\nid:2 stat:UNDELIV err:001 text:y\n"
    reports = smpp.parse(data)
    assert [r.message_id for r in reports] == ["1", "2"]
    assert reports[0].raw["text"] == "two\nlines here"


def test_err_differing_from_the_network_error_code_is_kept_as_the_smscs_own() -> None:
    doc = {"receipted_message_id": "x1", "network_error_code": "03001B"}
    doc["short_message"] = "id:x1 stat:UNDELIV err:034 text:"
    (report,) = smpp.parse(msgspec.json.encode(doc), "application/json")
    assert report.codes == (stat("UNDELIV"), err(27, "error"), err(34))
