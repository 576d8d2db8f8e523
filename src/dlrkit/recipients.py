"""Recipients: E.164 normalization, country and (where known) operator, from `phonenumbers`.

Addresses that are not phone numbers (e-mail addresses, push registration ids, SIP URIs) are
kept as reported, without a country.

What each field means, and how it stays fast enough for millions of reports:
- `e164` is "+" and the digits when phonenumbers finds the number *possible* (a length its
  country uses); full validation (number-type patterns) costs tens of microseconds per number
  and adds little for numbers a provider already delivered to.
- `country` is phonenumbers' region for the number. Regions are decided by the calling code and
  leading digits, so the answer is computed once per (first six digits, length) block, or per
  a longer block for calling codes several regions share (+44, +61, +7: seven digits; +590,
  +599, +262: nine).
- `operator` is the operator the number's range was allocated to (not ported-number aware): the
  longest prefix of the number in phonenumbers' carrier data, the same look-up as
  `phonenumbers.carrier.name_for_valid_number`, done on the digits directly.
Tests compare all three with phonenumbers' own functions number by number.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

REGION_BLOCK = 6
SHARED_BLOCK = 7


class Recipient(NamedTuple):
    e164: str | None  # "+33612345678" when the address is a possible international number
    raw: str
    country: str | None  # ISO 3166-1 alpha-2
    operator: str | None  # the operator the number range was allocated to


def _candidate(raw: str) -> str | None:
    """'+' followed by the digits of an international number, or None if it is not one."""
    if raw.isdigit() and raw.isascii():  # the usual provider form: "33612345678"
        digits = raw[2:] if raw.startswith("00") else raw
        return "+" + digits if 7 <= len(digits) <= 15 else None
    text = raw.strip()
    if text[:4].lower() == "tel:":
        text = text[4:]
    if not text or "@" in text or len(text) > 32:
        return None
    if any(ch.isalpha() for ch in text):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("00"):
        digits = digits[2:]
    return "+" + digits if 7 <= len(digits) <= 15 and digits.isascii() else None


_REGIONS: dict[tuple[str, int], tuple[bool, str | None]] = {}


@lru_cache(maxsize=1)
def _shared_codes() -> frozenset[str]:
    """Calling codes several regions share, where the region needs the whole number
    (NANP's +1 is decided by the area code, inside the block)."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    return frozenset(
        str(cc)
        for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items()
        if len(regions) > 1 and cc != 1
    )


def _region_block(e164: str) -> int:
    """How many leading digits decide the region (with the number's length)."""
    shared = _shared_codes()
    if e164[1:4] in shared:  # +590, +599, +262...: the region sits deep in the number
        return SHARED_BLOCK + 2
    if e164[1:3] in shared or e164[1:2] in shared:  # +44, +61, +7...
        return SHARED_BLOCK
    return REGION_BLOCK


def _region(e164: str) -> tuple[bool, str | None]:
    """(possible, region) for the number's block."""
    block = _region_block(e164)
    key = (e164[: block + 1], len(e164))
    found = _REGIONS.get(key)
    if found is None:
        found = _REGIONS[key] = _region_exactly(e164)
        if len(_REGIONS) > 1 << 18:
            _REGIONS.clear()
    return found


def _region_exactly(e164: str) -> tuple[bool, str | None]:
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False, None
    return phonenumbers.is_possible_number(number), phonenumbers.region_code_for_number(
        number
    ) or None


@lru_cache(maxsize=1)
def _carrier_data() -> tuple[dict[str, dict[str, str]], int]:
    from phonenumbers.carrierdata import CARRIER_DATA, CARRIER_LONGEST_PREFIX

    return CARRIER_DATA, CARRIER_LONGEST_PREFIX


_OPERATOR_BLOCKS: dict[str, str | bool | None] = {}


def _operator(digits: str) -> str | None:
    """Longest-prefix look-up, answered per six-digit block when no longer prefix exists in it."""
    block = digits[:REGION_BLOCK]
    found = _OPERATOR_BLOCKS.get(block)
    if found is None and block not in _OPERATOR_BLOCKS:
        found = _OPERATOR_BLOCKS[block] = _block_operator(block)
    if found is False:  # the block holds longer prefixes: look at this number itself
        return _operator_exactly(digits)
    return found if isinstance(found, str) else None


def _block_operator(block: str) -> str | bool | None:
    if len(block) < REGION_BLOCK or block in _blocks_with_longer_prefixes():
        return False
    return _operator_exactly(block)


@lru_cache(maxsize=1)
def _blocks_with_longer_prefixes() -> frozenset[str]:
    data, _ = _carrier_data()
    return frozenset(k[:REGION_BLOCK] for k in data if len(k) > REGION_BLOCK)


def _operator_exactly(digits: str) -> str | None:
    data, longest = _carrier_data()
    for n in range(min(longest, len(digits)), 0, -1):
        names = data.get(digits[:n])
        if names is not None:
            name = names.get("en")
            if name is not None:
                return name or None
    return None


def deciding_digits(digits: str) -> int:
    """How many leading digits of a number (international form, no "+" or "00") decide what
    `parse_recipient` answers for it, given its length: every number of that length sharing them
    gets the same country, operator and possibility. Lets callers keep answers per block."""
    return max(_region_block("+" + digits), _operator_digits().get(digits[:REGION_BLOCK], 0))


@lru_cache(maxsize=1)
def _operator_digits() -> dict[str, int]:
    """For six-digit blocks holding longer carrier prefixes: the longest prefix's length."""
    data, _ = _carrier_data()
    longest: dict[str, int] = {}
    for k in data:
        if len(k) > REGION_BLOCK:
            longest[k[:REGION_BLOCK]] = max(len(k), longest.get(k[:REGION_BLOCK], 0))
    return longest


def parse_recipient(raw: str, home: str | None = None) -> Recipient:
    """Normalize an address as providers send it ("33612345678", "+33 6 12...", "tel:+33...").

    `home`: the region of a national number ("06 12 34 56 78": one leading 0), for a provider
    whose API takes them (SMSPartner's, French numbers); without it a national number is kept
    as it came, with no country, since nothing says which country's it is."""
    e164 = (_national(raw, home) if home else None) or _candidate(raw)
    if e164 is None:
        return Recipient(None, raw, None, None)
    possible, region = _region(e164)
    if not possible:
        return Recipient(None, raw, region, None)
    return Recipient(e164, raw, region, _operator(e164[1:]))


# Regions that share a home region's national numbering: a French "0692..." is in Réunion
_NATIONAL_PLANS = {"FR": ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF")}


def _national(raw: str, home: str) -> str | None:
    """A valid national number of region `home` (or of a region sharing its national
    numbering) in E.164, or None if `raw` is not one."""
    text = raw.strip()
    if not text.startswith("0") or text.startswith("00") or len(text) > 32:
        return None
    if not all(ch.isdigit() or ch in " .-()" for ch in text) or not text.isascii():
        return None
    import phonenumbers

    for region in _NATIONAL_PLANS.get(home, (home,)):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):  # a possible length is not enough here
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def parse_recipient_exactly(raw: str) -> Recipient:
    """The same answer from phonenumbers' own functions, number by number (slow; for tests)."""
    import phonenumbers
    from phonenumbers import carrier

    e164 = _candidate(raw)
    if e164 is None:
        return Recipient(None, raw, None, None)
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return Recipient(None, raw, None, None)
    region = phonenumbers.region_code_for_number(number) or None
    if not phonenumbers.is_possible_number(number):
        return Recipient(None, raw, region, None)
    return Recipient(e164, raw, region, carrier.name_for_valid_number(number, "en") or None)
