"""Any bytes in, a list of reports or a clear InputError out, for every adapter."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlrkit import adapters, normalize
from dlrkit.errors import InputError

NOT_UTF8 = [
    (b'{"results":[{"messageId":"\xff"}]}', None, 26),
    (b'{"a":"caf\xe9"}', "application/json", 9),
    (b"\xff\xfe{}", "application/json", 0),
    (b"status=d\xe9livr\xe9&id=1", "application/x-www-form-urlencoded", 8),
    (b'{"MessageUUID":"x","Status":"\xc3"}', None, 29),
]


@pytest.mark.parametrize("provider", list(adapters.ADAPTERS))
@pytest.mark.parametrize(("body", "content_type", "offset"), NOT_UTF8)
def test_a_body_that_is_not_utf8_is_an_input_error_saying_so(
    provider: str, body: bytes, content_type: str | None, offset: int
) -> None:
    with pytest.raises(InputError) as exc:
        adapters.get(provider).parse(body, content_type)
    if provider == "smpp" and content_type is None and not body.startswith(b"{"):
        return  # SMPP receipt text may be 8-bit: Latin-1 is read, not refused
    assert "not valid UTF-8" in str(exc.value)
    assert f"offset {offset}" in str(exc.value)
    assert exc.value.provider == provider


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(list(adapters.ADAPTERS)),
    st.one_of(
        st.binary(max_size=200),
        st.builds(lambda b: b'{"results":[{"messageId":"' + b + b'"}]}', st.binary(max_size=20)),
        st.builds(lambda b: b"a=" + b + b"&b=1", st.binary(max_size=20)),
    ),
    st.sampled_from([None, "application/json", "application/x-www-form-urlencoded"]),
)
def test_any_bytes_give_reports_or_an_input_error(
    provider: str, body: bytes, content_type: str | None
) -> None:
    try:
        reports = adapters.get(provider).parse(body, content_type)
    except InputError:
        return
    assert isinstance(reports, list)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_normalize_any_bytes_gives_outcomes_or_an_input_error(body: bytes) -> None:
    with contextlib.suppress(InputError):
        normalize(body)
