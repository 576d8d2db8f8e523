"""The Infobip SMS fast lane gives, byte for byte, what the general path writes, or declines.

Both of its loops are checked: the compiled one (`dlrkit._lane`, which reads the usual line by
itself and hands the others to Python) and the Python one (`native=False`).

Every accepted line is compared with `normalize()` + the JSON Lines encoding of its outcomes
(`received_at` aside: the general path stamps each outcome itself). Lines are generated around
Infobip's SMS report with every oddity the lane's shortcuts could get wrong: key order,
whitespace, escapes, number spellings, repeated keys, missing or null fields, unknown codes,
odd numbers and timestamps, several reports per payload, other channels.
"""

from __future__ import annotations

import json
import random

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlrkit import DlrkitError, fastlane, normalize
from dlrkit.catalog import Catalog
from dlrkit.classify import Classifier
from dlrkit.fastlane import InfobipSmsLane
from dlrkit.rules import Rules

RECEIVED = "2026-11-25T00:00:00.000Z"
CLASSIFIER = Classifier(Catalog.default())
_encoder = msgspec.json.Encoder()

STATUSES = [
    {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
    {"groupId": 2, "groupName": "UNDELIVERABLE", "id": 9, "name": "UNDELIVERABLE_NOT_DELIVERED"},
    {"groupId": 4, "groupName": "EXPIRED", "id": 15, "name": "EXPIRED_EXPIRED"},
    {"groupId": 5, "groupName": "REJECTED", "id": 10, "name": "REJECTED_DND"},
    {"groupId": 1, "groupName": "PENDING", "id": 7, "name": "PENDING_ENROUTE"},
    {"groupId": 2, "groupName": "UNDELIVERABLE", "id": 77777, "name": "SOMETHING_ELSE"},
    {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_VOICE"},
]
ERRORS = [
    {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
    {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 27, "name": "EC_ABSENT_SUBSCRIBER"},
    {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 1, "name": "EC_UNKNOWN_SUBSCRIBER"},
    {"groupId": 3, "groupName": "OPERATOR_ERRORS", "id": 2050, "name": "EC_DEST_BLACKLISTED"},
    {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 9999, "name": "EC_NEW"},
    {"groupId": 2, "groupName": "USER_ERRORS", "id": 4101, "name": "EC_VALIDITYEXPIRED"},
    {"groupId": 2, "groupName": "VOICE_ERRORS", "id": 5003, "name": "EC_VOICE"},
]
NUMBERS = [
    "385981234567", "38591417776", "33612345678", "4479111222333", "447911122233",
    "14155550123", "141555501234", "590590274196", "491501234567", "393211122233",
    "0033612345678", "+33 6 12 34 56 78", "tel:+33612345678", "12345", "1234567890123456",
    "", " 385981234567", "\u0663\u0663\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
    "someone@example.com", "SENDER", "999999999999",
]  # fmt: skip
TIMES = [
    "2026-11-24T10:00:10.123+0000", "2026-11-24T10:00:10.000+0000", "2026-11-24T23:59:59.999+0000",
    "2026-02-30T10:00:10.123+0000", "2026-11-24T10:00:60.123+0000", "2026-11-24T24:00:10.123+0000",
    "2026-11-24T12:00:10.123+0200", "2026-11-24T10:00:10.123Z", "2026-11-24T10:00:10+0000",
    "2026-11-24T10:00:10.1234+0000", "2026-11-24 10:00:10.123+0000", "2026-11-24T10:00:10",
    "20261124T100010.123+0000", "2026-11-24T10:00:10.123-0000", "not a time", "",
    "2026-11-24T10:00:1x.123+0000", "\uff12026-11-24T10:00:10.123+0000", "2026-11-24T10:00",
]  # fmt: skip
PRICES = [0.0075, 0.01, 1, 0, 1e-7, 123456789.25, -0.5, 0.1 + 0.2]


def general(line: bytes, provider: str | None = None, classifier: Classifier = CLASSIFIER) -> bytes:
    """What `dlrkit normalize` writes for this line through the general path."""
    outcomes = normalize(line, provider, classifier=classifier)
    return b"".join(
        _encoder.encode(msgspec.structs.replace(o, received_at=RECEIVED)) + b"\n" for o in outcomes
    )


LOOPS = [pytest.param(True, id="compiled"), pytest.param(False, id="python")]


def check(
    lines: list[bytes],
    *,
    provider: str | None = None,
    rules: Rules | None = None,
    native: bool = True,
    lane: InfobipSmsLane | None = None,
) -> int:
    """Compare lane and general path on each line; how many the lane accepted."""
    classifier = Classifier(Catalog.default(), rules) if rules else CLASSIFIER
    if lane is None:
        lane = InfobipSmsLane(classifier, RECEIVED, detect=provider is None, native=native)
    classifier = lane.classifier
    lane.want_own = True  # and the own fields for Parquet, checked against the lines below
    accepted = 0
    encoded = lane.encode_lines(lines)
    check_owns(encoded, lane.owns)
    for line, fast in zip(lines, encoded, strict=True):
        if fast is None:
            continue
        accepted += 1
        try:
            slow = general(line, provider, classifier)
        except DlrkitError as exc:  # pragma: no cover - a failure, shown
            raise AssertionError(
                f"the lane accepted what the general path rejects: {line!r}"
            ) from exc
        assert fast == slow, line
    assert lane.declined == sum(1 for _ in lines) - accepted
    return accepted


def check_owns(encoded: list[bytes | None], owns: list[tuple[object, ...] | None] | None) -> None:
    """The compiled loop's own fields of each outcome are what Parquet output would read from
    the outcome's line (`sinks._Own`); the Python loop gives none."""
    from dlrkit import sinks

    outcomes = b"".join(e for e in encoded if e is not None).splitlines()
    if owns is None:
        return
    assert len(owns) == len(outcomes)
    for values, outcome in zip(owns, outcomes, strict=True):
        if values is not None:
            expected = msgspec.structs.astuple(sinks._own_decoder.decode(outcome))
            assert values[:-1] == expected[:-1], outcome
            assert values[-1] == bytes(expected[-1]), outcome


@st.composite
def results(draw: st.DrawFn, index: int = 0) -> dict[str, object]:
    """A plausible report, with a few of its fields made odd."""
    r: dict[str, object] = {
        "bulkId": "bulk-1",
        "messageId": f"m-{index}",
        "to": draw(st.sampled_from(NUMBERS[:10])),
        "sentAt": draw(st.sampled_from(TIMES[:3])),
        "doneAt": draw(st.sampled_from(TIMES[:3])),
        "smsCount": 1,
        "mccMnc": "21910",
        "callbackData": "c",
        "price": {"pricePerMessage": draw(st.sampled_from(PRICES)), "currency": "EUR"},
        "status": dict(draw(st.sampled_from(STATUSES))),
        "error": dict(draw(st.sampled_from(ERRORS))),
        "entityId": "e",
        "applicationId": "a",
    }
    odd = {
        "bulkId": st.sampled_from([None, "b\u00e9", 'q"uote', 5]),
        "messageId": st.sampled_from([f"id-{index}-\u00e9", f" m{index} ", f"m\\{index}", ""])
        | st.integers(0, 10**6).map(lambda n: n + index * 10**7),
        "to": st.sampled_from(NUMBERS) | st.none() | st.integers(10**6, 10**13),
        "sentAt": st.sampled_from(TIMES) | st.none() | st.just(5),
        "doneAt": st.sampled_from(TIMES) | st.none(),
        "smsCount": st.sampled_from([2, 0, -1, 10**20, None, "2", True, 1.0]),
        "messageCount": st.sampled_from([1, 3, None]),
        "mccMnc": st.sampled_from([None, 21910, ""]),
        "callbackData": st.sampled_from(["a, b: {c}", "\u00e9\u2028", "\t", "x\\y", " "]),
        "price": st.none()
        | st.fixed_dictionaries(
            {"pricePerMessage": st.sampled_from([*PRICES, None, "1"])},
            optional={
                "currency": st.sampled_from(["EUR", None, "", "\u20ac", "UNKNOWN", " unknown "])
            },
        ),
        "status": st.sampled_from(
            [None, {}, {"id": "5"}, {"id": 5}, {"id": 5, "description": "x, y"}, {"action": "a"}]
        ),
        "error": st.sampled_from(
            [None, {}, {"id": 27}, {"id": 10**19}, {"id": 0, "permanent": True}, {"foo": 1}]
        ),
    }
    for name in draw(st.lists(st.sampled_from(sorted(odd)), max_size=3)):
        r[name] = draw(odd[name])
    for name in draw(st.lists(st.sampled_from(sorted(r)), max_size=2)):
        r.pop(name, None)
    if draw(st.integers(0, 9)) == 0:
        r[draw(st.sampled_from(["channel", "from", "seenAt", "description", "voiceCall"]))] = "x"
    if draw(st.integers(0, 9)) == 0:  # another key order
        items = list(r.items())
        random.Random(draw(st.integers(0, 1000))).shuffle(items)
        r = dict(items)
    return r


def spell(doc: object, style: int) -> bytes:
    """One of several ways of writing the same document."""
    if style == 0:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    if style == 1:
        return json.dumps(doc).encode()  # spaces, \\u escapes
    if style == 2:
        return json.dumps(doc, indent=1).replace("\n", " ").encode()
    return msgspec.json.encode(doc)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    n = draw(st.sampled_from([1, 1, 1, 2, 3, 0]))
    doc = {"results": [draw(results(i)) for i in range(n)]}
    if n > 1 and draw(st.booleans()):
        doc["results"][1]["messageId"] = doc["results"][0].get("messageId")  # type: ignore[index]
    line = spell(doc, draw(st.sampled_from([0, 0, 0, 1, 2, 3])))
    if draw(st.integers(0, 19)) == 0:
        line = line[:-2] + b',"results":[]}'  # a repeated key
    return line


# Lines where a shortcut would go wrong if it were not checked: a non-canonical float, -0,
# repeated keys (inside the report and around it), escapes, whitespace and a carriage return.
ODD_LINES = [
    b'{"results":[{"messageId":"a","status":{"id":5,"groupId":3},'
    b'"price":{"pricePerMessage":1.50}}]}',
    b'{"results":[{"messageId":"a","error":{"id":-0,"groupId":0},"smsCount":-0}]}',
    b'{"results":[{"messageId":"a","to":"1","to":"385981234567","error":{"id":0}}]}',
    b'{"results":[{"messageId":"a","error":{"id":0,"id":27}}],'
    b'"results":[{"messageId":"b","error":{"id":0}}]}',
    b'{"results":[{"messageId":"a\\/b","error":{"id":0},"callbackData":"\\u0041"}]}',
    b' {"results":[{"messageId":"a","error":{"id":0}}]}\r',
    b'{"results":[{"messageId":"a","error":{"id":0}},{"messageId":"b","error":{"id":27}}]}',
]


# Lines the compiled loop reads by itself, or must hand to Python: its scanner's edges.
USUAL = (
    b'{"results":[{"bulkId":"b","messageId":"m1","to":"385981234567",'
    b'"sentAt":"2026-11-24T10:00:10.123+0000","doneAt":"2026-11-24T10:00:12.000+0000",'
    b'"smsCount":1,"mccMnc":"21910","price":{"pricePerMessage":0.01,"currency":"EUR"},'
    b'"status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},'
    b'"error":{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","permanent":false}}]}'
)
SCANNER_LINES = [
    USUAL,
    USUAL.replace(b'"smsCount":1', b'"smsCount":01'),  # a leading zero
    USUAL.replace(b'"smsCount":1', b'"smsCount":-0'),
    USUAL.replace(b'"smsCount":1', b'"smsCount":-3'),
    USUAL.replace(b'"smsCount":1', b'"smsCount":1234567890123456789'),  # 19 digits
    USUAL.replace(b'"smsCount":1', b'"smsCount":99999999999999999999'),  # beyond int64
    USUAL.replace(b'"smsCount":1', b'"smsCount":1.0'),
    USUAL.replace(b'"smsCount":1', b'"smsCount":null'),
    USUAL.replace(b'"smsCount":1', b'"smsCount":nul'),
    USUAL.replace(b'"smsCount":1', b'"smsCount":"1"'),
    USUAL.replace(b'"smsCount":1,', b""),
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":null'),
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":"a\\"b"'),  # an escape
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":"a\\u0041"'),
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":"caf\\u00e9"'),
    USUAL.replace(b'"bulkId":"b"', '"bulkId":"caf\u00e9"'.encode()),  # non-ASCII
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":"a\x7fb"'),  # DEL
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":"a\tb"'),  # a raw tab
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":"b","bulkId":"c"'),  # repeated
    USUAL.replace(b'"bulkId":"b","messageId":"m1"', b'"messageId":"m1","bulkId":"b"'),
    USUAL.replace(b'"bulkId":"b"', b'"bulkIdx":"b"'),  # unknown keys
    USUAL.replace(b'"bulkId":"b"', b'"bulk":"b"'),
    USUAL.replace(b'"bulkId":"b"', b'"bulkId":5'),  # wrong types
    USUAL.replace(b'"messageId":"m1"', b'"messageId":5'),
    USUAL.replace(b'"messageId":"m1"', b'"messageId":null'),
    USUAL.replace(b'"messageId":"m1"', b'"messageId":""'),
    USUAL.replace(b'"messageId":"m1",', b""),
    USUAL.replace(b'"to":"385981234567"', b'"to":"someone@example.com"'),
    USUAL.replace(b'"to":"385981234567"', b'"to":"123"'),
    USUAL.replace(b'"to":"385981234567"', b'"to":""'),
    USUAL.replace(b'"to":"385981234567"', b'"to":null'),
    USUAL.replace(b'"to":"385981234567"', b'"to":"+385981234567"'),
    USUAL.replace(b'"to":"385981234567"', b'"to":"0038598123456"'),
    USUAL.replace(b'"sentAt":"2026-11-24T10:00:10.123+0000"', b'"sentAt":"2026-11-24T10:00:10"'),
    USUAL.replace(b"10:00:10.123+0000", b"10:00:10.12+0000"),
    USUAL.replace(b"10:00:10.123+0000", b"10:00:10.123+0100"),
    USUAL.replace(b"10:00:10.123+0000", b"10:00:61.123+0000"),
    USUAL.replace(b"2026-11-24T10:00:12.000+0000", b"2026-02-30T10:00:12.000+0000"),
    USUAL.replace(b'"price":{"pricePerMessage":0.01,"currency":"EUR"}', b'"price":null'),
    USUAL.replace(b'"price":{"pricePerMessage":0.01,"currency":"EUR"}', b'"price":{}'),
    USUAL.replace(b'"pricePerMessage":0.01', b'"pricePerMessage":0.010'),  # not canonical
    USUAL.replace(b'"pricePerMessage":0.01', b'"pricePerMessage":1e-2'),
    USUAL.replace(b'"pricePerMessage":0.01', b'"pricePerMessage": 0.01'),  # a space inside
    USUAL.replace(b'"pricePerMessage":0.01', b'"pricePerMessage":[0.01]'),
    USUAL.replace(b'"pricePerMessage":0.01', b'"pricePerMessage":[0.01}'),  # mismatched
    USUAL.replace(b'"pricePerMessage":0.01', b'"pricePerMessage":0.01}'),
    USUAL.replace(b'"pricePerMessage":0.01', b'"pricePerMessage":tru'),  # not JSON inside
    USUAL.replace(b'"pricePerMessage":0.01', b'"p":{"q":{"r":1}}'),  # unknown, nested
    USUAL.replace(b'"name":"DELIVERED_TO_HANDSET"', b'"name":"A}B{C]"'),  # brackets in text
    USUAL.replace(b'"name":"DELIVERED_TO_HANDSET"', b'"name":"X","name":"Y"'),
    USUAL.replace(b'"status":{', b'"status":["x",{').replace(b'HANDSET"}', b'HANDSET"}]'),
    USUAL.replace(b'"status":{', b'"status":5,"x":{'),
    USUAL.replace(b'"status":{"groupId":3,', b'"status":{').replace(b'"id":5,', b""),
    USUAL.replace(b'"error":{"groupId":0,"groupName":"OK","id":0,', b'"error":{"id":27,'),
    USUAL.replace(b',"error":{', b',"status2":{'),
    USUAL.replace(b"}]}", b',"entityId":"e","applicationId":"a"}]}'),
    USUAL.replace(b"}]}", b',"applicationId":"a","entityId":"e"}]}'),
    USUAL.replace(b"}]}", b',"channel":"SMS"}]}'),
    USUAL.replace(b"}]}", b"}]} "),
    USUAL.replace(b"}]}", b"},]}"),
    USUAL.replace(b"}]}", b"}]"),
    USUAL.replace(b'{"results":[{', b'{"results":[ {'),
    USUAL.replace(b'{"results":[{', b'{"results":[{}, {'),
    USUAL + b"\r",
    USUAL[:-40],
    b'{"results":[{}]}',
    b'{"results":[{"messageId":"m"}]}',
    b'{"results":[]}',
    b"",
    b"{",
]


@pytest.mark.parametrize("native", LOOPS)
@pytest.mark.parametrize("line", ODD_LINES + SCANNER_LINES)
def test_odd_lines(line: bytes, native: bool) -> None:
    check([line], native=native)
    check([line], provider="infobip", native=native)


def test_the_usual_line_is_read_by_the_compiled_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extension was built, and reads the usual line without Python's help."""
    assert fastlane._native is not None, "dlrkit._lane was not built: is a C compiler installed?"
    lane = InfobipSmsLane(CLASSIFIER, RECEIVED)
    assert check([USUAL], lane=lane) == 1

    def python_loop(line: bytes, seen: list[object]) -> bytes | None:
        raise AssertionError("the compiled loop handed the usual line to Python")

    monkeypatch.setattr(lane, "_line", python_loop)
    again = USUAL.replace(b"m1", b"m2")
    assert check([again, again.replace(b"m2", b"m3")], lane=lane) == 2


@pytest.mark.parametrize("native", LOOPS)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), min_size=1, max_size=8))
def test_lane_output_is_the_general_paths(native: bool, batch: list[bytes]) -> None:
    check(batch, native=native)
    check(batch, provider="infobip", native=native)


