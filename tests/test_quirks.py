"""The sources' quirks, one by one: kept as data, never merged or dropped."""

from __future__ import annotations

from dlrkit import Catalog


def test_2053_has_two_names(catalog: Catalog) -> None:
    names = [e.name for e in catalog.lookup("infobip", 2053)]
    assert names == ["EC_BLACKLISTED_SENDERADDRESS", "EC_SOURCE_ADDRESS_BLACKLISTED"]


def test_4102_sits_in_two_groups(catalog: Catalog) -> None:
    groups = [(e.group_id, e.group_name) for e in catalog.lookup("infobip", 4102)]
    assert groups == [(2, "USER_ERRORS"), (3, "OPERATOR_ERRORS")]


def test_two_statuses_share_a_name(catalog: Catalog) -> None:
    assert [e.code for e in catalog.by_name("infobip", "REJECTED_DESTINATION")] == [14, 52]


def test_two_chat_errors_share_a_name(catalog: Catalog) -> None:
    assert [e.code for e in catalog.by_name("infobip", "EC_DATA_MISMATCH", channel="chat")] == [
        7023,
        7102,
    ]


def test_name_with_a_space_is_kept(catalog: Catalog) -> None:
    (e,) = catalog.lookup("infobip", 7020)
    assert e.name == "EC_DEVICE_REPRODUCTION ERROR"


def test_sources_disagree_on_voice_groups(catalog: Catalog) -> None:
    for code, reference_group in ((5480, 1), (5603, 1), (5004, 3)):
        (e,) = catalog.lookup("infobip", code, "error", "voice")
        assert e.group_id == reference_group
        assert [c.field for c in e.conflicts] == ["group_id"]


def test_migration_without_target_and_one_to_many(catalog: Catalog) -> None:
    for code in (5414, 5415, 5484):
        (e,) = catalog.lookup("infobip", code, "error", "voice")
        assert (e.migration, e.replaced_by) == ("no_target", ())
    assert catalog.lookup("infobip", 5004)[0].replaced_by == (10400, 10401, 10402)
    assert catalog.lookup("infobip", 5487)[0].replaced_by == (10202, 10203)


def test_5492_is_outside_the_migration(catalog: Catalog) -> None:
    (e,) = catalog.lookup("infobip", 5492)
    assert (e.migration, e.retired, e.replaced_by) == ("unmentioned", False, ())
    assert e.sources == ("001", "002")


def test_5481_is_retired_but_absent_from_the_reference(catalog: Catalog) -> None:
    (e,) = catalog.lookup("infobip", 5481)
    assert (e.retired, e.sources, e.group_id, e.permanent) == (True, ("000",), None, None)


def test_5603_is_missing_from_the_hlr_copy(catalog: Catalog) -> None:
    (e,) = catalog.lookup("infobip", 5603)
    assert "002" not in e.sources
    assert "001" in e.sources


def test_smspartner_hlr_drops_a_name_and_rows(catalog: Catalog) -> None:
    (e508,) = catalog.lookup("smspartner", 508, "error", "hlr")
    assert e508.name is None
    assert e508.quirk
    (e509,) = catalog.lookup("smspartner", 509, "error", "hlr")
    assert e509.name == "EC_DUPLICATED_INVOKE_ID"
    hlr = {e.code for e in catalog.select("smspartner", "error", "hlr")}
    general = {e.code for e in catalog.select("infobip", "error", "general")}
    assert hlr < general
    assert {21, 1159, 4099, 2051, 4097} <= general - hlr


def test_smspartner_code_outside_its_table(catalog: Catalog) -> None:
    (e,) = catalog.lookup("smspartner", 992, "api_error", "send_sms")
    assert e.name == "Unauthorized sender"
    assert e.quirk


def test_smspartner_mail_repeats_a_message(catalog: Catalog) -> None:
    names = {e.code: e.name for e in catalog.select("smspartner", "api_error", "mail")}
    assert names[1] == names[3] == "The API key is required"


def test_status_words_with_spaces_and_case(catalog: Catalog) -> None:
    assert catalog.lookup("smspartner", "not delivered")[0].code == "not delivered"
    assert catalog.lookup("smspartner", "NOT DELIVERED")[0].code == "not delivered"
    assert catalog.lookup("smspartner", "delivrd")[0].code == "DELIVRD"
