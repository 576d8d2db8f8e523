"""Recipient normalization: phonenumbers' answers, and the block cache agreeing with them."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from dlrkit.recipients import _REGIONS, parse_recipient, parse_recipient_exactly


@pytest.mark.parametrize(
    ("raw", "e164", "country"),
    [
        ("385981234567", "+385981234567", "HR"),
        ("+33 6 12 34 56 78", "+33612345678", "FR"),
        ("0033612345678", "+33612345678", "FR"),
        ("tel:+14155552671", "+14155552671", "US"),
        ("a@b.com", None, None),
        ("123", None, None),
        ("+3361234", None, "FR"),  # too short to be a French number
        ("push-registration-9f8e", None, None),
    ],
)
def test_examples(raw: str, e164: str | None, country: str | None) -> None:
    r = parse_recipient(raw)
    assert (r.e164, r.country, r.raw) == (e164, country, raw)


def test_operator_where_known() -> None:
    assert parse_recipient("385981234567").operator == "Hrvatski Telekom"


def _numbers(n_per_region: int) -> list[str]:
    rng = random.Random(7)
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            ex = phonenumbers.example_number_for_type(region, kind)
            if ex is None:
                continue
            nn = str(ex.national_number)
            for _ in range(n_per_region):
                keep = rng.randrange(max(1, len(nn) - 6), len(nn))
                tail = "".join(str(rng.randrange(10)) for _ in range(len(nn) - keep))
                out.append(f"+{ex.country_code}{nn[:keep]}{tail}")
    return out


def test_block_cache_agrees_with_phonenumbers() -> None:
    """Every region's mobile and fixed ranges, randomised tails: the cached answer is phonenumbers'."""
    _REGIONS.clear()
    numbers = _numbers(12)
    assert len(numbers) > 5000
    disagree = [n for n in numbers if parse_recipient(n) != parse_recipient_exactly(n)]
    assert disagree == []


@pytest.mark.parametrize(
    ("raw", "home", "e164", "country"),
    [
        ("0612349904", "FR", "+33612349904", "FR"),
        ("06 12 34 99 04", "FR", "+33612349904", "FR"),
        ("06.12.34.99.04", "FR", "+33612349904", "FR"),
        ("0033612349904", "FR", "+33612349904", "FR"),  # international forms are as before
        ("33612349904", "FR", "+33612349904", "FR"),
        ("+41793026727", "FR", "+41793026727", "CH"),
        ("0612349904", None, None, None),  # no home: nobody can tell whose national number
        ("061", "FR", None, None),  # not a possible French number
        ("0x6123", "FR", None, None),
    ],
)
def test_national_numbers_with_a_home_region(
    raw: str, home: str | None, e164: str | None, country: str | None
) -> None:
    r = parse_recipient(raw, home)
    assert (r.e164, r.country, r.raw) == (e164, country, raw)


def test_smspartner_national_numbers_are_french() -> None:
    """SMSPartner's API takes French numbers as "06...", and its reports may name them so: the
    outcome has the number in E.164 and its country, so that it can be found and suppressed."""
    from dlrkit import normalize

    body = b"msgId=70003&phoneNumber=0612349904&status=delivered&date=1700000000"
    form = "application/x-www-form-urlencoded"
    (o,) = normalize(body, "smspartner", content_type=form)
    assert (o.recipient, o.recipient_raw, o.country) == ("+33612349904", "0612349904", "FR")
    infobip = b'{"results": [{"messageId": "m1", "to": "0612349904", "status": {"groupId": 3}}]}'
    (other,) = normalize(infobip, "infobip")
    assert (other.recipient, other.country) == ("0612349904", None)  # Infobip names no home


@pytest.mark.parametrize(
    ("raw", "e164", "country"),
    [
        ("061234567", None, None),  # a digit short: possible somewhere, valid nowhere
        ("0692123456", "+262692123456", "RE"),  # French national numbering, Réunion's number
        ("0000000000", None, None),
    ],
)
def test_a_national_number_must_be_valid_in_its_plan(
    raw: str, e164: str | None, country: str | None
) -> None:
    r = parse_recipient(raw, "FR")
    assert (r.e164, r.country) == (e164, country)
