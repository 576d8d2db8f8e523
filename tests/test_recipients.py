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
