"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from dlrkit import Catalog
from dlrkit.outcome import Channel, NativeCode, Report

CATALOG = Catalog.default()
PROVIDERS = ("infobip", "smspartner", "plivo", "smpp")

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def catalog_codes(draw: st.DrawFn) -> NativeCode:
    """A code the catalog knows, as an adapter would report it."""
    e = draw(st.sampled_from([e for e in CATALOG.entries if e.provider in PROVIDERS]))
    return NativeCode(
        kind=e.kind.value, channel=e.channel, code=e.code, name=e.name, group_id=e.group_id
    )


unknown_codes = st.builds(
    NativeCode,
    kind=st.sampled_from(["status", "error", "hangup_cause", "api_error", "dlr_status"]),
    channel=st.sampled_from(["general", "voice", "sms", "nowhere"]),
    code=st.integers(min_value=20_000, max_value=10**9)
    | st.text(alphabet="QXZ_", min_size=6, max_size=12),
)


def reports(codes: st.SearchStrategy[NativeCode]) -> st.SearchStrategy[Report]:
    return st.builds(
        Report,
        provider=st.sampled_from(PROVIDERS),
        message_id=st.text(min_size=1, max_size=12),
        channel=st.sampled_from(list(Channel)),
        codes=st.lists(codes, max_size=3).map(tuple),
        recipient=st.none()
        | st.text(max_size=16)
        | st.from_regex(r"\+?[1-9][0-9]{7,13}", fullmatch=True),
    )
