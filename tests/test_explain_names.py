"""`explain` takes what providers send: Plivo's HangupCause names; unknown codes get close
matches."""

from __future__ import annotations

import pytest

from dlrkit import Catalog, explain, normalize
from dlrkit.adapters._cause_names import PLIVO_BY_NAME, Q850_BY_NAME, SIP_BY_NAME
from dlrkit.errors import UnknownCodeError

from .test_cli import run

CAT = Catalog.default()


@pytest.mark.parametrize("name", sorted({**Q850_BY_NAME, **SIP_BY_NAME, **PLIVO_BY_NAME}))
def test_every_hangup_cause_name_explains_as_normalize_reads_it(name: str) -> None:
    body = f"CallUUID=c-1&CallStatus=completed&HangupCause={name}".encode()
    (o,) = normalize(body, provider="plivo")
    found = explain("plivo", name)
    if o.codes[-1].entry is None:  # a name for a code the catalog lacks: explain says unknown
        return
    (x,) = found
    assert f"{x.entry.provider}:{x.entry.kind.value}:{x.entry.channel}:{x.entry.code}" == (
        o.codes[-1].entry
    )
    assert x.resolved_from is not None
    assert name in x.resolved_from


@pytest.mark.parametrize(("name", "ref"), [("USER_BUSY", "q850 17"), ("NO_ANSWER", "q850 19")])
def test_cli_explains_plivo_cause_names(name: str, ref: str) -> None:
    proc = run("explain", "plivo", name)
    assert ref.replace(" ", " hangup_cause ") in proc.stdout
    assert f"HangupCause name {name}" in proc.stdout
    data = run("explain", "plivo", name.lower(), "--json").stdout
    assert f"HangupCause name {name}" in data


def test_a_misspelt_cause_name_suggests_the_name() -> None:
    with pytest.raises(UnknownCodeError) as exc:
        explain("plivo", "USER_BUSSY")
    assert exc.value.suggestions[0][:2] == ("plivo", "USER_BUSY")


@pytest.mark.parametrize(
    ("provider", "code", "expected"),
    [
        ("infobip", "abc", "EC_ABSENT_SUBSCRIBER"),
        ("infobip", "absnt", "EC_ABSENT_SUBSCRIBER"),
        ("smpp", "0xZZ", "ESME_ROK"),
    ],
)
def test_unknown_words_get_close_matches(provider: str, code: str, expected: str) -> None:
    with pytest.raises(UnknownCodeError) as exc:
        explain(provider, code)
    assert expected in [name for _, _, name in exc.value.suggestions]
    proc = run("explain", provider, code, ok=1)
    assert "closest known codes" in proc.stderr


def test_a_bad_hex_number_says_so() -> None:
    with pytest.raises(UnknownCodeError, match="not a hexadecimal number"):
        CAT.find("smpp", "0xZZ")