def test_lanes_taking_turns_keep_their_own_decisions(tmp_path: object) -> None:
    """The compiled loop's caches belong to one lane: a lane with other rules, called in
    between, gets its own decisions, and the first lane its own again."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nprovider = "infobip"\ncode = 5\nreason = "content_rejected"\n')
    plain = InfobipSmsLane(CLASSIFIER, RECEIVED)
    ruled = InfobipSmsLane(Classifier(Catalog.default(), Rules.load(str(path))), RECEIVED)
    batch = [USUAL.replace(b"m1", b"m%d" % i) for i in range(5)]
    for lane in (plain, ruled, plain, ruled):
        assert check(batch, lane=lane) == 5
    assert plain.encode(USUAL) != ruled.encode(USUAL)


def test_the_usual_reports_are_accepted() -> None:
    """The generator's lines (Infobip's documented shape) are all taken by the lane."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "gen_infobip", Path(__file__).parent.parent / "bench" / "gen_infobip.py"
    )
    assert spec is not None
    assert spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    rng = random.Random(3)
    batch = [gen.line(rng, i, 3000).encode() for i in range(3000)]
    assert check(batch) == len(batch)
    assert check(batch, native=False) == len(batch)


@pytest.mark.parametrize("pattern", ["(?i)absent", "NO_ERROR"])
def test_rules_with_patterns(tmp_path: object, pattern: str) -> None:
    """A pattern rule reads the codes' names (and text fields, which the lane declines)."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "rules.toml"
    path.write_text(f'[[rule]]\nprovider = "infobip"\npattern = "{pattern}"\nretry = "now"\n')
    doc = {
        "results": [
            {"messageId": "m", "to": "385981234567", "status": STATUSES[1], "error": ERRORS[1]}
        ]
    }
    assert check([spell(doc, 0), spell(doc, 1)], rules=Rules.load(str(path))) == 2


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["385", "33", "44", "4915", "1", "39", "590", "262", "7", "61", "86", "49"]),
    st.text(alphabet="0123456789", min_size=5, max_size=11),
    st.text(alphabet="0123456789", min_size=12, max_size=12),
)
def test_deciding_digits_decide(code: str, rest: str, other: str) -> None:
    """Numbers sharing their deciding digits and length get phonenumbers' same answer."""
    from dlrkit.recipients import deciding_digits, parse_recipient_exactly

    number = (code + rest)[:15]
    if len(number) < 7:
        return
    k = deciding_digits(number)
    twin = (number[:k] + other)[: len(number)]
    a, b = parse_recipient_exactly(number), parse_recipient_exactly(twin)
    assert (a.e164 is None, a.country, a.operator) == (b.e164 is None, b.country, b.operator)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(USUAL) - 1),
            st.integers(0, 3),
            st.sampled_from(b'{}[]",:0123456789-.aenulltrf \\\x7f\x00\xc3\xa9'),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mangled_lines_are_read_or_declined_alike(edits: list[tuple[int, int, int]]) -> None:
    """Bytes of the usual line replaced, inserted or deleted at random: the compiled loop's
    scanner either reads the line as the Python loop would, or hands it over; both then give
    the general path's bytes or decline."""
    line = bytearray(USUAL)
    for position, how, byte in edits:
        at = min(position, len(line) - 1)
        if how == 0:
            line[at] = byte
        elif how == 1:
            line.insert(at, byte)
        elif how == 2:
            del line[at]
        else:
            line[at : at + 2] = bytes([byte])
    mangled = bytes(line)
    compiled = InfobipSmsLane(CLASSIFIER, RECEIVED).encode_lines([mangled])
    python = InfobipSmsLane(CLASSIFIER, RECEIVED, native=False).encode_lines([mangled])
    assert compiled == python
    check([mangled])
