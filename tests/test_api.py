"""The public Python API."""

from __future__ import annotations

import pytest

import dlrkit
from dlrkit import Catalog, UnknownCodeError, explain, translate


def test_all_is_sorted_and_complete() -> None:
    assert dlrkit.__all__ == sorted(dlrkit.__all__)
    for name in dlrkit.__all__:
        assert getattr(dlrkit, name) is not None
    # every exception class and every vocabulary enum is public
    from dlrkit import errors, vocab

    for module in (errors, vocab):
        for name, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == module.__name__:
                assert name in dlrkit.__all__, name
    with pytest.raises(AttributeError):
        _ = dlrkit.no_such_name


def test_explain_returns_every_row() -> None:
    assert [x.entry.name for x in explain("infobip", 2053)] == [
        "EC_BLACKLISTED_SENDERADDRESS",
        "EC_SOURCE_ADDRESS_BLACKLISTED",
    ]
    assert sorted(x.entry.kind for x in explain("infobip", 5)) == ["error", "status"]
    assert [x.entry.kind for x in explain("infobip", 5, kind="error")] == ["error"]


def test_unknown_code_suggests_neighbours() -> None:
    with pytest.raises(UnknownCodeError) as err:
        explain("plivo", 3011)
    assert ("plivo", "3010", "Busy Line") in err.value.suggestions


def test_translate_both_ways() -> None:
    assert [e.code for e in translate("infobip", 5004)] == [10400, 10401, 10402]
    assert [e.code for e in translate("infobip", 10203)] == [5603, 5487]
    assert [e.code for e in translate("infobip", "EC_VOICE_USER_BUSY")] == [10201]
    assert translate("infobip", 5414) == []


def test_equivalents_are_derived_through_standards(catalog: Catalog) -> None:
    (busy,) = catalog.lookup("infobip", 5002)
    eq = {(e.provider, e.code) for e in catalog.equivalents(busy)}
    assert {("infobip", 10201), ("plivo", 3010), ("plivo", 3100)} <= eq
    (hlr27,) = catalog.lookup("smspartner", 27, "error", "hlr")
    assert ("infobip", 27) in {(e.provider, e.code) for e in catalog.equivalents(hlr27)}


def test_standard_lists_the_codes_above_it(catalog: Catalog) -> None:
    (sip486,) = catalog.lookup("sip", 486)
    above = {(e.provider, e.code) for e in catalog.above(sip486)}
    assert {("plivo", 3010), ("infobip", 5002), ("infobip", 10201)} <= above


def test_search_ranks_name_matches_first(catalog: Catalog) -> None:
    hits = catalog.search("absent subscriber", provider="infobip")
    assert hits[0].name in {"EC_ABSENT_SUBSCRIBER", "EC_ABSENT_SUBSCRIBER_SM"}


def test_lookup_accepts_strings_hex_and_case(catalog: Catalog) -> None:
    assert catalog.lookup("smpp", "0x0000000B") == catalog.lookup("smpp", 11)
    assert catalog.lookup("infobip", " 27 ") == catalog.lookup("infobip", 27)
    assert catalog.lookup("nosuch", 1) == ()
